//! The Salesforce collector end to end: the real `mamori` binary scans a local fixture org
//! (`tests/support/sf_org.rs`, data in `fixtures/salesforce/org/`) over HTTP, through the
//! same REST/Tooling calls, paging and error bodies as a real org.
//!
//! The fixture org names resources `bad*` (a seeded misconfiguration: at least one check
//! must fail on it) and `good*` (no check may fail on it); [`EXPECTED_FAILS`] is the exact
//! list of failing (check, resource) pairs, restricted at run time to the checks this
//! build contains.

#![cfg(feature = "salesforce")]

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
#[cfg(unix)]
use support::sf_org::FakeSfCli;
use support::sf_org::{FixtureOrg, ORG_ID, Options, TOKEN};

/// Every (check id, resource name) the fixture org must fail, and nothing else.
const EXPECTED_FAILS: &[(&str, &str)] = &[
    // The org's own settings.
    ("salesforce-admins-can-login-as-any-user", "Fixture Corp"),
    (
        "salesforce-event-log-api-total-usage-missing",
        "Fixture Corp",
    ),
    (
        "salesforce-external-sharing-default-not-private",
        "Fixture Corp",
    ),
    ("salesforce-health-check-score-low", "Fixture Corp"),
    (
        "salesforce-internal-sharing-default-public-read-write",
        "Fixture Corp",
    ),
    ("salesforce-org-mfa-not-required", "Fixture Corp"),
    ("salesforce-password-complexity-none", "Fixture Corp"),
    ("salesforce-password-lockout-weak", "Fixture Corp"),
    ("salesforce-password-min-length-short", "Fixture Corp"),
    ("salesforce-password-never-expires", "Fixture Corp"),
    (
        "salesforce-secure-guest-record-access-disabled",
        "Fixture Corp",
    ),
    (
        "salesforce-session-clickjack-protection-off",
        "Fixture Corp",
    ),
    ("salesforce-session-httponly-not-required", "Fixture Corp"),
    ("salesforce-session-not-locked-to-ip", "Fixture Corp"),
    ("salesforce-session-timeout-too-long", "Fixture Corp"),
    (
        "salesforce-setup-audit-trail-high-risk-change",
        "Fixture Corp",
    ),
    (
        "salesforce-shield-tenant-secret-not-rotated",
        "Fixture Corp",
    ),
    // Health Check rows.
    (
        "salesforce-health-check-high-risk-setting",
        "Minimum password length",
    ),
    (
        "salesforce-health-check-medium-risk-setting",
        "Lock sessions to the IP address from which they originated",
    ),
    // Public content links.
    ("salesforce-content-link-no-password", "bad_price_list_link"),
    ("salesforce-content-link-no-expiry", "bad_price_list_link"),
    // Integration and unused users.
    (
        "salesforce-integration-user-privileged",
        "bad-integration@fixture.example",
    ),
    (
        "salesforce-integration-user-no-ip-restriction",
        "bad-integration@fixture.example",
    ),
    (
        "salesforce-user-use-any-api-client",
        "bad-integration@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "bad-integration@fixture.example",
    ),
    (
        "salesforce-user-dormant",
        "bad-never-logged-in@fixture.example",
    ),
    // Sites and guest users.
    ("salesforce-site-framing-allowed", "bad_portal"),
    ("salesforce-site-self-registration-enabled", "bad_portal"),
    ("salesforce-guest-api-enabled", "bad-portal Profile"),
    ("salesforce-guest-apex-class-access", "bad-portal Profile"),
    (
        "salesforce-guest-elevated-system-permissions",
        "bad-portal Profile",
    ),
    ("salesforce-guest-object-write-access", "bad-portal Profile"),
    ("salesforce-guest-pii-field-access", "bad-portal Profile"),
    (
        "salesforce-guest-sensitive-object-read",
        "bad-portal Profile",
    ),
    // Profiles and permission sets.
    (
        "salesforce-admin-profile-no-login-ip-ranges",
        "bad-admin-profile",
    ),
    (
        "salesforce-profile-privileged-broadly-assigned",
        "bad-admin-profile",
    ),
    ("salesforce-standard-profile-in-use", "bad-admin-profile"),
    (
        "salesforce-profile-login-ip-range-too-broad",
        "bad-wide-ip-profile",
    ),
    (
        "salesforce-permission-set-privileged-broadly-assigned",
        "bad_broad_admin",
    ),
    // Users.
    (
        "salesforce-privileged-user-dormant",
        "bad-dormant-admin@fixture.example",
    ),
    (
        "salesforce-privileged-user-no-mfa-method",
        "bad-dormant-admin@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "bad-dormant-admin@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "bad-dormant-admin@fixture.example",
    ),
    (
        "salesforce-user-mfa-bypass",
        "bad-bypass-mfa@fixture.example",
    ),
    (
        "salesforce-user-non-mfa-ui-logins",
        "bad-no-mfa-logins@fixture.example",
    ),
    (
        "salesforce-user-dormant",
        "bad-dormant-user@fixture.example",
    ),
    // Administrators hold privileged permissions by design: reported, not "bad".
    (
        "salesforce-user-privileged-permissions",
        "admin1@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "admin2@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "admin3@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "admin4@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "admin5@fixture.example",
    ),
    (
        "salesforce-user-privileged-permissions",
        "ops-admin@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "admin1@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "admin2@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "admin3@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "admin4@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "admin5@fixture.example",
    ),
    (
        "salesforce-user-super-admin-equivalent",
        "ops-admin@fixture.example",
    ),
    // Connected apps.
    ("salesforce-connected-app-full-scope", "bad-everyone-app"),
    ("salesforce-connected-app-ip-relaxed", "bad-everyone-app"),
    (
        "salesforce-connected-app-refresh-token-never-expires",
        "bad-everyone-app",
    ),
    (
        "salesforce-connected-app-self-authorize",
        "bad-everyone-app",
    ),
    ("salesforce-connected-app-stale-tokens", "bad-everyone-app"),
    // Network and outbound trust.
    ("salesforce-remote-site-insecure", "bad_http_api"),
    (
        "salesforce-remote-site-insecure",
        "bad_no_protocol_security",
    ),
    ("salesforce-csp-trusted-site-risky", "bad_wildcard_heroku"),
    ("salesforce-named-credential-http-endpoint", "bad_http_erp"),
    ("salesforce-trusted-ip-range-too-broad", "bad-everyone"),
    // Secrets in custom settings.
    (
        "salesforce-secret-in-public-custom-setting",
        "bad_Integration_Config__c.Api_Token__c",
    ),
];

fn mamori() -> Command {
    support::mamori_without_sf_session()
}

fn scan(org: &FixtureOrg, token: &str, extra: &[&str]) -> Output {
    mamori()
        .env("SF_ACCESS_TOKEN", token)
        .args(["scan", "salesforce", "--instance-url", &org.url])
        .args(extra)
        .output()
        .expect("run mamori")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Salesforce check ids this build contains.
fn salesforce_checks() -> BTreeSet<String> {
    let out = mamori()
        .args(["checks", "list", "--provider", "salesforce", "--json"])
        .output()
        .expect("checks list");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let infos: Vec<Value> = serde_json::from_slice(&out.stdout).expect("checks list JSON");
    infos
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// `Object.Field` of every field gap (a field the org's describe lacks) in an inventory.
fn gaps(inventory: &Value) -> Vec<String> {
    let mut out: Vec<String> = inventory["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["code"] == "FIELD_NOT_AVAILABLE")
        .filter_map(|e| {
            let m = e["message"].as_str()?;
            Some(m[..m.find(" is not available")?].to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Asserts that the failing findings of the org `account` are exactly [`EXPECTED_FAILS`]
/// (those of the checks this build has).
fn assert_expected_fails(report: &Value, account: &str) {
    let present = salesforce_checks();
    let expected: BTreeSet<(String, String)> = EXPECTED_FAILS
        .iter()
        .filter(|(id, _)| present.contains(*id))
        .map(|(id, n)| (id.to_string(), n.to_string()))
        .collect();
    let failing: BTreeSet<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "fail" && f["resource"]["account"] == account)
        .map(|f| {
            (
                f["check_id"].as_str().unwrap_or_default().to_string(),
                f["resource"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let missing: Vec<_> = expected.difference(&failing).collect();
    let unexpected: Vec<_> = failing.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "org {account}: missing failures: {missing:#?}\nunexpected failures: {unexpected:#?}"
    );
}

fn is_bad(name: &str) -> bool {
    name.starts_with("bad-") || name.starts_with("bad_")
}

fn is_good(name: &str) -> bool {
    name.starts_with("good-") || name.starts_with("good_")
}

fn assert_no_token(what: &str, haystack: &str) {
    assert!(
        !haystack.contains(TOKEN) && !haystack.contains("FixtureSecretTokenValue"),
        "the access token leaked into {what}"
    );
}

#[test]
fn scan_reports_every_seeded_bad_setting_and_no_good_one() {
    // The first Site query answers 503: the client must retry it.
    let org = FixtureOrg::start(Options {
        fail_once: vec!["Site".into()],
        ..Options::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory_path = dir.path().join("inventory.json");
    let out = scan(
        &org,
        TOKEN,
        &[
            "--format",
            "json",
            "--save-inventory",
            inventory_path.to_str().expect("utf-8 path"),
        ],
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(
        org.unmatched(),
        Vec::<String>::new(),
        "requests the fixture org could not answer"
    );

    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    let inventory_text = std::fs::read_to_string(&inventory_path).expect("saved inventory");
    let inventory: Value = serde_json::from_str(&inventory_text).expect("inventory JSON");
    assert_no_token("stdout", &stdout);
    assert_no_token("stderr", &stderr);
    assert_no_token("the saved inventory", &inventory_text);

    // The scope: org id and name, API version chosen from /services/data/, Health Check score.
    let scope = &report["scan"]["scopes"][0];
    assert_eq!(scope["id"], ORG_ID);
    assert_eq!(scope["name"], "Fixture Corp");
    assert_eq!(scope["attributes"]["api_version"], "64.0");
    assert_eq!(scope["attributes"]["health_check_score"], "54");
    // No failed call; only the field gaps of this edition (no Shield permissions).
    assert_eq!(
        gaps(&inventory),
        vec![
            "PermissionSet.PermissionsManageEncryptionKeys".to_string(),
            "PermissionSet.PermissionsViewEncryptedData".to_string(),
        ],
        "collection errors: {}",
        inventory["errors"]
    );
    assert!(
        inventory["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["code"] == "FIELD_NOT_AVAILABLE"),
        "collection errors: {}",
        inventory["errors"]
    );

    // Paging: every row of every multi-page query arrived.
    let kinds = |k: &str| {
        inventory["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["kind"] == k)
            .count()
    };
    assert_eq!(kinds("salesforce.user"), 18);
    assert_eq!(kinds("salesforce.health_check_risk"), 3);
    assert_eq!(kinds("salesforce.profile"), 8);
    assert_eq!(kinds("salesforce.permission_set"), 7);
    assert_eq!(kinds("salesforce.guest_profile"), 2);
    assert_eq!(kinds("salesforce.content_distribution"), 2);

    // The expected list itself follows the naming convention of the fixture org.
    let expected_names: BTreeSet<&str> = EXPECTED_FAILS.iter().map(|(_, n)| *n).collect();
    for r in inventory["resources"].as_array().expect("resources") {
        let name = r["name"].as_str().expect("every resource has a human name");
        if is_bad(name) {
            assert!(
                expected_names.contains(name),
                "seeded bad resource {name} has no expected failure"
            );
        }
        assert!(
            !(is_good(name) && expected_names.contains(name)),
            "good resource {name} is expected to fail"
        );
    }

    // The exact failing set, for the checks this build has.
    assert_expected_fails(&report, ORG_ID);
    let findings = report["findings"].as_array().expect("findings");
    // Only the checks reading a permission this edition lacks (Shield's) are not
    // evaluated, each naming the field; and only on resources where it matters.
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f["status"] == "error")
        .filter(|f| {
            let m = f["message"].as_str().unwrap_or_default();
            let shield = [
                (
                    "salesforce-permission-set-view-encrypted-data",
                    "PermissionSet.PermissionsViewEncryptedData is not available in this org",
                ),
                (
                    "salesforce-permission-set-manage-encryption-keys",
                    "PermissionSet.PermissionsManageEncryptionKeys is not available in this org",
                ),
            ];
            !shield
                .iter()
                .any(|(id, why)| f["check_id"] == *id && m.contains(why))
        })
        .map(|f| {
            format!(
                "{} {}: {}",
                f["check_id"], f["resource"]["name"], f["message"]
            )
        })
        .collect();
    assert!(errors.is_empty(), "findings not evaluated: {errors:#?}");
    assert!(
        findings.iter().any(|f| f["status"] == "error"
            && f["check_id"] == "salesforce-permission-set-view-encrypted-data"),
        "the absent Shield permission must make its check `error`"
    );

    // docs/salesforce.md lists every object the collector read.
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/salesforce.md"),
    )
    .expect("docs/salesforce.md");
    for q in org.queries() {
        let words: Vec<&str> = q.split_whitespace().collect();
        let Some(object) = words
            .iter()
            .position(|w| *w == "FROM")
            .and_then(|i| words.get(i + 1))
        else {
            continue;
        };
        if object.ends_with("__c") || object.ends_with("__mdt") {
            continue;
        }
        assert!(
            docs.contains(&format!("`{object}`")) || docs.contains(&format!("{object}`")),
            "docs/salesforce.md does not list {object} ({q})"
        );
    }

    // The table summary shows the Health Check score.
    let table = scan(&org, TOKEN, &["--format", "table"]);
    let table_out = text(&table.stdout);
    assert!(
        table_out.contains("Health Check 54"),
        "summary without the Health Check score:\n{table_out}"
    );
    assert_no_token("the table", &table_out);
}

/// (check id, resource name) -> status, for every finding of a JSON report.
fn statuses(report: &Value) -> std::collections::BTreeMap<(String, String), String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                (
                    f["check_id"].as_str().unwrap_or_default().to_string(),
                    f["resource"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_field_the_org_lacks_degrades_only_the_checks_that_read_it() {
    let full = FixtureOrg::start(Options::default());
    let baseline: Value =
        serde_json::from_slice(&scan(&full, TOKEN, &["--format", "json"]).stdout).expect("JSON");
    // Another edition: no API Enabled / MFA waiver permissions, no clickjack level on Site,
    // no admin-approval flag on connected apps.
    let dropped = [
        ("PermissionSet", "PermissionsApiEnabled"),
        ("PermissionSet", "PermissionsBypassMFAForUiLogins"),
        ("Site", "ClickjackProtectionLevel"),
        ("ConnectedApplication", "OptionsAllowAdminApprovedUsersOnly"),
    ];
    let org = FixtureOrg::start(Options {
        drop_fields: dropped
            .iter()
            .map(|(o, f)| (o.to_string(), f.to_string()))
            .collect(),
        ..Options::default()
    });
    let out = scan(&org, TOKEN, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(org.unmatched(), Vec::<String>::new());
    // No query selected a field the describe lacks (the org would have refused it).
    for q in org.queries() {
        for (o, f) in &dropped {
            assert!(
                !(q.contains(&format!("FROM {o}")) && q.contains(&format!(" {f},"))),
                "{q}"
            );
        }
    }
    let degraded: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let before = statuses(&baseline);
    let after = statuses(&degraded);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the same (check, resource) pairs are evaluated"
    );
    let changed: BTreeSet<&str> = before
        .iter()
        .filter(|(k, s)| after.get(*k) != Some(*s))
        .map(|((id, _), _)| id.as_str())
        .collect();
    assert_eq!(
        changed,
        BTreeSet::from([
            "salesforce-connected-app-self-authorize",
            "salesforce-guest-api-enabled",
            "salesforce-site-framing-allowed",
            "salesforce-user-mfa-bypass",
        ]),
    );
    // Those report `error`, naming the field; nothing they read was guessed.
    let expect_field = |id: &str| match id {
        "salesforce-connected-app-self-authorize" => {
            "ConnectedApplication.OptionsAllowAdminApprovedUsersOnly is not available in this org"
        }
        "salesforce-guest-api-enabled" => {
            "PermissionSet.PermissionsApiEnabled is not available in this org"
        }
        "salesforce-site-framing-allowed" => {
            "Site.ClickjackProtectionLevel is not available in this org"
        }
        _ => "PermissionSet.PermissionsBypassMFAForUiLogins is not available in this org",
    };
    for f in degraded["findings"].as_array().expect("findings") {
        let id = f["check_id"].as_str().unwrap_or_default();
        if changed.contains(id) {
            let key = (
                id.to_string(),
                f["resource"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            if after[&key] != before[&key] {
                assert_eq!(f["status"], "error", "{f}");
                let m = f["message"].as_str().unwrap_or_default();
                assert!(m.contains(expect_field(id)), "{id}: {m}");
            }
        }
    }
}

#[test]
fn expired_token_exits_3_with_reauthentication_guidance() {
    let org = FixtureOrg::start(Options::default());
    let expired = "00DFIXTURE0000001!AQ4AQExpiredTokenValue";
    let out = scan(&org, expired, &["--format", "json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("INVALID_SESSION_ID"), "{stderr}");
    assert!(stderr.contains("sf org login web"), "{stderr}");
    assert!(!stderr.contains(expired) && !text(&out.stdout).contains(expired));
}

#[test]
fn missing_credentials_exit_3() {
    let out = mamori()
        .args(["scan", "salesforce", "--instance-url", "http://127.0.0.1:9"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("SF_ACCESS_TOKEN"));
}

#[test]
fn unreadable_mfa_registrations_are_not_assessed_and_name_the_permission() {
    // The refusal message echoes the session token, as some proxies do: it must be redacted.
    let org = FixtureOrg::start(Options {
        deny: vec!["TwoFactorMethodsInfo".into()],
        ..Options::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory_path = dir.path().join("inventory.json");
    let out = scan(
        &org,
        TOKEN,
        &[
            "--format",
            "json",
            "--save-inventory",
            inventory_path.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let inventory_text = std::fs::read_to_string(&inventory_path).expect("inventory");
    assert_no_token("the saved inventory", &inventory_text);
    assert_no_token("stdout", &text(&out.stdout));
    let inventory: Value = serde_json::from_str(&inventory_text).expect("JSON");
    let errors: Vec<&Value> = inventory["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter(|e| e["code"] != "FIELD_NOT_AVAILABLE")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    assert_eq!(e["code"], "INSUFFICIENT_ACCESS");
    assert_eq!(e["kinds"], serde_json::json!(["salesforce.user"]));
    let message = e["message"].as_str().expect("message");
    assert!(
        message.contains("Manage Multi-Factor Authentication in API"),
        "{message}"
    );
    assert!(message.contains("[REDACTED]"), "{message}");

    // The field is omitted, never guessed.
    for r in inventory["resources"].as_array().expect("resources") {
        if r["kind"] == "salesforce.user" {
            assert!(r["data"].get("mfa_methods_registered").is_none());
        }
    }
    // No user check passes on incomplete data.
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let user_passes: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"]["kind"] == "salesforce.user" && f["status"] == "pass")
        .map(|f| f["check_id"].clone())
        .collect();
    assert!(user_passes.is_empty(), "{user_passes:?}");
}

#[test]
fn jwt_bearer_flow_signs_the_expected_claims() {
    let org = FixtureOrg::start(Options::default());
    let key =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/salesforce/jwt-test-key.pem");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let out = mamori()
        .args([
            "scan",
            "salesforce",
            "--client-id",
            "3MVG9FIXTURECONSUMERKEY",
            "--jwt-key-file",
            key.to_str().expect("utf-8 path"),
            "--username",
            "integration@fixture.example",
            "--login-url",
            &org.url,
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(org.jwt_errors(), Vec::<String>::new());
    let claims = org.jwt_claims();
    assert_eq!(claims.len(), 1);
    let c = &claims[0];
    assert_eq!(c["iss"], "3MVG9FIXTURECONSUMERKEY");
    assert_eq!(c["sub"], "integration@fixture.example");
    assert_eq!(c["aud"], org.url.as_str());
    let exp = c["exp"].as_u64().expect("exp");
    assert!(
        exp > before && exp <= before + 300,
        "exp {exp} is not a few minutes ahead"
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(
        report["scan"]["scopes"][0]["attributes"]["auth_method"],
        "jwt"
    );
    assert_no_token("stdout", &text(&out.stdout));
    assert_no_token("stderr", &text(&out.stderr));
}

#[test]
fn jwt_bearer_refusal_exits_3() {
    let org = FixtureOrg::start(Options::default());
    // A valid RSA key that is not the connected app's certificate.
    let other = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/salesforce/jwt-unregistered-key.pem");
    let out = mamori()
        .args([
            "scan",
            "salesforce",
            "--client-id",
            "3MVG9X",
            "--username",
            "u@fixture.example",
        ])
        .args([
            "--jwt-key-file",
            other.to_str().expect("path"),
            "--login-url",
            &org.url,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("invalid_grant"));
    assert_eq!(org.jwt_errors().len(), 1);
}

#[cfg(unix)]
#[test]
fn target_org_reads_the_salesforce_cli_session() {
    let org = FixtureOrg::start(Options::default());
    let sf = FakeSfCli::new(&[("fixture", &org, TOKEN)]);

    let out = mamori()
        .env("PATH", &sf.path)
        .args([
            "scan",
            "salesforce",
            "--target-org",
            "fixture",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let scopes = report["scan"]["scopes"].as_array().expect("scopes");
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0]["id"], ORG_ID);
    assert_eq!(scopes[0]["attributes"]["auth_method"], "sf-cli");
    assert_no_token("stdout", &text(&out.stdout));

    // One org that cannot be authenticated stops the scan, as it always did.
    let out = mamori()
        .env("PATH", &sf.path)
        .args(["scan", "salesforce", "--target-org", "other"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the Salesforce CLI has no usable session for `other`")
            && stderr.contains("sf org login web --alias other"),
        "{stderr}"
    );
}

/// The org id of the second fixture org (the first has [`ORG_ID`]).
#[cfg(unix)]
const DEV_ORG_ID: &str = "00DFX0000000002AAA";
/// The org id of a fixture org whose Salesforce CLI session has expired.
#[cfg(unix)]
const EXPIRED_ORG_ID: &str = "00DFX0000000003AAA";

/// Two fixture orgs, `prod` ([`ORG_ID`], also known as `live`) and `dev` ([`DEV_ORG_ID`]),
/// known to a fake Salesforce CLI, which also has an expired session for `expired`
/// ([`EXPIRED_ORG_ID`]) and knows no `retired` org. `--shard I/2` puts `prod` and
/// `retired` in shard 1, `dev` in shard 2.
#[cfg(unix)]
fn prod_and_dev() -> (FixtureOrg, FixtureOrg, FakeSfCli) {
    let with_id = |id: &str| Options {
        org_id: Some(id.to_string()),
        ..Options::default()
    };
    let prod = FixtureOrg::start(Options::default());
    let dev = FixtureOrg::start(with_id(DEV_ORG_ID));
    let expired = FixtureOrg::start(with_id(EXPIRED_ORG_ID));
    let sf = FakeSfCli::new(&[
        ("prod", &prod, TOKEN),
        ("dev", &dev, TOKEN),
        ("live", &prod, TOKEN),
        ("expired", &expired, "00DFX0000000003!expired"),
    ]);
    (prod, dev, sf)
}

/// `mamori scan salesforce ARGS` with the fake Salesforce CLI on `PATH`.
#[cfg(unix)]
fn scan_orgs(sf: &FakeSfCli, args: &[&str]) -> Output {
    mamori()
        .env("PATH", &sf.path)
        .args(["scan", "salesforce"])
        .args(args)
        .output()
        .expect("run mamori")
}

/// The ids of a report's scopes.
fn scope_ids(report: &Value) -> BTreeSet<String> {
    report["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect()
}

#[cfg(unix)]
#[test]
fn several_target_orgs_make_one_report_with_one_scope_per_org() {
    let (prod, dev, sf) = prod_and_dev();
    let out = scan_orgs(
        &sf,
        &[
            "--target-org",
            "prod",
            "--target-org",
            "dev",
            "--target-org",
            "live",
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // `live` is `prod` again: scanned once.
    assert!(
        stderr.contains("`live` is an org already scanned under another alias"),
        "{stderr}"
    );
    assert_eq!(prod.unmatched(), Vec::<String>::new());
    assert_eq!(dev.unmatched(), Vec::<String>::new());
    assert_no_token("stdout", &text(&out.stdout));
    assert_no_token("stderr", &stderr);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    assert_eq!(
        scope_ids(&report),
        BTreeSet::from([ORG_ID.to_string(), DEV_ORG_ID.to_string()])
    );
    for org in [ORG_ID, DEV_ORG_ID] {
        assert_expected_fails(&report, org);
    }
    // Every finding belongs to one of the orgs; the org resource of each is the org itself.
    let findings = report["findings"].as_array().expect("findings");
    let per_org = |id: &str| {
        findings
            .iter()
            .filter(|f| f["resource"]["account"] == id)
            .count()
    };
    assert_eq!(per_org(ORG_ID), per_org(DEV_ORG_ID));
    assert_eq!(per_org(ORG_ID) * 2, findings.len());
    for f in findings
        .iter()
        .filter(|f| f["resource"]["kind"] == "salesforce.org")
    {
        assert_eq!(f["resource"]["id"], f["resource"]["account"], "{f}");
    }
    assert!(
        report["scan"]["collection_errors"]
            .as_array()
            .expect("collection errors")
            .iter()
            .all(|e| e["code"] == "FIELD_NOT_AVAILABLE"),
        "{}",
        report["scan"]["collection_errors"]
    );
}

#[cfg(unix)]
#[test]
fn an_org_that_cannot_be_authenticated_is_not_assessed_and_the_others_are() {
    let (_prod, _dev, sf) = prod_and_dev();
    let out = scan_orgs(
        &sf,
        &[
            "--target-org",
            "prod",
            "--target-org",
            "retired",
            "--target-org",
            "dev",
            "--target-org",
            "expired",
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
    );
    let stderr = text(&out.stderr);
    // Exit code per --fail-on, as without the unreachable org.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_no_token("stderr", &stderr);
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    // No org id is known for `retired`: its scope is the alias. The CLI knows the org id
    // of `expired`.
    assert_eq!(
        scope_ids(&report),
        BTreeSet::from([
            ORG_ID.to_string(),
            DEV_ORG_ID.to_string(),
            EXPIRED_ORG_ID.to_string(),
            "retired".to_string()
        ])
    );
    for org in [ORG_ID, DEV_ORG_ID] {
        assert_expected_fails(&report, org);
    }

    let kinds = mamori::collect::salesforce::kinds::ALL;
    let set = mamori::checks::load(&[]).expect("built-in checks");
    let org_checks: BTreeSet<String> = set
        .checks
        .iter()
        .filter(|c| kinds.contains(&c.resource_kind.as_str()))
        .map(|c| c.id.clone())
        .collect();
    for (scope, alias, why) in [
        ("retired", "retired", "no usable session for `retired`"),
        (EXPIRED_ORG_ID, "expired", "Salesforce refused the session"),
    ] {
        let errors: Vec<&Value> = report["scan"]["collection_errors"]
            .as_array()
            .expect("collection errors")
            .iter()
            .filter(|e| e["scope"] == scope)
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let message = errors[0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{message}");
        assert_eq!(
            errors[0]["kinds"].as_array().map(Vec::len),
            Some(kinds.len())
        );
        assert!(stderr.contains(&format!("Salesforce org `{alias}` not scanned")));

        // Every check of the org scan reports `error` for it, and nothing else does.
        let findings: Vec<&Value> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["resource"]["account"] == scope)
            .collect();
        assert!(findings.iter().all(|f| f["status"] == "error"));
        let reported: BTreeSet<String> = findings
            .iter()
            .filter_map(|f| f["check_id"].as_str().map(str::to_string))
            .collect();
        assert_eq!(reported, org_checks, "{scope}");
    }
}

#[cfg(unix)]
#[test]
fn no_org_that_can_be_scanned_exits_3() {
    let (_prod, _dev, sf) = prod_and_dev();
    let out = scan_orgs(&sf, &["--target-org", "retired", "--target-org", "gone"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("none of the 2 Salesforce orgs could be scanned")
            && stderr.contains("`retired`")
            && stderr.contains("`gone`"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn org_shards_merge_into_the_unsharded_report() {
    use mamori::shard::Shard;

    let (_prod, _dev, sf) = prod_and_dev();
    let (one, two) = (Shard { index: 1, count: 2 }, Shard { index: 2, count: 2 });
    assert!(one.owns("prod") && one.owns("retired") && two.owns("dev"));

    let dir = tempfile::tempdir().expect("tempdir");
    let orgs = [
        "--target-org",
        "prod",
        "--target-org",
        "dev",
        "--target-org",
        "retired",
        "--format",
        "json",
    ];
    let mut parts = Vec::new();
    for shard in ["1/2", "2/2"] {
        let part = dir.path().join(format!("part-{}.json", &shard[..1]));
        let path = part.to_str().expect("utf-8 path");
        let out = scan_orgs(&sf, &[&orgs[..], &["--shard", shard, "-o", path]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        parts.push(part);
    }
    let out = mamori()
        .arg("merge")
        .args(&parts)
        .output()
        .expect("run merge");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let merged: Value = serde_json::from_slice(&out.stdout).expect("merged report");

    let out = scan_orgs(&sf, &orgs);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let whole: Value = serde_json::from_slice(&out.stdout).expect("report");

    let identities = |report: &Value| -> BTreeSet<(String, String, String, String)> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (
                    s(&f["check_id"]),
                    s(&f["resource"]["id"]),
                    s(&f["status"]),
                    s(&f["fingerprint"]),
                )
            })
            .collect()
    };
    assert_eq!(scope_ids(&merged), scope_ids(&whole));
    assert_eq!(identities(&merged), identities(&whole));
    assert_eq!(merged["summary"], whole["summary"]);

    // Sharding needs orgs named by alias.
    let out = mamori()
        .env("SF_ACCESS_TOKEN", TOKEN)
        .args(["scan", "salesforce", "--instance-url", "http://127.0.0.1:9"])
        .args(["--shard", "1/2"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn every_permission_a_check_names_is_known_to_the_collector() {
    // A permission outside KNOWN_PERMISSIONS would never be recorded as a field gap, so a
    // check reading it on an org that lacks it could not name the missing field.
    let re = regex::Regex::new(r"\bPermissions[A-Z][A-Za-z]+").expect("regex");
    let known = mamori::collect::salesforce::access::KNOWN_PERMISSIONS;
    let mut unknown = BTreeSet::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks/salesforce");
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read checks dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && path.file_name().is_some_and(|n| n != "kinds.yaml")
            {
                let text = std::fs::read_to_string(&path).expect("read check");
                let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("yaml");
                let logic = format!(
                    "{} {}",
                    serde_yaml_ng::to_string(&spec["condition"]).unwrap_or_default(),
                    serde_yaml_ng::to_string(&spec["params"]).unwrap_or_default()
                );
                for m in re.find_iter(&logic) {
                    if !known.contains(&m.as_str()) {
                        unknown.insert(format!("{}: {}", path.display(), m.as_str()));
                    }
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "permissions missing from KNOWN_PERMISSIONS: {unknown:#?}"
    );
}

#[test]
fn unreadable_connected_app_metadata_leaves_the_rest_api_checks_evaluated() {
    let org = FixtureOrg::start(Options {
        deny: vec!["metadata:ConnectedApp".into()],
        ..Options::default()
    });
    let out = scan(&org, TOKEN, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let s = statuses(&report);
    let app = |id: &str| s[&(id.to_string(), "bad-everyone-app".to_string())].clone();
    // From ConnectedApplication (REST): still evaluated.
    assert_eq!(app("salesforce-connected-app-self-authorize"), "fail");
    // From the ConnectedApp metadata: not evaluated, never passed.
    for id in [
        "salesforce-connected-app-ip-relaxed",
        "salesforce-connected-app-full-scope",
        "salesforce-connected-app-refresh-token-never-expires",
    ] {
        assert_eq!(app(id), "error", "{id}");
    }
    assert_eq!(
        s[&(
            "salesforce-connected-app-ip-relaxed".to_string(),
            "good-integration-app".to_string()
        )],
        "error"
    );
}

#[test]
fn the_org_daily_api_limit_is_left_alone() {
    // The org has used 9,480 of its 10,000 daily requests: mamori stops at 95%.
    let org = FixtureOrg::start(Options {
        api_limit: Some(10_000),
        api_used_before: 9_480,
        ..Options::default()
    });
    let out = scan(&org, TOKEN, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(org.served() <= 25, "served {} requests", org.served());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let errors = report["scan"]["collection_errors"]
        .as_array()
        .expect("collection errors");
    assert!(
        errors.iter().any(|e| e["code"] == "API_USAGE_CEILING"
            && e["message"]
                .as_str()
                .unwrap_or_default()
                .contains("daily API requests")),
        "{errors:#?}"
    );
    // What could not be read is not evaluated, never passed.
    let apps: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"]["kind"] == "salesforce.connected_app")
        .collect();
    assert!(apps.iter().all(|f| f["status"] == "error"), "{apps:#?}");
}

#[test]
fn requests_overlap_up_to_max_concurrency_and_collect_the_same_inventory() {
    // Each request takes 20 ms, so requests sent together are in flight together.
    let slow = || {
        FixtureOrg::start(Options {
            delay: Some(std::time::Duration::from_millis(20)),
            ..Options::default()
        })
    };
    // The resources (kind, id) and the collection errors of a scan.
    let collected = |org: &FixtureOrg, extra: &[&str]| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("inventory.json");
        let mut args = vec![
            "--format",
            "json",
            "--save-inventory",
            path.to_str().expect("utf-8 path"),
        ];
        args.extend(extra);
        let out = scan(org, TOKEN, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let inventory: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("inventory"))
                .expect("inventory JSON");
        let resources: Vec<(String, String)> = inventory["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| (r["kind"].to_string(), r["id"].to_string()))
            .collect();
        (resources, inventory["errors"].clone())
    };

    let parallel = slow();
    let at_once = collected(&parallel, &[]);
    let peak = parallel.peak_in_flight();
    assert!(
        peak > 1 && peak <= 8,
        "{peak} requests in flight with the default --max-concurrency (8)"
    );

    let serial = slow();
    let one_by_one = collected(&serial, &["--max-concurrency", "1"]);
    assert_eq!(serial.peak_in_flight(), 1);
    assert_eq!(at_once, one_by_one);
    assert_eq!(parallel.served(), serial.served());
}
