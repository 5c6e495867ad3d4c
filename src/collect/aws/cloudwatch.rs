//! CloudWatch, per region: metric alarms. They are also kept as account facts, joined
//! onto the metric filters of the trails' log groups (see `account.rs`).

use aws_sdk_cloudwatch::types::AlarmType;
use serde_json::{Map, Value, json};

use super::errors::{Op, each_page};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("cloudwatch", aws_sdk_cloudwatch);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const ALARM: &str = "aws.cloudwatch.alarm";

/// Collects the metric alarms of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("cloudwatch {region}"));
    let c = ctx.clients.client::<aws_sdk_cloudwatch::Client>(region);
    let op = Op {
        service: "cloudwatch",
        region: Some(region),
        operation: "DescribeAlarms",
        kinds: &[ALARM, "aws.account"],
    };
    let mut alarms = Vec::new();
    let pages = c
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .into_paginator()
        .send();
    let complete = each_page(ctx, &op, None, &pb, pages, |p| {
        alarms.extend(p.metric_alarms.unwrap_or_default());
    })
    .await;
    if !complete {
        pb.finish_and_clear();
        return;
    }
    let mut facts = Vec::with_capacity(alarms.len());
    for a in alarms {
        let Some(name) = a.alarm_name().map(str::to_string) else {
            op.missing_id(ctx, "AlarmName");
            continue;
        };
        let arn = a.alarm_arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:cloudwatch:{region}:{}:alarm:{name}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("name".into(), json!(name));
        data.insert("arn".into(), json!(arn));
        // Alarms on a metric math expression have no MetricName/Namespace of their own.
        if let Some(m) = a.metric_name() {
            data.insert("metric_name".into(), json!(m));
        }
        if let Some(n) = a.namespace() {
            data.insert("metric_namespace".into(), json!(n));
        }
        if let Some(e) = a.actions_enabled() {
            data.insert("actions_enabled".into(), json!(e));
        }
        data.insert("alarm_actions".into(), json!(a.alarm_actions()));
        data.insert("ok_actions".into(), json!(a.ok_actions()));
        data.insert(
            "insufficient_data_actions".into(),
            json!(a.insufficient_data_actions()),
        );
        if let Some(s) = a.state_value() {
            data.insert("state".into(), json!(s.as_str()));
        }
        let v = Value::Object(data);
        ctx.push(ctx.resource(ALARM, arn, &v).named(name).in_region(region));
        facts.push(v);
    }
    ctx.facts(|f| f.monitoring(region).alarms = Some(facts));
    pb.finish_and_clear();
}
