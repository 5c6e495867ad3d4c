//! EKS, per region: clusters with their version, API endpoint access, control-plane
//! logging and secrets encryption.

use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("eks", aws_sdk_eks);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const CLUSTER: &str = "aws.eks.cluster";

/// Collects the clusters of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("eks {region}"));
    let c = ctx.clients.client::<aws_sdk_eks::Client>(region);
    let op = |operation: &'static str| Op {
        service: "eks",
        region: Some(region),
        operation,
        kinds: &[CLUSTER],
    };
    let pages = c.list_clusters().into_paginator().send();
    let Some(names) = super::errors::all_pages(ctx, &op("ListClusters"), None, &pb, pages, |p| {
        p.clusters.unwrap_or_default()
    })
    .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(names, |name| async move {
        pb.inc(1);
        let arn_guess = format!(
            "arn:{}:eks:{region}:{}:cluster/{name}",
            ctx.partition, ctx.account
        );
        let cl = match c.describe_cluster().name(&name).send().await {
            Ok(o) => o.cluster,
            Err(e) => {
                op("DescribeCluster").fail(ctx, &e, Some(&arn_guess));
                return;
            }
        };
        let Some(cl) = cl else {
            op("DescribeCluster").missing_id(ctx, "cluster");
            return;
        };
        let arn = cl.arn().map(str::to_string).unwrap_or(arn_guess);
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = cl.version() {
            data.insert("version".into(), json!(v));
        }
        if let Some(v) = cl.platform_version() {
            data.insert("platform_version".into(), json!(v));
        }
        if let Some(v) = cl.status() {
            data.insert("status".into(), json!(v.as_str()));
        }
        if let Some(t) = cl.created_at().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        if let Some(v) = cl.upgrade_policy().and_then(|u| u.support_type()) {
            data.insert("support_type".into(), json!(v.as_str()));
        }
        if let Some(v) = cl.resources_vpc_config() {
            data.insert(
                "endpoint_public_access".into(),
                json!(v.endpoint_public_access()),
            );
            data.insert(
                "endpoint_private_access".into(),
                json!(v.endpoint_private_access()),
            );
            data.insert("public_access_cidrs".into(), json!(v.public_access_cidrs()));
            if let Some(id) = v.vpc_id() {
                data.insert("vpc_id".into(), json!(id));
            }
        }
        if let Some(l) = cl.logging() {
            let mut enabled: Vec<&str> = l
                .cluster_logging()
                .iter()
                .filter(|s| s.enabled() == Some(true))
                .flat_map(|s| s.types().iter().map(|t| t.as_str()))
                .collect();
            enabled.sort_unstable();
            enabled.dedup();
            data.insert("logging_enabled_types".into(), json!(enabled));
        }
        // encryptionConfig is omitted when envelope encryption with a customer
        // managed key was never configured.
        let secrets_key = cl
            .encryption_config()
            .iter()
            .find(|e| e.resources().iter().any(|r| r == "secrets"))
            .and_then(|e| e.provider())
            .and_then(|p| p.key_arn());
        if let Some(k) = secrets_key {
            data.insert("secrets_encryption_key_arn".into(), json!(k));
        }
        data.insert(
            "secrets_encrypted_with_cmk".into(),
            json!(secrets_key.is_some()),
        );
        let tags = cl
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        ctx.push(
            ctx.resource(CLUSTER, arn, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(tags),
        );
    })
    .await;
    pb.finish_and_clear();
}
