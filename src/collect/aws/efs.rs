//! EFS, per region: file systems with their encryption, file system policy and automatic
//! backup policy.

use serde_json::{Map, Value, json};

use super::errors::{Op, is_code, ts};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("efs", aws_sdk_efs);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const FILE_SYSTEM: &str = "aws.efs.file_system";

/// Collects the file systems of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("efs {region}"));
    let c = ctx.clients.client::<aws_sdk_efs::Client>(region);
    let op = |operation: &'static str| Op {
        service: "efs",
        region: Some(region),
        operation,
        kinds: &[FILE_SYSTEM],
    };
    let pages = c.describe_file_systems().into_paginator().send();
    let Some(all) =
        super::errors::all_pages(ctx, &op("DescribeFileSystems"), None, &pb, pages, |p| {
            p.file_systems.unwrap_or_default()
        })
        .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(all, |fs| async move {
        let id = fs.file_system_id().to_string();
        if id.is_empty() {
            op("DescribeFileSystems").missing_id(ctx, "FileSystemId");
            return;
        }
        let arn = fs.file_system_arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:elasticfilesystem:{region}:{}:file-system/{id}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("file_system_id".into(), json!(id));
        if let Some(v) = fs.encrypted() {
            data.insert("encrypted".into(), json!(v));
        }
        if let Some(v) = fs.kms_key_id() {
            data.insert("kms_key_id".into(), json!(v));
        }
        data.insert(
            "life_cycle_state".into(),
            json!(fs.life_cycle_state().as_str()),
        );
        data.insert(
            "performance_mode".into(),
            json!(fs.performance_mode().as_str()),
        );
        if let Some(v) = fs.throughput_mode() {
            data.insert("throughput_mode".into(), json!(v.as_str()));
        }
        if let Some(t) = ts(fs.creation_time()) {
            data.insert("created".into(), json!(t));
        }
        pb.inc(2);
        let (pol, backup) = futures::join!(
            c.describe_file_system_policy().file_system_id(&id).send(),
            c.describe_backup_policy().file_system_id(&id).send(),
        );
        match pol {
            Ok(o) => {
                if let Some(p) = o.policy().and_then(policy::parse) {
                    data.insert("policy".into(), p);
                }
            }
            // PolicyNotFound: the default file system policy is in effect (no
            // statements; access is governed by IAM and the mount targets' network).
            Err(e) if is_code(&e, &["PolicyNotFound"]) => {
                data.insert("policy".into(), json!({"statements": []}));
            }
            Err(e) => op("DescribeFileSystemPolicy").fail(ctx, &e, Some(&arn)),
        }
        match backup {
            Ok(o) => {
                if let Some(b) = o.backup_policy() {
                    let status = b.status().as_str();
                    data.insert("backup_policy_status".into(), json!(status));
                    data.insert(
                        "automatic_backups".into(),
                        json!(matches!(status, "ENABLED" | "ENABLING")),
                    );
                }
            }
            // PolicyNotFound: no backup policy, so automatic backups are off.
            Err(e) if is_code(&e, &["PolicyNotFound"]) => {
                data.insert("automatic_backups".into(), json!(false));
            }
            Err(e) => op("DescribeBackupPolicy").fail(ctx, &e, Some(&arn)),
        }
        let tags = fs
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let name = fs
            .name()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| id.clone());
        ctx.push(
            ctx.resource(FILE_SYSTEM, arn, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(tags),
        );
    })
    .await;
    pb.finish_and_clear();
}
