//! ECS, per region: clusters (with their settings) and the latest ACTIVE revision of every
//! task definition family (with its container definitions).

use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("ecs", aws_sdk_ecs);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const CLUSTER: &str = "aws.ecs.cluster";
const TASK_DEFINITION: &str = "aws.ecs.task_definition";

/// DescribeClusters accepts at most 100 clusters.
const CLUSTER_BATCH: usize = 100;

/// Collects one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("ecs {region}"));
    let c = ctx.clients.client::<aws_sdk_ecs::Client>(region);
    futures::join!(
        clusters(ctx, region, &c, &pb),
        task_definitions(ctx, region, &c, &pb)
    );
    pb.finish_and_clear();
}

async fn clusters(ctx: &Ctx, region: &str, c: &aws_sdk_ecs::Client, pb: &indicatif::ProgressBar) {
    let op = |operation: &'static str| Op {
        service: "ecs",
        region: Some(region),
        operation,
        kinds: &[CLUSTER],
    };
    let mut arns = Vec::new();
    let pages = c.list_clusters().into_paginator().send();
    if !super::errors::each_page(ctx, &op("ListClusters"), None, pb, pages, |p| {
        arns.extend(p.cluster_arns.unwrap_or_default());
    })
    .await
    {
        return;
    }
    super::each_item(
        arns.chunks(CLUSTER_BATCH).map(<[String]>::to_vec),
        |chunk| async move {
            pb.inc(1);
            let out = match c
                .describe_clusters()
                .set_clusters(Some(chunk))
                .include(aws_sdk_ecs::types::ClusterField::Settings)
                .include(aws_sdk_ecs::types::ClusterField::Tags)
                .send()
                .await
            {
                Ok(o) => o,
                Err(e) => {
                    op("DescribeClusters").fail(ctx, &e, None);
                    return;
                }
            };
            for cl in out.clusters() {
                let Some(arn) = cl.cluster_arn().map(str::to_string) else {
                    op("DescribeClusters").missing_id(ctx, "clusterArn");
                    continue;
                };
                let name = cl
                    .cluster_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(&arn).to_string());
                let mut data = Map::new();
                data.insert("arn".into(), json!(arn));
                if let Some(v) = cl.status() {
                    data.insert("status".into(), json!(v));
                }
                // Container Insights is "disabled" unless the cluster (or, at creation,
                // the account default) turned it on; DescribeClusters with SETTINGS
                // returns the setting for every cluster.
                if let Some(v) = cl
                    .settings()
                    .iter()
                    .find(|s| s.name().is_some_and(|n| n.as_str() == "containerInsights"))
                    .and_then(|s| s.value())
                {
                    data.insert("container_insights".into(), json!(v));
                }
                let tags = super::tag_map(cl.tags().iter().map(|t| (t.key(), t.value())));
                ctx.push(
                    ctx.resource(CLUSTER, arn, &Value::Object(data))
                        .named(name)
                        .in_region(region)
                        .with_tags(tags),
                );
            }
            for f in out.failures() {
                op("DescribeClusters").fail_with(
                    ctx,
                    f.reason().unwrap_or("Failure"),
                    f.detail().unwrap_or("DescribeClusters listed a failure"),
                    f.arn(),
                );
            }
        },
    )
    .await;
}

async fn task_definitions(
    ctx: &Ctx,
    region: &str,
    c: &aws_sdk_ecs::Client,
    pb: &indicatif::ProgressBar,
) {
    let op = |operation: &'static str| Op {
        service: "ecs",
        region: Some(region),
        operation,
        kinds: &[TASK_DEFINITION],
    };
    let mut families = Vec::new();
    let pages = c
        .list_task_definition_families()
        .status(aws_sdk_ecs::types::TaskDefinitionFamilyStatus::Active)
        .into_paginator()
        .send();
    if !super::errors::each_page(
        ctx,
        &op("ListTaskDefinitionFamilies"),
        None,
        pb,
        pages,
        |p| {
            families.extend(p.families.unwrap_or_default());
        },
    )
    .await
    {
        return;
    }
    super::each_item(families, |family| async move {
        pb.inc(1);
        // A family name alone names its latest ACTIVE revision.
        let td = match c
            .describe_task_definition()
            .task_definition(&family)
            .send()
            .await
        {
            Ok(o) => o.task_definition,
            Err(e) => {
                op("DescribeTaskDefinition").fail(ctx, &e, Some(&family));
                return;
            }
        };
        let Some(td) = td else {
            op("DescribeTaskDefinition").missing_id(ctx, "taskDefinition");
            return;
        };
        let Some(arn) = td.task_definition_arn().map(str::to_string) else {
            op("DescribeTaskDefinition").missing_id(ctx, "taskDefinitionArn");
            return;
        };
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("family".into(), json!(&family));
        data.insert("revision".into(), json!(td.revision()));
        if let Some(v) = td.status() {
            data.insert("status".into(), json!(v.as_str()));
        }
        // networkMode is omitted when the task definition uses the default (bridge on
        // Linux EC2 instances, NAT on Windows); see the RegisterTaskDefinition docs.
        if let Some(v) = td.network_mode() {
            data.insert("network_mode".into(), json!(v.as_str()));
        }
        if let Some(v) = td.pid_mode() {
            data.insert("pid_mode".into(), json!(v.as_str()));
        }
        if let Some(v) = td.task_role_arn() {
            data.insert("task_role_arn".into(), json!(v));
        }
        if let Some(v) = td.execution_role_arn() {
            data.insert("execution_role_arn".into(), json!(v));
        }
        let compat: Vec<&str> = td
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str())
            .collect();
        data.insert("requires_compatibilities".into(), json!(compat));
        if let Some(t) = td.registered_at().and_then(ts) {
            data.insert("registered".into(), json!(t));
        }
        let containers: Vec<Value> = td
            .container_definitions()
            .iter()
            .map(|cd| {
                let mut m = Map::new();
                if let Some(v) = cd.name() {
                    m.insert("name".into(), json!(v));
                }
                if let Some(v) = cd.image() {
                    m.insert("image".into(), json!(v));
                }
                // Optional parameters the API omits when unset (no default is
                // filled in: checks read them through has()).
                if let Some(v) = cd.privileged() {
                    m.insert("privileged".into(), json!(v));
                }
                if let Some(v) = cd.readonly_root_filesystem() {
                    m.insert("readonly_root_filesystem".into(), json!(v));
                }
                if let Some(v) = cd.user() {
                    m.insert("user".into(), json!(v));
                }
                // Names only: values of plain environment variables are never kept.
                let env: Vec<&str> = cd.environment().iter().filter_map(|kv| kv.name()).collect();
                m.insert("environment_names".into(), json!(env));
                let secrets: Vec<&str> = cd.secrets().iter().map(|s| s.name()).collect();
                m.insert("secret_names".into(), json!(secrets));
                if let Some(l) = cd.log_configuration() {
                    m.insert("log_driver".into(), json!(l.log_driver().as_str()));
                }
                Value::Object(m)
            })
            .collect();
        data.insert("containers".into(), Value::Array(containers));
        ctx.push(
            ctx.resource(TASK_DEFINITION, arn, &Value::Object(data))
                .named(family)
                .in_region(region),
        );
    })
    .await;
}
