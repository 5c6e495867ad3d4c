//! ECR, per region: private repositories with their scanning, tag mutability,
//! encryption, repository policy and lifecycle policy.

use std::collections::HashMap;

use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, is_code, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit, policy};

super::clients::sdk_client!("ecr", aws_sdk_ecr);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const REPOSITORY: &str = "aws.ecr.repository";

/// BatchGetRepositoryScanningConfiguration accepts at most 25 repository names.
const SCAN_BATCH: usize = 25;

/// Collects the repositories of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("ecr {region}"));
    let c = ctx.clients.client::<aws_sdk_ecr::Client>(region);
    let op = |operation: &'static str| Op {
        service: "ecr",
        region: Some(region),
        operation,
        kinds: &[REPOSITORY],
    };
    let mut repos = Vec::new();
    let listing = op("DescribeRepositories");
    let (listed, registry) = futures::join!(
        super::errors::each_page(
            ctx,
            &listing,
            None,
            &pb,
            c.describe_repositories().into_paginator().send(),
            |p| repos.extend(p.repositories.unwrap_or_default()),
        ),
        c.get_registry_scanning_configuration().send(),
    );
    if !listed {
        pb.finish_and_clear();
        return;
    }
    // The registry-wide scan type (BASIC or ENHANCED) decides whether a repository's own
    // scan-on-push setting applies; `None` when the call failed.
    let scan_type = match registry {
        Ok(o) => o
            .scanning_configuration()
            .and_then(|s| s.scan_type())
            .map(|t| t.as_str().to_string()),
        Err(e) => {
            op("GetRegistryScanningConfiguration").gap(ctx, &e, &["registry_scan_type"]);
            None
        }
    };

    // The effective scan frequency of each repository (registry rules applied).
    let names: Vec<String> = repos
        .iter()
        .filter_map(|r| r.repository_name().map(str::to_string))
        .collect();
    let c = &c;
    let pb = &pb;
    let batches: Vec<Option<HashMap<String, String>>> =
        futures::stream::iter(names.chunks(SCAN_BATCH).map(<[String]>::to_vec))
            .map(|chunk| async move {
                pb.inc(1);
                match c
                    .batch_get_repository_scanning_configuration()
                    .set_repository_names(Some(chunk))
                    .send()
                    .await
                {
                    Ok(o) => Some(
                        o.scanning_configurations()
                            .iter()
                            .filter_map(|s| {
                                Some((
                                    s.repository_name()?.to_string(),
                                    s.scan_frequency()?.as_str().to_string(),
                                ))
                            })
                            .collect(),
                    ),
                    Err(e) => {
                        op("BatchGetRepositoryScanningConfiguration").gap(
                            ctx,
                            &e,
                            &["scan_frequency"],
                        );
                        None
                    }
                }
            })
            .buffer_unordered(ITEM_CONCURRENCY)
            .collect()
            .await;
    let frequency: HashMap<String, String> = batches.into_iter().flatten().flatten().collect();
    let frequency = &frequency;
    let scan_type = scan_type.as_deref();

    super::each_item(repos, |r| async move {
        let Some(name) = r.repository_name().map(str::to_string) else {
            op("DescribeRepositories").missing_id(ctx, "repositoryName");
            return;
        };
        let arn = r.repository_arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:ecr:{region}:{}:repository/{name}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = r.repository_uri() {
            data.insert("uri".into(), json!(v));
        }
        if let Some(t) = r.created_at().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        if let Some(v) = r.image_tag_mutability() {
            data.insert("image_tag_mutability".into(), json!(v.as_str()));
        }
        if let Some(s) = r.image_scanning_configuration() {
            data.insert("scan_on_push".into(), json!(s.scan_on_push()));
        }
        if let Some(v) = frequency.get(&name) {
            data.insert("scan_frequency".into(), json!(v));
        }
        if let Some(v) = scan_type {
            data.insert("registry_scan_type".into(), json!(v));
        }
        if let Some(e) = r.encryption_configuration() {
            data.insert(
                "encryption_type".into(),
                json!(e.encryption_type().as_str()),
            );
            if let Some(k) = e.kms_key() {
                data.insert("kms_key".into(), json!(k));
            }
        }
        pb.inc(2);
        let (pol, life) = futures::join!(
            c.get_repository_policy().repository_name(&name).send(),
            c.get_lifecycle_policy().repository_name(&name).send(),
        );
        match pol {
            Ok(o) => {
                if let Some(p) = o.policy_text().and_then(policy::parse) {
                    data.insert("policy".into(), p);
                }
            }
            Err(e) if is_code(&e, &["RepositoryPolicyNotFoundException"]) => {
                data.insert("policy".into(), json!({"statements": []}));
            }
            Err(e) => op("GetRepositoryPolicy").fail(ctx, &e, Some(&arn)),
        }
        match life {
            Ok(o) => {
                data.insert(
                    "lifecycle_policy_present".into(),
                    json!(o.lifecycle_policy_text().is_some_and(|t| !t.is_empty())),
                );
            }
            Err(e) if is_code(&e, &["LifecyclePolicyNotFoundException"]) => {
                data.insert("lifecycle_policy_present".into(), json!(false));
            }
            Err(e) => op("GetLifecyclePolicy").fail(ctx, &e, Some(&arn)),
        }
        ctx.push(
            ctx.resource(REPOSITORY, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}
