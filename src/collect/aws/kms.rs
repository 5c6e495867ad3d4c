//! KMS, per region: keys with their aliases, metadata, rotation status and key policy.
//! AWS-managed keys get metadata only (AWS rotates them and owns their policy).

use std::collections::HashMap;

use aws_sdk_kms::types::{KeyManagerType, KeySpec, OriginType};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit, policy};

super::clients::sdk_client!("kms", aws_sdk_kms);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const KEY: &str = "aws.kms.key";

/// Collects the keys of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("kms {region}"));
    let c = ctx.clients.client::<aws_sdk_kms::Client>(region);
    let op = |operation: &'static str| Op {
        service: "kms",
        region: Some(region),
        operation,
        kinds: &[KEY],
    };
    let (keys, aliases) = futures::join!(
        async {
            let mut out = Vec::new();
            let complete = super::errors::each_page(
                ctx,
                &op("ListKeys"),
                None,
                &pb,
                c.list_keys().into_paginator().send(),
                |p| out.extend(p.keys.unwrap_or_default()),
            )
            .await;
            complete.then_some(out)
        },
        async {
            let mut out: HashMap<String, Vec<String>> = HashMap::new();
            let complete = super::errors::each_page(
                ctx,
                &op("ListAliases"),
                None,
                &pb,
                c.list_aliases().into_paginator().send(),
                |p| {
                    for a in p.aliases() {
                        if let (Some(k), Some(n)) = (a.target_key_id(), a.alias_name()) {
                            out.entry(k.to_string()).or_default().push(n.to_string());
                        }
                    }
                },
            )
            .await;
            complete.then_some(out)
        },
    );
    let Some(keys) = keys else {
        pb.finish_and_clear();
        return;
    };
    let done: Vec<()> = futures::stream::iter(keys)
        .map(|k| {
            let c = &c;
            let pb = &pb;
            let aliases = &aliases;
            async move {
                let Some(id) = k.key_id().map(str::to_string) else {
                    op("ListKeys").missing_id(ctx, "KeyId");
                    return;
                };
                let rid = k.key_arn().map(str::to_string).unwrap_or_else(|| {
                    format!(
                        "arn:{}:kms:{region}:{}:key/{id}",
                        ctx.partition, ctx.account
                    )
                });
                pb.inc(1);
                let meta = match c.describe_key().key_id(&id).send().await {
                    Ok(o) => o.key_metadata,
                    Err(e) => {
                        op("DescribeKey").fail(ctx, &e, Some(&rid));
                        None
                    }
                };
                let mut data = Map::new();
                data.insert("key_id".into(), json!(id));
                data.insert("arn".into(), json!(rid));
                // `aliases` is `None` when ListAliases failed (then the field is absent);
                // a key ListAliases did not name has no alias.
                let names: Option<Vec<String>> = aliases.as_ref().map(|a| {
                    let mut v = a.get(&id).cloned().unwrap_or_default();
                    v.sort();
                    v
                });
                if let Some(n) = &names {
                    data.insert("aliases".into(), json!(n));
                }
                let Some(m) = meta else {
                    ctx.push(
                        ctx.resource(KEY, rid, &Value::Object(data))
                            .named(id)
                            .in_region(region),
                    );
                    return;
                };
                let customer = m.key_manager() == Some(&KeyManagerType::Customer);
                if let Some(v) = m.key_manager() {
                    data.insert("manager".into(), json!(v.as_str()));
                }
                if let Some(v) = m.key_state() {
                    data.insert("state".into(), json!(v.as_str()));
                }
                if let Some(v) = m.key_spec() {
                    data.insert("key_spec".into(), json!(v.as_str()));
                }
                if let Some(v) = m.key_usage() {
                    data.insert("key_usage".into(), json!(v.as_str()));
                }
                if let Some(v) = m.origin() {
                    data.insert("origin".into(), json!(v.as_str()));
                }
                if let Some(t) = m.creation_date().and_then(ts) {
                    data.insert("created".into(), json!(t));
                }
                if let Some(t) = m.deletion_date().and_then(ts) {
                    data.insert("deletion_date".into(), json!(t));
                }
                // Automatic rotation applies to customer-managed symmetric keys with
                // key material generated by KMS only.
                let rotatable = customer
                    && m.key_spec() == Some(&KeySpec::SymmetricDefault)
                    && m.origin() == Some(&OriginType::AwsKms)
                    && m.custom_key_store_id().is_none();
                if customer {
                    pb.inc(1);
                    match c
                        .get_key_policy()
                        .key_id(&id)
                        .policy_name("default")
                        .send()
                        .await
                    {
                        Ok(o) => {
                            if let Some(p) = o.policy().and_then(policy::parse) {
                                data.insert("policy".into(), p);
                            }
                        }
                        Err(e) => op("GetKeyPolicy").fail(ctx, &e, Some(&rid)),
                    }
                }
                let pending = m
                    .key_state()
                    .is_some_and(|s| s.as_str() == "PendingDeletion");
                if rotatable && !pending {
                    pb.inc(1);
                    match c.get_key_rotation_status().key_id(&id).send().await {
                        Ok(o) => {
                            data.insert("rotation_enabled".into(), json!(o.key_rotation_enabled()));
                            if let Some(p) = o.rotation_period_in_days()
                                && o.key_rotation_enabled()
                            {
                                data.insert("rotation_period_days".into(), json!(p));
                            }
                        }
                        Err(e) => op("GetKeyRotationStatus").fail(ctx, &e, Some(&rid)),
                    }
                }
                let name = names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_else(|| id.clone());
                ctx.push(
                    ctx.resource(KEY, rid, &Value::Object(data))
                        .named(name)
                        .in_region(region),
                );
            }
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    drop(done);
    pb.finish_and_clear();
}
