//! Connected apps: who may authorize them (the `ConnectedApplication` object, REST), IP
//! relaxation, refresh-token policy and scopes (the `ConnectedApp` metadata type, read
//! through the Metadata API: it is not a Tooling object), and their OAuth tokens
//! (`OauthToken`, REST).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::client::Api;
use super::kinds::CONNECTED_APP;
use super::{Ctx, Data, bool_field, field, int_field, str_field, ts_field};
use crate::collect::CollectError;

/// The data keys that come from the `ConnectedApp` metadata.
const METADATA_FIELDS: [&str; 4] = [
    "ip_relaxation",
    "refresh_token_policy",
    "refresh_token_validity_days",
    "oauth_scopes",
];

/// A token unused for this long is stale.
const STALE_AFTER_DAYS: i64 = 90;

/// Collects connected apps.
pub async fn collect(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let [mut f_apps, mut f_metadata, mut f_tokens] = ctx.forks();
    let (apps, records, tokens) = together!(ctx;
        f_apps.select(
            Api::Rest,
            "ConnectedApplication",
            &[
                "Id",
                "Name",
                "OptionsAllowAdminApprovedUsersOnly",
                "OptionsHasSessionLevelPolicy",
                "CreatedDate",
            ],
            "",
            &[CONNECTED_APP],
        ),
        f_metadata.read_metadata("ConnectedApp", &[], &[CONNECTED_APP], &METADATA_FIELDS),
        f_tokens.select(
            Api::Rest,
            "OauthToken",
            &["AppName", "LastUsedDate", "UseCount", "CreatedDate"],
            "",
            &[CONNECTED_APP],
        ),
    );
    ctx.absorb([f_apps]);
    let Some(apps) = apps? else {
        return Ok(());
    };
    ctx.absorb([f_metadata, f_tokens]);
    // Metadata by app label (and API name), for the OAuth policy.
    let mut metadata: HashMap<String, Value> = HashMap::new();
    if let Some(records) = records? {
        for meta in records {
            if let Some(label) = str_field(&meta, "label") {
                metadata.insert(label, meta.clone());
            }
            if let Some(full) = str_field(&meta, "fullName") {
                metadata.entry(full).or_insert(meta);
            }
        }
    }
    let tokens = tokens?;
    let stale_before = ctx.now - Duration::days(STALE_AFTER_DAYS);

    for app in &apps {
        let (Some(id), Some(name)) = (str_field(app, "Id"), str_field(app, "Name")) else {
            continue;
        };
        let meta = metadata.get(&name);
        let policy = |k: &str| meta.and_then(|m| str_field(m, &format!("oauthPolicy.{k}")));
        let permitted = bool_field(app, "OptionsAllowAdminApprovedUsersOnly").map(|admin| {
            if admin {
                "AdminApprovedPreAuthorized"
            } else {
                "AllSelfAuthorized"
            }
        });
        let scopes: Option<Vec<Value>> =
            meta.and_then(|m| field(m, "oauthConfig.scopes"))
                .map(|s| match s {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                });
        let validity_days = meta.and_then(|m| {
            let period = int_field(m, "oauthPolicy.refreshTokenValidityPeriod")?;
            let unit = str_field(m, "oauthPolicy.refreshTokenValidityUnit")?;
            Some(match unit.as_str() {
                "Hours" => period / 24,
                "Months" => period * 30,
                _ => period,
            })
        });
        let mut data = Data::new()
            .opt("permitted_users", permitted)
            .opt("ip_relaxation", policy("ipRelaxation"))
            .opt("refresh_token_policy", policy("refreshTokenPolicy"))
            .opt("refresh_token_validity_days", validity_days)
            .opt("oauth_scopes", scopes)
            .opt(
                "high_assurance_required",
                bool_field(app, "OptionsHasSessionLevelPolicy"),
            )
            .opt("created", ts_field(app, "CreatedDate"));
        if let Some(tokens) = &tokens {
            let mine: Vec<&Value> = tokens
                .iter()
                .filter(|t| str_field(t, "AppName").as_deref() == Some(name.as_str()))
                .collect();
            let last_used: Vec<DateTime<Utc>> = mine
                .iter()
                .filter_map(|t| ts_field(t, "LastUsedDate"))
                .filter_map(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|d| d.with_timezone(&Utc))
                .collect();
            let stale = mine
                .iter()
                .filter(|t| {
                    ts_field(t, "LastUsedDate")
                        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                        .is_none_or(|d| d.with_timezone(&Utc) < stale_before)
                })
                .count();
            data = data
                .set("token_count", mine.len() as i64)
                .set("stale_token_count", stale as i64)
                .opt(
                    "last_used",
                    last_used
                        .iter()
                        .max()
                        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                );
        }
        ctx.push(CONNECTED_APP, &id, &name, data.into_map());
    }
    Ok(())
}
