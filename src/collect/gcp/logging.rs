//! Cloud Logging v2: log sinks (each a resource, and summarized onto the project) and
//! log-based metrics (onto the project, for the CIS metric-and-alert controls).

use serde_json::{Map, Value, json};

use super::client::{Api, ApiError};
use super::{Collected, Ctx, b, resource, s_or, short};

/// The log sink kind.
pub const KIND_SINK: &str = "gcp.logging.sink";

const SERVICE: &str = "logging";

/// `sinks.list`: read before the other services, since buckets and the project refer to it.
pub(crate) async fn list_sinks(ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    ctx.client
        .list(
            Api::Logging,
            &format!("/v2/projects/{}/sinks", ctx.project),
            &[],
            "sinks",
        )
        .await
}

/// The sink resources and the project facts `log_sinks` and `log_metrics`.
pub(crate) async fn collect(
    ctx: &Ctx,
    sinks: &Result<Vec<Value>, ApiError>,
) -> (Collected, Map<String, Value>) {
    let mut out = Collected::default();
    let mut facts = Map::new();
    match sinks {
        Ok(sinks) => {
            let mut summary = Vec::new();
            for sink in sinks {
                let name = short(s_or(sink, "name"));
                // An absent filter exports every log entry.
                let data = json!({
                    "destination": s_or(sink, "destination"),
                    "filter": s_or(sink, "filter"),
                    "disabled": b(sink, "disabled"),
                    "include_children": b(sink, "includeChildren"),
                    "writer_identity": s_or(sink, "writerIdentity"),
                });
                summary.push(json!({
                    "name": name,
                    "destination": data["destination"],
                    "filter": data["filter"],
                    "disabled": data["disabled"],
                }));
                let id = format!(
                    "//logging.googleapis.com/projects/{}/sinks/{name}",
                    ctx.project
                );
                out.push(
                    resource(ctx, KIND_SINK, id, &data)
                        .named(name)
                        .in_region("global"),
                );
            }
            facts.insert("log_sinks".into(), Value::Array(summary));
        }
        Err(e) => out.fail(
            ctx,
            SERVICE,
            "logging.projects.sinks.list",
            &[KIND_SINK],
            e,
            None,
        ),
    }
    match ctx
        .client
        .list(
            Api::Logging,
            &format!("/v2/projects/{}/metrics", ctx.project),
            &[],
            "metrics",
        )
        .await
    {
        Ok(metrics) => {
            let list: Vec<Value> = metrics
                .iter()
                .map(|m| {
                    json!({
                        "name": short(s_or(m, "name")),
                        "filter": s_or(m, "filter"),
                        "disabled": b(m, "disabled"),
                    })
                })
                .collect();
            facts.insert("log_metrics".into(), Value::Array(list));
        }
        Err(e) => out.fail_partial(ctx, SERVICE, "logging.projects.metrics.list", &e),
    }
    (out, facts)
}
