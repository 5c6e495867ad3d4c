//! API Gateway HTTP and WebSocket APIs (v2), per region: each API with its routes'
//! authorization, and each of its stages with access logging, execution logging (WebSocket)
//! and client certificate.

use serde_json::{Map, Value, json};

use aws_sdk_apigatewayv2::types::{Api, Route, RouteSettings, Stage};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("apigatewayv2", aws_sdk_apigatewayv2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const API: &str = "aws.apigatewayv2.api";
const STAGE: &str = "aws.apigatewayv2.stage";

/// Reads every page of a v2 listing (the SDK has no paginators for them): `page(token)`
/// returns the page's items and next token. `None` when a page failed (recorded on `op`).
async fn all_pages<T, F, Fut, E, R>(
    ctx: &Ctx,
    op: &Op<'_>,
    resource_id: Option<&str>,
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
    let mut token = None;
    loop {
        pb.inc(1);
        match page(token).await {
            Ok((items, next)) => {
                out.extend(items);
                match next.filter(|t| !t.is_empty()) {
                    Some(t) => token = Some(t),
                    None => return Some(out),
                }
            }
            Err(e) => {
                op.fail(ctx, &e, resource_id);
                return None;
            }
        }
    }
}

/// Collects the HTTP and WebSocket APIs and their stages of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("apigatewayv2 {region}"));
    let c = ctx.clients.client::<aws_sdk_apigatewayv2::Client>(region);
    let op = |operation: &'static str, kinds: &'static [&'static str]| Op {
        service: "apigatewayv2",
        region: Some(region),
        operation,
        kinds,
    };
    let c = &c;
    let pb = &pb;
    let listing = op("GetApis", &[API, STAGE]);
    let Some(all) = all_pages(ctx, &listing, None, pb, |token| async move {
        c.get_apis()
            .max_results("500")
            .set_next_token(token)
            .send()
            .await
            .map(|o| (o.items.unwrap_or_default(), o.next_token))
    })
    .await
    else {
        pb.finish_and_clear();
        return;
    };
    super::each_item(all, |a| async move {
        let Some(id) = a.api_id().map(str::to_string) else {
            op("GetApis", &[API, STAGE]).missing_id(ctx, "ApiId");
            return;
        };
        let arn = format!("arn:{}:apigateway:{region}::/apis/{id}", ctx.partition);
        let name = a.name().unwrap_or(&id).to_string();
        let protocol = a.protocol_type().map(|p| p.as_str().to_string());
        let mut data = api(&arn, &a);
        let id = id.as_str();
        let (routes_op, stages_op) = (op("GetRoutes", &[API]), op("GetStages", &[STAGE]));
        let (routes, stages) = futures::join!(
            all_pages(ctx, &routes_op, Some(&arn), pb, |token| async move {
                c.get_routes()
                    .api_id(id)
                    .max_results("500")
                    .set_next_token(token)
                    .send()
                    .await
                    .map(|o| (o.items.unwrap_or_default(), o.next_token))
            }),
            all_pages(ctx, &stages_op, Some(&arn), pb, |token| async move {
                c.get_stages()
                    .api_id(id)
                    .max_results("500")
                    .set_next_token(token)
                    .send()
                    .await
                    .map(|o| (o.items.unwrap_or_default(), o.next_token))
            }),
        );
        if let Some(routes) = routes {
            let mut list: Vec<Value> = routes.iter().map(route).collect();
            list.sort_by(|x, y| x["route_key"].to_string().cmp(&y["route_key"].to_string()));
            data.insert("routes".into(), Value::Array(list));
        }
        for s in stages.into_iter().flatten() {
            let Some(stage_name) = s.stage_name() else {
                op("GetStages", &[STAGE]).missing_id(ctx, "StageName");
                continue;
            };
            let stage_arn = format!("{arn}/stages/{stage_name}");
            let mut sd = stage(&stage_arn, id, &name, &s);
            if let Some(p) = &protocol {
                sd.insert("protocol_type".into(), json!(p));
            }
            ctx.push(
                ctx.resource(STAGE, stage_arn, &Value::Object(sd))
                    .named(format!("{name}/{stage_name}"))
                    .in_region(region),
            );
        }
        ctx.push(
            ctx.resource(API, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}

/// The API's own fields, as `GetApis` lists them.
fn api(arn: &str, a: &Api) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("arn".into(), json!(arn));
    data.insert("id".into(), json!(a.api_id()));
    if let Some(v) = a.name() {
        data.insert("name".into(), json!(v));
    }
    if let Some(v) = a.protocol_type() {
        data.insert("protocol_type".into(), json!(v.as_str()));
    }
    if let Some(v) = a.api_endpoint() {
        data.insert("api_endpoint".into(), json!(v));
    }
    if let Some(v) = a.disable_execute_api_endpoint() {
        data.insert("disable_execute_api_endpoint".into(), json!(v));
    }
    if let Some(t) = a.created_date().and_then(ts) {
        data.insert("created".into(), json!(t));
    }
    data
}

/// One route: its key (`GET /items`, `$default`, `$connect`) and authorization.
fn route(r: &Route) -> Value {
    let mut e = Map::new();
    if let Some(v) = r.route_key() {
        e.insert("route_key".into(), json!(v));
    }
    if let Some(v) = r.authorization_type() {
        e.insert("authorization_type".into(), json!(v.as_str()));
    }
    if let Some(v) = r.authorizer_id() {
        e.insert("authorizer_id".into(), json!(v));
    }
    if let Some(v) = r.api_key_required() {
        e.insert("api_key_required".into(), json!(v));
    }
    Value::Object(e)
}

/// A route settings entry (the stage default or one route's override).
fn settings(key: Option<&str>, s: &RouteSettings) -> Value {
    let mut e = Map::new();
    if let Some(k) = key {
        e.insert("route_key".into(), json!(k));
    }
    if let Some(v) = s.logging_level() {
        e.insert("logging_level".into(), json!(v.as_str()));
    }
    if let Some(v) = s.data_trace_enabled() {
        e.insert("data_trace_enabled".into(), json!(v));
    }
    if let Some(v) = s.detailed_metrics_enabled() {
        e.insert("detailed_metrics_enabled".into(), json!(v));
    }
    Value::Object(e)
}

/// A stage's fields.
fn stage(arn: &str, api_id: &str, api_name: &str, s: &Stage) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("arn".into(), json!(arn));
    data.insert("api_id".into(), json!(api_id));
    data.insert("api_name".into(), json!(api_name));
    data.insert("stage_name".into(), json!(s.stage_name()));
    if let Some(v) = s.auto_deploy() {
        data.insert("auto_deploy".into(), json!(v));
    }
    if let Some(t) = s.created_date().and_then(ts) {
        data.insert("created".into(), json!(t));
    }
    // accessLogSettings and clientCertificateId are left out of the reply when the stage
    // has none (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages-stagename.html).
    if let Some(v) = s
        .access_log_settings()
        .and_then(|a| a.destination_arn())
        .filter(|v| !v.is_empty())
    {
        data.insert("access_log_destination".into(), json!(v));
    }
    if let Some(v) = s.client_certificate_id().filter(|v| !v.is_empty()) {
        data.insert("client_certificate_id".into(), json!(v));
    }
    if let Some(d) = s.default_route_settings() {
        data.insert("default_route_settings".into(), settings(None, d));
    }
    let mut overrides: Vec<_> = s.route_settings().into_iter().flatten().collect();
    overrides.sort_by(|a, b| a.0.cmp(b.0));
    let overrides: Vec<Value> = overrides
        .into_iter()
        .map(|(k, v)| settings(Some(k), v))
        .collect();
    data.insert("route_settings".into(), Value::Array(overrides));
    data
}
