//! Redshift, per region: provisioned clusters with their audit logging status and the
//! `require_ssl` setting of their parameter group.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, put_present, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit};

super::clients::sdk_client!("redshift", aws_sdk_redshift);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const CLUSTER: &str = "aws.redshift.cluster";

/// Collects the clusters of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("redshift {region}"));
    let c = ctx.clients.client::<aws_sdk_redshift::Client>(region);
    let op = |operation: &'static str| Op {
        service: "redshift",
        region: Some(region),
        operation,
        kinds: &[CLUSTER],
    };
    let pages = c.describe_clusters().into_paginator().send();
    let Some(clusters) =
        super::errors::all_pages(ctx, &op("DescribeClusters"), None, &pb, pages, |p| {
            p.clusters.unwrap_or_default()
        })
        .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    // Each parameter group once, however many clusters use it: its require_ssl value
    // (`None` when the group has no such parameter or could not be read).
    let groups: BTreeSet<String> = clusters
        .iter()
        .flat_map(|cl| cl.cluster_parameter_groups())
        .filter_map(|g| g.parameter_group_name().map(str::to_string))
        .collect();
    let require_ssl: HashMap<String, Option<bool>> = futures::stream::iter(groups)
        .map(|g| async move {
            let mut value = None;
            let mut pages = c
                .describe_cluster_parameters()
                .parameter_group_name(&g)
                .into_paginator()
                .send();
            let listing = op("DescribeClusterParameters");
            while let Some(page) = pages.next().await {
                pb.inc(1);
                match page {
                    Ok(p) => {
                        for param in p.parameters() {
                            if param.parameter_name() == Some("require_ssl") {
                                value = param
                                    .parameter_value()
                                    .map(|v| v.eq_ignore_ascii_case("true"));
                            }
                        }
                    }
                    Err(e) => {
                        // Only the checks reading require_ssl are left without data.
                        listing.gap(ctx, &e, &["require_ssl"]);
                        value = None;
                        break;
                    }
                }
            }
            (g, value)
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let require_ssl = &require_ssl;
    super::each_item(clusters, |cl| async move {
        let Some(id) = cl.cluster_identifier().map(str::to_string) else {
            op("DescribeClusters").missing_id(ctx, "ClusterIdentifier");
            return;
        };
        let arn = format!(
            "arn:{}:redshift:{region}:{}:cluster:{id}",
            ctx.partition, ctx.account
        );
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        let strings = [
            ("node_type", cl.node_type()),
            ("status", cl.cluster_status()),
            ("cluster_version", cl.cluster_version()),
            ("master_username", cl.master_username()),
            ("db_name", cl.db_name()),
            ("vpc_id", cl.vpc_id()),
            ("kms_key_id", cl.kms_key_id()),
        ];
        put_present(&mut data, strings);
        let bools = [
            ("publicly_accessible", cl.publicly_accessible()),
            ("encrypted", cl.encrypted()),
            ("enhanced_vpc_routing", cl.enhanced_vpc_routing()),
            ("allow_version_upgrade", cl.allow_version_upgrade()),
        ];
        put_present(&mut data, bools);
        if let Some(v) = cl.automated_snapshot_retention_period() {
            data.insert("automated_snapshot_retention_period".into(), json!(v));
        }
        if let Some(v) = cl.endpoint().and_then(|e| e.port()) {
            data.insert("port".into(), json!(v));
        }
        if let Some(t) = cl.cluster_create_time().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        let sgs: Vec<&str> = cl
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id())
            .collect();
        data.insert("vpc_security_group_ids".into(), json!(sgs));
        let groups: Vec<&str> = cl
            .cluster_parameter_groups()
            .iter()
            .filter_map(|g| g.parameter_group_name())
            .collect();
        data.insert("parameter_groups".into(), json!(groups));
        // SSL is required when any of the cluster's groups requires it (a cluster has
        // one); unknown when a group's value is unknown.
        let ssl: Option<Vec<bool>> = groups
            .iter()
            .map(|g| require_ssl.get(*g).copied().flatten())
            .collect();
        if let Some(v) = ssl.filter(|v| !v.is_empty()) {
            data.insert("require_ssl".into(), json!(v.iter().any(|b| *b)));
        }
        pb.inc(1);
        match c
            .describe_logging_status()
            .cluster_identifier(&id)
            .send()
            .await
        {
            Ok(o) => {
                if let Some(v) = o.logging_enabled() {
                    data.insert("logging_enabled".into(), json!(v));
                    if v {
                        if let Some(d) = o.log_destination_type() {
                            data.insert("log_destination_type".into(), json!(d.as_str()));
                        }
                        data.insert("log_exports".into(), json!(o.log_exports()));
                    }
                }
            }
            Err(e) => op("DescribeLoggingStatus").fail(ctx, &e, Some(&arn)),
        }
        let tags = super::tag_map(cl.tags().iter().map(|t| (t.key(), t.value())));
        ctx.push(
            ctx.resource(CLUSTER, arn, &Value::Object(data))
                .named(id)
                .in_region(region)
                .with_tags(tags),
        );
    })
    .await;
    pb.finish_and_clear();
}
