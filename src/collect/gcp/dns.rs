//! Cloud DNS v1: managed zones with their DNSSEC state and signing key specs.

use serde_json::{Value, json};

use super::client::Api;
use super::{Collected, Ctx, int, labels, resource, s, s_or};

/// The managed zone kind.
pub const KIND_ZONE: &str = "gcp.dns.managed_zone";

const SERVICE: &str = "dns";

/// Collects the project's managed zones.
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    match ctx
        .client
        .list(
            Api::Dns,
            &format!("/dns/v1/projects/{}/managedZones", ctx.project),
            &[],
            "managedZones",
        )
        .await
    {
        Ok(zones) => {
            for z in zones {
                let name = s_or(&z, "name").to_string();
                let dnssec = z.get("dnssecConfig").cloned().unwrap_or(Value::Null);
                let key_specs: Vec<Value> = dnssec
                    .get("defaultKeySpecs")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|k| {
                                json!({
                                    "key_type": s_or(k, "keyType"),
                                    "algorithm": s_or(k, "algorithm"),
                                    "key_length": int(k, "keyLength").unwrap_or(0),
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let data = json!({
                    "dns_name": s_or(&z, "dnsName"),
                    "visibility": s(&z, "visibility").unwrap_or("public"),
                    "dnssec_state": s(&dnssec, "state").unwrap_or("off"),
                    "dnssec_key_specs": key_specs,
                });
                let id = format!(
                    "//dns.googleapis.com/projects/{}/managedZones/{name}",
                    ctx.project
                );
                out.push(
                    resource(ctx, KIND_ZONE, id, &data)
                        .named(name)
                        .in_region("global")
                        .with_tags(labels(&z)),
                );
            }
        }
        Err(e) => out.fail(ctx, SERVICE, "managedZones.list", &[KIND_ZONE], &e, None),
    }
    out
}
