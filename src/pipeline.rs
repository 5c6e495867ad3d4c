//! The scan pipeline without the command line: select checks, evaluate an inventory,
//! assemble the report and decide the exit code. Used by `mamori scan` and by tests.

use std::sync::Arc;

use globset::GlobSet;

use crate::checks::Check;
use crate::findings::{BaselineState, ScanInfo, ScanReport, Severity, Status};
use crate::inventory::{Inventory, now_rfc3339};
use crate::patterns::globset;

/// Which checks to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only checks matching one of these ids or globs (all when empty).
    pub include: Vec<String>,
    /// Never checks matching one of these ids or globs.
    pub exclude: Vec<String>,
    /// Only checks of these services (all when empty).
    pub services: Vec<String>,
    /// Only checks at or above this severity.
    pub min_severity: Option<Severity>,
}

fn matches(set: &GlobSet, c: &Check) -> bool {
    set.is_match(&c.id) || c.aliases.iter().any(|a| set.is_match(a))
}

/// Applies a selection; errors on malformed globs.
pub fn select(checks: &[Arc<Check>], sel: &Selection) -> Result<Vec<Arc<Check>>, String> {
    let include = globset(&sel.include, "check")?;
    let exclude = globset(&sel.exclude, "check")?;
    Ok(checks
        .iter()
        .filter(|c| sel.include.is_empty() || matches(&include, c))
        .filter(|c| !matches(&exclude, c))
        .filter(|c| sel.services.is_empty() || sel.services.iter().any(|s| *s == c.service))
        .filter(|c| sel.min_severity.is_none_or(|m| c.severity >= m))
        .cloned()
        .collect())
}

/// The checks of `checks` that apply to the inventory's providers.
pub fn applicable(inv: &Inventory, checks: &[Arc<Check>]) -> Vec<Arc<Check>> {
    let providers: Vec<_> = inv.scopes.iter().map(|s| s.provider).collect();
    checks
        .iter()
        .filter(|c| providers.contains(&c.provider))
        .cloned()
        .collect()
}

/// Evaluates the checks that apply to the inventory's providers and assembles the report.
pub fn evaluate_inventory(inv: &Inventory, checks: &[Arc<Check>]) -> ScanReport {
    let started_at = now_rfc3339();
    let applicable = applicable(inv, checks);
    let findings = crate::evaluate::evaluate(inv, &applicable);
    assemble(inv, &applicable, findings, started_at)
}

/// Assembles the report of `findings`, the evaluation of `applicable` (see
/// [`applicable`]) on `inv` that started at `started_at`: outside-in confirmations,
/// fingerprints, report order, summary.
pub fn assemble(
    inv: &Inventory,
    applicable: &[Arc<Check>],
    mut findings: Vec<crate::findings::Finding>,
    started_at: String,
) -> ScanReport {
    crate::confirm::confirm_from_outside(inv, &mut findings);
    let scan = ScanInfo {
        started_at,
        finished_at: now_rfc3339(),
        collected_at: inv.collected_at.clone(),
        scopes: inv.scopes.clone(),
        collection_errors: inv.errors.clone(),
    };
    ScanReport::new(
        scan,
        findings,
        applicable
            .iter()
            .map(|c| crate::findings::CheckInfo::from(c.as_ref())),
    )
}

/// The failing findings that count against `--fail-on`: unsuppressed, at or above the
/// threshold, and new when a baseline was given.
pub fn gating_findings(
    report: &ScanReport,
    fail_on: Severity,
) -> impl Iterator<Item = &crate::findings::Finding> {
    let with_baseline = report.summary.new.is_some();
    report.findings.iter().filter(move |f| {
        f.status == Status::Fail
            && f.severity >= fail_on
            && (!with_baseline || f.baseline == Some(BaselineState::New))
    })
}

/// The exit code for a finished scan (0 or 1).
pub fn exit_code(report: &ScanReport, fail_on: Option<Severity>) -> u8 {
    match fail_on {
        Some(t) if gating_findings(report, t).next().is_some() => crate::cli::exit::FINDINGS,
        _ => crate::cli::exit::OK,
    }
}
