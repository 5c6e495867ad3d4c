//! `--format table`: failing findings by severity (under one heading per scope, worst
//! first, when the report covers several), then a summary line.

use std::collections::HashMap;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::RenderOptions;
use super::view::provider_label;
use crate::findings::{BaselineState, Finding, ScanReport, ScopeSummary, Severity, Status};
use crate::inventory::Provider;

/// Width used when the output is not a terminal, so that output is reproducible.
const DEFAULT_WIDTH: u16 = 160;

/// ANSI bold on and off, for the scope headings on a colour terminal.
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

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

/// Where a finding is, as a table column.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `account/region`: the findings of several scopes in one table.
    Scope,
    /// The region only: the findings of one scope.
    Region,
}

/// One row per finding: [state,] severity, check, resource, place, finding.
fn findings_table(
    findings: &[&Finding],
    opts: RenderOptions,
    with_baseline: bool,
    place: Place,
) -> String {
    // In a scope's own table the region column is left out when no finding has one.
    let place = match place {
        Place::Region if findings.iter().all(|f| f.resource.region.is_none()) => None,
        p => Some(p),
    };
    let mut header = vec!["Severity", "Check", "Resource"];
    match place {
        Some(Place::Scope) => header.push("Scope"),
        Some(Place::Region) => header.push("Region"),
        None => {}
    }
    header.push("Finding");
    if with_baseline {
        header.insert(0, "State");
    }
    let mut t = new_table(opts, &header);
    for f in findings {
        let mut row = vec![
            severity_cell(f.severity, opts.color),
            Cell::new(&*f.check_id),
            Cell::new(f.resource.display_name()),
        ];
        match place {
            Some(Place::Scope) => row.push(Cell::new(location(f))),
            Some(Place::Region) => {
                row.push(Cell::new(f.resource.region.as_deref().unwrap_or("global")))
            }
            None => {}
        }
        row.push(Cell::new(&f.message));
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
    t.to_string()
}

/// `AWS account 111111111111 (prod)`.
fn scope_label(s: &ScopeSummary) -> String {
    let name = s
        .name
        .as_ref()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    format!(
        "{} {} {}{name}",
        provider_label(s.provider),
        s.provider.scope_noun(),
        s.scope
    )
}

/// ` (2 critical, 1 low)`, or nothing when every count is zero.
fn severity_breakdown(count: impl Fn(Severity) -> usize) -> String {
    let parts: Vec<String> = Severity::DESCENDING
        .iter()
        .filter_map(|sev| {
            let n = count(*sev);
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// The findings of a report covering several scopes: one heading and table per scope with
/// findings to show, worst scope first, then the scopes with nothing failing and the
/// skipped ones, one line each.
fn scope_sections(
    by_scope: &[ScopeSummary],
    shown: &[&Finding],
    opts: RenderOptions,
    with_baseline: bool,
) -> String {
    let mut groups: HashMap<(Provider, &str), Vec<&Finding>> = HashMap::new();
    for f in shown {
        groups
            .entry((f.provider, f.resource.account.as_str()))
            .or_default()
            .push(f);
    }
    let mut out = String::new();
    let mut clean = Vec::new();
    let mut skipped = Vec::new();
    for s in by_scope {
        let label = scope_label(s);
        let Some(findings) = groups.get(&(s.provider, s.scope.as_str())) else {
            match &s.skipped {
                Some(reason) => skipped.push(format!("{label}: {reason}")),
                None => clean.push(label),
            }
            continue;
        };
        let error = match s.error {
            0 => String::new(),
            n => format!(", {n} not evaluated"),
        };
        let heading = format!(
            "{label}: {} failing{}{error}",
            s.fail.total(),
            severity_breakdown(|sev| s.fail.get(sev))
        );
        if !out.is_empty() {
            out.push('\n');
        }
        if opts.color {
            out.push_str(&format!("{BOLD}{heading}{RESET}\n"));
        } else {
            out.push_str(&heading);
            out.push('\n');
        }
        out.push_str(&findings_table(
            findings,
            opts,
            with_baseline,
            Place::Region,
        ));
        out.push('\n');
    }
    let mut lines = Vec::new();
    if !clean.is_empty() {
        lines.push(format!("No failing findings: {}\n", clean.join(", ")));
    }
    lines.extend(skipped.iter().map(|s| format!("Skipped: {s}\n")));
    if !out.is_empty() && !lines.is_empty() {
        out.push('\n');
    }
    out.extend(lines);
    out
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
    let by_scope = report.by_scope();
    if !by_scope.is_empty() {
        out.push_str(&scope_sections(&by_scope, &shown, opts, with_baseline));
    } else if shown.is_empty() {
        out.push_str("No failing findings.\n");
    } else {
        out.push_str(&findings_table(&shown, opts, with_baseline, Place::Scope));
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
    let sev = severity_breakdown(|sev| s.fail_by_severity.get(&sev).copied().unwrap_or(0));
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
