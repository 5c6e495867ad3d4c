//! `--format table`: failing findings grouped by severity, then a summary line.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::RenderOptions;
use crate::findings::{BaselineState, Finding, ScanReport, Severity, Status};

/// Width used when the output is not a terminal, so that output is reproducible.
const DEFAULT_WIDTH: u16 = 160;

fn severity_cell(sev: Severity, color: bool) -> Cell {
    let cell = Cell::new(sev.as_str().to_uppercase());
    if !color {
        return cell;
    }
    match sev {
        Severity::Critical => cell.fg(Color::Magenta).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Cyan),
        Severity::Info => cell.fg(Color::Grey),
    }
}

fn new_table(opts: RenderOptions, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if opts.color {
        // Fit the terminal when there is one.
        if let Some((w, _)) = terminal_width() {
            t.set_width(w);
        }
    } else {
        t.set_width(DEFAULT_WIDTH);
        t.force_no_tty();
    }
    t.set_header(
        header
            .iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    t
}

fn terminal_width() -> Option<(u16, u16)> {
    let t = Table::new();
    t.width().map(|w| (w, 0))
}

fn location(f: &Finding) -> String {
    let r = &f.resource;
    match &r.region {
        Some(region) => format!("{}/{}", r.account, region),
        None => r.account.clone(),
    }
}

/// Renders the table and summary.
pub fn render(report: &ScanReport, opts: RenderOptions) -> String {
    let mut out = String::new();
    let mut shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail || (opts.show_passes && f.status == Status::Pass))
        .collect();
    let with_baseline = report.summary.new.is_some();
    if with_baseline {
        // New findings first (the ones that gate), each group still by severity.
        shown.sort_by_key(|f| f.baseline != Some(BaselineState::New));
    }
    if shown.is_empty() {
        out.push_str("No failing findings.\n");
    } else {
        let mut header = vec!["Severity", "Check", "Resource", "Scope", "Finding"];
        if with_baseline {
            header.insert(0, "State");
        }
        let mut t = new_table(opts, &header);
        for f in &shown {
            let mut row = vec![
                severity_cell(f.severity, opts.color),
                Cell::new(&*f.check_id),
                Cell::new(f.resource.display_name()),
                Cell::new(location(f)),
                Cell::new(&f.message),
            ];
            if with_baseline {
                let state = match f.baseline {
                    Some(BaselineState::New) => "NEW",
                    Some(BaselineState::Unchanged) => "unchanged",
                    None => "",
                };
                row.insert(0, Cell::new(state));
            }
            t.add_row(row);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if let Some(fw) = opts.compliance {
        out.push_str(&compliance_table(report, fw, opts));
    }
    let muted: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Muted)
        .collect();
    if !muted.is_empty() {
        out.push_str(&format!("\nMuted ({}):\n", muted.len()));
        for f in muted {
            out.push_str(&format!(
                "  {} {} — {}\n",
                f.check_id,
                f.resource.display_name(),
                f.muted_reason.as_deref().unwrap_or("")
            ));
        }
    }
    if !report.fixed.is_empty() {
        out.push_str(&format!(
            "\nFixed since baseline ({}):\n",
            report.fixed.len()
        ));
        for f in &report.fixed {
            out.push_str(&format!("  {} {}\n", f.check_id, f.resource.display_name()));
        }
    }
    if !report.scan.collection_errors.is_empty() {
        out.push_str(&format!(
            "\nNot assessed ({} collection error(s)):\n",
            report.scan.collection_errors.len()
        ));
        for e in &report.scan.collection_errors {
            let region = e
                .region
                .as_deref()
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {} {}{}: {} {} — {}\n",
                e.provider, e.scope, region, e.service, e.operation, e.code
            ));
        }
    }
    out.push('\n');
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// One line: counts by status and severity, posture score, scopes.
pub fn summary_line(report: &ScanReport) -> String {
    let s = &report.summary;
    let sev: Vec<String> = Severity::DESCENDING
        .iter()
        .filter_map(|sev| {
            let n = s.fail_by_severity.get(sev).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect();
    let sev = if sev.is_empty() {
        String::new()
    } else {
        format!(" ({})", sev.join(", "))
    };
    let score = s
        .posture_score
        .map(|p| format!(" · posture {p}%"))
        .unwrap_or_default();
    let baseline = match (s.new, s.fixed) {
        (Some(n), Some(f)) => format!(" · {n} new, {f} fixed"),
        _ => String::new(),
    };
    let scopes: Vec<String> = report
        .scan
        .scopes
        .iter()
        .map(|sc| match sc.attributes.get("health_check_score") {
            // Salesforce's own posture number, next to the org it belongs to.
            Some(score) => format!("{} {} (Health Check {score})", sc.provider, sc.id),
            None => format!("{} {}", sc.provider, sc.id),
        })
        .collect();
    format!(
        "{} failing{sev} · {} passing · {} not evaluated · {} muted{score}{baseline} · {} checks on {}",
        s.fail,
        s.pass,
        s.error,
        s.muted,
        report.checks.len(),
        if scopes.is_empty() {
            "no scope".to_string()
        } else {
            scopes.join(", ")
        }
    )
}

/// Every control of a framework with its status and the failing resources (`--compliance`).
pub fn compliance_table(
    report: &ScanReport,
    fw: &crate::compliance::Framework,
    opts: RenderOptions,
) -> String {
    use super::view::{ControlStatus, framework_view};
    let view = framework_view(report, fw, true);
    let mut t = new_table(opts, &["Control", "Title", "Status", "Findings"]);
    for c in &view.controls {
        let mut status = Cell::new(c.status_label.to_uppercase());
        if opts.color {
            status = match c.status {
                ControlStatus::Pass => status.fg(Color::Green),
                ControlStatus::Fail => status.fg(Color::Red).add_attribute(Attribute::Bold),
                ControlStatus::NotEvaluated => status.fg(Color::Yellow),
                ControlStatus::NotCovered => status.fg(Color::Grey),
            };
        }
        let findings = if c.findings.is_empty() {
            if c.checks.is_empty() {
                String::new()
            } else {
                format!("{} passing ({})", c.tally.pass, c.checks.join(", "))
            }
        } else {
            c.findings
                .iter()
                .map(|f| {
                    let state = if f.status == "fail" {
                        String::new()
                    } else {
                        format!(" [{}]", f.status_label)
                    };
                    format!(
                        "{} {} {}{state}",
                        f.severity.to_uppercase(),
                        f.check_id,
                        f.resource
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        t.add_row(vec![
            Cell::new(&c.id),
            Cell::new(&c.title),
            status,
            Cell::new(findings),
        ]);
    }
    format!(
        "\n{} ({}): {} of {} controls assessed: {} pass, {} fail, {} not evaluated\n{t}\n",
        view.title,
        view.id,
        view.controls_assessed,
        view.controls.len(),
        view.controls_pass,
        view.controls_fail,
        view.controls_not_evaluated
    )
}
