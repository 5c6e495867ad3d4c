//! CloudWatch Logs, per region: log groups (retention, KMS key) with their metric
//! filters. The filters are also kept as account facts, joined onto the trails that
//! deliver to a log group (see `account.rs`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::errors::{Op, each_page};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("cloudwatchlogs", aws_sdk_cloudwatchlogs);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const LOG_GROUP: &str = "aws.logs.log_group";

/// Collects the log groups and metric filters of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("logs {region}"));
    let c = ctx.clients.client::<aws_sdk_cloudwatchlogs::Client>(region);
    let (groups, filters) = futures::join!(
        async {
            let op = Op {
                service: "logs",
                region: Some(region),
                operation: "DescribeLogGroups",
                kinds: &[LOG_GROUP],
            };
            let mut out = Vec::new();
            let pages = c.describe_log_groups().into_paginator().send();
            let complete = each_page(ctx, &op, None, &pb, pages, |p| {
                out.extend(p.log_groups.unwrap_or_default());
            })
            .await;
            complete.then_some(out)
        },
        async {
            // The filters feed both the log groups and the account's monitoring checks.
            let op = Op {
                service: "logs",
                region: Some(region),
                operation: "DescribeMetricFilters",
                kinds: &[LOG_GROUP, "aws.account"],
            };
            let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            let pages = c.describe_metric_filters().into_paginator().send();
            let complete = each_page(ctx, &op, None, &pb, pages, |p| {
                for f in p.metric_filters.unwrap_or_default() {
                    let Some(group) = f.log_group_name() else {
                        continue;
                    };
                    let entries = out.entry(group.to_string()).or_default();
                    for t in f.metric_transformations() {
                        let mut m = Map::new();
                        if let Some(n) = f.filter_name() {
                            m.insert("name".into(), json!(n));
                        }
                        if let Some(p) = f.filter_pattern() {
                            m.insert("pattern".into(), json!(p));
                        }
                        m.insert("metric_name".into(), json!(t.metric_name()));
                        m.insert("metric_namespace".into(), json!(t.metric_namespace()));
                        entries.push(Value::Object(m));
                    }
                }
            })
            .await;
            complete.then_some(out)
        },
    );
    if let Some(groups) = groups {
        for g in groups {
            let Some(name) = g.log_group_name().map(str::to_string) else {
                Op {
                    service: "logs",
                    region: Some(region),
                    operation: "DescribeLogGroups",
                    kinds: &[LOG_GROUP],
                }
                .missing_id(ctx, "logGroupName");
                continue;
            };
            // `arn` ends in `:*`; `logGroupArn` is the group's own ARN.
            let arn = g.log_group_arn().map(str::to_string).unwrap_or_else(|| {
                format!(
                    "arn:{}:logs:{region}:{}:log-group:{name}",
                    ctx.partition, ctx.account
                )
            });
            let mut data = Map::new();
            data.insert("name".into(), json!(name));
            data.insert("arn".into(), json!(arn));
            // retentionInDays is absent when events never expire, kmsKeyId when the group
            // is encrypted with the service-owned key (CloudWatch Logs API reference,
            // LogGroup): both stay absent here, with that meaning.
            if let Some(d) = g.retention_in_days() {
                data.insert("retention_days".into(), json!(d));
            }
            if let Some(k) = g.kms_key_id() {
                data.insert("kms_key_id".into(), json!(k));
            }
            if let Some(t) = g.creation_time()
                && let Some(d) = chrono::DateTime::from_timestamp_millis(t)
            {
                data.insert(
                    "created".into(),
                    json!(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                );
            }
            if let Some(f) = &filters {
                let list = f.get(&name).cloned().unwrap_or_default();
                data.insert("metric_filters".into(), Value::Array(list));
            }
            ctx.push(
                ctx.resource(LOG_GROUP, arn, &Value::Object(data))
                    .named(name)
                    .in_region(region),
            );
        }
    }
    ctx.facts(|f| f.monitoring(region).filters = filters);
    pb.finish_and_clear();
}
