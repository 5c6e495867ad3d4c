//! Cloud Logging v2: the project's log sinks (export of audit logs).

use serde_json::json;

use super::client::Api;
use super::{Collected, Ctx, b, resource, s_or};

/// The log sink kind.
pub const KIND_SINK: &str = "gcp.logging.sink";

const SERVICE: &str = "logging";

/// Collects the project's log sinks.
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    match ctx
        .client
        .list(
            Api::Logging,
            &format!("/v2/projects/{}/sinks", ctx.project),
            &[],
            "sinks",
        )
        .await
    {
        Ok(sinks) => {
            for sink in sinks {
                let name = s_or(&sink, "name").to_string();
                let data = json!({
                    "destination": s_or(&sink, "destination"),
                    // An absent filter exports every log entry.
                    "filter": s_or(&sink, "filter"),
                    "disabled": b(&sink, "disabled"),
                    "include_children": b(&sink, "includeChildren"),
                    "writer_identity": s_or(&sink, "writerIdentity"),
                });
                let id = format!(
                    "//logging.googleapis.com/projects/{}/sinks/{name}",
                    ctx.project
                );
                out.push(resource(ctx, KIND_SINK, id, &data).named(name));
            }
        }
        Err(e) => out.fail(ctx, SERVICE, "sinks.list", &[KIND_SINK], &e, None),
    }
    out
}
