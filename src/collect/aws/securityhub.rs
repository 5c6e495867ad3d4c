//! Security Hub, per region: whether the account is subscribed (on `aws.region`).

use serde_json::json;

use super::errors::{Op, is_code};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("securityhub", aws_sdk_securityhub);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Reads the hub of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("securityhub {region}"));
    let c = ctx.clients.client::<aws_sdk_securityhub::Client>(region);
    pb.inc(1);
    match c.describe_hub().send().await {
        Ok(h) => ctx.facts(|f| {
            f.set_region(region, "securityhub_enabled", json!(true));
            if let Some(arn) = h.hub_arn() {
                f.set_region(region, "securityhub_hub_arn", json!(arn));
            }
        }),
        // DescribeHub answers InvalidAccessException when the account is not subscribed
        // to Security Hub in the region (Security Hub API reference, DescribeHub, Errors).
        Err(e) if is_code(&e, &["InvalidAccessException"]) => {
            ctx.facts(|f| f.set_region(region, "securityhub_enabled", json!(false)));
        }
        Err(e) => Op {
            service: "securityhub",
            region: Some(region),
            operation: "DescribeHub",
            kinds: &["aws.region"],
        }
        .gap(ctx, &e, &["securityhub_enabled", "securityhub_hub_arn"]),
    }
    pb.finish_and_clear();
}
