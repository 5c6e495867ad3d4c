//! End-to-end tests of the binary on the bundled demo inventory: every output format,
//! the JSON contract, SARIF schema validity, exit codes and diagnostics.

#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_valid, code, demo, mamori, read_json, root, stderr, stdout};

fn demo_json() -> serde_json::Value {
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("json output")
}

#[test]
fn table_shows_failing_findings_and_summary() {
    let o = mamori(&["scan", "--inventory", demo().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("CRITICAL"), "{out}");
    assert!(
        out.lines().last().unwrap_or("").contains("failing"),
        "{out}"
    );
    assert!(!out.contains("\u{1b}["), "no colour when not a terminal");
}

#[test]
fn json_has_every_contract_field() {
    let j = demo_json();
    for key in ["schema_version", "tool", "scan", "summary", "findings"] {
        assert!(j.get(key).is_some(), "missing {key}");
    }
    assert_eq!(j["tool"]["name"], "mamori");
    for key in ["started_at", "finished_at", "scopes"] {
        assert!(j["scan"].get(key).is_some(), "missing scan.{key}");
    }
    let findings = j["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let statuses: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("pass") && statuses.contains("fail"),
        "passes are included: {statuses:?}"
    );
    for f in findings {
        for key in [
            "check_id",
            "title",
            "severity",
            "status",
            "provider",
            "resource",
            "message",
            "remediation",
        ] {
            assert!(f.get(key).is_some(), "finding missing {key}: {f}");
        }
        for key in ["kind", "id", "name", "region", "account"] {
            assert!(
                f["resource"].get(key).is_some(),
                "resource missing {key}: {f}"
            );
        }
        let sev = f["severity"].as_str().unwrap();
        assert!(["critical", "high", "medium", "low", "info"].contains(&sev));
        let st = f["status"].as_str().unwrap();
        assert!(["fail", "pass", "error", "muted"].contains(&st));
    }
}

#[test]
fn json_is_deterministic() {
    let strip = |mut j: serde_json::Value| {
        j["scan"]["started_at"] = serde_json::Value::Null;
        j["scan"]["finished_at"] = serde_json::Value::Null;
        j
    };
    assert_eq!(strip(demo_json()), strip(demo_json()));
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).expect("sarif json");
    assert_valid(
        &root().join("schemas/vendor/sarif-schema-2.1.0.json"),
        &sarif,
    );
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .all(|r| r["properties"]["security-severity"].is_string())
    );
    let results = run["results"].as_array().expect("results");
    let fails = demo_json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .count();
    assert_eq!(results.len(), fails, "one result per failing finding");
    for r in results {
        assert!(r["locations"][0]["logicalLocations"][0]["name"].is_string());
        assert!(r["partialFingerprints"]["mamori/v1"].is_string());
    }
}

#[test]
fn output_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--format",
        "sarif",
        "--output",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert!(read_json(&out)["runs"].is_array());
}

#[test]
fn fail_on_exit_codes_follow_the_demo() {
    let j = demo_json();
    let order = ["info", "low", "medium", "high", "critical"];
    let rank = |s: &str| order.iter().position(|x| *x == s).unwrap();
    for threshold in order {
        let expected = j["findings"].as_array().unwrap().iter().any(|f| {
            f["status"] == "fail" && rank(f["severity"].as_str().unwrap()) >= rank(threshold)
        });
        let o = mamori(&[
            "scan",
            "--inventory",
            demo().to_str().unwrap(),
            "--fail-on",
            threshold,
        ]);
        assert_eq!(code(&o), i32::from(expected), "--fail-on {threshold}");
    }
    // The demo has high and critical failures.
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--fail-on",
        "high",
    ]);
    assert_eq!(code(&o), 1);
    // Restricted to a medium check, --fail-on high passes.
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--check",
        "salesforce-health-check-score-low",
        "--fail-on",
        "high",
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn saved_inventory_validates_and_reevaluates_identically() {
    let schema = root().join("schemas/inventory-v1.schema.json");
    assert_valid(&schema, &read_json(&demo()));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("inv.json");
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--save-inventory",
        saved.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0);
    assert_valid(&schema, &read_json(&saved));
    let again = mamori(&[
        "scan",
        "--inventory",
        saved.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let a: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(a["findings"], b["findings"]);
}

#[test]
fn unreadable_inventory_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(
        &p,
        r#"{"schema_version":1,"tool":{"name":"mamori","version":"0"},"collected_at":"2026-01-01T00:00:00Z",
            "scopes":[{"provider":"aws","id":"1"}],"resources":[{"provider":"aws","kind":"aws.s3.bucket","id":"b","scope":"1","data":{},"region":5}]}"#,
    )
    .unwrap();
    let o = mamori(&["scan", "--inventory", p.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("resources[0].region"), "{}", stderr(&o));
    for garbage in ["", "null", "[1,2]", "{\"schema_version\": \"x\"}"] {
        std::fs::write(&p, garbage).unwrap();
        let o = mamori(&["scan", "--inventory", p.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "input {garbage:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    let o = mamori(&["scan", "--inventory", "/nonexistent/inv.json"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn lint_points_at_broken_yaml() {
    let o = mamori(&["checks", "lint", "fixtures/lint/broken-yaml"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("fixtures/lint/broken-yaml/bad.yaml:"), "{err}");
    // file:line:col of the error
    assert!(err.contains("bad.yaml:8:7"), "{err}");
}

#[test]
fn lint_points_into_a_broken_cel_expression() {
    let o = mamori(&["checks", "lint", "fixtures/lint/broken-cel"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("fixtures/lint/broken-cel/bad-cel.yaml:13:61"),
        "{err}"
    );
    assert!(err.contains("invalid CEL in `condition`"), "{err}");
}

#[test]
fn lint_rejects_an_undeclared_field() {
    let o = mamori(&["checks", "lint", "fixtures/lint/unknown-field"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("typo.yaml:12:"), "{err}");
    assert!(err.contains("public_acces_block"), "{err}");
}

#[test]
fn builtin_checks_lint_and_test_clean() {
    let o = mamori(&["checks", "lint"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = mamori(&["checks", "test"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"));
}

#[test]
fn checks_list_and_show() {
    let o = mamori(&["checks", "list"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.lines().count() >= 10);
    let first = out.lines().next().unwrap();
    let id = first.split_whitespace().next().unwrap();
    let o = mamori(&["checks", "show", id]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("## Remediation"));
    let o = mamori(&["checks", "show", "no-such-check"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&mamori(&["scan"])), 2);
    assert_eq!(
        code(&mamori(&["scan", "--format", "nope", "--inventory", "x"])),
        2
    );
    assert_eq!(code(&mamori(&["frobnicate"])), 2);
    let o = mamori(&[
        "scan",
        "--inventory",
        demo().to_str().unwrap(),
        "--check",
        "[unclosed",
    ]);
    assert_eq!(code(&o), 2);
}

#[test]
fn version_and_completions() {
    let o = mamori(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("mamori "));
    for shell in ["bash", "zsh", "fish"] {
        let o = mamori(&["completions", shell]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).contains("mamori"));
    }
}
