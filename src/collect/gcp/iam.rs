//! IAM v1: service accounts, their user-managed keys, and the roles each holds on the
//! project (denormalized from the project IAM policy so one check sees them together).

use futures::StreamExt;
use serde_json::{Value, json};

use super::client::{Api, ApiError};
use super::{Collected, Ctx, ITEM_CONCURRENCY, b, resource, s, s_or, short};

/// The service account kind.
pub const KIND_SERVICE_ACCOUNT: &str = "gcp.iam.service_account";

const SERVICE: &str = "iam";

/// Collects the project's service accounts; `policy` is the project IAM policy, when read.
pub(crate) async fn collect(ctx: &Ctx, policy: Option<&Value>) -> Collected {
    let mut out = Collected::default();
    let accounts = match ctx
        .client
        .list(
            Api::Iam,
            &format!("/v1/projects/{}/serviceAccounts", ctx.project),
            &[("pageSize", "100")],
            "accounts",
        )
        .await
    {
        Ok(a) => a,
        Err(e) => {
            out.fail(
                ctx,
                SERVICE,
                "projects.serviceAccounts.list",
                &[KIND_SERVICE_ACCOUNT],
                &e,
                None,
            );
            return out;
        }
    };
    let keyed: Vec<(Value, Result<Vec<Value>, ApiError>)> = futures::stream::iter(accounts)
        .map(|sa| async move {
            let keys = match s(&sa, "email") {
                Some(email) => list_keys(ctx, email).await,
                None => Ok(Vec::new()),
            };
            (sa, keys)
        })
        .buffered(ITEM_CONCURRENCY)
        .collect()
        .await;
    for (sa, keys) in keyed {
        let email = s_or(&sa, "email").to_string();
        let id = format!(
            "//iam.googleapis.com/projects/{}/serviceAccounts/{email}",
            ctx.project
        );
        let mut data = json!({
            "email": email,
            "unique_id": s_or(&sa, "uniqueId"),
            "display_name": s_or(&sa, "displayName"),
            "description": s_or(&sa, "description"),
            "disabled": b(&sa, "disabled"),
            "default_compute": email.ends_with("-compute@developer.gserviceaccount.com"),
            "default_app_engine": email.ends_with("@appspot.gserviceaccount.com"),
        });
        if let Some(policy) = policy {
            data["project_roles"] = json!(project_roles(policy, &email));
        }
        match keys {
            Ok(keys) => data["keys"] = Value::Array(keys.iter().map(key).collect()),
            Err(e) => out.fail(
                ctx,
                SERVICE,
                "projects.serviceAccounts.keys.list",
                &[KIND_SERVICE_ACCOUNT],
                &e,
                Some(id.clone()),
            ),
        }
        out.push(resource(ctx, KIND_SERVICE_ACCOUNT, id, &data).named(email));
    }
    out
}

/// `keys.list` is not paged; only user-managed keys matter (Google rotates its own).
async fn list_keys(ctx: &Ctx, email: &str) -> Result<Vec<Value>, ApiError> {
    let page = ctx
        .client
        .get(
            Api::Iam,
            &format!("/v1/projects/{}/serviceAccounts/{email}/keys", ctx.project),
            &[("keyTypes", "USER_MANAGED")],
        )
        .await?;
    Ok(page
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default())
}

fn key(k: &Value) -> Value {
    let mut o = json!({
        "id": short(s_or(k, "name")),
        "key_type": s(k, "keyType").unwrap_or("USER_MANAGED"),
        "key_origin": s_or(k, "keyOrigin"),
        "key_algorithm": s_or(k, "keyAlgorithm"),
        "disabled": b(k, "disabled"),
    });
    if let Some(t) = s(k, "validAfterTime") {
        o["valid_after"] = json!(t);
    }
    if let Some(t) = s(k, "validBeforeTime") {
        o["valid_before"] = json!(t);
    }
    o
}

/// The roles granted to `serviceAccount:EMAIL` in the project policy (sorted, unique).
fn project_roles(policy: &Value, email: &str) -> Vec<String> {
    let member = format!("serviceAccount:{email}");
    let mut roles: Vec<String> = policy
        .get("bindings")
        .and_then(Value::as_array)
        .map(|bs| {
            bs.iter()
                .filter(|bnd| {
                    bnd.get("members")
                        .and_then(Value::as_array)
                        .is_some_and(|m| m.iter().any(|x| x.as_str() == Some(member.as_str())))
                })
                .filter_map(|bnd| s(bnd, "role").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    roles.sort();
    roles.dedup();
    roles
}
