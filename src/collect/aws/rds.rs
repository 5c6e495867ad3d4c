//! RDS, per region: DB instances and manual DB snapshots (with their sharing).

use serde_json::{Map, Value, json};

use super::errors::{Op, put_present, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("rds", aws_sdk_rds);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const INSTANCE: &str = "aws.rds.instance";
const SNAPSHOT: &str = "aws.rds.snapshot";

/// Collects one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("rds {region}"));
    futures::join!(instances(ctx, region, &pb), snapshots(ctx, region, &pb));
    pb.finish_and_clear();
}

async fn instances(ctx: &Ctx, region: &str, pb: &indicatif::ProgressBar) {
    let c = ctx.clients.client::<aws_sdk_rds::Client>(region);
    let op = Op {
        service: "rds",
        region: Some(region),
        operation: "DescribeDBInstances",
        kinds: &[INSTANCE],
    };
    let mut pages = c.describe_db_instances().into_paginator().send();
    while let Some(p) = pages.next().await {
        pb.inc(1);
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                op.fail(ctx, &e, None);
                return;
            }
        };
        for d in p.db_instances() {
            let Some(id) = d.db_instance_identifier().map(str::to_string) else {
                op.missing_id(ctx, "DBInstanceIdentifier");
                continue;
            };
            let arn = d.db_instance_arn().map(str::to_string).unwrap_or_else(|| {
                format!("arn:{}:rds:{region}:{}:db:{id}", ctx.partition, ctx.account)
            });
            let mut data = Map::new();
            data.insert("arn".into(), json!(arn));
            let strings = [
                ("engine", d.engine()),
                ("engine_version", d.engine_version()),
                ("instance_class", d.db_instance_class()),
                ("status", d.db_instance_status()),
                ("cluster_identifier", d.db_cluster_identifier()),
                ("kms_key_id", d.kms_key_id()),
            ];
            put_present(&mut data, strings);
            let bools = [
                ("publicly_accessible", d.publicly_accessible()),
                ("storage_encrypted", d.storage_encrypted()),
                ("deletion_protection", d.deletion_protection()),
                ("auto_minor_version_upgrade", d.auto_minor_version_upgrade()),
                ("multi_az", d.multi_az()),
                (
                    "iam_database_authentication_enabled",
                    d.iam_database_authentication_enabled(),
                ),
            ];
            put_present(&mut data, bools);
            if let Some(v) = d.backup_retention_period() {
                data.insert("backup_retention_period".into(), json!(v));
            }
            let sgs: Vec<&str> = d
                .vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id())
                .collect();
            data.insert("vpc_security_group_ids".into(), json!(sgs));
            let tags = super::tag_map(d.tag_list().iter().map(|t| (t.key(), t.value())));
            ctx.push(
                ctx.resource(INSTANCE, arn, &Value::Object(data))
                    .named(id)
                    .in_region(region)
                    .with_tags(tags),
            );
        }
    }
}

async fn snapshots(ctx: &Ctx, region: &str, pb: &indicatif::ProgressBar) {
    let c = ctx.clients.client::<aws_sdk_rds::Client>(region);
    let op = |operation: &'static str| Op {
        service: "rds",
        region: Some(region),
        operation,
        kinds: &[SNAPSHOT],
    };
    let mut all = Vec::new();
    let pages = c
        .describe_db_snapshots()
        .snapshot_type("manual")
        .into_paginator()
        .send();
    let listing = op("DescribeDBSnapshots");
    if !super::errors::each_page(ctx, &listing, None, pb, pages, |p| {
        all.extend(p.db_snapshots.unwrap_or_default());
    })
    .await
    {
        return;
    }
    let c = &c;
    super::each_item(all, |s| async move {
        let Some(id) = s.db_snapshot_identifier().map(str::to_string) else {
            op("DescribeDBSnapshots").missing_id(ctx, "DBSnapshotIdentifier");
            return;
        };
        let arn = s.db_snapshot_arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:rds:{region}:{}:snapshot:{id}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = s.db_instance_identifier() {
            data.insert("db_instance_identifier".into(), json!(v));
        }
        if let Some(v) = s.encrypted() {
            data.insert("encrypted".into(), json!(v));
        }
        if let Some(t) = s.snapshot_create_time().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        pb.inc(1);
        match c
            .describe_db_snapshot_attributes()
            .db_snapshot_identifier(&id)
            .send()
            .await
        {
            // A reply without its attributes result says nothing about sharing: the
            // fields stay absent.
            Ok(o) => {
                if let Some(r) = o.db_snapshot_attributes_result() {
                    let values: Vec<String> = r
                        .db_snapshot_attributes()
                        .iter()
                        .filter(|a| a.attribute_name() == Some("restore"))
                        .flat_map(|a| a.attribute_values().iter().cloned())
                        .collect();
                    data.insert("public".into(), json!(values.iter().any(|v| v == "all")));
                    let shared: Vec<&String> = values.iter().filter(|v| *v != "all").collect();
                    data.insert("shared_with_accounts".into(), json!(shared));
                }
            }
            Err(e) => op("DescribeDBSnapshotAttributes").fail(ctx, &e, Some(&arn)),
        }
        ctx.push(
            ctx.resource(SNAPSHOT, arn, &Value::Object(data))
                .named(id)
                .in_region(region),
        );
    })
    .await;
}
