//! Amazon Inspector, per region: the account's scanning status per resource type (on
//! `aws.region`).

use serde_json::{Map, Value, json};

use super::errors::Op;
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("inspector2", aws_sdk_inspector2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Reads the account's Inspector status in one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("inspector2 {region}"));
    let c = ctx.clients.client::<aws_sdk_inspector2::Client>(region);
    let op = Op {
        service: "inspector2",
        region: Some(region),
        operation: "BatchGetAccountStatus",
        kinds: &["aws.region"],
    };
    pb.inc(1);
    match c
        .batch_get_account_status()
        .account_ids(&ctx.account)
        .send()
        .await
    {
        Ok(o) => {
            let Some(state) = o.accounts().iter().find(|a| a.account_id() == ctx.account) else {
                op.fail_with(
                    ctx,
                    "MissingAccount",
                    "BatchGetAccountStatus did not return the account's status",
                    Some(region),
                );
                pb.finish_and_clear();
                return;
            };
            let mut m = Map::new();
            if let Some(s) = state.state() {
                m.insert("account".into(), json!(s.status().as_str()));
            }
            if let Some(r) = state.resource_state() {
                let types = [
                    ("ec2", r.ec2()),
                    ("ecr", r.ecr()),
                    ("lambda", r.lambda()),
                    ("lambda_code", r.lambda_code()),
                ];
                for (k, s) in types {
                    if let Some(s) = s {
                        m.insert(k.into(), json!(s.status().as_str()));
                    }
                }
            }
            ctx.facts(|f| f.set_region(region, "inspector2", Value::Object(m)));
        }
        Err(e) => op.gap(ctx, &e, &["inspector2"]),
    }
    pb.finish_and_clear();
}
