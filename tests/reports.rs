//! Report formats on the demo inventory: snapshots of every text format, OCSF events
//! validated against the vendored OCSF class schema, JUnit against the vendored XSD
//! (with `xmllint`), CSV parsed back, and the HTML report opened in headless Chromium.
//!
//! Tools the tests need (`xmllint`, `chromium`) are installed by `scripts/test`; without
//! them a test is skipped locally and fails when `CI` is set.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mamori::findings::{ScanReport, Status};
use mamori::inventory::{Inventory, Provider};
use mamori::pipeline::{self, Selection};
use mamori::report::{self, Format, RenderOptions};

const DEMO: &str = "fixtures/demo/inventory.json";

/// The checks the snapshots cover: fixed, so that adding a check does not change them.
const SNAPSHOT_CHECKS: [&str; 10] = [
    "aws-ec2-security-group-admin-port-open",
    "aws-iam-access-key-not-rotated",
    "aws-iam-root-mfa-disabled",
    "aws-s3-public-access-block-disabled",
    "gcp-compute-firewall-admin-port-open",
    "gcp-iam-primitive-role-user",
    "gcp-storage-bucket-public",
    "salesforce-guest-api-enabled",
    "salesforce-health-check-score-low",
    "salesforce-privileged-user-dormant",
];

/// The demo report with volatile fields (evaluation times, tool version) fixed.
fn demo_report() -> ScanReport {
    evaluate(Inventory::load(Path::new(DEMO)).unwrap(), &SNAPSHOT_CHECKS)
}

/// The demo inventory cut down to its AWS account: a single-scope report.
fn single_scope_report() -> ScanReport {
    let mut inv = Inventory::load(Path::new(DEMO)).unwrap();
    inv.scopes.retain(|s| s.provider == Provider::Aws);
    inv.resources.retain(|r| r.provider == Provider::Aws);
    inv.errors.retain(|e| e.provider == Provider::Aws);
    evaluate(inv, &SNAPSHOT_CHECKS)
}

/// Evaluates the named checks on an inventory; volatile fields (evaluation times, tool
/// version) fixed.
fn evaluate(inv: Inventory, ids: &[&str]) -> ScanReport {
    let set = mamori::checks::load(&[]).unwrap();
    let sel = Selection {
        include: ids.iter().map(|s| s.to_string()).collect(),
        ..Selection::default()
    };
    let checks = pipeline::select(&set.checks, &sel).unwrap();
    assert_eq!(checks.len(), ids.len(), "a snapshot check was renamed");
    let mut report = pipeline::evaluate_inventory(&inv, &checks);
    report.scan.started_at = "2026-06-01T00:00:00Z".to_string();
    report.scan.finished_at = "2026-06-01T00:00:05Z".to_string();
    report.tool.version = "[version]".to_string();
    report
}

fn render(report: &ScanReport, format: Format) -> String {
    report::render(report, format, RenderOptions::default()).unwrap()
}

/// Fails when `CI` is set, otherwise tells why the test is skipped.
fn missing_tool(tool: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{tool} is required when CI is set (scripts/test installs it)");
    }
    eprintln!("skipped: {tool} not found (scripts/test installs it)");
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// Where test artefacts (screenshots, rendered reports) are kept for CI to upload:
/// `<target dir>/report-artifacts/`.
fn artifacts_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("report-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!("markdown", render(&demo_report(), Format::Markdown));
}

#[test]
fn snapshot_csv() {
    insta::assert_snapshot!("csv", render(&demo_report(), Format::Csv));
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!("junit", render(&demo_report(), Format::Junit));
}

#[test]
fn snapshot_ocsf() {
    insta::assert_snapshot!("ocsf", render(&demo_report(), Format::Ocsf));
}

#[test]
fn snapshot_table() {
    insta::assert_snapshot!("table", render(&demo_report(), Format::Table));
}

#[test]
fn snapshot_table_with_compliance() {
    // ISO 27001 rather than a CIS benchmark: its control list is complete and stable.
    let fw = mamori::compliance::framework("iso27001-2022").unwrap();
    let opts = RenderOptions {
        compliance: Some(&fw),
        ..RenderOptions::default()
    };
    let text = report::render(&demo_report(), Format::Table, opts).unwrap();
    insta::assert_snapshot!("table_compliance_iso27001", text);
}

#[test]
fn snapshot_json() {
    let report = demo_report();
    insta::assert_json_snapshot!("json", report, {
        ".scan.started_at" => "[time]",
        ".scan.finished_at" => "[time]",
        ".tool.version" => "[version]",
    });
}

#[test]
fn snapshot_sarif() {
    let sarif: serde_json::Value =
        serde_json::from_str(&render(&demo_report(), Format::Sarif)).unwrap();
    insta::assert_json_snapshot!("sarif", sarif, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].invocations[].startTimeUtc" => "[time]",
        ".runs[].invocations[].endTimeUtc" => "[time]",
    });
}

#[test]
fn snapshot_single_scope() {
    let report = single_scope_report();
    assert_eq!(report.scan.scopes.len(), 1);
    insta::assert_snapshot!("single_scope_html", render(&report, Format::Html));
    insta::assert_snapshot!("single_scope_markdown", render(&report, Format::Markdown));
    insta::assert_snapshot!("single_scope_table", render(&report, Format::Table));
    insta::assert_snapshot!("single_scope_json", render(&report, Format::Json));
}

// ---------------------------------------------------------------- OCSF

#[test]
fn ocsf_events_validate_against_the_compliance_finding_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/data/ocsf/compliance_finding-1.3.0.schema.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let report = demo_report();
    let doc: serde_json::Value = serde_json::from_str(&render(&report, Format::Ocsf)).unwrap();
    let events = doc.as_array().unwrap();
    assert_eq!(events.len(), report.findings.len(), "one event per finding");
    for (event, finding) in events.iter().zip(&report.findings) {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", finding.check_id);
        assert_eq!(event["class_uid"], 2003);
        assert_eq!(event["metadata"]["version"], "1.3.0");
        assert_eq!(event["finding_info"]["uid"], finding.fingerprint.as_str());
        let expected = match finding.status {
            Status::Pass => 1,
            Status::Error => 2,
            Status::Fail | Status::Muted => 3,
        };
        assert_eq!(event["compliance"]["status_id"], expected);
    }
}

#[test]
fn ocsf_schema_rejects_a_malformed_event() {
    // The vendored schema must actually constrain: an unknown attribute, a missing
    // required object and a wrong class are all errors.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("tests/data/ocsf/compliance_finding-1.3.0.schema.json").unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&render(&demo_report(), Format::Ocsf)).unwrap();
    let good = doc[0].clone();
    let mut extra = good.clone();
    extra["not_an_ocsf_attribute"] = serde_json::json!(1);
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("compliance");
    let mut class = good;
    class["class_uid"] = serde_json::json!(2004);
    for bad in [extra, missing, class] {
        assert!(!validator.is_valid(&bad));
    }
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_validates_against_the_xsd() {
    let Some(xmllint) = which(&["xmllint"]) else {
        return missing_tool("xmllint");
    };
    let report = demo_report();
    let xml = render(&report, Format::Junit);
    assert_eq!(xml.matches("<testcase ").count(), report.findings.len());
    assert_eq!(
        xml.matches("<failure ").count(),
        report.summary.fail,
        "one failure per failing finding"
    );
    assert_eq!(xml.matches("<error ").count(), report.summary.error);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    std::fs::write(&file, &xml).unwrap();
    let out = Command::new(xmllint)
        .args(["--noout", "--schema", "tests/data/junit/junit.xsd"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_has_one_row_per_finding_and_rfc4180_line_ends() {
    let report = demo_report();
    let text = render(&report, Format::Csv);
    assert!(text.contains("\r\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.len(), mamori::report::csv::HEADER.len());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), report.findings.len());
    for (row, f) in rows.iter().zip(&report.findings) {
        assert_eq!(&row[0], f.status.as_str());
        assert_eq!(&row[2], &*f.check_id);
        assert_eq!(&row[9], f.resource.id.as_str());
    }
}

// ---------------------------------------------------------------- HTML

#[test]
fn muted_and_baseline_states_reach_the_human_reports() {
    use mamori::findings::BaselineState;
    let mut report = demo_report();
    let mut fixed = report.findings[0].clone();
    fixed.title = "A finding fixed since the baseline".into();
    report.fixed.push(fixed);
    report.summary.fixed = Some(1);
    report.summary.new = Some(0);
    let f = report
        .findings
        .iter_mut()
        .find(|f| f.status == Status::Fail)
        .unwrap();
    f.status = Status::Muted;
    f.muted_reason = Some("accepted by the platform team".into());
    f.message = "the muted one".into();
    for f in report
        .findings
        .iter_mut()
        .filter(|f| f.status == Status::Fail)
    {
        f.baseline = Some(BaselineState::New);
    }
    report.refresh();
    for format in [Format::Html, Format::Markdown] {
        let text = render(&report, format);
        assert!(text.contains("the muted one"), "{format:?}");
        assert!(
            text.contains("A finding fixed since the baseline"),
            "{format:?}"
        );
    }
    let junit = render(&report, Format::Junit);
    assert!(junit.contains("<skipped message=\"accepted by the platform team\"/>"));
    let ocsf: serde_json::Value = serde_json::from_str(&render(&report, Format::Ocsf)).unwrap();
    assert!(
        ocsf.as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "Suppressed" && e["status_code"] == "MUTED")
    );
}

#[test]
fn html_is_self_contained() {
    let html = render(&demo_report(), Format::Html);
    for banned in [
        "<script", "<link", " src=", "url(", "@import", "<iframe", "<object",
    ] {
        assert!(
            !html.contains(banned),
            "the report must not contain `{banned}`"
        );
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("<svg"));
}

#[test]
fn html_escapes_text_from_the_environment() {
    let mut report = demo_report();
    let f = report
        .findings
        .iter_mut()
        .find(|f| f.status == Status::Fail)
        .unwrap();
    f.message = "<img src=x onerror=alert(1)> & \"quoted\"".to_string();
    let id = f.check_id.to_string();
    report.checks.get_mut(&id).unwrap().references = vec!["javascript:alert(1)".to_string()];
    let html = render(&report, Format::Html);
    assert!(
        !html.contains("href=\"javascript"),
        "only http(s) references become links"
    );
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;"));
}

/// Runs a command with a deadline; returns (success, stdout, stderr).
fn run_with_deadline(cmd: &mut Command, limit: Duration) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.success(),
        std::fs::read_to_string(out_path).unwrap_or_default(),
        std::fs::read_to_string(err_path).unwrap_or_default(),
    )
}

fn chromium_command(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        // Nothing may leave the machine, even if the page asked for it.
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The text content of the element with this id in a serialized DOM.
fn element_text<'a>(dom: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"));
    let rest = &dom[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap() + start;
    rest[start..end].trim()
}

/// URLs the page itself asked for (not Chromium's own background requests), from a
/// NetLog capture.
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).unwrap();
    // Chromium may stop before closing the JSON; what matters is the events array.
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap();
    log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let p = &e["params"];
            let url = p["url"].as_str()?;
            let initiator = p["initiator"].as_str()?;
            (initiator != "not an origin"
                && !url.starts_with("file:")
                && !url.starts_with("data:")
                && !url.starts_with("about:"))
            .then(|| url.to_string())
        })
        .collect()
}

#[test]
fn html_renders_in_headless_chromium() {
    let Some(chromium) = std::env::var_os("MAMORI_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            which(&[
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ])
        })
    else {
        return missing_tool("chromium");
    };
    // The report as a user produces it: the binary, HTML and JSON from the same run.
    let artifacts = artifacts_dir();
    let status = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args([
            "scan",
            "--inventory",
            DEMO,
            "--quiet",
            "--format",
            "html,json",
            "--output-dir",
        ])
        .arg(&artifacts)
        .status()
        .unwrap();
    assert!(status.success());
    let page = artifacts.join("mamori-report.html");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(artifacts.join("mamori-report.json")).unwrap(),
    )
    .unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let limit = Duration::from_secs(120);

    // 1. Load the page: DOM, console messages and network activity.
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("netlog.json");
    let (ok, dom, log) = run_with_deadline(
        chromium_command(&chromium, &profile.path().join("p"))
            .args(["--enable-logging=stderr", "--log-level=0", "--dump-dom"])
            .arg(format!("--log-net-log={}", netlog.display()))
            .arg(&url),
        limit,
    );
    assert!(ok, "chromium failed: {log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let requests = page_requests(&netlog);
    assert!(requests.is_empty(), "the page made requests: {requests:#?}");

    // 2. The summary numbers in the rendered page match the findings JSON.
    let s = &json["summary"];
    for (id, field) in [
        ("count-fail", "fail"),
        ("count-pass", "pass"),
        ("count-error", "error"),
        ("count-muted", "muted"),
        ("count-total", "total"),
    ] {
        assert_eq!(element_text(&dom, id), s[field].to_string(), "#{id}");
    }
    assert!(s["fail"].as_u64().unwrap() > 0 && s["pass"].as_u64().unwrap() > 0);
    assert_eq!(
        element_text(&dom, "posture-score"),
        format!("{}%", s["posture_score"])
    );
    for (sev, n) in s["fail_by_severity"].as_object().unwrap() {
        assert_eq!(element_text(&dom, &format!("sev-{sev}")), n.to_string());
    }
    for f in json["findings"].as_array().unwrap() {
        if f["status"] == "fail" {
            let id = f["check_id"].as_str().unwrap();
            assert!(
                dom.contains(&format!("id=\"check-{id}\"")),
                "no section for {id}"
            );
        }
    }

    // 3. Screenshots (first page and whole report) and a PDF, kept as CI artefacts.
    for (name, size) in [("summary", "1240,1754"), ("full", "1240,9000")] {
        let shot = artifacts.join(format!("mamori-report-{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let (ok, _, log) = run_with_deadline(
            chromium_command(&chromium, &profile.path().join("p"))
                .arg(format!("--window-size={size}"))
                .arg(format!("--screenshot={}", shot.display()))
                .arg(&url),
            limit,
        );
        assert!(ok, "chromium screenshot failed: {log}");
        let png = std::fs::read(&shot).unwrap();
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{}",
            shot.display()
        );
    }
    let pdf = artifacts.join("mamori-report.pdf");
    let _ = std::fs::remove_file(&pdf);
    let (ok, _, log) = run_with_deadline(
        chromium_command(&chromium, &profile.path().join("p"))
            .arg("--no-pdf-header-footer")
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(&url),
        limit,
    );
    assert!(ok, "chromium print failed: {log}");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
}
