//! BigQuery v2: datasets with their access lists and default encryption key.

use futures::StreamExt;
use serde_json::{Value, json};

use super::client::{Api, ApiError};
use super::{Collected, Ctx, ITEM_CONCURRENCY, labels, resource, s, s_or};

/// The dataset kind.
pub const KIND_DATASET: &str = "gcp.bigquery.dataset";

const SERVICE: &str = "bigquery";

/// Collects the project's datasets (`datasets.list`, then `datasets.get` for the ACL).
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    let base = format!("/bigquery/v2/projects/{}/datasets", ctx.project);
    let list = match ctx.client.list(Api::BigQuery, &base, &[], "datasets").await {
        Ok(l) => l,
        Err(e) => {
            out.fail(
                ctx,
                SERVICE,
                "bigquery.datasets.list",
                &[KIND_DATASET],
                &e,
                None,
            );
            return out;
        }
    };
    let ids: Vec<String> = list
        .iter()
        .filter_map(|d| d.get("datasetReference").and_then(|r| s(r, "datasetId")))
        .map(str::to_string)
        .collect();
    let got: Vec<(String, Result<Value, ApiError>)> = futures::stream::iter(ids)
        .map(|id| {
            let path = format!("{base}/{id}");
            async move {
                let d = ctx.client.get(Api::BigQuery, &path, &[]).await;
                (id, d)
            }
        })
        .buffered(ITEM_CONCURRENCY)
        .collect()
        .await;
    for (ds_id, d) in got {
        let id = format!(
            "//bigquery.googleapis.com/projects/{}/datasets/{ds_id}",
            ctx.project
        );
        match d {
            Ok(d) => {
                let access: Vec<Value> = d
                    .get("access")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|a| json!({"role": s_or(a, "role"), "entity": entity(a)}))
                    .collect();
                let mut data = json!({"location": s_or(&d, "location"), "access": access});
                if let Some(k) = d
                    .get("defaultEncryptionConfiguration")
                    .and_then(|c| s(c, "kmsKeyName"))
                {
                    data["default_kms_key_name"] = json!(k);
                }
                let region = s_or(&d, "location").to_ascii_lowercase();
                out.push(
                    resource(ctx, KIND_DATASET, id, &data)
                        .named(ds_id)
                        .in_region(region)
                        .with_tags(labels(&d)),
                );
            }
            Err(e) => out.fail(
                ctx,
                SERVICE,
                "bigquery.datasets.get",
                &[KIND_DATASET],
                &e,
                Some(id),
            ),
        }
    }
    out
}

/// A dataset access entry's grantee as an IAM member string.
fn entity(a: &Value) -> String {
    if let Some(m) = s(a, "iamMember") {
        return m.to_string();
    }
    if let Some(g) = s(a, "specialGroup") {
        return match g {
            "allAuthenticatedUsers" | "allUsers" => g.to_string(),
            other => format!("specialGroup:{other}"),
        };
    }
    for (field, prefix) in [
        ("userByEmail", "user"),
        ("groupByEmail", "group"),
        ("domain", "domain"),
    ] {
        if let Some(v) = s(a, field) {
            return format!("{prefix}:{v}");
        }
    }
    for (field, prefix) in [("view", "view"), ("routine", "routine")] {
        if let Some(v) = a.get(field) {
            let parts: Vec<&str> = ["projectId", "datasetId", "tableId", "routineId"]
                .iter()
                .filter_map(|k| s(v, k))
                .collect();
            return format!("{prefix}:{}", parts.join("."));
        }
    }
    if let Some(ds) = a.get("dataset").and_then(|d| d.get("dataset")) {
        return format!(
            "dataset:{}.{}",
            s_or(ds, "projectId"),
            s_or(ds, "datasetId")
        );
    }
    String::new()
}
