//! Cloud Storage: bucket metadata and bucket IAM policies through the JSON API
//! (`/storage/v1/b?project=P`, `/storage/v1/b/B/iam`): the control plane of Google's Rust
//! storage crate is gRPC-only, the JSON API is the documented REST surface.

use futures::StreamExt;
use serde_json::{Value, json};

use super::client::{Api, ApiError};
use super::{Collected, Ctx, ITEM_CONCURRENCY, b, iam_bindings, int, labels, resource, s, s_or};

/// The bucket kind.
pub const KIND_BUCKET: &str = "gcp.storage.bucket";

const SERVICE: &str = "storage";

/// Collects the project's buckets with their IAM policies.
/// `sinks` (the project's log sinks, when read) mark buckets that receive exported logs.
pub(crate) async fn collect(ctx: &Ctx, sinks: Option<&[Value]>) -> Collected {
    let mut out = Collected::default();
    let buckets = match ctx
        .client
        .list(
            Api::Storage,
            "/storage/v1/b",
            &[("project", &ctx.project), ("projection", "full")],
            "items",
        )
        .await
    {
        Ok(b) => b,
        Err(e) => {
            out.fail(ctx, SERVICE, "buckets.list", &[KIND_BUCKET], &e, None);
            return out;
        }
    };
    let with_policies: Vec<(Value, Result<Value, ApiError>)> = futures::stream::iter(buckets)
        .map(|bucket| async move {
            let name = s_or(&bucket, "name").to_string();
            let policy = ctx
                .client
                .get(
                    Api::Storage,
                    &format!("/storage/v1/b/{name}/iam"),
                    &[("optionsRequestedPolicyVersion", "3")],
                )
                .await;
            (bucket, policy)
        })
        .buffered(ITEM_CONCURRENCY)
        .collect()
        .await;
    for (bucket, policy) in with_policies {
        let name = s_or(&bucket, "name").to_string();
        let id = format!("//storage.googleapis.com/projects/_/buckets/{name}");
        let mut data = normalize(&bucket);
        if let Some(sinks) = sinks {
            let dest = format!("storage.googleapis.com/{name}");
            data["log_sink_destination"] = json!(
                sinks
                    .iter()
                    .any(|k| s(k, "destination") == Some(dest.as_str()))
            );
        }
        match policy {
            Ok(p) => data["iam_bindings"] = iam_bindings(&p),
            Err(e) => out.fail(
                ctx,
                SERVICE,
                "buckets.getIamPolicy",
                &[KIND_BUCKET],
                &e,
                Some(id.clone()),
            ),
        }
        let location = s_or(&bucket, "location").to_ascii_lowercase();
        out.push(
            resource(ctx, KIND_BUCKET, id, &data)
                .named(name)
                .in_region(location)
                .with_tags(labels(&bucket)),
        );
    }
    out
}

/// A bucket resource's `data` (IAM bindings are added by the caller).
fn normalize(bucket: &Value) -> Value {
    let iam_cfg = bucket
        .get("iamConfiguration")
        .cloned()
        .unwrap_or(Value::Null);
    let ubla = iam_cfg
        .get("uniformBucketLevelAccess")
        .map(|u| b(u, "enabled"))
        .or_else(|| iam_cfg.get("bucketPolicyOnly").map(|u| b(u, "enabled")))
        .unwrap_or(false);
    let mut data = json!({
        "location": s_or(bucket, "location"),
        "location_type": s_or(bucket, "locationType"),
        "storage_class": s_or(bucket, "storageClass"),
        "uniform_bucket_level_access": ubla,
        "public_access_prevention": match s(&iam_cfg, "publicAccessPrevention") {
            Some("enforced") => "enforced",
            _ => "inherited",
        },
        "versioning_enabled": bucket.get("versioning").is_some_and(|v| b(v, "enabled")),
        "logging_enabled": bucket.get("logging").and_then(|l| s(l, "logBucket")).is_some_and(|l| !l.is_empty()),
    });
    if let Some(log) = bucket.get("logging").and_then(|l| s(l, "logBucket")) {
        data["log_bucket"] = json!(log);
    }
    if let Some(r) = bucket.get("retentionPolicy") {
        data["retention_policy"] = json!({
            "retention_period_seconds": int(r, "retentionPeriod").unwrap_or(0),
            "is_locked": b(r, "isLocked"),
        });
        if let Some(t) = s(r, "effectiveTime") {
            data["retention_policy"]["effective_time"] = json!(t);
        }
    }
    let entities = |key: &str| -> Vec<Value> {
        bucket
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| s(a, "entity").map(|e| json!(e)))
            .collect()
    };
    data["acl_entities"] = json!(entities("acl"));
    data["default_object_acl_entities"] = json!(entities("defaultObjectAcl"));
    data["soft_delete_retention_seconds"] = json!(
        bucket
            .get("softDeletePolicy")
            .and_then(|p| int(p, "retentionDurationSeconds"))
            .unwrap_or(0)
    );
    if let Some(k) = bucket
        .get("encryption")
        .and_then(|e| s(e, "defaultKmsKeyName"))
    {
        data["default_kms_key_name"] = json!(k);
    }
    data
}
