//! Route 53, once per account (a global service): hosted zones with their DNS query
//! logging configuration and, for public zones, their DNSSEC signing status.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::errors::Op;
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("route53", aws_sdk_route53);

/// Run once by every account scan.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Account(|ctx| Box::pin(collect(ctx)))],
};

const HOSTED_ZONE: &str = "aws.route53.hosted_zone";

/// Collects the hosted zones of the account.
pub(crate) async fn collect(ctx: &Ctx) {
    let pb = ctx.progress.task("route53".to_string());
    let c = ctx
        .clients
        .client::<aws_sdk_route53::Client>(&ctx.clients.home_region);
    let op = |operation: &'static str| Op {
        service: "route53",
        region: None,
        operation,
        kinds: &[HOSTED_ZONE],
    };
    let (zones_op, logging_op) = (op("ListHostedZones"), op("ListQueryLoggingConfigs"));
    let mut zones = Vec::new();
    let mut logging: HashMap<String, String> = HashMap::new();
    let (zones_ok, logging_ok) = futures::join!(
        super::errors::each_page(
            ctx,
            &zones_op,
            None,
            &pb,
            c.list_hosted_zones().into_paginator().send(),
            |p| zones.extend(p.hosted_zones),
        ),
        super::errors::each_page(
            ctx,
            &logging_op,
            None,
            &pb,
            c.list_query_logging_configs().into_paginator().send(),
            |p| {
                for q in p.query_logging_configs {
                    logging.insert(
                        bare_id(q.hosted_zone_id()).to_string(),
                        q.cloud_watch_logs_log_group_arn().to_string(),
                    );
                }
            },
        ),
    );
    if !zones_ok {
        pb.finish_and_clear();
        return;
    }
    // The query logging configurations by zone id; `None` when they could not all be
    // listed (the logging fields then stay absent).
    let logging = logging_ok.then_some(logging);
    let logging = &logging;
    let c = &c;
    let pb = &pb;
    super::each_item(zones, |z| async move {
        let id = bare_id(z.id()).to_string();
        if id.is_empty() {
            op("ListHostedZones").missing_id(ctx, "Id");
            return;
        }
        let arn = format!("arn:{}:route53:::hostedzone/{id}", ctx.partition);
        let name = z.name().trim_end_matches('.').to_string();
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("id".into(), json!(id));
        data.insert("name".into(), json!(z.name()));
        // HostedZoneConfig.PrivateZone; a zone listed without its config is left
        // without the field.
        let private = z.config().map(|cfg| cfg.private_zone());
        if let Some(p) = private {
            data.insert("private_zone".into(), json!(p));
        }
        if let Some(n) = z.resource_record_set_count() {
            data.insert("record_count".into(), json!(n));
        }
        if let Some(l) = logging {
            data.insert("query_logging_enabled".into(), json!(l.contains_key(&id)));
            if let Some(g) = l.get(&id) {
                data.insert("query_log_group".into(), json!(g));
            }
        }
        // DNSSEC signing applies to public zones only.
        if private == Some(false) {
            pb.inc(1);
            match c.get_dnssec().hosted_zone_id(&id).send().await {
                Ok(o) => {
                    if let Some(s) = o.status().and_then(|s| s.serve_signature()) {
                        data.insert("dnssec_status".into(), json!(s));
                    }
                }
                Err(e) => op("GetDNSSEC").fail(ctx, &e, Some(&arn)),
            }
        }
        ctx.push(
            ctx.resource(HOSTED_ZONE, arn, &Value::Object(data))
                .named(name),
        );
    })
    .await;
    pb.finish_and_clear();
}

/// A zone id without its `/hostedzone/` prefix.
fn bare_id(id: &str) -> &str {
    id.strip_prefix("/hostedzone/").unwrap_or(id)
}
