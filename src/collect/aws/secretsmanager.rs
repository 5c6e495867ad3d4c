//! Secrets Manager, per region: secrets (not those scheduled for deletion) with their
//! rotation, encryption key, last access and resource-based policy.

use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("secretsmanager", aws_sdk_secretsmanager);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const SECRET: &str = "aws.secretsmanager.secret";

/// The key Secrets Manager uses when a secret names none.
const DEFAULT_KEY: &str = "alias/aws/secretsmanager";

/// Collects the secrets of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("secretsmanager {region}"));
    let c = ctx.clients.client::<aws_sdk_secretsmanager::Client>(region);
    let op = |operation: &'static str| Op {
        service: "secretsmanager",
        region: Some(region),
        operation,
        kinds: &[SECRET],
    };
    let pages = c.list_secrets().into_paginator().send();
    let Some(secrets) = super::errors::all_pages(ctx, &op("ListSecrets"), None, &pb, pages, |p| {
        p.secret_list.unwrap_or_default()
    })
    .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(secrets, |s| async move {
        let (Some(arn), Some(name)) = (s.arn(), s.name()) else {
            op("ListSecrets").missing_id(ctx, "ARN");
            return;
        };
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        // "If the secret is encrypted with the Amazon Web Services managed key
        // aws/secretsmanager, this field is omitted."
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
        match s.kms_key_id() {
            Some(k) => {
                data.insert("kms_key_id".into(), json!(k));
                data.insert("default_key".into(), json!(k == DEFAULT_KEY));
            }
            None => {
                data.insert("default_key".into(), json!(true));
            }
        }
        // "If the secret has never been configured for rotation, Secrets Manager
        // returns null" (same page): never configured is not rotating.
        data.insert(
            "rotation_enabled".into(),
            json!(s.rotation_enabled().unwrap_or(false)),
        );
        if let Some(r) = s.rotation_rules() {
            if let Some(d) = r.automatically_after_days() {
                data.insert("rotation_interval_days".into(), json!(d));
            }
            if let Some(e) = r.schedule_expression() {
                data.insert("rotation_schedule".into(), json!(e));
            }
        }
        if let Some(v) = s.rotation_lambda_arn().filter(|v| !v.is_empty()) {
            data.insert("rotation_lambda_arn".into(), json!(v));
        }
        let dates = [
            ("created", s.created_date()),
            ("last_changed", s.last_changed_date()),
            ("last_rotated", s.last_rotated_date()),
            ("last_accessed", s.last_accessed_date()),
            ("next_rotation", s.next_rotation_date()),
        ];
        for (k, v) in dates {
            if let Some(t) = v.and_then(ts) {
                data.insert(k.into(), json!(t));
            }
        }
        if let Some(v) = s.owning_service() {
            data.insert("owning_service".into(), json!(v));
        }
        if let Some(v) = s.primary_region() {
            data.insert("primary_region".into(), json!(v));
        }
        pb.inc(1);
        match c.get_resource_policy().secret_id(arn).send().await {
            Ok(o) => {
                // No ResourcePolicy in the reply: the secret has none.
                if let Some(p) = o.resource_policy().and_then(policy::parse) {
                    data.insert("policy".into(), p);
                }
            }
            Err(e) => op("GetResourcePolicy").fail(ctx, &e, Some(arn)),
        }
        let tags = super::tag_map(s.tags().iter().map(|t| (t.key(), t.value())));
        ctx.push(
            ctx.resource(SECRET, arn, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(tags),
        );
    })
    .await;
    pb.finish_and_clear();
}
