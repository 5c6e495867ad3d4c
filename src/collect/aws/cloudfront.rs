//! CloudFront, once per account (a global service): distributions with their origins,
//! cache behaviors, viewer certificate, logging and web ACL.

use serde_json::{Map, Value, json};

use aws_sdk_cloudfront::types::{DistributionConfig, Origin};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("cloudfront", aws_sdk_cloudfront);

/// Run once by every account scan.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Account(|ctx| Box::pin(collect(ctx)))],
};

const DISTRIBUTION: &str = "aws.cloudfront.distribution";

/// Collects the distributions of the account.
pub(crate) async fn collect(ctx: &Ctx) {
    let pb = ctx.progress.task("cloudfront".to_string());
    let c = ctx
        .clients
        .client::<aws_sdk_cloudfront::Client>(&ctx.clients.home_region);
    let op = |operation: &'static str| Op {
        service: "cloudfront",
        region: None,
        operation,
        kinds: &[DISTRIBUTION],
    };
    let mut all = Vec::new();
    let listing = op("ListDistributions");
    let pages = c.list_distributions().into_paginator().send();
    if !super::errors::each_page(ctx, &listing, None, &pb, pages, |p| {
        if let Some(l) = p.distribution_list {
            all.extend(l.items.unwrap_or_default());
        }
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    let c = &c;
    let pb = &pb;
    super::each_item(all, |d| async move {
        let id = d.id().to_string();
        if id.is_empty() {
            op("ListDistributions").missing_id(ctx, "Id");
            return;
        }
        let arn = if d.arn().is_empty() {
            format!(
                "arn:{}:cloudfront::{}:distribution/{id}",
                ctx.partition, ctx.account
            )
        } else {
            d.arn().to_string()
        };
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("id".into(), json!(id));
        data.insert("domain_name".into(), json!(d.domain_name()));
        data.insert("status".into(), json!(d.status()));
        if let Some(t) = ts(d.last_modified_time()) {
            data.insert("last_modified".into(), json!(t));
        }
        pb.inc(1);
        match c.get_distribution_config().id(&id).send().await {
            Ok(o) => match o.distribution_config() {
                Some(cfg) => config(&mut data, cfg),
                None => op("GetDistributionConfig").fail_with(
                    ctx,
                    "MissingConfig",
                    "GetDistributionConfig returned no DistributionConfig",
                    Some(&arn),
                ),
            },
            Err(e) => op("GetDistributionConfig").fail(ctx, &e, Some(&arn)),
        }
        let name = data
            .get("aliases")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(DISTRIBUTION, arn, &Value::Object(data))
                .named(name),
        );
    })
    .await;
    pb.finish_and_clear();
}

/// The distribution's configuration fields.
fn config(data: &mut Map<String, Value>, cfg: &DistributionConfig) {
    data.insert("enabled".into(), json!(cfg.enabled()));
    data.insert("comment".into(), json!(cfg.comment()));
    if let Some(a) = cfg.aliases() {
        data.insert("aliases".into(), json!(a.items()));
    }
    // DefaultRootObject and WebACLId are returned as empty strings when not set.
    if let Some(v) = cfg.default_root_object() {
        data.insert("default_root_object".into(), json!(v));
    }
    if let Some(v) = cfg.web_acl_id() {
        data.insert("web_acl_id".into(), json!(v));
    }
    if let Some(v) = cfg.http_version() {
        data.insert("http_version".into(), json!(v.as_str()));
    }
    if let Some(l) = cfg.logging() {
        data.insert("logging_enabled".into(), json!(l.enabled()));
        if l.enabled() {
            data.insert("logging_bucket".into(), json!(l.bucket()));
        }
    }
    if let Some(v) = cfg.viewer_certificate() {
        let mut m = Map::new();
        if let Some(b) = v.cloud_front_default_certificate() {
            m.insert("cloudfront_default_certificate".into(), json!(b));
        }
        if let Some(s) = v.minimum_protocol_version() {
            m.insert("minimum_protocol_version".into(), json!(s.as_str()));
        }
        if let Some(s) = v.ssl_support_method() {
            m.insert("ssl_support_method".into(), json!(s.as_str()));
        }
        if let Some(s) = v.acm_certificate_arn().filter(|s| !s.is_empty()) {
            m.insert("acm_certificate_arn".into(), json!(s));
        }
        if let Some(s) = v.iam_certificate_id().filter(|s| !s.is_empty()) {
            m.insert("iam_certificate_id".into(), json!(s));
        }
        data.insert("viewer_certificate".into(), Value::Object(m));
    }
    if let Some(b) = cfg.default_cache_behavior() {
        let mut m = Map::new();
        m.insert("target_origin_id".into(), json!(b.target_origin_id()));
        m.insert(
            "viewer_protocol_policy".into(),
            json!(b.viewer_protocol_policy().as_str()),
        );
        data.insert("default_cache_behavior".into(), Value::Object(m));
    }
    // CacheBehaviors is returned with Quantity 0 when the distribution has none.
    if let Some(b) = cfg.cache_behaviors() {
        let behaviors: Vec<Value> = b
            .items()
            .iter()
            .map(|b| {
                json!({
                    "path_pattern": b.path_pattern(),
                    "target_origin_id": b.target_origin_id(),
                    "viewer_protocol_policy": b.viewer_protocol_policy().as_str(),
                })
            })
            .collect();
        data.insert("cache_behaviors".into(), Value::Array(behaviors));
    }
    if let Some(o) = cfg.origins() {
        let origins: Vec<Value> = o.items().iter().map(origin).collect();
        data.insert("origins".into(), Value::Array(origins));
    }
}

/// One origin: its type (`s3`, `custom` or `vpc`), how CloudFront reaches it and who it
/// lets in.
fn origin(o: &Origin) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(o.id()));
    m.insert("domain_name".into(), json!(o.domain_name()));
    // An origin without an access control has no OriginAccessControlId (or an empty one).
    if let Some(v) = o.origin_access_control_id().filter(|v| !v.is_empty()) {
        m.insert("origin_access_control_id".into(), json!(v));
    }
    if let Some(s3) = o.s3_origin_config() {
        m.insert("type".into(), json!("s3"));
        // The S3 origin config's OriginAccessIdentity is an empty string without an OAI.
        m.insert(
            "origin_access_identity".into(),
            json!(s3.origin_access_identity()),
        );
    } else if let Some(c) = o.custom_origin_config() {
        m.insert("type".into(), json!("custom"));
        m.insert(
            "origin_protocol_policy".into(),
            json!(c.origin_protocol_policy().as_str()),
        );
        if let Some(p) = c.origin_ssl_protocols() {
            let protocols: Vec<&str> = p.items().iter().map(|x| x.as_str()).collect();
            m.insert("origin_ssl_protocols".into(), json!(protocols));
        }
    } else if o.vpc_origin_config().is_some() {
        m.insert("type".into(), json!("vpc"));
    }
    Value::Object(m)
}
