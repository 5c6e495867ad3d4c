//! `mamori scan aws --organization` end to end: a moto organization of 52 member accounts
//! in nested OUs (`tests/aws/seed_org.py`), each seeded with known-bad and known-good
//! resources, one account whose role cannot be assumed (a proxy in front of moto refuses
//! its `AssumeRole` as AWS does) and one suspended account, scanned by the real binary
//! through the real SDK. Then the same scan in four shards, joined with `mamori merge`,
//! must equal the single run.

#![cfg(feature = "aws")]

#[path = "aws/harness.rs"]
mod harness;
#[path = "aws/stubs_mon.rs"]
#[allow(dead_code)]
mod stubs_mon;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use harness::{Message, Moto, Reply, Stub};
use serde_json::Value;

/// Access Analyzer is not emulated by moto: no analyzers anywhere.
fn access_analyzer_stub() -> Stub {
    Stub::start(|_req: &Message| Reply::json(200, r#"{"analyzers":[]}"#))
}

fn mamori(endpoint: &str, analyzer: &str, args: &[&str]) -> Output {
    // Stubs for what moto does not answer: CloudWatch (its CBOR protocol) with no alarms,
    // Macie not enabled, Inspector disabled for accounts that never enabled it.
    let cloudwatch = stubs_mon::cloudwatch_stub(false);
    let macie = stubs_mon::macie_stub(false);
    let inspector = stubs_mon::inspector2_disabled_stub();
    let mut cmd = harness::mamori_against(env!("CARGO_BIN_EXE_mamori"), endpoint);
    cmd.args(args)
        .env("AWS_ENDPOINT_URL_ACCESSANALYZER", analyzer)
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", &cloudwatch.url)
        .env("AWS_ENDPOINT_URL_MACIE2", &macie.url)
        .env("AWS_ENDPOINT_URL_INSPECTOR2", &inspector.url);
    cmd.output().expect("run mamori")
}

/// `scan aws --organization --region us-east-1 --format json` plus `extra`, written to `out`.
fn scan_org(endpoint: &str, analyzer: &str, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        "aws",
        "--organization",
        "--region",
        "us-east-1",
        "--format",
        "json",
        "--quiet",
        "--output",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let o = mamori(endpoint, analyzer, &args);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "scan failed ({:?}):\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out).expect("report")).expect("JSON report")
}

fn findings(r: &Value) -> impl Iterator<Item = &Value> {
    r["findings"].as_array().into_iter().flatten()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// A resource's name without the KMS `alias/` prefix.
fn short_name(f: &Value) -> String {
    let n = f["resource"]["name"].as_str().unwrap_or_default();
    n.strip_prefix("alias/").unwrap_or(n).to_string()
}

/// (check, resource id, account, status, fingerprint) of every finding, sorted.
fn outcome(r: &Value) -> Vec<(String, String, String, String, String)> {
    let mut v: Vec<_> = findings(r)
        .map(|f| {
            (
                s(f, "check_id").to_string(),
                s(&f["resource"], "id").to_string(),
                s(&f["resource"], "account").to_string(),
                s(f, "status").to_string(),
                s(f, "fingerprint").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn organization_scan_covers_every_account_and_shards_merge_to_the_same_report() {
    let Some(bin) = harness::moto_server_path() else {
        return;
    };
    let moto = Moto::start_with(&bin, false);
    let org: Value = serde_json::from_slice(&moto.run_seed("seed_org.py")).expect("org JSON");
    let management = s(&org, "management").to_string();
    let locked = s(&org, "locked").to_string();
    let suspended = s(&org, "suspended").to_string();
    let members: Vec<(String, String)> = org["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| (s(a, "id").to_string(), s(a, "name").to_string()))
        .collect();
    assert!(members.len() >= 50, "{} member accounts", members.len());
    let name_of: BTreeMap<&str, &str> = members
        .iter()
        .map(|(id, n)| (id.as_str(), n.as_str()))
        .collect();

    let proxy = Stub::moto_proxy_refusing_roles_in(moto.port(), locked.clone());
    let analyzer = access_analyzer_stub();
    let dir = tempfile::tempdir().expect("temp dir");

    moto.reset_recording();
    let full = scan_org(&proxy.url, &analyzer.url, &dir.path().join("all.json"), &[]);
    let recorded = moto.recorded();

    // Reads only (AssumeRole is how the scanner enters each account; nothing is written).
    let writes: Vec<_> = recorded
        .iter()
        .filter(|(m, p, a)| {
            let read = if a.is_empty() {
                // Account Management's GetAlternateContact is a read sent as POST.
                m == "GET" || m == "HEAD" || (m == "POST" && p == "/getAlternateContact")
            } else {
                a.starts_with("List")
                    || a.starts_with("Get")
                    || a.starts_with("Describe")
                    || a == "AssumeRole"
                    || (a.starts_with("Generate") && a.ends_with("Report"))
            };
            !read
        })
        .collect();
    assert!(writes.is_empty(), "non-read requests: {writes:#?}");

    // Scopes: every account of the organization; the suspended one marked skipped.
    let scopes: BTreeMap<String, &Value> = full["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|sc| (s(sc, "id").to_string(), sc))
        .collect();
    let mut expected_scopes: BTreeSet<String> = members.iter().map(|(id, _)| id.clone()).collect();
    expected_scopes.insert(management.clone());
    assert_eq!(
        scopes.keys().cloned().collect::<BTreeSet<_>>(),
        expected_scopes,
        "scopes"
    );
    assert!(
        scopes[&suspended]["attributes"]["skipped"]
            .as_str()
            .is_some_and(|w| w.contains("suspended")),
        "suspended account not listed as skipped: {}",
        scopes[&suspended]
    );

    // Every reachable account: each bad resource fails a check, no good one does.
    let reachable: Vec<&(String, String)> = members
        .iter()
        .filter(|(id, _)| *id != locked && *id != suspended)
        .collect();
    let mut failing: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for f in findings(&full) {
        let key = (s(&f["resource"], "account").to_string(), short_name(f));
        seen.insert(key.clone());
        if s(f, "status") == "fail" {
            failing
                .entry(key)
                .or_default()
                .insert(s(f, "check_id").to_string());
        }
    }
    for (id, _) in &reachable {
        for bad in ["bad-sg-ssh", "bad-user-admin", "bad-key-no-rotation"] {
            let key = (id.clone(), bad.to_string());
            assert!(seen.contains(&key), "{bad} of {id} was not collected");
            assert!(failing.contains_key(&key), "{bad} of {id} fails no check");
        }
        for good in ["good-sg-https", "good-user", "good-key"] {
            let key = (id.clone(), good.to_string());
            assert!(seen.contains(&key), "{good} of {id} was not collected");
            assert!(
                !failing.contains_key(&key),
                "{good} of {id} fails {:?}",
                failing.get(&key)
            );
        }
    }

    // Organization checks: bad-... accounts fail one, good-... accounts none; the
    // organization itself lacks only a Security Hub delegated administrator (moto cannot
    // register one).
    for f in findings(&full).filter(|f| s(&f["resource"], "kind") == "aws.organizations.account") {
        let name = s(&f["resource"], "name");
        if name.starts_with("good-") {
            assert_ne!(s(f, "status"), "fail", "{name}: {}", f["message"]);
        }
    }
    for (id, name) in members
        .iter()
        .filter(|(id, n)| n.starts_with("bad-") && *id != suspended)
    {
        let fails: Vec<&str> = findings(&full)
            .filter(|f| s(&f["resource"], "kind") == "aws.organizations.account")
            .filter(|f| s(&f["resource"], "account") == id && s(f, "status") == "fail")
            .map(|f| s(f, "check_id"))
            .collect();
        assert!(
            !fails.is_empty(),
            "{name} ({id}) fails no organization check"
        );
    }
    let org_fails: BTreeSet<&str> = findings(&full)
        .filter(|f| s(&f["resource"], "kind") == "aws.organizations.organization")
        .filter(|f| s(f, "status") == "fail")
        .map(|f| s(f, "check_id"))
        .collect();
    assert_eq!(
        org_fails,
        BTreeSet::from(["aws-organizations-securityhub-no-delegated-admin"]),
        "organization-level failures"
    );

    // The account whose role cannot be assumed: a recorded AssumeRole error, and its
    // member checks report `error`, never pass or fail.
    let errors = full["scan"]["collection_errors"]
        .as_array()
        .expect("errors");
    assert!(
        errors.iter().any(|e| s(e, "scope") == locked
            && s(e, "operation") == "AssumeRole"
            && s(e, "code") == "AccessDenied"),
        "no AssumeRole error for {locked}: {errors:#?}"
    );
    assert!(
        errors.iter().all(|e| s(e, "scope") == locked),
        "collection errors beyond the locked account: {errors:#?}"
    );
    let locked_member: Vec<&Value> = findings(&full)
        .filter(|f| s(&f["resource"], "account") == locked)
        .filter(|f| !s(&f["resource"], "kind").starts_with("aws.organizations."))
        .collect();
    assert!(
        locked_member.len() > 20,
        "only {} findings for the locked account",
        locked_member.len()
    );
    assert!(
        locked_member.iter().all(|f| s(f, "status") == "error"),
        "the locked account ({}) has evaluated findings",
        name_of[locked.as_str()]
    );
    // The suspended account is not scanned: only the organization's view of it.
    assert!(
        findings(&full)
            .filter(|f| s(&f["resource"], "account") == suspended)
            .all(|f| s(&f["resource"], "kind") == "aws.organizations.account"),
        "the suspended account was scanned"
    );

    // Four shards, merged, equal the single run.
    let mut parts = Vec::new();
    let mut owners: BTreeMap<String, usize> = BTreeMap::new();
    for i in 1..=4 {
        let path = dir.path().join(format!("part-{i}.json"));
        let inv = dir.path().join(format!("inventory-{i}.json"));
        let shard = format!("{i}/4");
        let part = scan_org(
            &proxy.url,
            &analyzer.url,
            &path,
            &[
                "--shard",
                &shard,
                "--save-inventory",
                inv.to_str().expect("utf-8"),
            ],
        );
        for sc in part["scan"]["scopes"].as_array().expect("scopes") {
            *owners.entry(s(sc, "id").to_string()).or_default() += 1;
        }
        parts.push(path);
    }
    assert!(
        owners.values().all(|n| *n == 1) && owners.len() == expected_scopes.len(),
        "shards overlap or miss accounts: {owners:?}"
    );
    let merged_path = dir.path().join("merged.json");
    let mut args = vec!["merge".to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.extend(["-o".to_string(), merged_path.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = mamori(&proxy.url, &analyzer.url, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).expect("merged"))
            .expect("JSON");
    assert_eq!(
        outcome(&merged),
        outcome(&full),
        "merged shards differ from the single run"
    );
    assert_eq!(merged["summary"], full["summary"], "summary");
    let ids = |r: &Value| -> BTreeSet<String> {
        r["scan"]["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|sc| s(sc, "id").to_string())
            .collect()
    };
    assert_eq!(ids(&merged), ids(&full), "scopes");
    let errs = |r: &Value| r["scan"]["collection_errors"].as_array().map(Vec::len);
    assert_eq!(errs(&merged), errs(&full), "collection errors");

    // The shards' saved inventories merge the same way, and evaluate offline to the same.
    let all_inv = dir.path().join("inventory-all.json");
    let mut args = vec!["merge".to_string()];
    args.extend((1..=4).map(|i| {
        dir.path()
            .join(format!("inventory-{i}.json"))
            .display()
            .to_string()
    }));
    args.extend(["-o".to_string(), all_inv.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = mamori(&proxy.url, &analyzer.url, &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let offline_path = dir.path().join("offline.json");
    let o = mamori(
        &proxy.url,
        &analyzer.url,
        &[
            "scan",
            "--inventory",
            all_inv.to_str().expect("utf-8"),
            "--format",
            "json",
            "--quiet",
            "--output",
            offline_path.to_str().expect("utf-8"),
        ],
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let offline: Value =
        serde_json::from_str(&std::fs::read_to_string(&offline_path).expect("offline"))
            .expect("JSON");
    assert_eq!(
        outcome(&offline),
        outcome(&full),
        "merged inventories evaluate differently"
    );
}

#[test]
fn organization_flag_outside_an_organization_exits_3() {
    let Some(bin) = harness::moto_server_path() else {
        return;
    };
    let moto = Moto::start_with(&bin, false);
    let analyzer = access_analyzer_stub();
    let o = mamori(
        &moto.url,
        &analyzer.url,
        &[
            "scan",
            "aws",
            "--organization",
            "--region",
            "us-east-1",
            "--quiet",
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("not in an organization"), "{stderr}");
    // Organization flags need --organization.
    let o = mamori(&moto.url, &analyzer.url, &["scan", "aws", "--ou", "ou-x"]);
    assert_eq!(o.status.code(), Some(2));
}
