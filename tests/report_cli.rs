//! The report command line: repeatable `--format` with `--output-dir`, the `--output`
//! contract, `mamori report` regenerating formats from saved JSON, `--compliance` views
//! and `checks list --compliance`, run through the real binary on the demo inventory.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;

const DEMO: &str = "fixtures/demo/inventory.json";
const ORG: &str = "fixtures/org/inventory.json";

fn mamori() -> Command {
    let mut cmd = Command::cargo_bin("mamori").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

/// What a successful `mamori ARGS` writes to stdout.
fn stdout_of(args: &[&str]) -> Vec<u8> {
    mamori()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn several_formats_go_to_the_output_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let assert = mamori()
        .args([
            "scan",
            "--inventory",
            DEMO,
            "--format",
            "table",
            "--format",
            "html",
        ])
        .args([
            "--format",
            "json,sarif,markdown,csv,ocsf,junit",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    assert!(assert.get_output().stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for ext in [
        "txt",
        "html",
        "json",
        "sarif",
        "md",
        "csv",
        "ocsf.json",
        "junit.xml",
    ] {
        let file = out.join(format!("mamori-report.{ext}"));
        assert!(file.is_file(), "{} missing", file.display());
        assert!(stderr.contains(&file.display().to_string()));
    }
    assert!(read(&out.join("mamori-report.txt")).contains("failing"));
    assert!(read(&out.join("mamori-report.html")).starts_with("<!DOCTYPE html>"));
}

#[test]
fn several_formats_without_an_output_dir_is_a_usage_error() {
    mamori()
        .args([
            "scan",
            "--inventory",
            DEMO,
            "--format",
            "table",
            "--format",
            "html",
        ])
        .assert()
        .code(2);
    mamori()
        .args([
            "scan",
            "--inventory",
            DEMO,
            "--format",
            "html,json",
            "--output",
            "x.html",
        ])
        .assert()
        .code(2);
}

#[test]
fn output_and_output_dir_conflict() {
    mamori()
        .args([
            "scan",
            "--inventory",
            DEMO,
            "--output",
            "a",
            "--output-dir",
            "b",
        ])
        .assert()
        .code(2);
}

#[test]
fn single_format_keeps_the_output_contract() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("findings.json");
    let assert = mamori()
        .args(["scan", "--inventory", DEMO, "--format", "json", "--output"])
        .arg(&file)
        .assert()
        .success();
    assert!(assert.get_output().stdout.is_empty());
    let doc: serde_json::Value = serde_json::from_str(&read(&file)).unwrap();
    assert_eq!(doc["schema_version"], 1);
    // The default format is still the table, on standard output.
    let out = stdout_of(&["scan", "--inventory", DEMO]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("aws-iam-root-mfa-disabled"));
    assert!(text.contains("posture"));
}

#[test]
fn report_regenerates_every_format_from_saved_json() {
    let dir = tempfile::tempdir().unwrap();
    let scan_dir = dir.path().join("scan");
    mamori()
        .args(["scan", "--inventory", DEMO, "-q", "--output-dir"])
        .arg(&scan_dir)
        .args(["--format", "json,html,markdown,csv,ocsf,junit,sarif,table"])
        .assert()
        .success();
    let json = scan_dir.join("mamori-report.json");
    let again = dir.path().join("again");
    mamori()
        .arg("report")
        .arg(&json)
        .args([
            "-q",
            "--format",
            "json,html,markdown,csv,ocsf,junit,sarif,table",
        ])
        .arg("--output-dir")
        .arg(&again)
        .assert()
        .success();
    for ext in [
        "json",
        "html",
        "md",
        "csv",
        "ocsf.json",
        "junit.xml",
        "sarif",
        "txt",
    ] {
        let name = format!("mamori-report.{ext}");
        assert_eq!(
            read(&scan_dir.join(&name)),
            read(&again.join(&name)),
            "{name} differs when regenerated from JSON"
        );
    }
    // One format to standard output; html is the default.
    let out = mamori().arg("report").arg(&json).assert().success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).starts_with("<!DOCTYPE html>"));
}

#[test]
fn report_reads_findings_with_or_without_by_scope() {
    // A multi-scope document from before `summary.by_scope` renders the same human
    // reports: the per-scope counts come from the findings.
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    mamori()
        .args([
            "scan",
            "--inventory",
            ORG,
            "-q",
            "--format",
            "json",
            "--output",
        ])
        .arg(&full)
        .assert()
        .success();
    let mut doc: serde_json::Value = serde_json::from_str(&read(&full)).unwrap();
    assert_eq!(doc["summary"]["by_scope"].as_array().map(Vec::len), Some(5));
    doc["summary"].as_object_mut().unwrap().remove("by_scope");
    let old = dir.path().join("old.json");
    std::fs::write(&old, doc.to_string()).unwrap();
    for (input, out) in [(&full, "from-full"), (&old, "from-old")] {
        mamori()
            .arg("report")
            .arg(input)
            .args(["-q", "--format", "html,markdown,table,json", "--output-dir"])
            .arg(dir.path().join(out))
            .assert()
            .success();
    }
    for ext in ["html", "md", "txt"] {
        let name = format!("mamori-report.{ext}");
        assert_eq!(
            read(&dir.path().join("from-full").join(&name)),
            read(&dir.path().join("from-old").join(&name)),
            "{name}"
        );
    }
    assert!(
        read(&dir.path().join("from-old/mamori-report.md")).contains("## Organization overview")
    );
    assert_eq!(
        read(&full),
        read(&dir.path().join("from-full/mamori-report.json")),
        "a document with by_scope re-renders unchanged"
    );
}

#[test]
fn report_rejects_a_file_that_is_not_findings() {
    mamori().args(["report", DEMO]).assert().code(2);
    mamori()
        .args(["report", "no/such/file.json"])
        .assert()
        .code(2);
}

#[test]
fn compliance_view_shows_each_control_with_its_status() {
    let out = stdout_of(&["scan", "--inventory", DEMO, "--compliance", "cis-aws-5.0"]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("CIS Amazon Web Services Foundations Benchmark"));
    // Root MFA (1.4) fails on the demo account; the security group control is failing
    // too, and lists the region that could not be read.
    let control_line = |id: &str| {
        text.lines()
            .find(|l| {
                l.split('┆')
                    .next()
                    .is_some_and(|c| c.trim_matches(['│', ' ']) == id)
            })
            .unwrap_or_else(|| panic!("no row for control {id}:\n{text}"))
            .to_string()
    };
    assert!(control_line("1.4").contains("FAIL"));
    assert!(text.contains("[not evaluated]"));

    let md = stdout_of(&[
        "scan",
        "--inventory",
        DEMO,
        "--compliance",
        "nist-csf-2.0",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("| `PR.AA-03` | Users, services, and hardware are authenticated | FAIL |"));
    assert!(md.contains("| `GV.OC-01` |"));
    assert!(md.contains("NOT COVERED"));

    let html = stdout_of(&[
        "scan",
        "--inventory",
        DEMO,
        "--compliance",
        "iso27001-2022",
        "--format",
        "html",
    ]);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("id=\"framework-iso27001-2022\""));
    assert!(html.contains("<code>A.8.5</code></td><td>Secure authentication</td>"));
}

#[test]
fn unknown_framework_is_a_usage_error() {
    mamori()
        .args(["scan", "--inventory", DEMO, "--compliance", "pci-dss-9"])
        .assert()
        .code(2);
    mamori()
        .args(["checks", "list", "--compliance", "pci-dss-9"])
        .assert()
        .code(2);
}

#[test]
fn checks_list_shows_framework_coverage() {
    let out = stdout_of(&["checks", "list", "--compliance", "iso27001-2022"]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("controls covered"));
    let a517 = text.lines().find(|l| l.starts_with("A.5.17 ")).unwrap();
    assert!(a517.contains("covered") && a517.contains("Authentication information"));
    assert!(text.contains("- aws-iam-root-mfa-disabled"));
    let a71 = text.lines().find(|l| l.starts_with("A.7.1 ")).unwrap();
    assert!(a71.contains("not covered"));

    let out = stdout_of(&["checks", "list", "--compliance", "nist-csf-2.0", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["total"], 106);
    assert!(doc["covered"].as_u64().unwrap() >= 1);
}

#[test]
fn every_control_id_used_by_a_check_has_a_title() {
    let set = mamori::checks::load(&[]).unwrap();
    for fw_id in [
        "nist-csf-2.0",
        "iso27001-2022",
        "cis-aws-5.0",
        "cis-aws-7.0",
    ] {
        let fw = mamori::compliance::framework(fw_id).unwrap();
        for c in &set.checks {
            for id in c.compliance.get(fw_id).into_iter().flatten() {
                assert!(
                    fw.controls.contains_key(id),
                    "{}: {fw_id} control `{id}` is not in compliance/{fw_id}.yaml",
                    c.id
                );
            }
        }
    }
}

/// The recommendations CIS AWS Foundations v7.0.0 marks Automated: all of them are listed,
/// covered or not.
const CIS_AWS_7_AUTOMATED: [&str; 34] = [
    "2.4", "2.5", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16", "2.17",
    "2.18", "3.1.1", "3.1.4", "3.2.1", "3.2.2", "3.2.3", "3.3.1", "4.2", "4.3", "4.5", "4.6",
    "4.7", "4.8", "4.9", "5.16", "6.1.1", "6.1.2", "6.2", "6.3", "6.4", "6.5", "6.7",
];

#[test]
fn cis_aws_7_lists_every_automated_control() {
    let fw = mamori::compliance::framework("cis-aws-7.0").unwrap();
    assert_eq!(
        fw.title,
        "CIS Amazon Web Services Foundations Benchmark v7.0.0"
    );
    for id in CIS_AWS_7_AUTOMATED {
        assert!(
            fw.controls.contains_key(id),
            "cis-aws-7.0 lacks control {id}"
        );
    }
    assert!(fw.controls.values().all(|t| !t.is_empty()));

    let out = stdout_of(&["checks", "list", "--compliance", "cis-aws-7.0", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["total"], fw.controls.len());
    let control = |id: &str| {
        doc["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no control {id}"))
            .clone()
    };
    assert_eq!(control("2.5")["covered"], true);
    assert!(
        control("2.5")["checks"]
            .as_array()
            .unwrap()
            .contains(&"aws-iam-root-mfa-disabled".into())
    );
    assert_eq!(control("6.3")["covered"], true);
    // Every Automated control has a check.
    for id in CIS_AWS_7_AUTOMATED {
        assert_eq!(control(id)["covered"], true, "{id}");
    }
}

#[test]
fn cis_aws_7_view_shows_every_control() {
    let out = stdout_of(&[
        "scan",
        "--inventory",
        DEMO,
        "--compliance",
        "cis-aws-7.0",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("CIS Amazon Web Services Foundations Benchmark v7.0.0"));
    for id in CIS_AWS_7_AUTOMATED {
        assert!(
            md.contains(&format!("| `{id}` |")),
            "no row for {id}:\n{md}"
        );
    }
    assert!(md.contains("| `2.5` | Ensure MFA is enabled for the 'root' user account | FAIL |"));
    assert!(md.contains(
        "| `3.3.1` | Ensure that encryption is enabled for EFS file systems | NOT COVERED |"
    ));
}

#[test]
fn checks_mapped_to_cis_aws_5_are_mapped_to_cis_aws_7() {
    // 1.10 (no access keys at initial setup) and 1.12 (one active access key) have no
    // counterpart in v7.0.0.
    let dropped = ["1.10", "1.12"];
    let set = mamori::checks::load(&[]).unwrap();
    for c in &set.checks {
        let Some(v5) = c.compliance.get("cis-aws-5.0") else {
            continue;
        };
        if v5.iter().all(|id| dropped.contains(&id.as_str())) {
            assert!(!c.compliance.contains_key("cis-aws-7.0"), "{}", c.id);
        } else {
            assert!(
                c.compliance.contains_key("cis-aws-7.0"),
                "{} maps to cis-aws-5.0 but not to cis-aws-7.0",
                c.id
            );
        }
    }
}
