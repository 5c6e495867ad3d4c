//! API Keys v2: the project's API keys and their restrictions.

use serde_json::{Map, Value, json};

use super::client::Api;
use super::{Collected, Ctx, resource, s, s_or, strings};

/// The API key kind.
pub const KIND_KEY: &str = "gcp.apikeys.key";

/// The key resources and the project fact `api_key_names`.
pub(crate) async fn collect(ctx: &Ctx) -> (Collected, Map<String, Value>) {
    let mut out = Collected::default();
    let mut facts = Map::new();
    let path = format!("/v2/projects/{}/locations/global/keys", ctx.project);
    match ctx.client.list(Api::ApiKeys, &path, &[], "keys").await {
        Ok(keys) => {
            let mut names = Vec::new();
            for k in keys {
                let uid = s_or(&k, "uid").to_string();
                let display = s_or(&k, "displayName").to_string();
                let name = if display.is_empty() {
                    uid.clone()
                } else {
                    display.clone()
                };
                names.push(json!(name));
                let r = k.get("restrictions").cloned().unwrap_or(Value::Null);
                let restriction = [
                    ("browserKeyRestrictions", "browser"),
                    ("serverKeyRestrictions", "server"),
                    ("androidKeyRestrictions", "android"),
                    ("iosKeyRestrictions", "ios"),
                ]
                .iter()
                .find(|(field, _)| r.get(*field).is_some())
                .map_or("none", |(_, kind)| kind);
                let targets: Vec<Value> = r
                    .get("apiTargets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| s(t, "service").map(|x| json!(x)))
                    .collect();
                let data = json!({
                    "uid": uid,
                    "display_name": display,
                    "create_time": s_or(&k, "createTime"),
                    "application_restriction": restriction,
                    "allowed_referrers": r.get("browserKeyRestrictions").map(|x| strings(x, "allowedReferrers")).unwrap_or_default(),
                    "allowed_ips": r.get("serverKeyRestrictions").map(|x| strings(x, "allowedIps")).unwrap_or_default(),
                    "api_targets": targets,
                });
                let id = format!("//apikeys.googleapis.com/{}", s_or(&k, "name"));
                out.push(
                    resource(ctx, KIND_KEY, id, &data)
                        .named(name)
                        .in_region("global"),
                );
            }
            facts.insert("api_key_names".into(), Value::Array(names));
        }
        Err(e) => {
            out.fail(
                ctx,
                "apikeys",
                "apikeys.projects.locations.keys.list",
                &[KIND_KEY],
                &e,
                None,
            );
        }
    }
    (out, facts)
}
