//! DynamoDB, per region: tables with their encryption, deletion protection,
//! point-in-time recovery and resource-based policy.

use serde_json::{Map, Value, json};

use super::errors::{Op, is_code, ts};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("dynamodb", aws_sdk_dynamodb);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const TABLE: &str = "aws.dynamodb.table";

/// Collects the tables of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("dynamodb {region}"));
    let c = ctx.clients.client::<aws_sdk_dynamodb::Client>(region);
    let op = |operation: &'static str| Op {
        service: "dynamodb",
        region: Some(region),
        operation,
        kinds: &[TABLE],
    };
    let pages = c.list_tables().into_paginator().send();
    let Some(names) = super::errors::all_pages(ctx, &op("ListTables"), None, &pb, pages, |p| {
        p.table_names.unwrap_or_default()
    })
    .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(names, |name| async move {
        let fallback = format!(
            "arn:{}:dynamodb:{region}:{}:table/{name}",
            ctx.partition, ctx.account
        );
        pb.inc(1);
        let table = match c.describe_table().table_name(&name).send().await {
            Ok(o) => o.table,
            Err(e) => {
                // The table is listed but unreadable: it is reported with what is
                // known, its other fields absent.
                op("DescribeTable").fail(ctx, &e, Some(&fallback));
                None
            }
        };
        let arn = table
            .as_ref()
            .and_then(|t| t.table_arn())
            .map(str::to_string)
            .unwrap_or(fallback);
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("table_name".into(), json!(name));
        if let Some(t) = &table {
            if let Some(v) = t.table_status() {
                data.insert("status".into(), json!(v.as_str()));
            }
            if let Some(v) = t.creation_date_time().and_then(ts) {
                data.insert("created".into(), json!(v));
            }
            if let Some(v) = t.deletion_protection_enabled() {
                data.insert("deletion_protection".into(), json!(v));
            }
            match t.sse_description() {
                Some(s) => {
                    if let Some(v) = s.status() {
                        data.insert("sse_status".into(), json!(v.as_str()));
                    }
                    if let Some(v) = s.sse_type() {
                        data.insert("sse_type".into(), json!(v.as_str()));
                    }
                    if let Some(v) = s.kms_master_key_arn() {
                        data.insert("kms_key_arn".into(), json!(v));
                    }
                }
                // DescribeTable returns no SSEDescription for a table encrypted with
                // the AWS owned key, the default: "If disabled (false) or not
                // specified, server-side encryption is set to AWS owned key."
                // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSESpecification.html
                None => {
                    data.insert("sse_type".into(), json!("AWS_OWNED"));
                }
            }
            let replicas: Vec<&str> = t
                .replicas()
                .iter()
                .filter_map(|r| r.region_name())
                .collect();
            data.insert("replica_regions".into(), json!(replicas));
        }
        pb.inc(2);
        let (backups, pol) = futures::join!(
            c.describe_continuous_backups().table_name(&name).send(),
            c.get_resource_policy().resource_arn(&arn).send(),
        );
        match backups {
            Ok(o) => {
                let pitr = o
                    .continuous_backups_description()
                    .and_then(|d| d.point_in_time_recovery_description());
                if let Some(p) = pitr {
                    if let Some(s) = p.point_in_time_recovery_status() {
                        data.insert(
                            "point_in_time_recovery".into(),
                            json!(s.as_str() == "ENABLED"),
                        );
                    }
                    if let Some(d) = p.recovery_period_in_days() {
                        data.insert("recovery_period_days".into(), json!(d));
                    }
                }
            }
            Err(e) => op("DescribeContinuousBackups").fail(ctx, &e, Some(&arn)),
        }
        match pol {
            Ok(o) => {
                if let Some(p) = o.policy().and_then(policy::parse) {
                    data.insert("policy".into(), p);
                }
            }
            // A table without a resource-based policy.
            Err(e) if is_code(&e, &["PolicyNotFoundException"]) => {}
            Err(e) => op("GetResourcePolicy").fail(ctx, &e, Some(&arn)),
        }
        ctx.push(
            ctx.resource(TABLE, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}
