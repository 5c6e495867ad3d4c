//! Elastic Load Balancing v2, per region: Application, Network and Gateway Load
//! Balancers with their listeners (and the TLS protocols of each listener's security
//! policy) and their attributes.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit};

super::clients::sdk_client!("elasticloadbalancingv2", aws_sdk_elasticloadbalancingv2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const LOAD_BALANCER: &str = "aws.elbv2.load_balancer";

/// The load balancer attributes read, by attribute key, with the data field each fills.
/// Keys a load balancer type does not have (e.g. the HTTP routing keys on a Network Load
/// Balancer) are not returned, and their fields stay absent.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("access_logs.s3.enabled", "access_logs_enabled"),
    ("deletion_protection.enabled", "deletion_protection"),
    (
        "routing.http.drop_invalid_header_fields.enabled",
        "drop_invalid_header_fields",
    ),
];

/// One load balancer read so far: its id, name and data, and its listeners (absent
/// when DescribeListeners failed).
struct Read {
    arn: String,
    name: String,
    data: Map<String, Value>,
    listeners: Option<Vec<Map<String, Value>>>,
}

/// Collects the load balancers of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("elbv2 {region}"));
    let c = ctx
        .clients
        .client::<aws_sdk_elasticloadbalancingv2::Client>(region);
    let op = |operation: &'static str| Op {
        service: "elbv2",
        region: Some(region),
        operation,
        kinds: &[LOAD_BALANCER],
    };
    let pages = c.describe_load_balancers().into_paginator().send();
    let Some(all) =
        super::errors::all_pages(ctx, &op("DescribeLoadBalancers"), None, &pb, pages, |p| {
            p.load_balancers.unwrap_or_default()
        })
        .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    let read: Vec<Option<Read>> = futures::stream::iter(all)
        .map(|lb| async move {
            let Some(arn) = lb.load_balancer_arn().map(str::to_string) else {
                op("DescribeLoadBalancers").missing_id(ctx, "LoadBalancerArn");
                return None;
            };
            let name = lb
                .load_balancer_name()
                .map(str::to_string)
                .unwrap_or_else(|| arn.clone());
            let mut data = Map::new();
            data.insert("arn".into(), json!(arn));
            if let Some(v) = lb.r#type() {
                data.insert("type".into(), json!(v.as_str()));
            }
            if let Some(v) = lb.scheme() {
                data.insert("scheme".into(), json!(v.as_str()));
            }
            if let Some(v) = lb.dns_name() {
                data.insert("dns_name".into(), json!(v));
            }
            if let Some(v) = lb.vpc_id() {
                data.insert("vpc_id".into(), json!(v));
            }
            if let Some(v) = lb.state().and_then(|s| s.code()) {
                data.insert("state".into(), json!(v.as_str()));
            }
            if let Some(t) = lb.created_time().and_then(ts) {
                data.insert("created".into(), json!(t));
            }
            data.insert("security_groups".into(), json!(lb.security_groups()));
            pb.inc(1);
            let (listeners, attributes) = futures::join!(
                async {
                    let mut out = Vec::new();
                    let pages = c
                        .describe_listeners()
                        .load_balancer_arn(&arn)
                        .into_paginator()
                        .send();
                    let complete = super::errors::each_page(
                        ctx,
                        &op("DescribeListeners"),
                        Some(&arn),
                        pb,
                        pages,
                        |p| out.extend(p.listeners.unwrap_or_default()),
                    )
                    .await;
                    complete.then_some(out)
                },
                c.describe_load_balancer_attributes()
                    .load_balancer_arn(&arn)
                    .send(),
            );
            match attributes {
                Ok(o) => {
                    let values: HashMap<&str, &str> = o
                        .attributes()
                        .iter()
                        .filter_map(|a| Some((a.key()?, a.value()?)))
                        .collect();
                    for (key, field) in ATTRIBUTES {
                        if let Some(v) = values.get(key) {
                            match *v {
                                "true" => data.insert((*field).into(), json!(true)),
                                "false" => data.insert((*field).into(), json!(false)),
                                _ => None,
                            };
                        }
                    }
                    if let Some(v) = values.get("routing.http.desync_mitigation_mode") {
                        data.insert("desync_mitigation_mode".into(), json!(v));
                    }
                }
                Err(e) => op("DescribeLoadBalancerAttributes").fail(ctx, &e, Some(&arn)),
            }
            let listeners = listeners.map(|ls| ls.iter().map(listener).collect());
            Some(Read {
                arn,
                name,
                data,
                listeners,
            })
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let read: Vec<Read> = read.into_iter().flatten().collect();
    // The TLS protocols of every security policy in use, read once for the region.
    let in_use: BTreeSet<String> = read
        .iter()
        .flat_map(|r| r.listeners.iter().flatten())
        .filter_map(|l| l.get("ssl_policy").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let protocols = if in_use.is_empty() {
        Some(HashMap::new())
    } else {
        ssl_policies(ctx, c, &op("DescribeSSLPolicies"), pb).await
    };
    for mut r in read {
        if let Some(mut listeners) = r.listeners {
            for l in &mut listeners {
                let policy = l.get("ssl_policy").and_then(Value::as_str);
                if let (Some(p), Some(known)) = (policy, &protocols)
                    && let Some(v) = known.get(p)
                {
                    l.insert("ssl_protocols".into(), json!(v));
                }
            }
            r.data.insert(
                "listeners".into(),
                Value::Array(listeners.into_iter().map(Value::Object).collect()),
            );
        }
        ctx.push(
            ctx.resource(LOAD_BALANCER, r.arn, &Value::Object(r.data))
                .named(r.name)
                .in_region(region),
        );
    }
    pb.finish_and_clear();
}

/// A listener's data: port, protocol, security policy and default actions.
fn listener(l: &aws_sdk_elasticloadbalancingv2::types::Listener) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(v) = l.listener_arn() {
        m.insert("arn".into(), json!(v));
    }
    if let Some(v) = l.port() {
        m.insert("port".into(), json!(v));
    }
    if let Some(v) = l.protocol() {
        m.insert("protocol".into(), json!(v.as_str()));
    }
    if let Some(v) = l.ssl_policy() {
        m.insert("ssl_policy".into(), json!(v));
    }
    let actions: Vec<Value> = l
        .default_actions()
        .iter()
        .map(|a| {
            let mut m = Map::new();
            if let Some(t) = a.r#type() {
                m.insert("type".into(), json!(t.as_str()));
            }
            if let Some(p) = a.redirect_config().and_then(|r| r.protocol()) {
                m.insert("redirect_protocol".into(), json!(p));
            }
            Value::Object(m)
        })
        .collect();
    m.insert("default_actions".into(), Value::Array(actions));
    m
}

/// Every security policy's TLS protocols by name (DescribeSSLPolicies lists the
/// predefined policies, the only ones a listener can use); `None` when the listing failed.
async fn ssl_policies(
    ctx: &Ctx,
    c: &aws_sdk_elasticloadbalancingv2::Client,
    op: &Op<'_>,
    pb: &indicatif::ProgressBar,
) -> Option<HashMap<String, Vec<String>>> {
    let mut out = HashMap::new();
    let mut marker: Option<String> = None;
    loop {
        pb.inc(1);
        let reply = c
            .describe_ssl_policies()
            .set_marker(marker.take())
            .send()
            .await;
        match reply {
            Ok(o) => {
                for p in o.ssl_policies() {
                    if let Some(n) = p.name() {
                        out.insert(n.to_string(), p.ssl_protocols().to_vec());
                    }
                }
                match o.next_marker() {
                    Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                    _ => return Some(out),
                }
            }
            Err(e) => {
                op.fail(ctx, &e, None);
                return None;
            }
        }
    }
}
