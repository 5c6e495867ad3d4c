//! `--format csv`: one row per finding (passes included), RFC 4180 quoting with CRLF
//! line ends, for spreadsheets.
//!
//! Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or carriage return) are prefixed with `'`, as OWASP advises against CSV injection:
//! resource names and messages come from the scanned environment, not from us.

use super::ReportError;
use crate::findings::{Finding, ScanReport};

/// The header row.
pub const HEADER: [&str; 20] = [
    "status",
    "severity",
    "check_id",
    "title",
    "provider",
    "service",
    "account",
    "region",
    "resource_kind",
    "resource_id",
    "resource_name",
    "message",
    "remediation",
    "compliance",
    "nist_csf_functions",
    "muted_reason",
    "baseline",
    "fingerprint",
    "help_uri",
    "collected_at",
];

fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn row(report: &ScanReport, f: &Finding) -> Vec<String> {
    let info = report.checks.get(&*f.check_id);
    let compliance = info
        .map(|c| {
            c.compliance
                .iter()
                .flat_map(|(fw, ids)| ids.iter().map(move |id| format!("{fw}:{id}")))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let functions = info
        .map(|c| {
            super::view::csf_functions(c)
                .into_iter()
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let r = &f.resource;
    [
        f.status.as_str(),
        f.severity.as_str(),
        &f.check_id,
        &f.title,
        f.provider.as_str(),
        &f.service,
        &r.account,
        r.region.as_deref().unwrap_or(""),
        &r.kind,
        &r.id,
        r.name.as_deref().unwrap_or(""),
        &f.message,
        f.remediation.trim(),
        &compliance,
        &functions,
        f.muted_reason.as_deref().unwrap_or(""),
        match f.baseline {
            Some(crate::findings::BaselineState::New) => "new",
            Some(crate::findings::BaselineState::Unchanged) => "unchanged",
            None => "",
        },
        &f.fingerprint,
        info.map(|c| c.help_uri.as_str()).unwrap_or(""),
        &report.scan.collected_at,
    ]
    .iter()
    .map(|c| defuse(c))
    .collect()
}

/// Renders the CSV document.
pub fn render(report: &ScanReport) -> Result<String, ReportError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let csv_err = |e: ::csv::Error| ReportError::Encode(format!("csv: {e}"));
    w.write_record(HEADER).map_err(csv_err)?;
    for f in &report.findings {
        w.write_record(row(report, f)).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ReportError::Encode(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ReportError::Encode(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-1"), "'-1");
        assert_eq!(defuse("bucket"), "bucket");
    }
}
