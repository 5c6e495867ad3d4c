//! Classic Load Balancers, per region: listeners (with the TLS protocols their
//! negotiation policy enables) and attributes.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

/// Per negotiation policy name: the TLS protocols it enables and the predefined policy
/// it was made from.
type Negotiation = HashMap<String, (Vec<String>, Option<String>)>;

super::clients::sdk_client!("elasticloadbalancing", aws_sdk_elasticloadbalancing);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const LOAD_BALANCER: &str = "aws.elb.load_balancer";

/// The policy type of a listener's TLS negotiation policy.
const SSL_NEGOTIATION: &str = "SSLNegotiationPolicyType";

/// Collects the Classic Load Balancers of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("elb {region}"));
    let c = ctx
        .clients
        .client::<aws_sdk_elasticloadbalancing::Client>(region);
    let op = |operation: &'static str| Op {
        service: "elb",
        region: Some(region),
        operation,
        kinds: &[LOAD_BALANCER],
    };
    let pages = c.describe_load_balancers().into_paginator().send();
    let Some(all) =
        super::errors::all_pages(ctx, &op("DescribeLoadBalancers"), None, &pb, pages, |p| {
            p.load_balancer_descriptions.unwrap_or_default()
        })
        .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(all, |lb| async move {
        let Some(name) = lb.load_balancer_name().map(str::to_string) else {
            op("DescribeLoadBalancers").missing_id(ctx, "LoadBalancerName");
            return;
        };
        // DescribeLoadBalancers returns no ARN; this is the documented ARN format.
        let arn = format!(
            "arn:{}:elasticloadbalancing:{region}:{}:loadbalancer/{name}",
            ctx.partition, ctx.account
        );
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = lb.scheme() {
            data.insert("scheme".into(), json!(v));
        }
        if let Some(v) = lb.dns_name() {
            data.insert("dns_name".into(), json!(v));
        }
        if let Some(v) = lb.vpc_id() {
            data.insert("vpc_id".into(), json!(v));
        }
        if let Some(t) = lb.created_time().and_then(ts) {
            data.insert("created".into(), json!(t));
        }
        data.insert("security_groups".into(), json!(lb.security_groups()));
        let mut listeners: Vec<(Map<String, Value>, Vec<String>)> = lb
            .listener_descriptions()
            .iter()
            .filter_map(|d| Some((d.listener()?, d.policy_names().to_vec())))
            .map(|(l, policies)| {
                let mut m = Map::new();
                // Protocols are case-insensitive in the API; upper case as documented.
                m.insert("protocol".into(), json!(l.protocol().to_ascii_uppercase()));
                m.insert("port".into(), json!(l.load_balancer_port()));
                if let Some(p) = l.instance_protocol() {
                    m.insert("instance_protocol".into(), json!(p.to_ascii_uppercase()));
                }
                m.insert("instance_port".into(), json!(l.instance_port()));
                if let Some(v) = l.ssl_certificate_id() {
                    m.insert("ssl_certificate_id".into(), json!(v));
                }
                m.insert("policy_names".into(), json!(policies));
                (m, policies)
            })
            .collect();
        let secure = listeners.iter().any(|(m, _)| {
            matches!(
                m.get("protocol").and_then(Value::as_str),
                Some("HTTPS" | "SSL")
            )
        });
        pb.inc(1);
        let (attributes, policies) = futures::join!(
            c.describe_load_balancer_attributes()
                .load_balancer_name(&name)
                .send(),
            async {
                if secure {
                    Some(
                        c.describe_load_balancer_policies()
                            .load_balancer_name(&name)
                            .send()
                            .await,
                    )
                } else {
                    None
                }
            },
        );
        match attributes {
            Ok(o) => {
                if let Some(a) = o.load_balancer_attributes() {
                    if let Some(l) = a.access_log() {
                        data.insert("access_logs_enabled".into(), json!(l.enabled()));
                    }
                    if let Some(d) = a.connection_draining() {
                        data.insert("connection_draining_enabled".into(), json!(d.enabled()));
                    }
                    if let Some(z) = a.cross_zone_load_balancing() {
                        data.insert("cross_zone_load_balancing".into(), json!(z.enabled()));
                    }
                    let desync = a
                        .additional_attributes()
                        .iter()
                        .find(|x| x.key() == Some("elb.http.desyncmitigationmode"));
                    if let Some(v) = desync.and_then(|x| x.value()) {
                        data.insert("desync_mitigation_mode".into(), json!(v));
                    }
                }
            }
            Err(e) => op("DescribeLoadBalancerAttributes").fail(ctx, &e, Some(&arn)),
        }
        // The TLS protocols each negotiation policy enables (`Protocol-<name>`
        // attributes set to true) and the predefined policy it was made from.
        let negotiation: Option<Negotiation> = match policies {
            None => Some(HashMap::new()),
            Some(Ok(o)) => Some(
                o.policy_descriptions()
                    .iter()
                    .filter(|p| p.policy_type_name() == Some(SSL_NEGOTIATION))
                    .filter_map(|p| {
                        let mut protocols = Vec::new();
                        let mut reference = None;
                        for a in p.policy_attribute_descriptions() {
                            let (Some(k), Some(v)) = (a.attribute_name(), a.attribute_value())
                            else {
                                continue;
                            };
                            if let Some(proto) = k.strip_prefix("Protocol-")
                                && v == "true"
                            {
                                protocols.push(proto.to_string());
                            } else if k == "Reference-Security-Policy" {
                                reference = Some(v.to_string());
                            }
                        }
                        Some((p.policy_name()?.to_string(), (protocols, reference)))
                    })
                    .collect(),
            ),
            Some(Err(e)) => {
                op("DescribeLoadBalancerPolicies").fail(ctx, &e, Some(&arn));
                None
            }
        };
        if let Some(known) = &negotiation {
            for (m, names) in &mut listeners {
                if let Some((protocols, reference)) = names.iter().find_map(|n| known.get(n)) {
                    m.insert("ssl_protocols".into(), json!(protocols));
                    if let Some(r) = reference {
                        m.insert("reference_security_policy".into(), json!(r));
                    }
                }
            }
        }
        data.insert(
            "listeners".into(),
            Value::Array(
                listeners
                    .into_iter()
                    .map(|(m, _)| Value::Object(m))
                    .collect(),
            ),
        );
        ctx.push(
            ctx.resource(LOAD_BALANCER, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}
