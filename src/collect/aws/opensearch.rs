//! OpenSearch Service, per region: domains (OpenSearch and Elasticsearch engines) with
//! their network placement, access policy, encryption, TLS and logging settings.

use serde_json::{Map, Value, json};

use super::errors::{Op, put_present};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("opensearch", aws_sdk_opensearch);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const DOMAIN: &str = "aws.opensearch.domain";

/// Collects the domains of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("opensearch {region}"));
    let c = ctx.clients.client::<aws_sdk_opensearch::Client>(region);
    let op = |operation: &'static str| Op {
        service: "opensearch",
        region: Some(region),
        operation,
        kinds: &[DOMAIN],
    };
    pb.inc(1);
    let names: Vec<String> = match c.list_domain_names().send().await {
        Ok(o) => o
            .domain_names()
            .iter()
            .filter_map(|d| d.domain_name().map(str::to_string))
            .collect(),
        Err(e) => {
            op("ListDomainNames").fail(ctx, &e, None);
            pb.finish_and_clear();
            return;
        }
    };
    let c = &c;
    let pb = &pb;
    // DescribeDomain (a GET) per domain: the batch DescribeDomains is a POST.
    super::each_item(names, |name| async move {
        pb.inc(1);
        match c.describe_domain().domain_name(&name).send().await {
            Ok(o) => {
                if let Some(d) = o.domain_status() {
                    push_domain(ctx, region, d);
                }
            }
            Err(e) => op("DescribeDomain").fail(
                ctx,
                &e,
                Some(&format!(
                    "arn:{}:es:{region}:{}:domain/{name}",
                    ctx.partition, ctx.account
                )),
            ),
        }
    })
    .await;
    pb.finish_and_clear();
}

fn push_domain(ctx: &Ctx, region: &str, d: &aws_sdk_opensearch::types::DomainStatus) {
    let name = d.domain_name().to_string();
    let arn = d.arn().to_string();
    let mut data = Map::new();
    data.insert("arn".into(), json!(arn));
    data.insert("domain_id".into(), json!(d.domain_id()));
    put_present(
        &mut data,
        [
            ("engine_version", d.engine_version()),
            ("endpoint", d.endpoint()),
        ],
    );
    // A domain without VPCOptions has a public endpoint; in a VPC it has VPCOptions.
    // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/vpc.html
    let vpc = d.vpc_options();
    data.insert("in_vpc".into(), json!(vpc.is_some()));
    if let Some(v) = vpc {
        if let Some(id) = v.vpc_id() {
            data.insert("vpc_id".into(), json!(id));
        }
        data.insert("security_group_ids".into(), json!(v.security_group_ids()));
    }
    if let Some(p) = d
        .access_policies()
        .filter(|p| !p.trim().is_empty())
        .and_then(policy::parse)
    {
        data.insert("policy".into(), p);
    }
    if let Some(e) = d.encryption_at_rest_options() {
        put_present(&mut data, [("encryption_at_rest", e.enabled())]);
        put_present(&mut data, [("kms_key_id", e.kms_key_id())]);
    }
    if let Some(n) = d.node_to_node_encryption_options() {
        put_present(&mut data, [("node_to_node_encryption", n.enabled())]);
    }
    if let Some(e) = d.domain_endpoint_options() {
        put_present(&mut data, [("enforce_https", e.enforce_https())]);
        if let Some(p) = e.tls_security_policy() {
            data.insert("tls_security_policy".into(), json!(p.as_str()));
        }
    }
    if let Some(s) = d.advanced_security_options() {
        put_present(
            &mut data,
            [
                ("fine_grained_access_control", s.enabled()),
                ("internal_user_database", s.internal_user_database_enabled()),
                ("anonymous_auth", s.anonymous_auth_enabled()),
            ],
        );
    }
    if let Some(c) = d.cluster_config() {
        if let Some(v) = c.instance_count() {
            data.insert("instance_count".into(), json!(v));
        }
        put_present(
            &mut data,
            [
                ("dedicated_master_enabled", c.dedicated_master_enabled()),
                ("zone_awareness_enabled", c.zone_awareness_enabled()),
            ],
        );
    }
    if let Some(s) = d.software_update_options() {
        put_present(
            &mut data,
            [("auto_software_update", s.auto_software_update_enabled())],
        );
    }
    // The log types published, from LogPublishingOptions (no entry: none configured).
    let mut logs: Vec<&str> = d
        .log_publishing_options()
        .map(|m| {
            m.iter()
                .filter(|(_, o)| o.enabled() == Some(true))
                .map(|(t, _)| t.as_str())
                .collect()
        })
        .unwrap_or_default();
    logs.sort_unstable();
    data.insert("enabled_logs".into(), json!(logs));
    ctx.push(
        ctx.resource(DOMAIN, arn, &Value::Object(data))
            .named(name)
            .in_region(region),
    );
}
