//! `--format junit`: JUnit XML for CI dashboards (GitLab, Jenkins, Azure DevOps).
//!
//! One `<testsuite>` per check and one `<testcase>` per (check, resource): a failing
//! finding is a `<failure>`, a finding that could not be evaluated is an `<error>`, a muted
//! finding is `<skipped>` with its reason; passes are plain test cases. The layout follows
//! `tests/data/junit/junit.xsd`.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::ReportError;
use crate::findings::{Finding, ScanReport, Status};

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn of<'a>(findings: impl Iterator<Item = &'a Finding>) -> Self {
        let mut c = Counts::default();
        for f in findings {
            c.tests += 1;
            match f.status {
                Status::Fail => c.failures += 1,
                Status::Error => c.errors += 1,
                Status::Muted => c.skipped += 1,
                Status::Pass => {}
            }
        }
        c
    }

    fn attributes<'a>(&self, start: BytesStart<'a>) -> BytesStart<'a> {
        start.with_attributes([
            ("tests", self.tests.to_string().as_str()),
            ("failures", self.failures.to_string().as_str()),
            ("errors", self.errors.to_string().as_str()),
            ("skipped", self.skipped.to_string().as_str()),
            ("time", "0"),
        ])
    }
}

fn testcase(w: &mut Writer<Vec<u8>>, report: &ScanReport, f: &Finding) -> io::Result<()> {
    let r = &f.resource;
    let name = match &r.region {
        Some(region) => format!("{} ({}/{region})", r.display_name(), r.account),
        None => format!("{} ({})", r.display_name(), r.account),
    };
    let start = BytesStart::new("testcase").with_attributes([
        ("name", name.as_str()),
        ("classname", &*f.check_id),
        ("time", "0"),
    ]);
    let body = |w: &mut Writer<Vec<u8>>, tag: &str, kind: &str, text: &str| -> io::Result<()> {
        w.write_event(Event::Start(
            BytesStart::new(tag).with_attributes([("message", f.message.as_str()), ("type", kind)]),
        ))?;
        w.write_event(Event::Text(BytesText::new(text)))?;
        w.write_event(Event::End(BytesEnd::new(tag)))
    };
    if f.status == Status::Pass {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start))?;
    match f.status {
        Status::Fail => {
            let mut text = format!(
                "{}\nResource: {} ({})\nRemediation: {}",
                f.message,
                r.id,
                r.kind,
                f.remediation.trim()
            );
            if let Some(c) = report.checks.get(&*f.check_id) {
                text.push_str(&format!("\nDocumentation: {}", c.help_uri));
            }
            body(w, "failure", f.severity.as_str(), &text)?;
        }
        Status::Error => body(w, "error", "not-evaluated", &f.message)?,
        Status::Muted => {
            let reason = f.muted_reason.as_deref().unwrap_or("muted");
            w.write_event(Event::Empty(
                BytesStart::new("skipped").with_attributes([("message", reason)]),
            ))?;
        }
        Status::Pass => {}
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

fn write(w: &mut Writer<Vec<u8>>, report: &ScanReport) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let all = Counts::of(report.findings.iter());
    w.write_event(Event::Start(all.attributes(
        BytesStart::new("testsuites").with_attributes([("name", "mamori")]),
    )))?;
    // Suites in check id order; findings inside keep report order.
    let mut ids: Vec<&str> = report.findings.iter().map(|f| &*f.check_id).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| &*f.check_id == id)
            .collect();
        let counts = Counts::of(findings.iter().copied());
        let mut start = counts.attributes(BytesStart::new("testsuite").with_attributes([
            ("name", id),
            ("timestamp", report.scan.finished_at.as_str()),
        ]));
        if let Some(c) = report.checks.get(id) {
            start.push_attribute(("package", c.provider.as_str()));
        }
        w.write_event(Event::Start(start))?;
        if let Some(c) = report.checks.get(id) {
            w.write_event(Event::Start(BytesStart::new("properties")))?;
            for (k, v) in [
                ("title", c.title.as_str()),
                ("severity", c.severity.as_str()),
                ("service", c.service.as_str()),
                ("help_uri", c.help_uri.as_str()),
            ] {
                w.write_event(Event::Empty(
                    BytesStart::new("property").with_attributes([("name", k), ("value", v)]),
                ))?;
            }
            w.write_event(Event::End(BytesEnd::new("properties")))?;
        }
        for f in findings {
            testcase(w, report, f)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
}

/// Renders the JUnit XML document.
pub fn render(report: &ScanReport) -> Result<String, ReportError> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut w, report).map_err(|e| ReportError::Encode(format!("junit: {e}")))?;
    let mut out = String::from_utf8(w.into_inner())
        .map_err(|e| ReportError::Encode(format!("junit: {e}")))?;
    out.push('\n');
    Ok(out)
}
