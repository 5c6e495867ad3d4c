//! Systems Manager, per region: documents the account owns (with who they are shared
//! with) and parameters (metadata only, never values).

use aws_sdk_ssm::types::{DocumentKeyValuesFilter, DocumentPermissionType};
use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("ssm", aws_sdk_ssm);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const DOCUMENT: &str = "aws.ssm.document";
const PARAMETER: &str = "aws.ssm.parameter";

/// Collects one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("ssm {region}"));
    futures::join!(documents(ctx, region, &pb), parameters(ctx, region, &pb));
    pb.finish_and_clear();
}

async fn documents(ctx: &Ctx, region: &str, pb: &indicatif::ProgressBar) {
    let c = ctx.clients.client::<aws_sdk_ssm::Client>(region);
    let op = |operation: &'static str| Op {
        service: "ssm",
        region: Some(region),
        operation,
        kinds: &[DOCUMENT],
    };
    let owned = DocumentKeyValuesFilter::builder()
        .key("Owner")
        .values("Self")
        .build();
    let mut all = Vec::new();
    let pages = c.list_documents().filters(owned).into_paginator().send();
    if !super::errors::each_page(ctx, &op("ListDocuments"), None, pb, pages, |p| {
        all.extend(p.document_identifiers.unwrap_or_default());
    })
    .await
    {
        return;
    }
    let c = &c;
    super::each_item(all, |d| async move {
        let Some(name) = d.name().map(str::to_string) else {
            op("ListDocuments").missing_id(ctx, "Name");
            return;
        };
        let arn = format!(
            "arn:{}:ssm:{region}:{}:document/{name}",
            ctx.partition, ctx.account
        );
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = d.document_type() {
            data.insert("document_type".into(), json!(v.as_str()));
        }
        if let Some(v) = d.document_format() {
            data.insert("document_format".into(), json!(v.as_str()));
        }
        if let Some(v) = d.owner() {
            data.insert("owner".into(), json!(v));
        }
        if let Some(v) = d.created_date().and_then(ts) {
            data.insert("created".into(), json!(v));
        }
        let platforms: Vec<&str> = d.platform_types().iter().map(|p| p.as_str()).collect();
        data.insert("platform_types".into(), json!(platforms));
        // Who may use the document: account ids, or "all" when it is public.
        let mut accounts: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        let complete = loop {
            pb.inc(1);
            let reply = c
                .describe_document_permission()
                .name(&name)
                .permission_type(DocumentPermissionType::Share)
                .set_next_token(token.take())
                .send()
                .await;
            match reply {
                Ok(o) => {
                    accounts.extend(o.account_ids().iter().cloned());
                    match o.next_token().filter(|t| !t.is_empty()) {
                        Some(t) => token = Some(t.to_string()),
                        None => break true,
                    }
                }
                Err(e) => {
                    op("DescribeDocumentPermission").fail(ctx, &e, Some(&arn));
                    break false;
                }
            }
        };
        if complete {
            let public = accounts.iter().any(|a| a.eq_ignore_ascii_case("all"));
            data.insert("public".into(), json!(public));
            let mut shared: Vec<&String> = accounts
                .iter()
                .filter(|a| !a.eq_ignore_ascii_case("all"))
                .collect();
            shared.sort();
            shared.dedup();
            data.insert("shared_with_accounts".into(), json!(shared));
        }
        let tags = d
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        ctx.push(
            ctx.resource(DOCUMENT, arn, &Value::Object(data))
                .named(name)
                .in_region(region)
                .with_tags(tags),
        );
    })
    .await;
}

async fn parameters(ctx: &Ctx, region: &str, pb: &indicatif::ProgressBar) {
    let c = ctx.clients.client::<aws_sdk_ssm::Client>(region);
    let op = Op {
        service: "ssm",
        region: Some(region),
        operation: "DescribeParameters",
        kinds: &[PARAMETER],
    };
    let mut all = Vec::new();
    let pages = c.describe_parameters().into_paginator().send();
    if !super::errors::each_page(ctx, &op, None, pb, pages, |p| {
        all.extend(p.parameters.unwrap_or_default());
    })
    .await
    {
        return;
    }
    for p in all {
        let Some(name) = p.name().map(str::to_string) else {
            op.missing_id(ctx, "Name");
            continue;
        };
        let arn = p.arn().map(str::to_string).unwrap_or_else(|| {
            // Names of hierarchical parameters start with "/".
            format!(
                "arn:{}:ssm:{region}:{}:parameter/{}",
                ctx.partition,
                ctx.account,
                name.trim_start_matches('/')
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("name".into(), json!(name));
        if let Some(v) = p.r#type() {
            data.insert("type".into(), json!(v.as_str()));
        }
        if let Some(v) = p.key_id() {
            data.insert("key_id".into(), json!(v));
        }
        if let Some(v) = p.tier() {
            data.insert("tier".into(), json!(v.as_str()));
        }
        if let Some(v) = p.data_type() {
            data.insert("data_type".into(), json!(v));
        }
        if let Some(v) = p.last_modified_date().and_then(ts) {
            data.insert("last_modified".into(), json!(v));
        }
        ctx.push(
            ctx.resource(PARAMETER, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    }
}
