//! Amazon Macie, per region: whether a Macie session exists and its status (on
//! `aws.region`).

use serde_json::json;

use super::errors::{Op, is_code, message};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("macie2", aws_sdk_macie2);

/// Run by every account scan in every region.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Region(|ctx, region| Box::pin(collect(ctx, region)))],
};

/// Reads the Macie session of one region.
pub(crate) async fn collect(ctx: &Ctx, region: &str) {
    let pb = ctx.progress.task(format!("macie {region}"));
    let c = ctx.clients.client::<aws_sdk_macie2::Client>(region);
    pb.inc(1);
    match c.get_macie_session().send().await {
        Ok(s) => ctx.facts(|f| {
            f.set_region(region, "macie_enabled", json!(true));
            if let Some(st) = s.status() {
                f.set_region(region, "macie_status", json!(st.as_str()));
            }
        }),
        // Without a session GetMacieSession is refused with AccessDeniedException and the
        // message "Macie is not enabled"; any other refusal is a real permission gap.
        Err(e)
            if is_code(&e, &["AccessDeniedException"])
                && message(&e).to_ascii_lowercase().contains("not enabled") =>
        {
            ctx.facts(|f| f.set_region(region, "macie_enabled", json!(false)));
        }
        Err(e) => Op {
            service: "macie2",
            region: Some(region),
            operation: "GetMacieSession",
            kinds: &["aws.region"],
        }
        .gap(ctx, &e, &["macie_enabled", "macie_status"]),
    }
    pb.finish_and_clear();
}
