//! The org itself: identity, org-wide security settings (the `SecuritySettings` and
//! `SharingSettings` settings types, read through the Metadata API as the components
//! `Security` and `Sharing`), sharing defaults, event monitoring, the setup audit trail,
//! Shield tenant secrets, the Health Check score and risks, and the trusted IP ranges.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::client::Api;
use super::kinds::{HEALTH_CHECK_RISK, ORG, TRUSTED_IP_RANGE};
use super::{Ctx, Data, bool_field, field, int_field, str_field, ts_field};
use crate::collect::CollectError;

/// Who the org is.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The org id (scope id).
    pub id: String,
    /// Organization.Name.
    pub name: Option<String>,
    /// The Organization row, when readable.
    pub record: Option<Value>,
}

/// Reads the Organization row. Without it the scope is named after the instance host.
pub async fn identify(ctx: &mut Ctx<'_>) -> Result<Identity, CollectError> {
    let rows = ctx
        .select(
            Api::Rest,
            "Organization",
            &[
                "Id",
                "Name",
                "OrganizationType",
                "IsSandbox",
                "InstanceName",
            ],
            "",
            &[ORG],
        )
        .await?;
    let record = rows.and_then(|r| r.into_iter().next());
    let id = record
        .as_ref()
        .and_then(|r| str_field(r, "Id"))
        .unwrap_or_else(|| {
            ctx.client
                .instance()
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .to_string()
        });
    // Errors recorded before the id was known belong to this scope too.
    for e in &mut ctx.errors {
        e.scope = id.clone();
    }
    Ok(Identity {
        id,
        name: record.as_ref().and_then(|r| str_field(r, "Name")),
        record,
    })
}

/// Collects the org resource, Health Check risks and trusted IP ranges; returns the
/// Health Check score when readable.
pub async fn collect(ctx: &mut Ctx<'_>, identity: &Identity) -> Result<Option<i64>, CollectError> {
    let mut data = Data::new();
    if let Some(r) = &identity.record {
        data = data
            .opt("organization_type", str_field(r, "OrganizationType"))
            .opt("is_sandbox", bool_field(r, "IsSandbox"))
            .opt("instance_name", str_field(r, "InstanceName"));
    }

    // Every read at once, each on its own fork, absorbed in this order.
    let [mut f_score, mut f_risks, mut f_security, mut f_sharing] = ctx.forks();
    let [mut f_defaults, mut f_events, mut f_trail, mut f_secrets] = ctx.forks();
    let (score, risks, security, sharing, defaults, events, trail, secrets) = together!(ctx;
        // Health Check.
        f_score.select(Api::Tooling, "SecurityHealthCheck", &["Score"], "", &[ORG]),
        health_check_risks(&mut f_risks),
        // Security settings: session, password, login-as, trusted IP ranges.
        f_security.read_metadata(
            "SecuritySettings",
            &["Security"],
            &[ORG, TRUSTED_IP_RANGE],
            &[],
        ),
        // Secure guest record access (Sharing settings).
        f_sharing.read_metadata("SharingSettings", &["Sharing"], &[ORG], &[]),
        // Org-wide sharing defaults.
        f_defaults.select(
            Api::Rest,
            "EntityDefinition",
            &[
                "QualifiedApiName",
                "InternalSharingModel",
                "ExternalSharingModel",
            ],
            " WHERE IsCustomizable = true",
            &[ORG],
        ),
        // Event monitoring.
        f_events.select(
            Api::Rest,
            "EventLogFile",
            &["EventType", "Interval"],
            " WHERE LogDate = LAST_N_DAYS:7",
            &[ORG],
        ),
        // Setup audit trail, newest first.
        f_trail.select(
            Api::Rest,
            "SetupAuditTrail",
            &[
                "Action",
                "Section",
                "Display",
                "CreatedDate",
                "CreatedBy.Username",
                "DelegateUser",
            ],
            " WHERE CreatedDate = LAST_N_DAYS:30 ORDER BY CreatedDate DESC LIMIT 2000",
            &[ORG],
        ),
        // Shield Platform Encryption tenant secrets.
        f_secrets.select(
            Api::Rest,
            "TenantSecret",
            &["Type", "Status", "Version", "CreatedDate", "Source"],
            "",
            &[ORG],
        ),
    );
    ctx.absorb([
        f_score, f_risks, f_security, f_sharing, f_defaults, f_events, f_trail, f_secrets,
    ]);

    let score = score?.and_then(|rows| rows.first().and_then(|r| int_field(r, "Score")));
    data = data.opt("health_check_score", score);
    risks?;

    if let Some(meta) = security?.as_ref().and_then(|rows| rows.first()) {
        data = security_settings(data, meta);
        trusted_ip_ranges(ctx, meta);
    }

    if let Some(rows) = sharing? {
        data = data.opt(
            "secure_guest_record_access",
            rows.first()
                .and_then(|r| bool_field(r, "enableSecureGuestAccess")),
        );
    }

    if let Some(rows) = defaults? {
        let mut external = Map::new();
        let mut internal = Map::new();
        for r in &rows {
            let Some(name) = str_field(r, "QualifiedApiName") else {
                continue;
            };
            if let Some(v) = str_field(r, "ExternalSharingModel") {
                external.insert(name.clone(), v.into());
            }
            if let Some(v) = str_field(r, "InternalSharingModel") {
                internal.insert(name, v.into());
            }
        }
        data = data
            .set("external_sharing_defaults", external)
            .set("internal_sharing_defaults", internal);
    }

    if let Some(rows) = events? {
        let types: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| str_field(r, "EventType"))
            .collect();
        data = data
            .set("event_log_files_available", !rows.is_empty())
            .set(
                "event_log_file_types",
                types.into_iter().collect::<Vec<_>>(),
            )
            .set(
                "event_log_hourly",
                rows.iter()
                    .any(|r| str_field(r, "Interval").as_deref() == Some("Hourly")),
            );
    }

    if let Some(rows) = trail? {
        let trail: Vec<Value> = rows
            .iter()
            .map(|r| {
                Value::Object(
                    Data::new()
                        .opt("action", str_field(r, "Action"))
                        .opt("section", str_field(r, "Section"))
                        .opt("display", str_field(r, "Display"))
                        .opt("created", ts_field(r, "CreatedDate"))
                        .opt("created_by", str_field(r, "CreatedBy.Username"))
                        .opt("delegate_user", str_field(r, "DelegateUser"))
                        .into_map(),
                )
            })
            .collect();
        data = data.set("setup_audit_trail", trail);
    }

    if let Some(rows) = secrets? {
        let secrets: Vec<Value> = rows
            .iter()
            .map(|r| {
                Value::Object(
                    Data::new()
                        .opt("type", str_field(r, "Type"))
                        .opt("status", str_field(r, "Status"))
                        .opt("version", int_field(r, "Version"))
                        .opt("created", ts_field(r, "CreatedDate"))
                        .opt("source", str_field(r, "Source"))
                        .into_map(),
                )
            })
            .collect();
        data = data.set("shield_tenant_secrets", secrets);
    }

    let org_id = ctx.org_id.clone();
    let name = identity.name.clone().unwrap_or_else(|| org_id.clone());
    ctx.push(ORG, &org_id, &name, data.into_map());
    Ok(score)
}

/// One resource per `SecurityHealthCheckRisks` row.
async fn health_check_risks(ctx: &mut Ctx<'_>) -> Result<(), CollectError> {
    let Some(rows) = ctx
        .select(
            Api::Tooling,
            "SecurityHealthCheckRisks",
            &[
                "RiskType",
                "Setting",
                "SettingGroup",
                "OrgValue",
                "OrgValueRaw",
                "StandardValue",
                "SettingRiskCategory",
            ],
            "",
            &[HEALTH_CHECK_RISK],
        )
        .await?
    else {
        return Ok(());
    };
    for r in &rows {
        let Some(setting) = str_field(r, "Setting") else {
            continue;
        };
        let group = str_field(r, "SettingGroup").unwrap_or_default();
        let data = Data::new()
            .opt("risk_type", str_field(r, "RiskType"))
            .set("setting", setting.clone())
            .set("setting_group", group.clone())
            .opt("org_value", str_field(r, "OrgValue"))
            .opt("org_value_raw", str_field(r, "OrgValueRaw"))
            .opt("standard_value", str_field(r, "StandardValue"))
            .opt("setting_risk_category", str_field(r, "SettingRiskCategory"));
        ctx.push(
            HEALTH_CHECK_RISK,
            &format!("{group}/{setting}"),
            &setting,
            data.into_map(),
        );
    }
    Ok(())
}

/// Flattens the `SecuritySettings` metadata into the org's fields.
fn security_settings(mut data: Data, meta: &Value) -> Data {
    let s = |k: &str| format!("sessionSettings.{k}");
    let p = |k: &str| format!("passwordPolicies.{k}");
    let flags = [
        (
            "force_logout_on_session_timeout",
            "forceLogoutOnSessionTimeout",
        ),
        ("lock_sessions_to_ip", "lockSessionsToIp"),
        ("lock_sessions_to_domain", "lockSessionsToDomain"),
        ("force_relogin_after_login_as", "forceRelogin"),
        ("http_only", "requireHttpOnly"),
        ("clickjack_setup", "enableClickjackSetup"),
        ("clickjack_nonsetup_sfdc", "enableClickjackNonsetupSFDC"),
        ("clickjack_nonsetup_user", "enableClickjackNonsetupUser"),
        (
            "clickjack_nonsetup_user_headerless",
            "enableClickjackNonsetupUserHeaderless",
        ),
        ("csrf_on_get", "enableCSRFOnGet"),
        ("csrf_on_post", "enableCSRFOnPost"),
        ("xss_protection", "enableXssProtection"),
        (
            "content_sniffing_protection",
            "enableContentSniffingProtection",
        ),
    ];
    for (key, source) in flags {
        data = data.opt(key, bool_field(meta, &s(source)));
    }
    data = data
        .opt(
            "session_timeout_minutes",
            str_field(meta, &s("sessionTimeout")).and_then(|v| session_timeout_minutes(&v)),
        )
        .opt(
            "password_min_length",
            int_field(meta, &p("minimumPasswordLength")),
        )
        .opt("password_complexity", str_field(meta, &p("complexity")))
        .opt(
            "password_history",
            int_field(meta, &p("historyRestriction")),
        )
        .opt(
            "password_max_login_attempts",
            str_field(meta, &p("maxLoginAttempts")).and_then(|v| login_attempts(&v)),
        )
        .opt(
            "password_lockout_minutes",
            str_field(meta, &p("lockoutInterval")).and_then(|v| lockout_minutes(&v)),
        )
        .opt(
            "password_expiration_days",
            str_field(meta, &p("expiration")).and_then(|v| expiration_days(&v)),
        )
        .opt(
            "admins_can_login_as_any_user",
            bool_field(meta, "enableAdminLoginAsAnyUser"),
        )
        // "Require multi-factor authentication (MFA) for all direct UI logins".
        .opt(
            "mfa_required",
            bool_field(meta, &s("enableMFADirectUILoginOptIn")),
        );
    data
}

fn session_timeout_minutes(v: &str) -> Option<i64> {
    Some(match v {
        "FifteenMinutes" => 15,
        "ThirtyMinutes" => 30,
        "SixtyMinutes" => 60,
        "TwoHours" => 120,
        "FourHours" => 240,
        "EightHours" => 480,
        "TwelveHours" => 720,
        "TwentyFourHours" => 1440,
        other => return other.parse().ok(),
    })
}

fn login_attempts(v: &str) -> Option<i64> {
    Some(match v {
        "ThreeAttempts" => 3,
        "FiveAttempts" => 5,
        "TenAttempts" => 10,
        "NoLimit" => 0,
        other => return other.parse().ok(),
    })
}

fn lockout_minutes(v: &str) -> Option<i64> {
    Some(match v {
        "FifteenMinutes" => 15,
        "ThirtyMinutes" => 30,
        "SixtyMinutes" => 60,
        "Forever" => 0,
        other => return other.parse().ok(),
    })
}

fn expiration_days(v: &str) -> Option<i64> {
    Some(match v {
        "Never" => 0,
        "ThirtyDays" => 30,
        "SixtyDays" => 60,
        "NinetyDays" => 90,
        "SixMonths" => 180,
        "OneYear" => 365,
        other => return other.parse().ok(),
    })
}

/// One resource per `networkAccess.ipRanges` entry.
fn trusted_ip_ranges(ctx: &mut Ctx<'_>, meta: &Value) {
    // One range comes back from the Metadata API as an object, several as a list.
    let ranges = match field(meta, "networkAccess.ipRanges") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    for r in &ranges {
        let (Some(start), Some(end)) = (str_field(r, "start"), str_field(r, "end")) else {
            continue;
        };
        let id = format!("{start}-{end}");
        let description = str_field(r, "description");
        let name = description.clone().unwrap_or_else(|| id.clone());
        let data = Data::new()
            .set("start", start.clone())
            .set("end", end.clone())
            .opt("size", range_size(&start, &end))
            .opt("description", description);
        ctx.push(TRUSTED_IP_RANGE, &id, &name, data.into_map());
    }
}

/// The number of addresses from `start` to `end` inclusive (IPv6 capped at i64::MAX).
pub(crate) fn range_size(start: &str, end: &str) -> Option<i64> {
    let (a, b) = match (start.parse::<IpAddr>().ok()?, end.parse::<IpAddr>().ok()?) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b))),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b)),
        _ => return None,
    };
    let n = b.checked_sub(a)?.saturating_add(1);
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values() {
        assert_eq!(session_timeout_minutes("TwoHours"), Some(120));
        assert_eq!(login_attempts("NoLimit"), Some(0));
        assert_eq!(lockout_minutes("Forever"), Some(0));
        assert_eq!(expiration_days("SixMonths"), Some(180));
    }

    #[test]
    fn range_sizes() {
        assert_eq!(range_size("10.0.0.0", "10.0.0.255"), Some(256));
        assert_eq!(range_size("0.0.0.0", "255.255.255.255"), Some(1 << 32));
        assert_eq!(range_size("10.0.0.9", "10.0.0.1"), None);
        assert_eq!(range_size("::", "ffff::"), Some(i64::MAX));
    }
}
