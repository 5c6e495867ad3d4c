//! The GCP collector end to end: the real `mamori` binary scans projects served by a
//! local fixture server (`tests/support/gcp_fixture_server.rs`, responses in
//! `fixtures/gcp/`) through `MAMORI_GCP_ENDPOINT`.
//!
//! Project `mamori-fixture` holds resources named `bad-*` / `bad_*` (each must fail at least
//! one check of its kind) and `good-*` / `good_*` (must fail none); project
//! `mamori-disabled` has the Compute Engine API disabled. Organization `123456789012`
//! contains `mamori-fixture` directly and `mamori-disabled` in folder 456.

#![cfg(feature = "gcp")]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use support::gcp_fixture_server::FixtureServer;

/// The failing (check id, resource name) pairs expected for `mamori-fixture`. Only the
/// entries whose check is loaded are compared, so this list is the one place to update
/// when GCP checks are added or changed.
const EXPECTED_FAILS: &[(&str, &str)] = &[
    ("gcp-apikeys-key-not-rotated", "bad-unrestricted-key"),
    ("gcp-apikeys-key-unrestricted-apis", "bad-unrestricted-key"),
    (
        "gcp-apikeys-key-unrestricted-application",
        "bad-unrestricted-key",
    ),
    ("gcp-apikeys-project-uses-api-keys", "mamori-fixture"),
    ("gcp-bigquery-dataset-no-cmek", "bad_public_dataset"),
    ("gcp-bigquery-dataset-public", "bad_public_dataset"),
    (
        "gcp-compute-backend-service-without-iap",
        "bad-open-backend",
    ),
    ("gcp-compute-default-network", "default"),
    ("gcp-compute-firewall-admin-port-open", "bad-all-open"),
    ("gcp-compute-firewall-admin-port-open", "bad-ssh-world"),
    ("gcp-compute-firewall-all-ports-open", "bad-all-open"),
    ("gcp-compute-firewall-database-port-open", "bad-db-world"),
    (
        "gcp-compute-instance-confidential-computing-disabled",
        "bad-default-sa-vm",
    ),
    (
        "gcp-compute-instance-default-service-account",
        "bad-default-sa-vm",
    ),
    (
        "gcp-compute-instance-default-service-account-full-access",
        "bad-default-sa-vm",
    ),
    ("gcp-compute-instance-disk-not-csek", "bad-default-sa-vm"),
    ("gcp-compute-instance-ip-forwarding", "bad-default-sa-vm"),
    ("gcp-compute-instance-ip-forwarding", "bad-ip-forward-vm"),
    (
        "gcp-compute-instance-os-login-disabled",
        "bad-default-sa-vm",
    ),
    (
        "gcp-compute-instance-project-ssh-keys-allowed",
        "bad-default-sa-vm",
    ),
    ("gcp-compute-instance-public-ip", "bad-default-sa-vm"),
    (
        "gcp-compute-instance-serial-port-enabled",
        "bad-default-sa-vm",
    ),
    (
        "gcp-compute-instance-shielded-vm-disabled",
        "bad-default-sa-vm",
    ),
    ("gcp-compute-legacy-network", "bad-legacy-net"),
    (
        "gcp-compute-load-balancer-logging-disabled",
        "bad-open-backend",
    ),
    ("gcp-compute-project-ssh-keys-present", "mamori-fixture"),
    ("gcp-compute-ssl-policy-weak", "bad-default-tls-proxy"),
    ("gcp-compute-subnet-flow-logs-disabled", "bad-subnet"),
    ("gcp-dataproc-cluster-no-cmek", "bad-plain-cluster"),
    ("gcp-dns-dnssec-disabled", "bad-unsigned-zone"),
    ("gcp-dns-dnssec-ksk-rsasha1", "bad-sha1-zone"),
    ("gcp-dns-dnssec-zsk-rsasha1", "bad-sha1-zone"),
    ("gcp-dns-network-logging-disabled", "bad-legacy-net"),
    ("gcp-dns-network-logging-disabled", "default"),
    ("gcp-iam-access-approval-disabled", "mamori-fixture"),
    ("gcp-iam-kms-separation-of-duties", "mamori-fixture"),
    ("gcp-iam-primitive-role-user", "mamori-fixture"),
    (
        "gcp-iam-service-account-admin-privileges",
        "111111111111-compute@developer.gserviceaccount.com",
    ),
    (
        "gcp-iam-service-account-admin-privileges",
        "bad-admin-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    (
        "gcp-iam-service-account-key-not-rotated",
        "bad-old-key-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    (
        "gcp-iam-service-account-user-managed-key",
        "bad-old-key-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    (
        "gcp-iam-service-account-user-project-level",
        "mamori-fixture",
    ),
    ("gcp-kms-key-public", "bad-unrotated-key"),
    ("gcp-kms-key-rotation", "bad-unrotated-key"),
    ("gcp-logging-audit-logs-not-configured", "mamori-fixture"),
    ("gcp-logging-no-alert-bucket-iam-changes", "mamori-fixture"),
    ("gcp-logging-no-alert-custom-role-changes", "mamori-fixture"),
    (
        "gcp-logging-no-alert-firewall-rule-changes",
        "mamori-fixture",
    ),
    ("gcp-logging-no-alert-network-changes", "mamori-fixture"),
    (
        "gcp-logging-no-alert-project-ownership-changes",
        "mamori-fixture",
    ),
    ("gcp-logging-no-alert-route-changes", "mamori-fixture"),
    (
        "gcp-logging-no-alert-sql-instance-changes",
        "mamori-fixture",
    ),
    ("gcp-sql-instance-backups-disabled", "bad-public-mysql"),
    ("gcp-sql-instance-open-to-internet", "bad-public-mysql"),
    ("gcp-sql-instance-public-ip", "bad-public-mysql"),
    ("gcp-sql-instance-ssl-not-enforced", "bad-public-mysql"),
    ("gcp-sql-mysql-local-infile-on", "bad-public-mysql"),
    ("gcp-sql-mysql-skip-show-database-off", "bad-public-mysql"),
    ("gcp-storage-bucket-public", "bad-public-bucket"),
    (
        "gcp-storage-bucket-public-access-prevention-off",
        "bad-public-bucket",
    ),
    (
        "gcp-storage-bucket-uniform-access-disabled",
        "bad-public-bucket",
    ),
    (
        "gcp-storage-bucket-versioning-disabled",
        "bad-public-bucket",
    ),
];

/// Every resource the fixture project serves: (kind, name).
const EXPECTED_RESOURCES: &[(&str, &str)] = &[
    ("gcp.apikeys.key", "bad-unrestricted-key"),
    ("gcp.apikeys.key", "good-server-key"),
    ("gcp.bigquery.dataset", "bad_public_dataset"),
    ("gcp.bigquery.dataset", "good_private_dataset"),
    ("gcp.compute.backend_service", "bad-open-backend"),
    ("gcp.compute.backend_service", "good-iap-backend"),
    ("gcp.compute.firewall", "bad-all-open"),
    ("gcp.compute.firewall", "bad-db-world"),
    ("gcp.compute.firewall", "bad-ssh-world"),
    ("gcp.compute.firewall", "good-deny-egress"),
    ("gcp.compute.firewall", "good-https-world"),
    ("gcp.compute.firewall", "good-ssh-iap"),
    ("gcp.compute.instance", "bad-default-sa-vm"),
    ("gcp.compute.instance", "bad-ip-forward-vm"),
    ("gcp.compute.instance", "good-hardened-vm"),
    ("gcp.compute.network", "bad-legacy-net"),
    ("gcp.compute.network", "default"),
    ("gcp.compute.network", "good-custom-vpc"),
    ("gcp.compute.subnetwork", "bad-subnet"),
    ("gcp.compute.subnetwork", "good-proxy-only"),
    ("gcp.compute.subnetwork", "good-subnet"),
    ("gcp.compute.target_proxy", "bad-default-tls-proxy"),
    ("gcp.compute.target_proxy", "good-modern-tls-proxy"),
    ("gcp.dataproc.cluster", "bad-plain-cluster"),
    ("gcp.dataproc.cluster", "good-cmek-cluster"),
    ("gcp.dns.managed_zone", "bad-sha1-zone"),
    ("gcp.dns.managed_zone", "bad-unsigned-zone"),
    ("gcp.dns.managed_zone", "good-private-zone"),
    ("gcp.dns.managed_zone", "good-signed-zone"),
    (
        "gcp.iam.service_account",
        "111111111111-compute@developer.gserviceaccount.com",
    ),
    (
        "gcp.iam.service_account",
        "bad-admin-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    (
        "gcp.iam.service_account",
        "bad-old-key-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    (
        "gcp.iam.service_account",
        "good-app-sa@mamori-fixture.iam.gserviceaccount.com",
    ),
    ("gcp.kms.key", "bad-unrotated-key"),
    ("gcp.kms.key", "good-rotated-key"),
    ("gcp.kms.key", "good-signing-key"),
    ("gcp.logging.sink", "_Default"),
    ("gcp.logging.sink", "_Required"),
    ("gcp.logging.sink", "good-all-logs-sink"),
    ("gcp.project", "mamori-fixture"),
    ("gcp.sql.instance", "bad-public-mysql"),
    ("gcp.sql.instance", "good-private-postgres"),
    ("gcp.storage.bucket", "bad-public-bucket"),
    ("gcp.storage.bucket", "good-log-bucket"),
    ("gcp.storage.bucket", "good-private-bucket"),
];

/// The instant saved inventories are re-evaluated at, so key ages do not drift.
const PINNED_NOW: &str = "2026-06-01T00:00:00Z";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gcp")
}

/// `mamori` with an isolated environment: no user credentials, no user config.
fn mamori(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("mamori").expect("mamori binary");
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            home.join("no-such-key.json"),
        )
        .env("NO_PROXY", "127.0.0.1")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

struct Scan {
    output: Output,
    inventory: Value,
    findings: Vec<Value>,
}

/// Runs `mamori scan gcp ARGS` against the server, saving the inventory; then evaluates
/// it again with `collected_at` pinned, returning both.
fn scan(server: &FixtureServer, args: &[&str]) -> Scan {
    let dir = tempfile::tempdir().expect("tempdir");
    let inv_path = dir.path().join("inventory.json");
    let output = mamori(dir.path())
        .env("MAMORI_GCP_ENDPOINT", &server.url)
        .args(["scan", "gcp"])
        .args(args)
        .args(["--format", "json", "--quiet", "--save-inventory"])
        .arg(&inv_path)
        .output()
        .expect("run mamori");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "scan failed: {:?}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let live: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert!(live["findings"].is_array(), "{live}");
    let mut inventory: Value =
        serde_json::from_str(&std::fs::read_to_string(&inv_path).expect("inventory saved"))
            .expect("inventory JSON");
    inventory["collected_at"] = Value::String(PINNED_NOW.to_string());
    let pinned = dir.path().join("pinned.json");
    std::fs::write(&pinned, inventory.to_string()).expect("write pinned inventory");
    let evaluated = mamori(dir.path())
        .args(["scan", "--inventory"])
        .arg(&pinned)
        .args(["--format", "json", "--quiet"])
        .output()
        .expect("run mamori");
    assert!(
        matches!(evaluated.status.code(), Some(0 | 1)),
        "evaluation failed: {}",
        String::from_utf8_lossy(&evaluated.stderr)
    );
    let report: Value = serde_json::from_slice(&evaluated.stdout).expect("JSON report");
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    Scan {
        output,
        inventory,
        findings,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn resource_name(f: &Value) -> &str {
    f["resource"]["name"]
        .as_str()
        .or_else(|| f["resource"]["id"].as_str())
        .unwrap_or_default()
}

fn is_bad(name: &str) -> bool {
    name.starts_with("bad-") || name.starts_with("bad_")
}

fn is_good(name: &str) -> bool {
    name.starts_with("good-") || name.starts_with("good_")
}

#[test]
fn fixture_project_reports_every_bad_resource_and_no_good_one() {
    let server = FixtureServer::start(fixtures());
    let scan = scan(&server, &["--project", "mamori-fixture"]);

    assert_eq!(
        server.unmatched(),
        Vec::<String>::new(),
        "requests without a fixture"
    );
    let requests = server.requests();
    for expected in [
        "pageToken=sa-page-2",
        "pageToken=bucket-page-2",
        "pageToken=vm-page-2",
        "pageToken=loc-page-2",
        "pageToken=svc-page-2",
        "keyTypes=USER_MANAGED",
        "POST /v3/projects/mamori-fixture:getIamPolicy",
    ] {
        assert!(
            requests.iter().any(|r| r.contains(expected)),
            "no request with {expected}: {requests:#?}"
        );
    }

    let inv = &scan.inventory;
    assert_eq!(inv["errors"], Value::Array(vec![]), "collection errors");
    assert_eq!(inv["scopes"][0]["id"], "mamori-fixture");
    assert_eq!(inv["scopes"][0]["name"], "Mamori Fixture");
    let resources = inv["resources"].as_array().expect("resources");
    let collected: BTreeSet<(String, String)> = resources
        .iter()
        .map(|r| (str_of(r, "kind").to_string(), str_of(r, "name").to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED_RESOURCES
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
    assert_eq!(collected, expected);

    // Normalization spot checks that the checks rely on.
    let data = |kind: &str, name: &str| -> Value {
        resources
            .iter()
            .find(|r| str_of(r, "kind") == kind && str_of(r, "name") == name)
            .map(|r| r["data"].clone())
            .unwrap_or(Value::Null)
    };
    let project = data("gcp.project", "mamori-fixture");
    assert_eq!(project["project_number"], "111111111111");
    assert_eq!(project["os_login_enabled"], true);
    assert_eq!(project["access_approval_enabled"], false);
    assert_eq!(
        project["enabled_services"].as_array().map(Vec::len),
        Some(4)
    );
    let vm = data("gcp.compute.instance", "bad-default-sa-vm");
    assert_eq!(vm["public_ips"], serde_json::json!(["203.0.113.10"]));
    assert_eq!(vm["os_login_enabled"], false);
    assert!(
        data("gcp.compute.instance", "bad-ip-forward-vm")
            .get("os_login_enabled")
            .is_none()
    );
    let sa = data(
        "gcp.iam.service_account",
        "bad-admin-sa@mamori-fixture.iam.gserviceaccount.com",
    );
    assert_eq!(sa["project_roles"], serde_json::json!(["roles/owner"]));
    let key = data("gcp.kms.key", "good-rotated-key");
    assert_eq!(key["rotation_period_seconds"], 7_776_000);
    let bucket = data("gcp.storage.bucket", "good-log-bucket");
    assert_eq!(bucket["log_sink_destination"], true);
    assert_eq!(
        bucket["retention_policy"]["retention_period_seconds"],
        31_536_000
    );
    let sql = data("gcp.sql.instance", "good-private-postgres");
    assert_eq!(sql["database_flags"]["log_statement"], "ddl");
    let ds = data("gcp.bigquery.dataset", "bad_public_dataset");
    assert!(
        ds["access"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["entity"] == "allAuthenticatedUsers"))
    );

    let findings = &scan.findings;
    assert!(!findings.is_empty(), "no findings at all");
    let errors: Vec<&Value> = findings.iter().filter(|f| f["status"] == "error").collect();
    assert!(errors.is_empty(), "error findings: {errors:#?}");
    let loaded: BTreeSet<&str> = findings.iter().map(|f| str_of(f, "check_id")).collect();
    let fails: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            (
                str_of(f, "check_id").to_string(),
                resource_name(f).to_string(),
            )
        })
        .collect();

    // Every bad resource is expected to fail something; it must, as soon as one of the
    // checks expected to catch it is loaded (with all GCP checks: always).
    for r in resources {
        let (kind, name) = (str_of(r, "kind"), str_of(r, "name"));
        if !is_bad(name) {
            continue;
        }
        let catching: Vec<&str> = EXPECTED_FAILS
            .iter()
            .filter(|(_, n)| *n == name)
            .map(|(c, _)| *c)
            .collect();
        assert!(
            !catching.is_empty(),
            "{kind} {name} is missing from EXPECTED_FAILS"
        );
        if catching.iter().any(|c| loaded.contains(c)) {
            assert!(
                fails.iter().any(|(_, n)| n == name),
                "bad resource {kind} {name} has no failing finding"
            );
        }
    }
    let good_fails: Vec<_> = fails.iter().filter(|(_, n)| is_good(n)).collect();
    assert!(
        good_fails.is_empty(),
        "good resources fail: {good_fails:#?}"
    );

    let expected: BTreeSet<(String, String)> = EXPECTED_FAILS
        .iter()
        .filter(|(c, _)| loaded.contains(c))
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    let missing: Vec<_> = expected.difference(&fails).collect();
    let unexpected: Vec<_> = fails.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "fail list differs from EXPECTED_FAILS\nmissing: {missing:#?}\nunexpected: {unexpected:#?}"
    );
    // The live run (real clock) evaluated the same inventory without errors too.
    let live: Value = serde_json::from_slice(&scan.output.stdout).expect("JSON report");
    assert!(
        live["findings"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["status"] != "error"))
    );
}

#[test]
fn disabled_api_is_reported_as_not_assessed_and_the_rest_is_intact() {
    let server = FixtureServer::start(fixtures());
    let scan = scan(&server, &["--project", "mamori-disabled"]);

    let errors = scan.inventory["errors"].as_array().expect("errors");
    let compute = errors
        .iter()
        .find(|e| e["service"] == "compute" && e["code"] == "SERVICE_DISABLED")
        .unwrap_or_else(|| panic!("no SERVICE_DISABLED error for compute: {errors:#?}"));
    assert!(str_of(compute, "message").contains("Compute Engine API has not been used"));
    let kinds: Vec<&str> = compute["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for kind in [
        "gcp.compute.firewall",
        "gcp.compute.instance",
        "gcp.compute.network",
    ] {
        assert!(
            kinds.contains(&kind),
            "{kind} not marked incomplete: {kinds:?}"
        );
    }
    // Compute calls stop after the first SERVICE_DISABLED answer.
    let compute_calls = server
        .requests()
        .iter()
        .filter(|r| r.contains("/compute/v1/projects/mamori-disabled/") && !r.contains("/regions"))
        .count();
    assert_eq!(
        compute_calls, 0,
        "compute lists called after the API was found disabled"
    );

    let findings = &scan.findings;
    let compute_checks: Vec<&Value> = findings
        .iter()
        .filter(|f| str_of(f, "check_id").starts_with("gcp-compute-firewall"))
        .collect();
    if !compute_checks.is_empty() {
        assert!(
            compute_checks.iter().all(|f| f["status"] == "error"),
            "compute checks must report error: {compute_checks:#?}"
        );
    }
    // A plain 403 (no SERVICE_DISABLED) on Cloud SQL is recorded as such.
    let sql = errors
        .iter()
        .find(|e| e["service"] == "sql")
        .unwrap_or_else(|| panic!("no error for Cloud SQL: {errors:#?}"));
    assert_eq!(sql["code"], "PERMISSION_DENIED");
    assert_eq!(sql["kinds"], serde_json::json!(["gcp.sql.instance"]));
    let sql_checks: Vec<&Value> = findings
        .iter()
        .filter(|f| str_of(f, "check_id").starts_with("gcp-sql-"))
        .collect();
    assert!(
        sql_checks.iter().all(|f| f["status"] == "error"),
        "Cloud SQL checks must report error: {sql_checks:#?}"
    );

    // The bucket in the same project is still assessed.
    let bucket: Vec<&Value> = findings
        .iter()
        .filter(|f| resource_name(f) == "good-other-bucket")
        .collect();
    assert!(!bucket.is_empty(), "storage checks missing");
    assert!(
        bucket.iter().all(|f| f["status"] == "pass"),
        "bucket findings: {bucket:#?}"
    );
}

#[test]
fn organization_scan_enumerates_projects_below_folders() {
    let server = FixtureServer::start(fixtures());
    let scan = scan(&server, &["--organization", "123456789012"]);
    let scopes: Vec<&str> = scan.inventory["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| str_of(s, "id"))
        .collect();
    assert_eq!(scopes, ["mamori-disabled", "mamori-fixture"]);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("pageToken=folder-456-page-2"))
    );
    assert!(
        !requests.iter().any(|r| r.contains("mamori-deleted")),
        "a project being deleted was scanned"
    );
    // Both projects' resources are there.
    let names: BTreeSet<&str> = scan.inventory["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| str_of(r, "name"))
        .collect();
    assert!(names.contains("good-other-bucket") && names.contains("bad-public-bucket"));

    // --folder walks only that folder.
    let folder = self::scan(&server, &["--folder", "456"]);
    assert_eq!(folder.inventory["scopes"][0]["id"], "mamori-disabled");
    assert_eq!(folder.inventory["scopes"].as_array().map(Vec::len), Some(1));
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let server = FixtureServer::start(fixtures());
    server.fail_first("/storage/v1/b", 429, 3);
    server.fail_first("/aggregated/instances", 503, 2);
    let scan = scan(&server, &["--project", "mamori-fixture"]);
    assert_eq!(scan.inventory["errors"], Value::Array(vec![]));
    let names: BTreeSet<&str> = scan.inventory["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| str_of(r, "name"))
        .collect();
    for n in [
        "bad-public-bucket",
        "good-log-bucket",
        "bad-default-sa-vm",
        "bad-ip-forward-vm",
    ] {
        assert!(names.contains(n), "{n} missing after retries");
    }
}

#[test]
fn credentials_are_sent_to_the_endpoint_override_when_available() {
    // A throwaway service-account key: such credentials sign their own JWT access
    // tokens, so no token endpoint is involved.
    let home = tempfile::tempdir().expect("tempdir");
    let pem = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl is needed to generate a test key");
    assert!(pem.status.success(), "openssl genpkey failed");
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": "mamori-fixture",
        "private_key_id": "0123456789abcdef",
        "private_key": String::from_utf8_lossy(&pem.stdout),
        "client_email": "scanner@mamori-fixture.iam.gserviceaccount.com",
        "client_id": "100000000000000000009",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let key_path = home.path().join("key.json");
    std::fs::write(&key_path, key.to_string()).expect("write key");

    let server = FixtureServer::start(fixtures());
    let out = mamori(home.path())
        .env("GOOGLE_APPLICATION_CREDENTIALS", &key_path)
        .env("GOOGLE_CLOUD_QUOTA_PROJECT", "mamori-billing")
        .env("MAMORI_GCP_ENDPOINT", &server.url)
        .args(["scan", "gcp", "--project", "mamori-fixture", "--quiet"])
        .output()
        .expect("run mamori");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = server.auth_headers();
    assert!(!seen.is_empty());
    for (target, authorization, user_project) in &seen {
        assert!(
            authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Bearer ")),
            "{target} sent without a bearer token"
        );
        assert_eq!(user_project.as_deref(), Some("mamori-billing"), "{target}");
    }
}

#[test]
fn missing_credentials_exit_3_with_how_to_authenticate() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = mamori(home.path())
        .args(["scan", "gcp", "--project", "mamori-fixture"])
        .output()
        .expect("run mamori");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.contains("gcloud auth application-default login"),
        "{stderr}"
    );
    assert!(
        stderr.contains("GOOGLE_APPLICATION_CREDENTIALS"),
        "{stderr}"
    );
}

#[test]
fn unreachable_endpoint_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let home = tempfile::tempdir().expect("tempdir");
    let out = mamori(home.path())
        .env("MAMORI_GCP_ENDPOINT", format!("http://127.0.0.1:{port}"))
        .args(["scan", "gcp", "--project", "mamori-fixture"])
        .output()
        .expect("run mamori");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("MAMORI_GCP_ENDPOINT"), "{stderr}");
}

#[test]
fn requests_are_anonymous_without_credentials() {
    let server = FixtureServer::start(fixtures());
    scan(&server, &["--project", "mamori-disabled"]);
    let seen = server.auth_headers();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|(_, a, _)| a.is_none()), "{seen:#?}");
}

#[test]
fn no_project_is_a_usage_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = mamori(home.path())
        .env("MAMORI_GCP_ENDPOINT", "http://127.0.0.1:9")
        .args(["scan", "gcp"])
        .output()
        .expect("run mamori");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shards_partition_the_projects_and_merge_into_the_unsharded_report() {
    let server = FixtureServer::start(fixtures());
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = scan(&server, &["--organization", "123456789012"]);
    let mut parts = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let part = scan(
            &server,
            &["--organization", "123456789012", "--shard", &shard],
        );
        for s in part.inventory["scopes"].as_array().expect("scopes") {
            seen.push(str_of(s, "id").to_string());
        }
        let path = dir.path().join(format!("part-{i}.json"));
        std::fs::write(&path, &part.output.stdout).expect("write part");
        parts.push(path);
    }
    seen.sort();
    assert_eq!(
        seen,
        ["mamori-disabled", "mamori-fixture"],
        "each project in one shard"
    );

    let merged = mamori(dir.path())
        .arg("merge")
        .args(&parts)
        .output()
        .expect("run mamori");
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged: Value = serde_json::from_slice(&merged.stdout).expect("merged JSON");
    let whole: Value = serde_json::from_slice(&whole.output.stdout).expect("JSON");
    let key = |r: &Value| -> Vec<(String, String)> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                (
                    str_of(f, "fingerprint").to_string(),
                    str_of(f, "status").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(key(&merged), key(&whole));
    assert_eq!(merged["summary"], whole["summary"]);
}
