//! Account-wide and region-wide resources (`aws.account`, `aws.region`) assembled from
//! facts the service units gather, and the denormalizations that need several services
//! (a bucket's account-level Public Access Block, the trails writing to it).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::Ctx;
use super::sts::Identity;

/// A bucket waiting for the account-level facts before it becomes a resource.
#[derive(Debug)]
pub(crate) struct PendingBucket {
    /// Bucket name.
    pub name: String,
    /// Bucket region.
    pub region: String,
    /// The bucket's data so far.
    pub data: Map<String, Value>,
}

/// Account-wide facts; a fact whose call failed stays absent.
#[derive(Debug, Default)]
pub(crate) struct AccountFacts {
    /// Fields of the account resource (root MFA, password policy, ...).
    pub fields: Map<String, Value>,
    /// Fields of each region's `aws.region` resource.
    pub regions: BTreeMap<String, Map<String, Value>>,
    /// Every trail (normalized `aws.cloudtrail.trail` data).
    pub trails: Vec<Value>,
    /// Whether a region's trail listing failed (trail facts are then unknown).
    pub trails_failed: bool,
    /// Buckets, finished in [`finish`].
    pub buckets: Vec<PendingBucket>,
}

impl AccountFacts {
    /// Sets a field of the account resource.
    pub fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_string(), value);
    }

    /// Sets a field of one region's resource.
    pub fn set_region(&mut self, region: &str, key: &str, value: Value) {
        self.regions
            .entry(region.to_string())
            .or_default()
            .insert(key.to_string(), value);
    }
}

/// The account resource's id: the account's root ARN.
pub(crate) fn account_arn(ctx: &Ctx) -> String {
    format!("arn:{}:iam::{}:root", ctx.partition, ctx.account)
}

/// The trail facts copied onto the account.
const TRAIL_FACTS: [&str; 7] = [
    "name",
    "home_region",
    "multi_region",
    "is_logging",
    "management_events",
    "s3_object_read_events_all_buckets",
    "s3_object_write_events_all_buckets",
];

/// Builds the account, region and bucket resources.
pub(crate) fn finish(ctx: &Ctx, identity: &Identity, regions: &[String]) {
    let facts = match ctx.facts.lock() {
        Ok(mut f) => std::mem::take(&mut *f),
        Err(_) => return,
    };
    let mut data = Map::new();
    data.insert("account_id".into(), json!(identity.account));
    data.extend(facts.fields);
    if !facts.trails_failed {
        let trails: Vec<Value> = facts
            .trails
            .iter()
            .map(|t| {
                let m: Map<String, Value> = TRAIL_FACTS
                    .iter()
                    .filter_map(|k| Some((k.to_string(), t.get(*k)?.clone())))
                    .collect();
                Value::Object(m)
            })
            .collect();
        data.insert("trails".into(), Value::Array(trails));
    }
    let account_pab = data.get("s3_public_access_block").cloned();
    let name = data
        .get("alias")
        .and_then(Value::as_str)
        .unwrap_or(&identity.account)
        .to_string();
    ctx.push(
        ctx.resource("aws.account", account_arn(ctx), &Value::Object(data))
            .named(name),
    );

    for region in regions {
        let mut m = Map::new();
        if let Some(f) = facts.regions.get(region) {
            m.extend(f.clone());
        }
        ctx.push(
            ctx.resource("aws.region", region.clone(), &Value::Object(m))
                .named(region.clone())
                .in_region(region.clone()),
        );
    }

    for b in facts.buckets {
        let mut data = b.data;
        if let Some(p) = &account_pab {
            data.insert("account_public_access_block".into(), p.clone());
        }
        if !facts.trails_failed {
            let names: Vec<&Value> = facts
                .trails
                .iter()
                .filter(|t| t.get("s3_bucket_name").and_then(Value::as_str) == Some(&b.name))
                .filter_map(|t| t.get("name"))
                .collect();
            data.insert("trail_names".into(), json!(names));
        }
        let arn = format!("arn:{}:s3:::{}", ctx.partition, b.name);
        ctx.push(
            ctx.resource("aws.s3.bucket", arn, &Value::Object(data))
                .named(b.name)
                .in_region(b.region),
        );
    }
}
