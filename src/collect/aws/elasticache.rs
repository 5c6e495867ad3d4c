//! ElastiCache, per region: Redis OSS and Valkey replication groups with their
//! encryption, authentication, backup and upgrade settings.

use serde_json::{Map, Value, json};

use super::errors::{Op, put_present, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("elasticache", aws_sdk_elasticache);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const GROUP: &str = "aws.elasticache.replication_group";

/// Collects the replication groups of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("elasticache {region}"));
    let c = ctx.clients.client::<aws_sdk_elasticache::Client>(region);
    let op = Op {
        service: "elasticache",
        region: Some(region),
        operation: "DescribeReplicationGroups",
        kinds: &[GROUP],
    };
    let mut groups = Vec::new();
    let pages = c.describe_replication_groups().into_paginator().send();
    if !super::errors::each_page(ctx, &op, None, &pb, pages, |p| {
        groups.extend(p.replication_groups.unwrap_or_default());
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    for g in groups {
        let Some(id) = g.replication_group_id().map(str::to_string) else {
            op.missing_id(ctx, "ReplicationGroupId");
            continue;
        };
        let arn = g.arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:elasticache:{region}:{}:replicationgroup:{id}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        let strings = [
            ("engine", g.engine()),
            ("status", g.status()),
            ("cache_node_type", g.cache_node_type()),
            ("kms_key_id", g.kms_key_id()),
        ];
        put_present(&mut data, strings);
        let bools = [
            ("cluster_enabled", g.cluster_enabled()),
            ("at_rest_encryption_enabled", g.at_rest_encryption_enabled()),
            ("transit_encryption_enabled", g.transit_encryption_enabled()),
            ("auth_token_enabled", g.auth_token_enabled()),
            ("auto_minor_version_upgrade", g.auto_minor_version_upgrade()),
        ];
        put_present(&mut data, bools);
        if let Some(v) = g.transit_encryption_mode() {
            data.insert("transit_encryption_mode".into(), json!(v.as_str()));
        }
        if let Some(v) = g.automatic_failover() {
            data.insert("automatic_failover".into(), json!(v.as_str()));
        }
        if let Some(v) = g.multi_az() {
            data.insert("multi_az".into(), json!(v.as_str()));
        }
        if let Some(v) = g.snapshot_retention_limit() {
            data.insert("snapshot_retention_limit".into(), json!(v));
        }
        if let Some(t) = g.replication_group_create_time().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        data.insert("user_group_ids".into(), json!(g.user_group_ids()));
        data.insert("member_clusters".into(), json!(g.member_clusters()));
        ctx.push(
            ctx.resource(GROUP, arn, &Value::Object(data))
                .named(id)
                .in_region(region),
        );
    }
    pb.finish_and_clear();
}
