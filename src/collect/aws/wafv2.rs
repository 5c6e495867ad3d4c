//! AWS WAF (v2), per region: the web ACLs of scope REGIONAL and, in us-east-1, of scope
//! CLOUDFRONT, each with its default action, rules, CloudWatch metrics settings and
//! logging configuration.

use serde_json::{Map, Value, json};

use aws_sdk_wafv2::types::{Rule, Scope, VisibilityConfig, WebAcl};

use super::errors::{Op, is_code};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("wafv2", aws_sdk_wafv2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const WEB_ACL: &str = "aws.wafv2.web_acl";

/// Collects the web ACLs of one region (and the CloudFront ones from us-east-1, where
/// AWS WAF keeps them).
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("wafv2 {region}"));
    let c = ctx.clients.client::<aws_sdk_wafv2::Client>(region);
    if region == "us-east-1" {
        futures::join!(
            collect_scope(ctx, &c, region, Scope::Regional, &pb),
            collect_scope(ctx, &c, region, Scope::Cloudfront, &pb),
        );
    } else {
        collect_scope(ctx, &c, region, Scope::Regional, &pb).await;
    }
    pb.finish_and_clear();
}

/// Follows `NextMarker` until a page returns none (or repeats the last one).
async fn pages<T, F, Fut, E, R>(
    ctx: &Ctx,
    op: &Op<'_>,
    pb: &indicatif::ProgressBar,
    mut page: F,
) -> Option<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<
            Output = Result<
                (Vec<T>, Option<String>),
                aws_smithy_runtime_api::client::result::SdkError<E, R>,
            >,
        >,
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        pb.inc(1);
        match page(marker.clone()).await {
            Ok((items, next)) => {
                let empty = items.is_empty();
                out.extend(items);
                match next.filter(|m| !m.is_empty() && !empty) {
                    Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
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

async fn collect_scope(
    ctx: &Ctx,
    c: &aws_sdk_wafv2::Client,
    region: &str,
    scope: Scope,
    pb: &indicatif::ProgressBar,
) {
    let op = |operation: &'static str| Op {
        service: "wafv2",
        region: Some(region),
        operation,
        kinds: &[WEB_ACL],
    };
    let list_op = op("ListWebACLs");
    let scope_ref = &scope;
    let acls = pages(ctx, &list_op, pb, |marker| async move {
        c.list_web_acls()
            .scope(scope_ref.clone())
            .limit(100)
            .set_next_marker(marker)
            .send()
            .await
            .map(|o| (o.web_acls.unwrap_or_default(), o.next_marker))
    })
    .await;
    let Some(acls) = acls else {
        return;
    };
    let scope_name = scope.as_str().to_string();
    let scope_name = &scope_name;
    super::each_item(acls, |summary| async move {
        let (Some(name), Some(id), Some(arn)) = (summary.name(), summary.id(), summary.arn())
        else {
            op("ListWebACLs").missing_id(ctx, "Name, Id or ARN");
            return;
        };
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("id".into(), json!(id));
        data.insert("name".into(), json!(name));
        data.insert("scope".into(), json!(scope_name));
        pb.inc(1);
        let (acl, logging) = futures::join!(
            c.get_web_acl()
                .name(name)
                .id(id)
                .scope(scope_ref.clone())
                .send(),
            c.get_logging_configuration().resource_arn(arn).send(),
        );
        // A web ACL without a logging configuration answers WAFNonexistentItemException
        // (https://docs.aws.amazon.com/waf/latest/APIReference/API_GetLoggingConfiguration.html).
        match logging {
            Ok(o) => match o.logging_configuration() {
                Some(cfg) => {
                    data.insert("logging_enabled".into(), json!(true));
                    data.insert(
                        "log_destinations".into(),
                        json!(cfg.log_destination_configs()),
                    );
                }
                None => op("GetLoggingConfiguration").fail_with(
                    ctx,
                    "MissingLoggingConfiguration",
                    "GetLoggingConfiguration returned no LoggingConfiguration",
                    Some(arn),
                ),
            },
            Err(e) if is_code(&e, &["WAFNonexistentItemException"]) => {
                data.insert("logging_enabled".into(), json!(false));
            }
            Err(e) => op("GetLoggingConfiguration").fail(ctx, &e, Some(arn)),
        }
        match acl {
            Ok(o) => match o.web_acl() {
                Some(acl) => web_acl(&mut data, acl),
                None => op("GetWebACL").fail_with(
                    ctx,
                    "MissingWebACL",
                    "GetWebACL returned no WebACL",
                    Some(arn),
                ),
            },
            Err(e) => op("GetWebACL").fail(ctx, &e, Some(arn)),
        }
        ctx.push(
            ctx.resource(WEB_ACL, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
}

/// The default action, rules and metrics settings of a web ACL.
fn web_acl(data: &mut Map<String, Value>, acl: &WebAcl) {
    if let Some(d) = acl.default_action() {
        if d.block().is_some() {
            data.insert("default_action".into(), json!("BLOCK"));
        } else if d.allow().is_some() {
            data.insert("default_action".into(), json!("ALLOW"));
        }
    }
    if let Some(v) = acl.visibility_config() {
        visibility(data, v);
    }
    let rules: Vec<Value> = acl.rules().iter().map(rule).collect();
    data.insert("rules".into(), Value::Array(rules));
}

fn visibility(m: &mut Map<String, Value>, v: &VisibilityConfig) {
    m.insert(
        "cloudwatch_metrics_enabled".into(),
        json!(v.cloud_watch_metrics_enabled()),
    );
    m.insert(
        "sampled_requests_enabled".into(),
        json!(v.sampled_requests_enabled()),
    );
}

/// One rule: its action (`Action` for a rule of its own, `OverrideAction` for a rule
/// group reference) and what it references.
fn rule(r: &Rule) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(r.name()));
    m.insert("priority".into(), json!(r.priority()));
    if let Some(a) = r.action() {
        let action = if a.block().is_some() {
            Some("BLOCK")
        } else if a.allow().is_some() {
            Some("ALLOW")
        } else if a.count().is_some() {
            Some("COUNT")
        } else if a.captcha().is_some() {
            Some("CAPTCHA")
        } else if a.challenge().is_some() {
            Some("CHALLENGE")
        } else {
            None
        };
        if let Some(v) = action {
            m.insert("action".into(), json!(v));
        }
    }
    if let Some(o) = r.override_action() {
        if o.count().is_some() {
            m.insert("override_action".into(), json!("COUNT"));
        } else if o.none().is_some() {
            m.insert("override_action".into(), json!("NONE"));
        }
    }
    if let Some(s) = r.statement() {
        if let Some(g) = s.managed_rule_group_statement() {
            m.insert(
                "managed_rule_group".into(),
                json!(format!("{}/{}", g.vendor_name(), g.name())),
            );
        } else if let Some(g) = s.rule_group_reference_statement() {
            m.insert("rule_group_arn".into(), json!(g.arn()));
        }
    }
    if let Some(v) = r.visibility_config() {
        visibility(&mut m, v);
    }
    Value::Object(m)
}
