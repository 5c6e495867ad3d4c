//! The outside-in guest probe end to end: the real `mamori` binary probes local fake
//! Experience Cloud sites (`tests/support/sf_site.rs`) the way a guest's browser talks to
//! them, with no credentials.

#![cfg(feature = "salesforce")]

mod support;

use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use support::sf_site::{FakeSite, SENTINEL, SiteOptions};

/// The Aura actions the probe may send; anything else would be a write or an unknown.
const READ_ONLY: [&str; 2] = [
    "serviceComponent://ui.force.components.controllers.hostConfig.HostConfigController/ACTION$getConfigData",
    "serviceComponent://ui.force.components.controllers.lists.selectableListDataProvider.SelectableListDataProviderController/ACTION$getItems",
];

fn mamori() -> Command {
    support::mamori_without_sf_session()
}

fn probe(site: &FakeSite, extra: &[&str]) -> Output {
    mamori()
        .args(["scan", "salesforce-site", &site.url, "--rate", "200"])
        .args(extra)
        .output()
        .expect("run mamori")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&out.stdout), text(&out.stderr)))
}

fn failing(report: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap_or("").to_string(),
                f["resource"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn assert_only_guest_reads(site: &FakeSite) {
    let requests = site.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(
            r.method == "GET" || r.method == "POST",
            "unexpected method: {r:?}"
        );
        assert!(!r.credentials, "credentials sent: {r:?}");
        assert!(r.user_agent.starts_with("mamori/"), "{r:?}");
        if r.method == "POST" {
            assert!(
                r.path.ends_with("/aura") || r.path == "/services/Soap/u/60.0",
                "unexpected POST: {r:?}"
            );
        }
        for d in &r.descriptors {
            assert!(READ_ONLY.contains(&d.as_str()), "non-read action sent: {d}");
        }
    }
}

#[test]
fn exposed_site_reports_each_readable_object_with_its_count() {
    let site = FakeSite::start(SiteOptions::exposed());
    let inventory = tempfile::NamedTempFile::new().expect("temp file");
    let out = probe(
        &site,
        &[
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--save-inventory",
            inventory.path().to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = json(&out);
    let site_name = format!("{}/s", site.url);
    assert_eq!(
        failing(&report),
        vec![
            (
                "salesforce-site-guest-api-answers".to_string(),
                site_name.clone()
            ),
            (
                "salesforce-site-guest-personal-records-readable".into(),
                "Contact".into()
            ),
            (
                "salesforce-site-guest-personal-records-readable".into(),
                "Patient__c".into()
            ),
            (
                "salesforce-site-self-registration-open".into(),
                site_name.clone()
            ),
        ]
    );
    let contact = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["status"] == "fail" && f["resource"]["name"] == "Contact")
        .expect("Contact finding");
    assert_eq!(contact["severity"], "critical");
    let message = contact["message"].as_str().expect("message");
    assert!(message.contains("can list 42 Contact records"), "{message}");
    assert!(
        message.contains("getItems(entityNameOrId=Contact"),
        "{message}"
    );
    assert!(
        message.contains(&format!("{site_name}/sfsites/aura")),
        "{message}"
    );
    let patient = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["status"] == "fail" && f["resource"]["name"] == "Patient__c")
        .expect("Patient__c finding");
    assert!(
        patient["message"]
            .as_str()
            .expect("message")
            .contains("can list 7 Patient__c records")
    );
    // No error findings: everything was probed.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["status"] != "error"),
        "{report:#}"
    );

    // Record values never reach any output or the saved inventory.
    let saved = std::fs::read_to_string(inventory.path()).expect("saved inventory");
    assert!(saved.contains("Patient__c"));
    assert!(!saved.contains(SENTINEL), "record data in the inventory");
    assert!(!text(&out.stdout).contains(SENTINEL));
    assert!(!text(&out.stderr).contains(SENTINEL));
    for format in ["table", "sarif", "html", "csv", "junit", "markdown", "ocsf"] {
        let out = probe(&site, &["--format", format]);
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(2),
            "{format}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains(SENTINEL), "{format}");
        assert!(!text(&out.stderr).contains(SENTINEL), "{format}");
    }
    assert_only_guest_reads(&site);

    // The saved inventory re-evaluates offline to the same findings.
    let offline = mamori()
        .args(["scan", "--inventory"])
        .arg(inventory.path())
        .args(["--format", "json"])
        .output()
        .expect("run mamori");
    assert_eq!(failing(&json(&offline)), failing(&report));
}

#[test]
fn locked_down_site_fails_nothing() {
    let site = FakeSite::start(SiteOptions::locked_down());
    let out = probe(&site, &["--format", "json", "--fail-on", "low"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    assert_eq!(failing(&report), Vec::<(String, String)>::new());
    let objects: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"]["kind"] == "salesforce.guest_object")
        .collect();
    assert!(!objects.is_empty());
    assert!(objects.iter().all(|f| f["status"] == "pass"), "{objects:?}");
    assert_only_guest_reads(&site);
}

#[test]
fn request_budget_leaves_unprobed_objects_not_evaluated() {
    let site = FakeSite::start(SiteOptions::exposed());
    // Landing page, getConfigData, one getItems: then the budget is spent.
    let out = probe(&site, &["--format", "json", "--max-requests", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    let errors: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "error")
        .collect();
    assert!(!errors.is_empty(), "{report:#}");
    assert!(
        errors.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or("")
            .contains("--max-requests 3")),
        "{errors:?}"
    );
    assert!(site.requests().len() <= 3, "{:?}", site.requests());
}

#[test]
fn unreachable_site_exits_3() {
    let out = mamori()
        .args(["scan", "salesforce-site", "http://127.0.0.1:9"])
        .output()
        .expect("run mamori");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot reach the site"));
}

#[test]
fn site_url_without_scheme_is_a_usage_error() {
    let out = mamori()
        .args(["scan", "salesforce-site", "example.my.site.com"])
        .output()
        .expect("run mamori");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn inside_findings_the_probe_reproduces_are_confirmed_from_outside() {
    use support::sf_org::{FixtureOrg, Options, TOKEN};
    let site = FakeSite::start(SiteOptions {
        prefix: "/portal",
        ..SiteOptions::exposed()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = dir.path().join("outside.json");
    let inside = dir.path().join("inside.json");
    let out = mamori()
        .args([
            "scan",
            "salesforce-site",
            &format!("{}/portal", site.url),
            "--rate",
            "200",
        ])
        .args(["--format", "json", "--save-inventory"])
        .arg(&outside)
        .output()
        .expect("run mamori");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The org's site `bad_portal` lives at {fake site}/portal.
    let org = FixtureOrg::start(Options {
        site_base: Some(site.url.clone()),
        ..Options::default()
    });
    let out = mamori()
        .env("SF_ACCESS_TOKEN", TOKEN)
        .args([
            "scan",
            "salesforce",
            "--instance-url",
            &org.url,
            "--format",
            "json",
        ])
        .arg("--save-inventory")
        .arg(&inside)
        .output()
        .expect("run mamori");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let alone = json(&out);

    let both = mamori()
        .arg("scan")
        .arg("--inventory")
        .arg(&inside)
        .arg("--inventory")
        .arg(&outside)
        .args(["--format", "json"])
        .output()
        .expect("run mamori");
    assert_eq!(both.status.code(), Some(0), "{}", text(&both.stderr));
    let report = json(&both);
    let find = |r: &Value, id: &str| -> Value {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["check_id"] == id && f["resource"]["name"] == "bad-portal Profile")
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    for id in [
        "salesforce-guest-api-enabled",
        "salesforce-guest-sensitive-object-read",
    ] {
        let f = find(&report, id);
        assert_eq!(f["status"], "fail");
        assert!(f["confirmed_from_outside"].is_string(), "{f:#}");
        assert!(
            f["message"]
                .as_str()
                .expect("message")
                .contains("Confirmed from outside"),
            "{f:#}"
        );
        // Alone, the inside scan claims nothing about the outside.
        assert!(find(&alone, id)["confirmed_from_outside"].is_null());
    }
    // Both halves keep their own scopes.
    assert_eq!(report["scan"]["scopes"].as_array().map(Vec::len), Some(2));
}

#[test]
fn an_aura_build_mismatch_is_reported_not_passed() {
    let site = FakeSite::start(SiteOptions {
        stale_page_fwuid: true,
        ..SiteOptions::exposed()
    });
    let out = probe(&site, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    let object_checks: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["resource"]["kind"] == "salesforce.guest_object")
        .collect();
    assert!(!object_checks.is_empty(), "{report:#}");
    for f in object_checks {
        assert_eq!(f["status"], "error", "{f:#}");
        assert!(
            f["message"]
                .as_str()
                .unwrap_or_default()
                .contains("clientOutOfSync"),
            "{f:#}"
        );
    }
    assert_only_guest_reads(&site);
}

#[test]
fn a_site_without_an_aura_endpoint_leaves_objects_not_evaluated() {
    let site = FakeSite::start(SiteOptions::exposed());
    // Wrong --path: nothing answers Aura there.
    let out = probe(&site, &["--format", "json", "--path", "/nowhere"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| {
                f["resource"]["kind"] == "salesforce.guest_object"
                    && f["status"] == "error"
                    && f["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("AURA_NOT_FOUND")
            }),
        "{report:#}"
    );
}
