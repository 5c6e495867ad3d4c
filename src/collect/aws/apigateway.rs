//! API Gateway REST APIs (v1), per region: each API with its endpoint types, resource
//! policy and methods (one `GetResources` listing per API, methods embedded), and each of
//! its stages with logging, tracing, web ACL, client certificate and cache settings.

use serde_json::{Map, Value, json};

use aws_sdk_apigateway::types::{RestApi, Stage};

use super::errors::{Op, ts};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("apigateway", aws_sdk_apigateway);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const REST_API: &str = "aws.apigateway.rest_api";
const STAGE: &str = "aws.apigateway.stage";

/// Collects the REST APIs and their stages of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("apigateway {region}"));
    let c = ctx.clients.client::<aws_sdk_apigateway::Client>(region);
    let op = |operation: &'static str, kinds: &'static [&'static str]| Op {
        service: "apigateway",
        region: Some(region),
        operation,
        kinds,
    };
    let mut all = Vec::new();
    let listing = op("GetRestApis", &[REST_API, STAGE]);
    let pages = c.get_rest_apis().limit(500).into_paginator().send();
    if !super::errors::each_page(ctx, &listing, None, &pb, pages, |p| {
        all.extend(p.items.unwrap_or_default());
    })
    .await
    {
        pb.finish_and_clear();
        return;
    }
    let c = &c;
    let pb = &pb;
    super::each_item(all, |api| async move {
        let Some(id) = api.id().map(str::to_string) else {
            op("GetRestApis", &[REST_API, STAGE]).missing_id(ctx, "id");
            return;
        };
        let arn = format!("arn:{}:apigateway:{region}::/restapis/{id}", ctx.partition);
        let name = api.name().unwrap_or(&id).to_string();
        let mut data = rest_api(ctx, region, &arn, &api);
        pb.inc(1);
        let (stages, methods) = futures::join!(c.get_stages().rest_api_id(&id).send(), async {
            let mut out = Vec::new();
            let pages = c
                .get_resources()
                .rest_api_id(&id)
                .embed("methods")
                .limit(500)
                .into_paginator()
                .send();
            let complete = super::errors::each_page(
                ctx,
                &op("GetResources", &[REST_API]),
                Some(&arn),
                pb,
                pages,
                |p| out.extend(p.items.unwrap_or_default()),
            )
            .await;
            complete.then_some(out)
        },);
        if let Some(resources) = methods {
            let mut list = Vec::new();
            for r in &resources {
                let path = r.path().unwrap_or_default();
                let mut verbs: Vec<_> = r.resource_methods().into_iter().flatten().collect();
                verbs.sort_by(|a, b| a.0.cmp(b.0));
                for (verb, m) in verbs {
                    let mut e = Map::new();
                    e.insert("path".into(), json!(path));
                    e.insert("http_method".into(), json!(m.http_method().unwrap_or(verb)));
                    if let Some(v) = m.authorization_type() {
                        e.insert("authorization_type".into(), json!(v));
                    }
                    if let Some(v) = m.authorizer_id() {
                        e.insert("authorizer_id".into(), json!(v));
                    }
                    if let Some(v) = m.api_key_required() {
                        e.insert("api_key_required".into(), json!(v));
                    }
                    list.push(Value::Object(e));
                }
            }
            data.insert("methods".into(), Value::Array(list));
        }
        let endpoint_types = data.get("endpoint_types").cloned();
        match stages {
            Ok(o) => {
                for s in o.item() {
                    let Some(stage_name) = s.stage_name() else {
                        op("GetStages", &[STAGE]).missing_id(ctx, "stageName");
                        continue;
                    };
                    let stage_arn = format!("{arn}/stages/{stage_name}");
                    let mut sd = stage(&stage_arn, &id, &name, s);
                    if let Some(t) = &endpoint_types {
                        sd.insert("endpoint_types".into(), t.clone());
                    }
                    ctx.push(
                        ctx.resource(STAGE, stage_arn, &Value::Object(sd))
                            .named(format!("{name}/{stage_name}"))
                            .in_region(region),
                    );
                }
            }
            Err(e) => op("GetStages", &[STAGE]).fail(ctx, &e, Some(&arn)),
        }
        ctx.push(
            ctx.resource(REST_API, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}

/// The API's own fields, as `GetRestApis` lists them.
fn rest_api(ctx: &Ctx, region: &str, arn: &str, api: &RestApi) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("arn".into(), json!(arn));
    data.insert("id".into(), json!(api.id()));
    if let Some(v) = api.name() {
        data.insert("name".into(), json!(v));
    }
    if let Some(t) = api.created_date().and_then(ts) {
        data.insert("created".into(), json!(t));
    }
    if let Some(e) = api.endpoint_configuration() {
        let types: Vec<&str> = e.types().iter().map(|t| t.as_str()).collect();
        data.insert("endpoint_types".into(), json!(types));
    }
    // A boolean of the RestApi shape that the SDK reads as false when absent; the API
    // reference documents false as its default ("By default, clients can invoke your
    // API with the default https://{api_id}.execute-api.{region}.amazonaws.com endpoint"):
    // https://docs.aws.amazon.com/apigateway/latest/api/API_RestApi.html
    data.insert(
        "disable_execute_api_endpoint".into(),
        json!(api.disable_execute_api_endpoint()),
    );
    if let Some(v) = api.api_key_source() {
        data.insert("api_key_source".into(), json!(v.as_str()));
    }
    // The policy comes as a JSON document whose quotes are backslash-escaped inside the
    // string; an API without a resource policy has no `policy`.
    if let Some(text) = api.policy().filter(|p| !p.is_empty()) {
        let parsed = policy::parse(text).or_else(|| {
            policy::parse(
                &text
                    .replace("\\\"", "\"")
                    .replace("\\/", "/")
                    .replace("\\\\", "\\"),
            )
        });
        match parsed {
            Some(p) => {
                data.insert("policy".into(), p);
            }
            None => Op {
                service: "apigateway",
                region: Some(region),
                operation: "GetRestApis",
                kinds: &[REST_API],
            }
            .fail_with(
                ctx,
                "UnreadablePolicy",
                "the resource policy is not a JSON document",
                Some(arn),
            ),
        }
    }
    data
}

/// A stage's fields. `methodSettings` is keyed by `{resource_path}/{http_method}`, with
/// `*/*` for the stage-wide defaults.
fn stage(arn: &str, api_id: &str, api_name: &str, s: &Stage) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("arn".into(), json!(arn));
    data.insert("api_id".into(), json!(api_id));
    data.insert("api_name".into(), json!(api_name));
    data.insert("stage_name".into(), json!(s.stage_name()));
    if let Some(v) = s.deployment_id() {
        data.insert("deployment_id".into(), json!(v));
    }
    if let Some(t) = s.created_date().and_then(ts) {
        data.insert("created".into(), json!(t));
    }
    // tracingEnabled and cacheClusterEnabled are booleans of the Stage shape that the SDK
    // reads as false when absent; both default to false
    // (https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html).
    data.insert("tracing_enabled".into(), json!(s.tracing_enabled()));
    data.insert(
        "cache_cluster_enabled".into(),
        json!(s.cache_cluster_enabled()),
    );
    // webAclArn, clientCertificateId and accessLogSettings are left out of the reply
    // when the stage has none.
    if let Some(v) = s.web_acl_arn().filter(|v| !v.is_empty()) {
        data.insert("web_acl_arn".into(), json!(v));
    }
    if let Some(v) = s.client_certificate_id().filter(|v| !v.is_empty()) {
        data.insert("client_certificate_id".into(), json!(v));
    }
    if let Some(v) = s
        .access_log_settings()
        .and_then(|a| a.destination_arn())
        .filter(|v| !v.is_empty())
    {
        data.insert("access_log_destination".into(), json!(v));
    }
    let mut settings: Vec<_> = s.method_settings().into_iter().flatten().collect();
    settings.sort_by(|a, b| a.0.cmp(b.0));
    // The booleans of a MethodSetting are read as false when absent; the API returns
    // every one of them for each entry
    // (https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html).
    let settings: Vec<Value> = settings
        .into_iter()
        .map(|(key, m)| {
            let mut e = Map::new();
            e.insert("key".into(), json!(key));
            if let Some(v) = m.logging_level() {
                e.insert("logging_level".into(), json!(v));
            }
            e.insert("data_trace_enabled".into(), json!(m.data_trace_enabled()));
            e.insert("metrics_enabled".into(), json!(m.metrics_enabled()));
            e.insert("caching_enabled".into(), json!(m.caching_enabled()));
            e.insert(
                "cache_data_encrypted".into(),
                json!(m.cache_data_encrypted()),
            );
            Value::Object(e)
        })
        .collect();
    data.insert("method_settings".into(), Value::Array(settings));
    data
}
