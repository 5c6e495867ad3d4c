//! Report formats on the demo inventory: snapshots of every text format, OCSF events
//! validated against the vendored OCSF class schema, JUnit against the vendored XSD
//! (with `xmllint`), CSV parsed back, the reports of a multi-account organization (per-scope
//! overview, worst first), and the HTML report opened in headless Chromium.
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

/// Five accounts of an AWS organization, one of them skipped (see its README).
const ORG: &str = "fixtures/org/inventory.json";

/// The checks the organization snapshots cover, of every severity the fixture fails.
const ORG_CHECKS: [&str; 8] = [
    "aws-ec2-security-group-admin-port-open",
    "aws-iam-access-key-not-rotated",
    "aws-iam-root-mfa-disabled",
    "aws-iam-user-direct-policies",
    "aws-s3-bucket-access-logging-disabled",
    "aws-s3-bucket-public-policy",
    "aws-s3-bucket-versioning-disabled",
    "aws-s3-public-access-block-disabled",
];

/// The organization's accounts, worst first: prod (critical), staging (high, and an
/// error), the unnamed sandbox (low), dev (nothing failing), then legacy (skipped).
const ORG_ORDER: [&str; 5] = [
    "111111111111",
    "222222222222",
    "333333333333",
    "555555555555",
    "444444444444",
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

/// The organization report: several scopes.
fn org_report() -> ScanReport {
    evaluate(Inventory::load(Path::new(ORG)).unwrap(), &ORG_CHECKS)
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

#[test]
fn snapshot_multi_scope() {
    let report = org_report();
    insta::assert_snapshot!("org_html", render(&report, Format::Html));
    insta::assert_snapshot!("org_markdown", render(&report, Format::Markdown));
    insta::assert_snapshot!("org_table", render(&report, Format::Table));
    insta::assert_snapshot!("org_json", render(&report, Format::Json));
}

// ---------------------------------------------------------------- scopes

/// Asserts that `needles` occur in `text` in this order (each after the previous one).
fn assert_in_order<S: AsRef<str>>(text: &str, needles: &[S]) {
    let mut at = 0;
    for n in needles.iter().map(AsRef::as_ref) {
        let found = text[at..]
            .find(n)
            .unwrap_or_else(|| panic!("`{n}` missing or out of order in:\n{text}"));
        at += found + n.len();
    }
}

/// The part of `text` from `start` up to `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in:\n{text}"));
    let to = text[from..].find(end).map_or(text.len(), |i| from + i);
    &text[from..to]
}

#[test]
fn scopes_are_listed_worst_first_in_every_format() {
    let report = org_report();
    let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
    let by_scope = json["summary"]["by_scope"].as_array().unwrap();
    let ids: Vec<&str> = by_scope
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ORG_ORDER);
    assert_eq!(by_scope[0]["fail"]["critical"], 2);
    assert_eq!(by_scope[1]["error"], 1);
    assert_eq!(by_scope[4]["skipped"], "account suspended");
    assert!(
        by_scope[2].get("name").is_none(),
        "the sandbox has no alias"
    );
    // The per-scope counts add up to the summary.
    let sum = |field: &str| -> u64 {
        by_scope
            .iter()
            .map(|s| match field {
                "fail" => s["fail"]
                    .as_object()
                    .unwrap()
                    .values()
                    .map(|n| n.as_u64().unwrap())
                    .sum(),
                f => s[f].as_u64().unwrap(),
            })
            .sum()
    };
    for field in ["fail", "error", "pass", "muted"] {
        assert_eq!(Some(sum(field)), json["summary"][field].as_u64(), "{field}");
    }

    let html = render(&report, Format::Html);
    let overview = between(&html, "<section id=\"overview\">", "</section>");
    assert_in_order(overview, &ORG_ORDER.map(|id| format!("<code>{id}</code>")));
    assert!(overview.contains("Skipped: account suspended"));
    assert!(html.contains("<a href=\"#overview\">Organization overview</a>"));

    let md = render(&report, Format::Markdown);
    let overview = between(&md, "## Organization overview", "## Scope and limitations");
    assert_in_order(overview, &ORG_ORDER.map(|id| format!("`{id}`")));
    assert!(overview.contains("| acme-legacy | skipped: account suspended |"));

    let table = render(&report, Format::Table);
    assert_in_order(
        &table,
        &[
            "AWS account 111111111111 (acme-prod): 8 failing (2 critical, 2 high, 2 medium, 2 low)\n",
            "AWS account 222222222222 (acme-staging): 5 failing (2 high, 2 medium, 1 low), 1 not evaluated\n",
            "AWS account 333333333333: 1 failing (1 low)\n",
            "No failing findings: AWS account 555555555555 (acme-dev)\n",
            "Skipped: AWS account 444444444444 (acme-legacy): account suspended\n",
        ],
    );
    // The summary line is the one a single scope has.
    assert!(
        table
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("14 failing (2 critical, 4 high, 4 medium, 4 low) · ")
    );
}

#[test]
fn a_single_scope_report_has_no_overview() {
    let report = single_scope_report();
    assert!(report.summary.by_scope.is_empty());
    let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
    assert!(json["summary"].get("by_scope").is_none());
    for format in [Format::Html, Format::Markdown] {
        let text = render(&report, format);
        assert!(!text.contains("Organization overview"), "{format:?}");
        assert!(!text.contains("overview"), "{format:?}");
    }
    let table = render(&report, Format::Table);
    assert!(table.starts_with("┌"), "{table}");
    assert!(!table.contains("AWS account"), "{table}");
}

#[test]
fn overview_escapes_scope_names_and_reasons() {
    let mut report = org_report();
    for s in &mut report.scan.scopes {
        match s.id.as_str() {
            "111111111111" => s.name = Some("<img src=x onerror=alert(1)> | *prod*".into()),
            "444444444444" => {
                s.attributes
                    .insert("skipped".into(), "<b>suspended</b> | by `ops`".into());
            }
            _ => {}
        }
    }
    report.refresh();
    let html = render(&report, Format::Html);
    let overview = between(&html, "<section id=\"overview\">", "</section>");
    assert!(
        !overview.contains("<img") && !overview.contains("<b>"),
        "{overview}"
    );
    assert!(overview.contains("&lt;img src=x onerror=alert(1)&gt; | *prod*"));
    assert!(overview.contains("Skipped: &lt;b&gt;suspended&lt;&#x2f;b&gt; | by `ops`"));
    let md = render(&report, Format::Markdown);
    let overview = between(&md, "## Organization overview", "## Scope and limitations");
    assert!(
        overview.contains("| \\<img src=x onerror=alert(1)\\> \\| \\*prod\\* |"),
        "{overview}"
    );
    assert!(
        overview.contains("skipped: \\<b\\>suspended\\</b\\> \\| by \\`ops\\` |"),
        "{overview}"
    );
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

    // 4. An organization (several scopes): the overview lists the accounts worst first;
    // a screenshot of its first page is kept too.
    let org = artifacts.join("mamori-report-org.html");
    let status = Command::new(env!("CARGO_BIN_EXE_mamori"))
        .args([
            "scan",
            "--inventory",
            ORG,
            "--quiet",
            "--format",
            "html",
            "--output",
        ])
        .arg(&org)
        .status()
        .unwrap();
    assert!(status.success());
    let org_url = format!("file://{}", org.canonicalize().unwrap().display());
    let (ok, dom, log) = run_with_deadline(
        chromium_command(&chromium, &profile.path().join("p"))
            .arg("--dump-dom")
            .arg(&org_url),
        limit,
    );
    assert!(ok, "chromium failed: {log}");
    let table = between(&dom, "id=\"overview-table\"", "</table>");
    assert_in_order(table, &ORG_ORDER.map(|id| format!("<code>{id}</code>")));
    let shot = artifacts.join("mamori-report-org.png");
    let _ = std::fs::remove_file(&shot);
    let (ok, _, log) = run_with_deadline(
        chromium_command(&chromium, &profile.path().join("p"))
            .arg("--window-size=1240,1754")
            .arg(format!("--screenshot={}", shot.display()))
            .arg(&org_url),
        limit,
    );
    assert!(ok, "chromium screenshot failed: {log}");
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
}
