//! IAM Access Analyzer, per region: analyzers and their status (on `aws.region`).

use serde_json::{Map, Value, json};

use super::errors::{Op, each_page};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("accessanalyzer", aws_sdk_accessanalyzer);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Collects the analyzers of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("accessanalyzer {region}"));
    let c = ctx.clients.client::<aws_sdk_accessanalyzer::Client>(region);
    let mut list = Vec::new();
    let op = Op {
        service: "accessanalyzer",
        region: Some(region),
        operation: "ListAnalyzers",
        kinds: &["aws.region"],
    };
    let complete = each_page(
        ctx,
        &op,
        Some(region),
        &pb,
        c.list_analyzers().into_paginator().send(),
        |p| {
            for a in p.analyzers() {
                let mut m = Map::new();
                m.insert("name".into(), json!(a.name()));
                m.insert("arn".into(), json!(a.arn()));
                m.insert("type".into(), json!(a.r#type().as_str()));
                m.insert("status".into(), json!(a.status().as_str()));
                list.push(Value::Object(m));
            }
        },
    )
    .await;
    if !complete {
        pb.finish_and_clear();
        return;
    }
    ctx.facts(|f| f.set_region(region, "access_analyzers", Value::Array(list)));
    pb.finish_and_clear();
}
