//! Account-wide and region-wide resources (`aws.account`, `aws.region`) assembled from
//! facts the service units gather, and the denormalizations that need several services
//! (a bucket's account-level Public Access Block, the trails writing to it, the metric
//! filters and alarms watching a trail's CloudWatch Logs log group).

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
    /// CloudWatch Logs, CloudWatch and SNS facts per region, joined onto the trails.
    pub monitoring: BTreeMap<String, Monitoring>,
}

/// What one region's CloudWatch Logs, CloudWatch and SNS units read for the trails'
/// log groups; `None` when that listing was not read completely.
#[derive(Debug, Default)]
pub(crate) struct Monitoring {
    /// Metric filters by log group name: `{name, pattern, metric_name, metric_namespace}`,
    /// one entry per metric transformation.
    pub filters: Option<BTreeMap<String, Vec<Value>>>,
    /// Metric alarms: `{name, metric_name, metric_namespace, actions_enabled, alarm_actions}`.
    pub alarms: Option<Vec<Value>>,
    /// SNS topics by ARN, with their `SubscriptionsConfirmed` when it was read.
    pub topics: Option<BTreeMap<String, Option<i64>>>,
}

impl AccountFacts {
    /// Sets a field of the account resource.
    pub fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_string(), value);
    }

    /// The monitoring facts of one region.
    pub fn monitoring(&mut self, region: &str) -> &mut Monitoring {
        self.monitoring.entry(region.to_string()).or_default()
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
const TRAIL_FACTS: [&str; 8] = [
    "name",
    "home_region",
    "multi_region",
    "is_logging",
    "management_events",
    "s3_object_read_events_all_buckets",
    "s3_object_write_events_all_buckets",
    "cloudwatch_logs_log_group_arn",
];

/// The metric filters on a trail's log group, each with the alarms on its metric and
/// each alarm action with the subscriber count of its SNS topic; `[]` when the trail
/// delivers to no log group. `None` (the field stays absent) when the log group is in
/// another account or a region whose filters, alarms or topics were not read completely.
fn trail_metric_filters(
    account: &str,
    monitoring: &BTreeMap<String, Monitoring>,
    trail: &Value,
) -> Option<Value> {
    let Some(arn) = trail.get("cloudwatch_logs_log_group_arn") else {
        return Some(json!([]));
    };
    // arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME[:*]
    let parts: Vec<&str> = arn.as_str()?.splitn(7, ':').collect();
    let [_, _, "logs", region, owner, "log-group", rest] = parts[..] else {
        return None;
    };
    if owner != account {
        return None;
    }
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    let m = monitoring.get(region)?;
    let alarms = m.alarms.as_ref()?;
    let filters = m.filters.as_ref()?.get(name).cloned().unwrap_or_default();
    let topic_subscribers = |topic: &str| -> Option<i64> {
        let topic_region = topic.split(':').nth(3)?;
        let topics = monitoring.get(topic_region)?.topics.as_ref()?;
        *topics.get(topic)?
    };
    let out: Vec<Value> = filters
        .into_iter()
        .map(|mut f| {
            let metric = (
                f.get("metric_name").cloned(),
                f.get("metric_namespace").cloned(),
            );
            let on_metric: Vec<Value> = alarms
                .iter()
                .filter(|a| {
                    metric.0.is_some()
                        && a.get("metric_name") == metric.0.as_ref()
                        && a.get("metric_namespace") == metric.1.as_ref()
                })
                .map(|a| {
                    let mut entry = Map::new();
                    for k in ["name", "actions_enabled"] {
                        if let Some(v) = a.get(k) {
                            entry.insert(k.into(), v.clone());
                        }
                    }
                    let actions: Vec<Value> = a
                        .get("alarm_actions")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|action| {
                            let mut x = Map::new();
                            x.insert("arn".into(), json!(action));
                            if let Some(n) = topic_subscribers(action) {
                                x.insert("subscriptions_confirmed".into(), json!(n));
                            }
                            Value::Object(x)
                        })
                        .collect();
                    entry.insert("alarm_actions".into(), Value::Array(actions));
                    Value::Object(entry)
                })
                .collect();
            if let Some(o) = f.as_object_mut() {
                o.insert("alarms".into(), Value::Array(on_metric));
            }
            f
        })
        .collect();
    Some(Value::Array(out))
}

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
                let mut m: Map<String, Value> = TRAIL_FACTS
                    .iter()
                    .filter_map(|k| Some((k.to_string(), t.get(*k)?.clone())))
                    .collect();
                if let Some(f) = trail_metric_filters(&ctx.account, &facts.monitoring, t) {
                    m.insert("metric_filters".into(), f);
                }
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
