//! AWS Account Management, once per account: the security alternate contact (on
//! `aws.account`).

use aws_sdk_account::types::AlternateContactType;
use serde_json::json;

use super::errors::{Op, is_code};
use super::{Ctx, Service, Unit};

super::clients::sdk_client!("account", aws_sdk_account);

/// Run once by every account scan.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Account(|ctx| Box::pin(collect(ctx)))],
};

/// Reads the security contact of the account.
pub(crate) async fn collect(ctx: &Ctx) {
    let pb = ctx.progress.task("account contacts".to_string());
    let c = ctx
        .clients
        .client::<aws_sdk_account::Client>(&ctx.clients.home_region);
    pb.inc(1);
    match c
        .get_alternate_contact()
        .alternate_contact_type(AlternateContactType::Security)
        .send()
        .await
    {
        Ok(o) => ctx.facts(|f| {
            f.set("security_contact_registered", json!(true));
            if let Some(e) = o.alternate_contact().and_then(|a| a.email_address()) {
                f.set("security_contact_email", json!(e));
            }
        }),
        // ResourceNotFoundException: no contact of that type is set (Account Management
        // API reference, GetAlternateContact, Errors).
        Err(e) if is_code(&e, &["ResourceNotFoundException"]) => {
            ctx.facts(|f| f.set("security_contact_registered", json!(false)));
        }
        Err(e) => Op {
            service: "account",
            region: None,
            operation: "GetAlternateContact",
            kinds: &["aws.account"],
        }
        .gap(
            ctx,
            &e,
            &["security_contact_registered", "security_contact_email"],
        ),
    }
    pb.finish_and_clear();
}
