//! Lambda, per region: functions with their configuration, resource-based policy and
//! function URLs.

use serde_json::{Map, Value, json};

use super::errors::{Op, is_code};
use super::{Ctx, Service, Unit, policy};

super::clients::sdk_client!("lambda", aws_sdk_lambda);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

const FUNCTION: &str = "aws.lambda.function";

/// Collects the functions of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("lambda {region}"));
    let c = ctx.clients.client::<aws_sdk_lambda::Client>(region);
    let op = |operation: &'static str| Op {
        service: "lambda",
        region: Some(region),
        operation,
        kinds: &[FUNCTION],
    };
    let pages = c.list_functions().into_paginator().send();
    let Some(functions) =
        super::errors::all_pages(ctx, &op("ListFunctions"), None, &pb, pages, |p| {
            p.functions.unwrap_or_default()
        })
        .await
    else {
        pb.finish_and_clear();
        return;
    };
    let c = &c;
    let pb = &pb;
    super::each_item(functions, |f| async move {
        let Some(name) = f.function_name().map(str::to_string) else {
            op("ListFunctions").missing_id(ctx, "FunctionName");
            return;
        };
        let arn = f.function_arn().map(str::to_string).unwrap_or_else(|| {
            format!(
                "arn:{}:lambda:{region}:{}:function:{name}",
                ctx.partition, ctx.account
            )
        });
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(v) = f.runtime() {
            data.insert("runtime".into(), json!(v.as_str()));
        }
        if let Some(v) = f.package_type() {
            data.insert("package_type".into(), json!(v.as_str()));
        }
        if let Some(v) = f.role() {
            data.insert("role".into(), json!(v));
        }
        // KMSKeyArn is returned only when a customer managed key encrypts the
        // environment variables; otherwise Lambda uses an AWS owned key.
        if let Some(v) = f.kms_key_arn() {
            data.insert("kms_key_arn".into(), json!(v));
        }
        // Environment is omitted from the configuration when the function has no
        // environment variables. Only the names are kept, never the values.
        let mut names: Vec<&str> = f
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        data.insert("environment_variable_names".into(), json!(names));
        if let Some(m) = f.tracing_config().and_then(|t| t.mode()) {
            data.insert("tracing_mode".into(), json!(m.as_str()));
        }
        if let Some(v) = f
            .vpc_config()
            .and_then(|v| v.vpc_id())
            .filter(|v| !v.is_empty())
        {
            data.insert("vpc_id".into(), json!(v));
        }

        pb.inc(2);
        let (pol, urls) = futures::join!(c.get_policy().function_name(&name).send(), async {
            let mut out = Vec::new();
            let pages = c
                .list_function_url_configs()
                .function_name(&name)
                .into_paginator()
                .send();
            let complete = super::errors::each_page(
                ctx,
                &op("ListFunctionUrlConfigs"),
                Some(&arn),
                pb,
                pages,
                |p| out.extend(p.function_url_configs),
            )
            .await;
            complete.then_some(out)
        });
        match pol {
            Ok(o) => {
                if let Some(p) = o.policy().and_then(policy::parse) {
                    data.insert("policy".into(), p);
                }
            }
            // GetPolicy answers ResourceNotFoundException when the function has no
            // resource-based policy.
            Err(e) if is_code(&e, &["ResourceNotFoundException"]) => {
                data.insert("policy".into(), json!({"statements": []}));
            }
            Err(e) => op("GetPolicy").fail(ctx, &e, Some(&arn)),
        }
        if let Some(urls) = urls {
            let list: Vec<Value> = urls
                .iter()
                .map(|u| {
                    json!({
                        "url": u.function_url(),
                        "auth_type": u.auth_type().as_str(),
                        "function_arn": u.function_arn(),
                    })
                })
                .collect();
            data.insert("url_configs".into(), Value::Array(list));
        }
        ctx.push(
            ctx.resource(FUNCTION, arn, &Value::Object(data))
                .named(name)
                .in_region(region),
        );
    })
    .await;
    pb.finish_and_clear();
}
