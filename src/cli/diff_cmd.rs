//! `mamori diff OLD.json NEW.json`: what changed between two runs — new findings, fixed
//! ones, and findings whose severity changed — as a table, JSON or Markdown (for a
//! pull-request comment). Uses the rules of [`crate::baseline`].

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use super::{PlainError, exit, report_error};
use crate::baseline::{Coverage, FindingsDoc, SeverityChange, compare};
use crate::findings::{Finding, Severity};

/// `mamori diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier findings JSON (`mamori scan --format json`).
    pub old: PathBuf,
    /// The later findings JSON.
    pub new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DiffFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a new failing finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
}

/// How `mamori diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Readable tables.
    Table,
    /// One JSON object.
    Json,
    /// GitHub-flavoured Markdown, for a pull-request comment.
    Markdown,
}

/// The `--format json` document of `mamori diff`.
#[derive(Debug, Serialize)]
pub struct DiffDoc<'a> {
    /// Version of this format.
    pub schema_version: u32,
    /// Counts.
    pub summary: DiffSummary,
    /// Failing findings not open in the old run.
    pub new: Vec<&'a Finding>,
    /// Findings open in the old run and fixed now.
    pub fixed: &'a [Finding],
    /// Findings open in both runs whose severity changed.
    pub changed_severity: &'a [SeverityChange],
}

/// Counts of a diff.
#[derive(Debug, Serialize)]
pub struct DiffSummary {
    /// New failing findings.
    pub new: usize,
    /// Fixed findings.
    pub fixed: usize,
    /// Findings failing in both runs.
    pub unchanged: usize,
    /// Findings whose severity changed.
    pub changed_severity: usize,
}

/// Runs the diff; returns the exit code.
pub fn run(args: &DiffArgs) -> u8 {
    let load = |p: &PathBuf| {
        FindingsDoc::load(p).map_err(|e| {
            report_error(e);
            exit::USAGE
        })
    };
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let cmp = compare(&old.findings, &new.findings, &Coverage::of_doc(&new));
    let new_findings: Vec<&Finding> = new
        .findings
        .iter()
        .filter(|f| cmp.new.contains(&f.fingerprint))
        .collect();
    let doc = DiffDoc {
        schema_version: 1,
        summary: DiffSummary {
            new: cmp.new.len(),
            fixed: cmp.fixed.len(),
            unchanged: cmp.unchanged.len(),
            changed_severity: cmp.changed_severity.len(),
        },
        new: new_findings,
        fixed: &cmp.fixed,
        changed_severity: &cmp.changed_severity,
    };
    let text = match args.format {
        DiffFormat::Json => serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
        DiffFormat::Markdown => markdown(&doc, &old, &new),
        DiffFormat::Table => table(&doc),
    };
    let written = match &args.output {
        Some(p) => {
            std::fs::write(p, &text).map_err(|e| format!("cannot write {}: {e}", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    };
    if let Err(e) = written {
        report_error(PlainError::new(e));
        return exit::USAGE;
    }
    match args.fail_on {
        Some(t) if doc.new.iter().any(|f| f.severity >= t) => exit::FINDINGS,
        _ => exit::OK,
    }
}

fn location(f: &Finding) -> String {
    match &f.resource.region {
        Some(r) => format!("{}/{r}", f.resource.account),
        None => f.resource.account.clone(),
    }
}

fn table(doc: &DiffDoc<'_>) -> String {
    let mut out = String::new();
    let groups: [(&str, Vec<(&Finding, String)>); 3] = [
        (
            "New",
            doc.new
                .iter()
                .map(|f| (*f, f.severity.as_str().to_uppercase()))
                .collect(),
        ),
        (
            "Fixed",
            doc.fixed
                .iter()
                .map(|f| (f, f.severity.as_str().to_uppercase()))
                .collect(),
        ),
        (
            "Changed severity",
            doc.changed_severity
                .iter()
                .map(|c| {
                    (
                        &c.finding,
                        format!(
                            "{} -> {}",
                            c.old_severity.as_str().to_uppercase(),
                            c.finding.severity.as_str().to_uppercase()
                        ),
                    )
                })
                .collect(),
        ),
    ];
    for (name, rows) in groups {
        let _ = writeln!(out, "{name} ({}):", rows.len());
        if rows.is_empty() {
            out.push('\n');
            continue;
        }
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(160)
            .force_no_tty()
            .set_header(["Severity", "Check", "Resource", "Scope", "Finding"]);
        for (f, sev) in rows {
            t.add_row([
                sev,
                f.check_id.to_string(),
                f.resource.display_name().to_string(),
                location(f),
                f.message.clone(),
            ]);
        }
        let _ = writeln!(out, "{t}\n");
    }
    let s = &doc.summary;
    let _ = writeln!(
        out,
        "{} new · {} fixed · {} unchanged · {} changed severity",
        s.new, s.fixed, s.unchanged, s.changed_severity
    );
    out
}

/// Rows per Markdown section: keeps a pull-request comment well below GitHub's size limit.
const MARKDOWN_ROWS: usize = 50;

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn markdown(doc: &DiffDoc<'_>, old: &FindingsDoc, new: &FindingsDoc) -> String {
    let s = &doc.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### mamori: {} new, {} fixed, {} changed severity\n",
        s.new, s.fixed, s.changed_severity
    );
    let mut section = |title: &str, rows: Vec<(String, &Finding)>| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "#### {title} ({})\n", rows.len());
        out.push_str("| Severity | Check | Resource | Scope | Finding |\n|---|---|---|---|---|\n");
        let hidden = rows.len().saturating_sub(MARKDOWN_ROWS);
        for (sev, f) in rows.into_iter().take(MARKDOWN_ROWS) {
            let _ = writeln!(
                out,
                "| {sev} | `{}` | {} | {} | {} |",
                cell(&f.check_id),
                cell(f.resource.display_name()),
                cell(&location(f)),
                cell(&f.message)
            );
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "\n…and {hidden} more (see `mamori diff --format json`)."
            );
        }
        out.push('\n');
    };
    section(
        "New",
        doc.new
            .iter()
            .map(|f| (format!("**{}**", f.severity.as_str().to_uppercase()), *f))
            .collect(),
    );
    section(
        "Fixed",
        doc.fixed
            .iter()
            .map(|f| (f.severity.as_str().to_uppercase(), f))
            .collect(),
    );
    section(
        "Changed severity",
        doc.changed_severity
            .iter()
            .map(|c| {
                (
                    format!(
                        "{} → {}",
                        c.old_severity.as_str().to_uppercase(),
                        c.finding.severity.as_str().to_uppercase()
                    ),
                    &c.finding,
                )
            })
            .collect(),
    );
    if s.new + s.fixed + s.changed_severity == 0 {
        out.push_str("No change in failing findings.\n\n");
    }
    let when = |d: &FindingsDoc| {
        d.scan.as_ref().map_or_else(
            || d.path.clone(),
            |sc| format!("{} ({})", d.path, sc.collected_at),
        )
    };
    let _ = writeln!(
        out,
        "<sub>Compared {} with {}; {} finding(s) still failing.</sub>",
        cell(&when(old)),
        cell(&when(new)),
        s.unchanged
    );
    out
}
