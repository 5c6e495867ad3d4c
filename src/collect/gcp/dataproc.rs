//! Dataproc v1: clusters in every region of the project (regions from Compute Engine).

use futures::StreamExt;
use serde_json::{Value, json};

use super::client::{Api, ApiError};
use super::{Collected, Ctx, ITEM_CONCURRENCY, labels, resource, s, s_or};

/// The cluster kind.
pub const KIND_CLUSTER: &str = "gcp.dataproc.cluster";

const SERVICE: &str = "dataproc";

/// Collects the project's Dataproc clusters.
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    let regions = match ctx
        .client
        .list(
            Api::Compute,
            &format!("/compute/v1/projects/{}/regions", ctx.project),
            &[],
            "items",
        )
        .await
    {
        Ok(r) => r,
        Err(e) => {
            out.fail(
                ctx,
                SERVICE,
                "compute.regions.list",
                &[KIND_CLUSTER],
                &e,
                None,
            );
            return out;
        }
    };
    let names: Vec<String> = regions
        .iter()
        .filter_map(|r| s(r, "name"))
        .map(str::to_string)
        .collect();
    let lists: Vec<(String, Result<Vec<Value>, ApiError>)> = futures::stream::iter(names)
        .map(|region| async move {
            let path = format!("/v1/projects/{}/regions/{region}/clusters", ctx.project);
            let l = ctx.client.list(Api::Dataproc, &path, &[], "clusters").await;
            (region, l)
        })
        .buffered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let mut disabled_recorded = false;
    for (region, l) in lists {
        match l {
            Ok(clusters) => {
                for c in clusters {
                    let name = s_or(&c, "clusterName").to_string();
                    let enc = c
                        .get("config")
                        .and_then(|cfg| cfg.get("encryptionConfig"))
                        .cloned()
                        .unwrap_or(Value::Null);
                    let mut data = json!({
                        "state": c.get("status").map(|st| s_or(st, "state")).unwrap_or_default(),
                    });
                    if let Some(k) = s(&enc, "gcePdKmsKeyName").or_else(|| s(&enc, "kmsKey")) {
                        data["kms_key_name"] = json!(k);
                    }
                    let id = format!(
                        "//dataproc.googleapis.com/projects/{}/regions/{region}/clusters/{name}",
                        ctx.project
                    );
                    out.push(
                        resource(ctx, KIND_CLUSTER, id, &data)
                            .named(name)
                            .in_region(region.clone())
                            .with_tags(labels(&c)),
                    );
                }
            }
            // A disabled API fails in every region: record it once.
            Err(e) if e.is_service_disabled() => {
                if !disabled_recorded {
                    out.fail(
                        ctx,
                        SERVICE,
                        "dataproc.projects.regions.clusters.list",
                        &[KIND_CLUSTER],
                        &e,
                        None,
                    );
                    disabled_recorded = true;
                }
            }
            Err(e) => {
                let mut one = Collected::default();
                one.fail(
                    ctx,
                    SERVICE,
                    "dataproc.projects.regions.clusters.list",
                    &[KIND_CLUSTER],
                    &e,
                    None,
                );
                for mut err in one.errors {
                    err.region = Some(region.clone());
                    out.errors.push(err);
                }
            }
        }
    }
    out
}
