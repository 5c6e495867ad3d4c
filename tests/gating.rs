//! CI gating, end to end through the binary: `--mutelist`, `--baseline`, `--fail-on`,
//! `--quiet`, `mamori diff` and `mamori mutelist check`, on `fixtures/demo/inventory.json`
//! and the small inventories in `fixtures/gating/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Standard error with miette's line wrapping and box drawing undone.
    fn err(&self) -> String {
        self.stderr
            .lines()
            .map(|l| l.trim_start().trim_start_matches(['│', '×', '·']).trim())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

fn mamori<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the mamori binary runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `mamori scan --inventory INV --format json EXTRA...`
fn scan_json(inventory: &str, extra: &[&str]) -> Run {
    let mut args = vec!["scan", "--inventory", inventory, "--format", "json"];
    args.extend_from_slice(extra);
    mamori(&args)
}

fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let p: PathBuf = dir.path().join(name);
    std::fs::write(&p, text).expect("temp file written");
    p.display().to_string()
}

fn muted_names(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "muted")
        .map(|f| f["resource"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    v.sort();
    v
}

const PAB: &str = "aws-s3-public-access-block-disabled";

/// The crafted bucket inventories are evaluated with only the Block Public Access check,
/// so that the expectations below do not move when more S3 checks are added.
const ONLY_PAB: [&str; 2] = ["--check", PAB];

/// `scan_json` with only the Block Public Access check.
fn scan_pab(inventory: &str, extra: &[&str]) -> Run {
    scan_json(inventory, &[&ONLY_PAB[..], extra].concat())
}

#[test]
fn mutelist_entries_match_by_every_form() {
    let dir = TempDir::new().expect("tempdir");
    let buckets = fixture("fixtures/gating/buckets.json");
    let cases: &[(&str, &[&str])] = &[
        // check glob alone: every failing bucket
        (
            "check: aws-s3-*",
            &["access-logs", "site-prod", "site-sandbox"],
        ),
        // resource by id, by name, by ARN glob
        ("resource: arn:aws:s3:::site-prod", &["site-prod"]),
        ("resource: access-logs", &["access-logs"]),
        (
            "resource: 'arn:aws:s3:::site-*'",
            &["site-prod", "site-sandbox"],
        ),
        // a list of patterns: any may match
        (
            "resource: [access-logs, site-sandbox]",
            &["access-logs", "site-sandbox"],
        ),
        // scope (unquoted number), region
        (
            "scope: 111122223333",
            &["access-logs", "site-prod", "site-sandbox"],
        ),
        ("region: eu-*", &["site-prod"]),
        // tags: all given must match; values are globs
        ("tags: {env: sandbox}", &["site-sandbox"]),
        ("tags: {team: web, env: 'p*'}", &["site-prod"]),
        ("tags: {team: web, env: staging}", &[]),
        // everything combined
        (
            "check: aws-s3-public-access-block-disabled\n    resource: site-*\n    scope: '1111*'\n    region: us-east-1\n    tags: {team: web}",
            &["site-sandbox"],
        ),
        // a different check: nothing muted
        ("check: aws-iam-*", &[]),
    ];
    for (i, (entry, expected)) in cases.iter().enumerate() {
        let ml = write(
            &dir,
            &format!("m{i}.yaml"),
            &format!("mutelist:\n  - {entry}\n    reason: accepted in SEC-1\n"),
        );
        let run = scan_pab(&buckets, &["--mutelist", &ml]);
        assert_eq!(run.code, 0, "{entry}: {}", run.stderr);
        let doc = run.json();
        assert_eq!(muted_names(&doc), *expected, "entry `{entry}`");
        for f in doc["findings"].as_array().expect("findings") {
            if f["status"] == "muted" {
                assert_eq!(f["muted_reason"], "accepted in SEC-1");
            } else {
                assert!(f.get("muted_reason").is_none());
            }
        }
        assert_eq!(doc["summary"]["muted"], expected.len());
    }
}

#[test]
fn mutelist_check_patterns_match_former_ids() {
    let dir = TempDir::new().expect("tempdir");
    let ml = write(
        &dir,
        "m.yaml",
        "mutelist:\n  - check: acme-legacy-s3-*\n    resource: access-logs\n    reason: renamed check, old id kept working\n",
    );
    let run = scan_json(
        &fixture("fixtures/gating/buckets.json"),
        &[
            "--checks-dir",
            &fixture("fixtures/gating/checks"),
            "--check",
            "aws-s3-bucket-exposed",
            "--mutelist",
            &ml,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(muted_names(&run.json()), ["access-logs"]);
}

#[test]
fn mutelist_never_mutes_errors_or_passes() {
    // The demo inventory has an `error` finding for security groups in us-east-1 and
    // passing buckets; an entry covering everything in the account mutes only fails.
    let dir = TempDir::new().expect("tempdir");
    let ml = write(
        &dir,
        "m.yaml",
        "mutelist:\n  - scope: '210987654321'\n    reason: whole account accepted\n",
    );
    let run = scan_json(
        &fixture("fixtures/demo/inventory.json"),
        &["--mutelist", &ml],
    );
    let doc = run.json();
    let aws: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["provider"] == "aws")
        .collect();
    assert!(aws.iter().any(|f| f["status"] == "error"));
    assert!(aws.iter().any(|f| f["status"] == "pass"));
    assert!(aws.iter().all(|f| f["status"] != "fail"));
    assert!(aws.iter().any(|f| f["status"] == "muted"));
}

#[test]
fn expired_entries_stop_muting_and_warn() {
    let dir = TempDir::new().expect("tempdir");
    let buckets = fixture("fixtures/gating/buckets.json");
    let ml = write(
        &dir,
        "m.yaml",
        "# accepted risks\nmutelist:\n  - resource: site-sandbox\n    reason: sandbox site, SEC-7\n    expires: 2999-12-31\n  - resource: site-prod\n    reason: launch exception, SEC-9\n    expires: 2020-01-31\n",
    );
    let run = scan_pab(&buckets, &["--mutelist", &ml, "--fail-on", "high"]);
    assert_eq!(run.code, 1, "site-prod is failing again");
    assert_eq!(muted_names(&run.json()), ["site-sandbox"]);
    assert!(
        run.stderr.contains(&format!("{ml}:6"))
            && run.stderr.contains("expired on 2020-01-31")
            && run.stderr.contains("launch exception, SEC-9"),
        "{}",
        run.stderr
    );
    // --quiet: the report and nothing else.
    let quiet = scan_pab(
        &buckets,
        &["--mutelist", &ml, "--fail-on", "high", "--quiet"],
    );
    assert_eq!(quiet.code, 1);
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.json()["summary"]["muted"], 1);
}

#[test]
fn quiet_prints_only_the_report() {
    let dir = TempDir::new().expect("tempdir");
    let out = dir.path().join("r.json").display().to_string();
    let args = [
        "scan",
        "--inventory",
        &fixture("fixtures/demo/inventory.json"),
        "--fail-on",
        "high",
        "--format",
        "json",
        "--output",
        &out,
    ];
    let loud = mamori(&args);
    assert_eq!(loud.code, 1);
    assert!(loud.stderr.contains("failing finding(s) at or above high"));
    let mut quiet_args = args.to_vec();
    quiet_args.push("--quiet");
    let quiet = mamori(&quiet_args);
    assert_eq!(quiet.code, 1);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    let table = mamori(&[
        "scan",
        "--inventory",
        &fixture("fixtures/demo/inventory.json"),
        "--fail-on",
        "high",
        "-q",
    ]);
    assert_eq!(table.stderr, "");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report written"))
            .expect("report is JSON");
    let failing = report["summary"]["fail"].as_u64().expect("summary.fail");
    assert!(failing > 0);
    assert!(
        table.stdout.contains(&format!("{failing} failing")),
        "{}",
        table.stdout
    );
}

#[test]
fn malformed_mutelists_are_located_diagnostics_with_exit_2() {
    let dir = TempDir::new().expect("tempdir");
    let buckets = fixture("fixtures/gating/buckets.json");
    let cases = [
        // (file text, expected line:col, words in the message)
        (
            "mutelist:\n  - check: [aws-*\n    reason: x\n",
            "",
            "did not find expected",
        ),
        (
            "mutelist:\n  - check: aws-*\n",
            ":2:5",
            "missing field `reason`",
        ),
        (
            "mutelist:\n  - check: aws-*\n    reason: x\n    expires: 31/12/2026\n",
            ":4:14",
            "expected YYYY-MM-DD",
        ),
        (
            "mutelist:\n  - check: aws-*\n    reason: x\n    expire: 2026-12-31\n",
            ":4:5",
            "unknown field `expire`",
        ),
        (
            "mutelist:\n  - check: 'aws-[s3'\n    reason: x\n",
            ":2:13",
            "invalid pattern",
        ),
        (
            "mutelist:\n  - check: aws-*\n    reason: '  '\n",
            ":3:5",
            "`reason` is empty",
        ),
        (
            "mutelist:\n  - reason: everything\n",
            ":2:3",
            "matches every finding",
        ),
        ("entries: []\n", ":1:1", "unknown field `entries`"),
    ];
    for (i, (text, at, words)) in cases.iter().enumerate() {
        let ml = write(&dir, &format!("bad{i}.yaml"), text);
        let run = scan_json(&buckets, &["--mutelist", &ml, "--quiet"]);
        assert_eq!(run.code, 2, "case {i}: {}", run.stderr);
        assert_eq!(run.stdout, "", "case {i}: no report on a usage error");
        assert!(
            run.err().contains(&format!("{ml}{at}")) && run.err().contains(words),
            "case {i}: expected `{ml}{at}` and `{words}` in:\n{}",
            run.stderr
        );
        let check = mamori(&["mutelist", "check", &ml]);
        assert_eq!(check.code, 2, "mutelist check, case {i}");
    }
    let missing = scan_json(&buckets, &["--mutelist", "/nonexistent/mutelist.yaml"]);
    assert_eq!(missing.code, 2);
    assert!(missing.err().contains("cannot read mutelist"));
}

#[test]
fn mutelist_check_reports_stale_entries() {
    let dir = TempDir::new().expect("tempdir");
    let ml = write(
        &dir,
        "m.yaml",
        "mutelist:\n  - resource: site-sandbox\n    reason: used\n  - resource: deleted-bucket\n    reason: the bucket is gone\n  - check: aws-iam-*\n    reason: expired one\n    expires: 2021-03-01\n  - tags: {env: sandbox}\n    reason: by tag\n",
    );
    let inv = fixture("fixtures/gating/buckets.json");
    // `mutelist check --inventory` evaluates every check: count what fails on the
    // sandbox bucket (its Block Public Access finding among them) the same way.
    let all = scan_json(&inv, &[]).json();
    let sandbox: Vec<&Value> = all["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "fail" && f["resource"]["name"] == "site-sandbox")
        .collect();
    assert!(sandbox.iter().any(|f| f["check_id"] == PAB));
    let sandbox_matches = format!("matches {} finding(s)", sandbox.len());
    let run = mamori(&["mutelist", "check", &ml, "--inventory", &inv]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ok ") && lines[0].contains(&format!("{ml}:2")),
        "{}",
        run.stdout
    );
    assert!(lines[1].starts_with("UNUSED") && lines[1].contains("resource=deleted-bucket"));
    assert!(lines[2].starts_with("EXPIRED") && lines[2].contains("2021-03-01"));
    assert!(
        lines[3].starts_with("ok ") && lines[3].contains(&sandbox_matches),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("4 entries · 2 stale"));

    // Against a findings document: tags cannot be verified there.
    let findings = write(&dir, "f.json", &scan_json(&inv, &[]).stdout);
    let run = mamori(&["mutelist", "check", &ml, "--findings", &findings]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .lines()
            .nth(3)
            .is_some_and(|l| l.starts_with("UNKNOWN")),
        "{}",
        run.stdout
    );

    // A clean list: exit 0; without data the file is only validated.
    let good = write(
        &dir,
        "good.yaml",
        "mutelist:\n  - resource: site-*\n    reason: ok\n",
    );
    assert_eq!(
        mamori(&["mutelist", "check", &good, "--inventory", &inv]).code,
        0
    );
    assert_eq!(
        mamori(&["mutelist", "check", &good, "--findings", &findings]).code,
        0
    );
    let only = mamori(&["mutelist", "check", &good]);
    assert_eq!(only.code, 0);
    assert!(only.stdout.contains("valid"));
}

/// Adds a bare S3 bucket without Block Public Access to an inventory: one new high
/// finding of the Block Public Access check (other S3 checks may fail on it too, so the
/// scans that count its findings pin that check).
fn with_new_bucket(inventory: &str, scope: &str, name: &str) -> String {
    let mut inv: Value =
        serde_json::from_str(&std::fs::read_to_string(inventory).expect("inventory readable"))
            .expect("inventory is JSON");
    inv["resources"]
        .as_array_mut()
        .expect("resources")
        .push(serde_json::json!({
            "provider": "aws", "kind": "aws.s3.bucket", "id": format!("arn:aws:s3:::{name}"),
            "name": name, "region": "ap-northeast-1", "scope": scope,
            "data": {"arn": format!("arn:aws:s3:::{name}")}
        }));
    serde_json::to_string_pretty(&inv).expect("serializes")
}

/// Adds to `inventory` a copy, named `name`, of one of its S3 buckets on which no check
/// failed or errored in `findings` (its scan with every check), with the bucket's Block
/// Public Access removed: the copy fails that one check (the demo account's own block is
/// incomplete) and nothing else, however many checks there are.
fn with_copied_bucket(inventory: &str, findings: &Value, name: &str) -> String {
    let mut inv: Value =
        serde_json::from_str(&std::fs::read_to_string(inventory).expect("inventory readable"))
            .expect("inventory is JSON");
    let findings = findings["findings"].as_array().expect("findings");
    let clean = |id: &Value| {
        let own: Vec<&Value> = findings
            .iter()
            .filter(|f| f["resource"]["id"] == *id)
            .collect();
        !own.is_empty() && own.iter().all(|f| f["status"] == "pass")
    };
    let resources = inv["resources"].as_array_mut().expect("resources");
    let mut copy = resources
        .iter()
        .find(|r| {
            r["kind"] == "aws.s3.bucket"
                && r["data"].get("public_access_block").is_some()
                && clean(&r["id"])
        })
        .expect("the inventory has an S3 bucket that passes every check")
        .clone();
    let arn = format!("arn:aws:s3:::{name}");
    copy["id"] = Value::from(arn.clone());
    copy["name"] = Value::from(name);
    let data = copy["data"].as_object_mut().expect("bucket data");
    data.insert("arn".into(), Value::from(arn));
    data.remove("public_access_block");
    data.remove("trail_names");
    resources.push(copy);
    serde_json::to_string_pretty(&inv).expect("serializes")
}

#[test]
fn baseline_classifies_new_unchanged_and_fixed() {
    let dir = TempDir::new().expect("tempdir");
    let buckets = fixture("fixtures/gating/buckets.json");
    let base = write(&dir, "base.json", &scan_pab(&buckets, &[]).stdout);

    // Next run: site-sandbox fixed, access-logs deleted, a new bucket appears.
    let mut inv: Value =
        serde_json::from_str(&std::fs::read_to_string(&buckets).expect("read")).expect("json");
    let resources = inv["resources"].as_array_mut().expect("resources");
    resources.retain(|r| r["name"] != "access-logs");
    for r in resources.iter_mut() {
        if r["name"] == "site-sandbox" {
            r["data"]["public_access_block"] = serde_json::json!({
                "block_public_acls": true, "ignore_public_acls": true,
                "block_public_policy": true, "restrict_public_buckets": true});
        }
    }
    let next = write(
        &dir,
        "next.json",
        &serde_json::to_string(&inv).expect("json"),
    );
    let next = write(
        &dir,
        "next2.json",
        &with_new_bucket(&next, "111122223333", "fresh-bucket"),
    );

    let run = scan_pab(&next, &["--baseline", &base, "--fail-on", "high"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    let state = |name: &str| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["check_id"] == PAB && f["resource"]["name"] == name)
            .map(|f| f["baseline"].clone())
    };
    assert_eq!(state("fresh-bucket"), Some(Value::from("new")));
    assert_eq!(state("site-prod"), Some(Value::from("unchanged")));
    assert_eq!(
        state("site-sandbox"),
        Some(Value::Null),
        "passing: no state"
    );
    let fixed: Vec<&str> = doc["fixed"]
        .as_array()
        .expect("fixed listed")
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(fixed, ["access-logs", "site-sandbox"]);
    assert_eq!(doc["summary"]["new"], 1);
    assert_eq!(doc["summary"]["fixed"], 2);
    assert!(run.stderr.contains("1 new failing finding(s)") && run.stderr.contains("fresh-bucket"));

    // The table shows the groups.
    let table = mamori(&[
        "scan",
        "--inventory",
        &next,
        "--baseline",
        &base,
        "--check",
        PAB,
    ]);
    assert!(table.stdout.contains("NEW") && table.stdout.contains("unchanged"));
    assert!(table.stdout.contains("Fixed since baseline (2)"));
    assert!(table.stdout.contains("1 new, 2 fixed"));

    // --fail-on counts only new findings: without the new bucket nothing gates,
    // although site-prod still fails.
    let again = write(
        &dir,
        "again.json",
        &serde_json::to_string(&inv).expect("json"),
    );
    let run = scan_pab(&again, &["--baseline", &base, "--fail-on", "high"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["fail"], 1);
    // ... and the same run without a baseline fails.
    assert_eq!(scan_pab(&again, &["--fail-on", "high"]).code, 1);
}

#[test]
fn baseline_does_not_call_unscanned_findings_fixed() {
    let dir = TempDir::new().expect("tempdir");
    let demo = fixture("fixtures/demo/inventory.json");
    let base = write(&dir, "base.json", &scan_json(&demo, &[]).stdout);
    // Only the s3 checks run now: the other baseline findings are unknown, not fixed.
    let run = scan_json(&demo, &["--baseline", &base, "--service", "s3"]);
    let doc = run.json();
    assert_eq!(doc["summary"]["fixed"], 0);
    assert_eq!(doc["summary"]["new"], 0);
}

#[test]
fn bad_baselines_exit_2() {
    let dir = TempDir::new().expect("tempdir");
    let buckets = fixture("fixtures/gating/buckets.json");
    // An inventory is not a findings document.
    let run = scan_json(&buckets, &["--baseline", &buckets]);
    assert_eq!(run.code, 2);
    assert!(
        run.err().contains("not a mamori findings document"),
        "{}",
        run.stderr
    );
    assert!(
        run.err().contains("missing field `findings`"),
        "{}",
        run.stderr
    );
    let broken = write(&dir, "b.json", "{\"schema_version\": 1, \"findings\": [");
    let run = scan_json(&buckets, &["--baseline", &broken]);
    assert_eq!(run.code, 2);
    assert!(
        run.err().contains(&format!("{broken}:1:")),
        "{}",
        run.stderr
    );
}

#[test]
fn exit_codes_across_the_matrix() {
    let dir = TempDir::new().expect("tempdir");
    let clean = fixture("fixtures/gating/clean.json");
    let medium = fixture("fixtures/gating/medium.json");
    // Two checks: the medium key-rotation check (fails on medium.json's user) and the high
    // Block Public Access check (passes on both buckets), so that other checks' findings
    // on the crafted account do not move the exit codes.
    let pins = ["--check", "aws-iam-access-key-not-rotated", "--check", PAB];
    let code =
        |inv: &str, extra: &[&str]| scan_json(inv, &[&pins[..], extra, &["-q"]].concat()).code;
    let failing = |inv: &str| -> Vec<(String, String)> {
        scan_json(inv, &pins).json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["status"] == "fail")
            .map(|f| {
                (
                    f["check_id"].as_str().unwrap_or("").to_string(),
                    f["severity"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(failing(&clean), []);
    assert_eq!(
        failing(&medium),
        [(
            "aws-iam-access-key-not-rotated".to_string(),
            "medium".to_string()
        )]
    );
    // No findings.
    assert_eq!(code(&clean, &[]), 0);
    assert_eq!(code(&clean, &["--fail-on", "low"]), 0);
    // Findings but no --fail-on.
    assert_eq!(code(&medium, &[]), 0);
    // Findings below / at / above the threshold.
    assert_eq!(code(&medium, &["--fail-on", "high"]), 0);
    assert_eq!(code(&medium, &["--fail-on", "medium"]), 1);
    assert_eq!(code(&medium, &["--fail-on", "low"]), 1);
    // Muted only.
    let ml = write(
        &dir,
        "m.yaml",
        "mutelist:\n  - check: aws-iam-*\n    reason: rotation planned, SEC-3\n",
    );
    assert_eq!(code(&medium, &["--fail-on", "low", "--mutelist", &ml]), 0);
    // Severity filter removes the finding entirely.
    assert_eq!(
        code(&medium, &["--fail-on", "low", "--severity", "high"]),
        0
    );
    // Usage errors.
    assert_eq!(code(&medium, &["--fail-on", "urgent"]), 2);
    assert_eq!(code("/nonexistent.json", &[]), 2);
}

#[test]
fn pipeline_scenario_baseline_then_new_finding_then_mute() {
    let dir = TempDir::new().expect("tempdir");
    let demo = fixture("fixtures/demo/inventory.json");

    // 1. Scan and keep the findings as the baseline.
    let first = scan_json(&demo, &[]);
    assert_eq!(first.code, 0);
    let base = write(&dir, "baseline.json", &first.stdout);

    // 2. Someone creates a bucket like a well-configured one, but without Block Public
    //    Access.
    let changed = write(
        &dir,
        "inventory.json",
        &with_copied_bucket(&demo, &first.json(), "sakura-tmp-export"),
    );

    // 3. Rescan against the baseline: exit 1, naming only the new finding.
    let args = |extra: &[&str]| {
        let mut a = vec![
            "scan".to_string(),
            "--inventory".into(),
            changed.clone(),
            "--baseline".into(),
            base.clone(),
            "--fail-on".into(),
            "high".into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = mamori(&args(&[]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let new_rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("│ NEW "))
        .collect();
    assert_eq!(new_rows.len(), 1, "{}", run.stdout);
    // New findings come first (in their scope's table: the demo covers several scopes).
    assert!(
        run.stdout
            .lines()
            .skip_while(|l| !l.starts_with('╞'))
            .nth(1)
            .is_some_and(|l| l.starts_with("│ NEW ")),
        "new findings come first:\n{}",
        run.stdout
    );
    assert!(new_rows[0].contains("sakura-tmp-export"), "{}", run.stdout);
    let gating: Vec<&str> = run.stderr.lines().skip(1).collect();
    assert_eq!(gating.len(), 1, "{}", run.stderr);
    assert!(gating[0].contains("sakura-tmp-export"));
    let doc = mamori(&args(&["--format", "json"])).json();
    let new: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["resource"]["name"], "sakura-tmp-export");
    assert_eq!(new[0]["check_id"], PAB);
    assert_eq!(doc["summary"]["new"], 1);
    assert_eq!(doc["summary"]["fixed"], 0);

    // 4. Accept the risk with a reason: exit 0, the finding shows as muted.
    let ml = write(
        &dir,
        "mutelist.yaml",
        "mutelist:\n  - check: aws-s3-public-access-block-disabled\n    resource: sakura-tmp-export\n    reason: one-off export for the auditors, deleted after SEC-88\n    expires: 2999-01-01\n",
    );
    let run = mamori(&args(&["--mutelist", &ml]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Muted (1):"));
    assert!(
        run.stdout
            .contains("sakura-tmp-export — one-off export for the auditors")
    );
    assert!(!run.stdout.contains("│ NEW "));
    let doc = mamori(&args(&["--mutelist", &ml, "--format", "json"])).json();
    let muted: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "muted")
        .collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(muted[0]["resource"]["name"], "sakura-tmp-export");
    assert_eq!(
        muted[0]["muted_reason"],
        "one-off export for the auditors, deleted after SEC-88"
    );
    assert_eq!(doc["summary"]["new"], 0);

    // SARIF: the muted finding is a suppressed result, the others carry their state.
    let sarif = mamori(&args(&["--mutelist", &ml, "--format", "sarif"])).json();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "one-off export for the auditors, deleted after SEC-88"
    );
    assert!(
        results
            .iter()
            .filter(|r| r.get("suppressions").is_none())
            .all(|r| r["baselineState"] == "unchanged")
    );
}

#[test]
fn diff_lists_new_fixed_and_changed_severity() {
    let dir = TempDir::new().expect("tempdir");
    let demo = fixture("fixtures/demo/inventory.json");
    let old_run = scan_json(&demo, &[]);
    let old = write(&dir, "old.json", &old_run.stdout);
    // New run: a new bucket, the root MFA fixed, and the dormant-user check re-rated.
    let mut inv: Value = serde_json::from_str(&with_copied_bucket(
        &demo,
        &old_run.json(),
        "sakura-tmp-export",
    ))
    .expect("json");
    for r in inv["resources"].as_array_mut().expect("resources") {
        if r["kind"] == "aws.account" {
            r["data"]["root_mfa_enabled"] = Value::Bool(true);
        }
    }
    let inv_path = write(&dir, "inv.json", &inv.to_string());
    let mut new_doc = scan_json(&inv_path, &[]).json();
    for f in new_doc["findings"].as_array_mut().expect("findings") {
        if f["check_id"] == "salesforce-privileged-user-dormant" {
            f["severity"] = Value::from("high");
        }
    }
    let new = write(&dir, "new.json", &new_doc.to_string());

    let json = mamori(&["diff", &old, &new, "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let d = json.json();
    assert_eq!(d["summary"]["new"], 1);
    assert_eq!(d["summary"]["fixed"], 1);
    assert_eq!(d["summary"]["changed_severity"], 1);
    assert_eq!(d["new"][0]["resource"]["name"], "sakura-tmp-export");
    assert_eq!(d["fixed"][0]["check_id"], "aws-iam-root-mfa-disabled");
    assert_eq!(d["changed_severity"][0]["old_severity"], "medium");
    assert_eq!(d["changed_severity"][0]["finding"]["severity"], "high");

    let md = mamori(&["diff", &old, &new, "--format", "markdown"]);
    assert_eq!(md.code, 0);
    assert!(
        md.stdout
            .starts_with("### mamori: 1 new, 1 fixed, 1 changed severity")
    );
    assert!(md.stdout.contains("#### New (1)"));
    assert!(
        md.stdout
            .contains("| **HIGH** | `aws-s3-public-access-block-disabled` | sakura-tmp-export |")
    );
    assert!(md.stdout.contains("| MEDIUM → HIGH |"));

    let table = mamori(&["diff", &old, &new]);
    assert!(table.stdout.contains("New (1):") && table.stdout.contains("sakura-tmp-export"));
    assert!(table.stdout.contains("1 new · 1 fixed"));

    // --fail-on counts new findings only.
    assert_eq!(mamori(&["diff", &old, &new, "--fail-on", "high"]).code, 1);
    assert_eq!(
        mamori(&["diff", &old, &new, "--fail-on", "critical"]).code,
        0
    );
    assert_eq!(mamori(&["diff", &old, &old, "--fail-on", "info"]).code, 0);
    let same = mamori(&["diff", &old, &old, "--format", "markdown"]);
    assert!(same.stdout.contains("No change in failing findings."));
    assert_eq!(
        mamori(&["diff", &old, &demo]).code,
        2,
        "an inventory is not findings"
    );
}

#[test]
fn markdown_diff_stays_short_enough_for_a_comment() {
    let dir = TempDir::new().expect("tempdir");
    let clean = fixture("fixtures/gating/clean.json");
    let old = write(&dir, "old.json", &scan_pab(&clean, &[]).stdout);
    let mut inv = clean.clone();
    for i in 0..60 {
        let next = with_new_bucket(&inv, "111122223333", &format!("bucket-{i:02}"));
        inv = write(&dir, "inv.json", &next);
    }
    let new = write(&dir, "new.json", &scan_pab(&inv, &[]).stdout);
    let md = mamori(&["diff", &old, &new, "--format", "markdown"]);
    assert_eq!(md.code, 0);
    assert!(md.stdout.starts_with("### mamori: 60 new, 0 fixed"));
    assert_eq!(
        md.stdout
            .lines()
            .filter(|l| l.starts_with("| **HIGH**"))
            .count(),
        50
    );
    assert!(md.stdout.contains("…and 10 more"));
}
