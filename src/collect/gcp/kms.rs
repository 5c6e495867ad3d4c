//! Cloud KMS v1: crypto keys in every key ring of every location, with their rotation
//! settings and IAM policies.

use futures::StreamExt;
use serde_json::{Value, json};

use super::client::{Api, ApiError};
use super::{
    Collected, Ctx, ITEM_CONCURRENCY, duration_seconds, iam_bindings, labels, resource, s, s_or,
    short,
};

/// The crypto key kind.
pub const KIND_KEY: &str = "gcp.kms.key";

const SERVICE: &str = "kms";

/// Collects the project's crypto keys.
pub(crate) async fn collect(ctx: &Ctx) -> Collected {
    let mut out = Collected::default();
    let locations = match ctx
        .client
        .list(
            Api::Kms,
            &format!("/v1/projects/{}/locations", ctx.project),
            &[],
            "locations",
        )
        .await
    {
        Ok(l) => l,
        Err(e) => {
            out.fail(ctx, SERVICE, "locations.list", &[KIND_KEY], &e, None);
            return out;
        }
    };
    let ring_lists: Vec<(String, Result<Vec<Value>, ApiError>)> = futures::stream::iter(locations)
        .filter_map(|l| async move { s(&l, "locationId").map(str::to_string) })
        .map(|loc| async move {
            let path = format!("/v1/projects/{}/locations/{loc}/keyRings", ctx.project);
            let rings = ctx.client.list(Api::Kms, &path, &[], "keyRings").await;
            (loc, rings)
        })
        .buffered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let mut rings = Vec::new();
    for (loc, r) in ring_lists {
        match r {
            Ok(list) => rings.extend(
                list.into_iter()
                    .filter_map(|k| s(&k, "name").map(|n| (loc.clone(), n.to_string()))),
            ),
            Err(e) => out.fail(ctx, SERVICE, "keyRings.list", &[KIND_KEY], &e, None),
        }
    }
    let key_lists: Vec<(String, String, Result<Vec<Value>, ApiError>)> =
        futures::stream::iter(rings)
            .map(|(loc, ring)| async move {
                let keys = ctx
                    .client
                    .list(
                        Api::Kms,
                        &format!("/v1/{ring}/cryptoKeys"),
                        &[],
                        "cryptoKeys",
                    )
                    .await;
                (loc, ring, keys)
            })
            .buffered(ITEM_CONCURRENCY)
            .collect()
            .await;
    let mut keys = Vec::new();
    for (loc, ring, k) in key_lists {
        match k {
            Ok(list) => keys.extend(list.into_iter().map(|key| (loc.clone(), ring.clone(), key))),
            Err(e) => out.fail(ctx, SERVICE, "cryptoKeys.list", &[KIND_KEY], &e, None),
        }
    }
    let with_policies: Vec<(String, String, Value, Result<Value, ApiError>)> =
        futures::stream::iter(keys)
            .map(|(loc, ring, key)| async move {
                let path = format!("/v1/{}:getIamPolicy", s_or(&key, "name"));
                let policy = ctx
                    .client
                    .get(Api::Kms, &path, &[("options.requestedPolicyVersion", "3")])
                    .await;
                (loc, ring, key, policy)
            })
            .buffered(ITEM_CONCURRENCY)
            .collect()
            .await;
    for (loc, ring, key, policy) in with_policies {
        let full = s_or(&key, "name").to_string();
        let id = format!("//cloudkms.googleapis.com/{full}");
        let mut data = normalize(&key, &ring);
        match policy {
            Ok(p) => data["iam_bindings"] = iam_bindings(&p),
            Err(e) => out.fail(
                ctx,
                SERVICE,
                "cryptoKeys.getIamPolicy",
                &[KIND_KEY],
                &e,
                Some(id.clone()),
            ),
        }
        out.push(
            resource(ctx, KIND_KEY, id, &data)
                .named(short(&full))
                .in_region(loc)
                .with_tags(labels(&key)),
        );
    }
    out
}

fn normalize(key: &Value, ring: &str) -> Value {
    let primary = key.get("primary").cloned().unwrap_or(Value::Null);
    let template = key.get("versionTemplate").cloned().unwrap_or(Value::Null);
    let mut data = json!({
        "key_ring": short(ring),
        "purpose": s_or(key, "purpose"),
        "protection_level": s(&primary, "protectionLevel").or_else(|| s(&template, "protectionLevel")).unwrap_or("SOFTWARE"),
        "algorithm": s(&primary, "algorithm").or_else(|| s(&template, "algorithm")).unwrap_or_default(),
        "primary_state": s_or(&primary, "state"),
    });
    if let Some(secs) = s(key, "rotationPeriod").and_then(duration_seconds) {
        data["rotation_period_seconds"] = json!(secs);
    }
    if let Some(t) = s(key, "nextRotationTime") {
        data["next_rotation"] = json!(t);
    }
    if let Some(t) = s(key, "createTime") {
        data["created"] = json!(t);
    }
    data
}
