//! S3: buckets with ACL, policy (and its public status), Public Access Block, default
//! encryption, versioning and MFA delete, access logging and object ownership; and the
//! account-level Public Access Block (s3control).
//!
//! Buckets become resources in [`super::account::finish`], once the account-level Public
//! Access Block and the trails are known.

use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::account::PendingBucket;
use super::errors::{Op, is_code, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit, policy};

/// Run by every account scan: the buckets, and the account's Public Access Block.
pub(crate) const SERVICE: Service = Service {
    units: &[
        Unit::Account(|ctx| Box::pin(collect(ctx))),
        Unit::Account(|ctx| Box::pin(collect_account_public_access_block(ctx))),
    ],
};

const BUCKET: &str = "aws.s3.bucket";

fn op(operation: &'static str) -> Op<'static> {
    Op {
        service: "s3",
        region: None,
        operation,
        kinds: &[BUCKET],
    }
}

/// Collects every bucket of the account.
pub(crate) async fn collect(ctx: &Ctx) {
    let pb = ctx.progress.task("s3");
    let client = ctx.clients.s3(&ctx.clients.home_region);
    // Paged listing: S3 then also answers each bucket's region, which saves a
    // GetBucketLocation per bucket (servers that omit it get the extra call).
    let mut buckets = Vec::new();
    let mut pages = client
        .list_buckets()
        .max_buckets(10_000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        pb.inc(1);
        match page {
            Ok(o) => buckets.extend(o.buckets.unwrap_or_default()),
            Err(e) => {
                op("ListBuckets").fail(ctx, &e, None);
                pb.finish_and_clear();
                return;
            }
        }
    }
    let pending: Vec<Option<PendingBucket>> = futures::stream::iter(buckets)
        .map(|b| {
            let pb = &pb;
            let client = &client;
            async move {
                let name = b.name()?.to_string();
                let mut data = Map::new();
                data.insert(
                    "arn".into(),
                    json!(format!("arn:{}:s3:::{name}", ctx.partition)),
                );
                if let Some(t) = b.creation_date().and_then(ts) {
                    data.insert("created".into(), json!(t));
                }
                let region = match b.bucket_region() {
                    Some(r) => r.to_string(),
                    None => bucket_region(ctx, client, &name, pb).await?,
                };
                bucket(ctx, &name, &region, &mut data, pb).await;
                Some(PendingBucket { name, region, data })
            }
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    ctx.facts(|f| f.buckets.extend(pending.into_iter().flatten()));
    pb.finish_and_clear();
}

/// The bucket's region; `None` (recorded) when it cannot be read.
async fn bucket_region(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    name: &str,
    pb: &indicatif::ProgressBar,
) -> Option<String> {
    pb.inc(1);
    match client.get_bucket_location().bucket(name).send().await {
        Ok(o) => Some(match o.location_constraint() {
            // An empty constraint means us-east-1; `EU` is the legacy name of eu-west-1.
            None => "us-east-1".to_string(),
            Some(c) if c.as_str().is_empty() => "us-east-1".to_string(),
            Some(c) if c.as_str() == "EU" => "eu-west-1".to_string(),
            Some(c) => c.as_str().to_string(),
        }),
        Err(e) => {
            let arn = format!("arn:{}:s3:::{name}", ctx.partition);
            op("GetBucketLocation").fail(ctx, &e, Some(&arn));
            None
        }
    }
}

/// Reads one bucket's settings into `data`; a failed call omits its fields.
async fn bucket(
    ctx: &Ctx,
    name: &str,
    region: &str,
    data: &mut Map<String, Value>,
    pb: &indicatif::ProgressBar,
) {
    let c = ctx.clients.s3(region);
    let arn = format!("arn:{}:s3:::{name}", ctx.partition);
    let fail = |operation: &'static str| Op {
        service: "s3",
        region: Some(region),
        operation,
        kinds: &[BUCKET],
    };
    let (acl, pol, pab, enc, ver, log, own) = futures::join!(
        c.get_bucket_acl().bucket(name).send(),
        c.get_bucket_policy().bucket(name).send(),
        c.get_public_access_block().bucket(name).send(),
        c.get_bucket_encryption().bucket(name).send(),
        c.get_bucket_versioning().bucket(name).send(),
        c.get_bucket_logging().bucket(name).send(),
        c.get_bucket_ownership_controls().bucket(name).send(),
    );
    pb.inc(7);

    match acl {
        Ok(o) => {
            let grants: Vec<Value> = o
                .grants()
                .iter()
                .map(|g| {
                    let mut m = Map::new();
                    if let Some(gr) = g.grantee() {
                        m.insert("grantee_type".into(), json!(gr.r#type().as_str()));
                        if let Some(id) = gr.id() {
                            m.insert("grantee_id".into(), json!(id));
                        }
                        if let Some(uri) = gr.uri() {
                            m.insert("grantee_uri".into(), json!(uri));
                        }
                    }
                    if let Some(p) = g.permission() {
                        m.insert("permission".into(), json!(p.as_str()));
                    }
                    Value::Object(m)
                })
                .collect();
            let mut m = Map::new();
            if let Some(id) = o.owner().and_then(|o| o.id()) {
                m.insert("owner_id".into(), json!(id));
            }
            m.insert("grants".into(), Value::Array(grants));
            data.insert("acl".into(), Value::Object(m));
        }
        Err(e) => fail("GetBucketAcl").fail(ctx, &e, Some(&arn)),
    }

    match pol {
        Ok(o) => {
            if let Some(doc) = o.policy().and_then(policy::parse) {
                data.insert("policy".into(), doc);
                pb.inc(1);
                match c.get_bucket_policy_status().bucket(name).send().await {
                    Ok(s) => {
                        if let Some(p) = s.policy_status().and_then(|p| p.is_public()) {
                            data.insert("policy_is_public".into(), json!(p));
                        }
                    }
                    Err(e) => fail("GetBucketPolicyStatus").fail(ctx, &e, Some(&arn)),
                }
            }
        }
        Err(e) if is_code(&e, &["NoSuchBucketPolicy"]) => {}
        Err(e) => fail("GetBucketPolicy").fail(ctx, &e, Some(&arn)),
    }

    match pab {
        Ok(o) => {
            if let Some(p) = o.public_access_block_configuration() {
                data.insert("public_access_block".into(), public_access_block(p));
            }
        }
        Err(e) if is_code(&e, &["NoSuchPublicAccessBlockConfiguration"]) => {}
        Err(e) => fail("GetPublicAccessBlock").fail(ctx, &e, Some(&arn)),
    }

    match enc {
        Ok(o) => {
            let rule = o
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| {
                    let d = r.apply_server_side_encryption_by_default()?;
                    let mut m = Map::new();
                    m.insert("sse_algorithm".into(), json!(d.sse_algorithm().as_str()));
                    if let Some(k) = d.kms_master_key_id() {
                        m.insert("kms_key_id".into(), json!(k));
                    }
                    if let Some(b) = r.bucket_key_enabled() {
                        m.insert("bucket_key_enabled".into(), json!(b));
                    }
                    Some(Value::Object(m))
                });
            if let Some(r) = rule {
                data.insert("encryption".into(), r);
            }
        }
        Err(e) if is_code(&e, &["ServerSideEncryptionConfigurationNotFoundError"]) => {}
        Err(e) => fail("GetBucketEncryption").fail(ctx, &e, Some(&arn)),
    }

    match ver {
        Ok(o) => {
            let status = o.status().map(|s| s.as_str()).unwrap_or("Disabled");
            data.insert("versioning".into(), json!(status));
            data.insert(
                "mfa_delete".into(),
                json!(o.mfa_delete().is_some_and(|m| m.as_str() == "Enabled")),
            );
        }
        Err(e) => fail("GetBucketVersioning").fail(ctx, &e, Some(&arn)),
    }

    match log {
        Ok(o) => {
            let target = o.logging_enabled().map(|l| l.target_bucket());
            data.insert("logging_enabled".into(), json!(target.is_some()));
            if let Some(t) = target {
                data.insert("logging_target_bucket".into(), json!(t));
            }
        }
        Err(e) => fail("GetBucketLogging").fail(ctx, &e, Some(&arn)),
    }

    match own {
        Ok(o) => {
            let v = o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string())
                .unwrap_or_else(|| "ObjectWriter".to_string());
            data.insert("object_ownership".into(), json!(v));
        }
        Err(e) if is_code(&e, &["OwnershipControlsNotFoundError"]) => {
            data.insert("object_ownership".into(), json!("ObjectWriter"));
        }
        Err(e) => fail("GetBucketOwnershipControls").fail(ctx, &e, Some(&arn)),
    }
}

/// The account-level S3 Public Access Block (s3control).
pub(crate) async fn collect_account_public_access_block(ctx: &Ctx) {
    let pb = ctx.progress.task("s3control");
    pb.inc(1);
    let res = ctx
        .clients
        .s3control()
        .get_public_access_block()
        .account_id(&ctx.account)
        .send()
        .await;
    match res {
        Ok(o) => {
            if let Some(p) = o.public_access_block_configuration() {
                let v = public_access_block(p);
                ctx.facts(|f| f.set("s3_public_access_block", v));
            }
        }
        Err(e) if is_code(&e, &["NoSuchPublicAccessBlockConfiguration"]) => {}
        Err(e) => {
            let id = super::account::account_arn(ctx);
            Op {
                service: "s3control",
                region: None,
                operation: "GetPublicAccessBlock",
                kinds: &["aws.account"],
            }
            .fail(ctx, &e, Some(&id));
            // The copy on each bucket is unknown too: an account-wide error for buckets.
            Op {
                service: "s3control",
                region: None,
                operation: "GetPublicAccessBlock",
                kinds: &[BUCKET],
            }
            .fail(ctx, &e, None);
        }
    }
    pb.finish_and_clear();
}

/// A Public Access Block configuration (bucket or account, the same shape), with the
/// settings the reply gave; one it left out stays absent rather than read as `false`.
fn public_access_block<P: PublicAccessBlockFlags>(p: &P) -> Value {
    let mut m = Map::new();
    for (name, value) in p.flags() {
        if let Some(v) = value {
            m.insert(name.into(), json!(v));
        }
    }
    Value::Object(m)
}

/// The four flags of the S3 and S3 Control Public Access Block configurations.
trait PublicAccessBlockFlags {
    fn flags(&self) -> [(&'static str, Option<bool>); 4];
}

macro_rules! public_access_block_flags {
    ($($ty:ty),*) => {$(
        impl PublicAccessBlockFlags for $ty {
            fn flags(&self) -> [(&'static str, Option<bool>); 4] {
                [
                    ("block_public_acls", self.block_public_acls()),
                    ("ignore_public_acls", self.ignore_public_acls()),
                    ("block_public_policy", self.block_public_policy()),
                    ("restrict_public_buckets", self.restrict_public_buckets()),
                ]
            }
        }
    )*};
}
public_access_block_flags!(
    aws_sdk_s3::types::PublicAccessBlockConfiguration,
    aws_sdk_s3control::types::PublicAccessBlockConfiguration
);
