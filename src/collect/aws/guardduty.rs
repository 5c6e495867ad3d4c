//! GuardDuty, per region: detectors and their status (on `aws.region`).

use serde_json::{Map, Value, json};

use super::errors::Op;
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("guardduty", aws_sdk_guardduty);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Collects the detectors of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("guardduty {region}"));
    let c = ctx.clients.client::<aws_sdk_guardduty::Client>(region);
    let op = |operation: &'static str| Op {
        service: "guardduty",
        region: Some(region),
        operation,
        kinds: &["aws.region"],
    };
    let mut ids = Vec::new();
    let listing = op("ListDetectors");
    let pages = c.list_detectors().into_paginator().send();
    if !super::errors::each_page(ctx, &listing, Some(region), &pb, pages, |p| {
        ids.extend(p.detector_ids.unwrap_or_default());
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    let mut list = Vec::new();
    for id in ids {
        pb.inc(1);
        match c.get_detector().detector_id(&id).send().await {
            Ok(d) => {
                let mut m = Map::new();
                m.insert("id".into(), json!(id));
                if let Some(s) = d.status() {
                    m.insert("status".into(), json!(s.as_str()));
                }
                if let Some(f) = d.finding_publishing_frequency() {
                    m.insert("finding_publishing_frequency".into(), json!(f.as_str()));
                }
                list.push(Value::Object(m));
            }
            Err(e) => {
                op("GetDetector").fail(ctx, &e, Some(region));
                pb.finish_and_clear();
                return;
            }
        }
    }
    ctx.facts(|f| f.set_region(region, "guardduty_detectors", Value::Array(list)));
    pb.finish_and_clear();
}
