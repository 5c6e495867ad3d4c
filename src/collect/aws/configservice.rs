//! AWS Config, per region: configuration recorders and their status (on `aws.region`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::errors::Op;
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("config", aws_sdk_config);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Collects the recorders of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("config {region}"));
    let c = ctx.clients.client::<aws_sdk_config::Client>(region);
    let op = |operation: &'static str| Op {
        service: "config",
        region: Some(region),
        operation,
        kinds: &["aws.region"],
    };
    pb.inc(2);
    let (recorders, statuses) = futures::join!(
        c.describe_configuration_recorders().send(),
        c.describe_configuration_recorder_status().send(),
    );
    let recorders = match recorders {
        Ok(o) => o.configuration_recorders.unwrap_or_default(),
        Err(e) => {
            op("DescribeConfigurationRecorders").fail(ctx, &e, Some(region));
            pb.finish_and_clear();
            return;
        }
    };
    let statuses: HashMap<String, (bool, Option<String>)> = match statuses {
        Ok(o) => o
            .configuration_recorders_status()
            .iter()
            .filter_map(|s| {
                Some((
                    s.name()?.to_string(),
                    (
                        s.recording(),
                        s.last_status().map(|l| l.as_str().to_string()),
                    ),
                ))
            })
            .collect(),
        Err(e) => {
            op("DescribeConfigurationRecorderStatus").fail(ctx, &e, Some(region));
            pb.finish_and_clear();
            return;
        }
    };
    let list: Vec<Value> = recorders
        .iter()
        .map(|r| {
            let mut m = Map::new();
            if let Some(name) = r.name() {
                m.insert("name".into(), json!(name));
            }
            if let Some(a) = r.role_arn() {
                m.insert("role_arn".into(), json!(a));
            }
            if let Some(g) = r.recording_group() {
                m.insert("all_supported".into(), json!(g.all_supported()));
                m.insert(
                    "include_global_resource_types".into(),
                    json!(g.include_global_resource_types()),
                );
            }
            // A recorder the status call did not report on has no known state: its
            // `recording` stays absent rather than a guessed `false`.
            if let Some((recording, last)) = r.name().and_then(|n| statuses.get(n)) {
                m.insert("recording".into(), json!(recording));
                if let Some(l) = last {
                    m.insert("last_status".into(), json!(l));
                }
            }
            Value::Object(m)
        })
        .collect();
    ctx.facts(|f| f.set_region(region, "config_recorders", Value::Array(list)));
    pb.finish_and_clear();
}
