//! The scan pipeline without the command line: select checks, evaluate an inventory,
//! assemble the report and decide the exit code. Used by `mamori scan` and by tests.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use globset::GlobSet;
use rayon::prelude::*;

use crate::checks::Check;
use crate::compact::CompactFindings;
use crate::evaluate::{Evaluator, Verdict, judge, scope_errors};
use crate::findings::{
    BaselineState, CheckInfo, FINDINGS_SCHEMA_VERSION, ScanInfo, ScanReport, Severity, Status,
};
use crate::inventory::stream::{self, Unstreamable};
use crate::inventory::{Inventory, Resource, Tool, now_rfc3339};
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

/// Resources evaluated per batch of a streamed inventory.
const BATCH: usize = 1024;

/// A saved inventory evaluated without loading it whole ([`evaluate_streamed`]).
pub struct StreamedScan {
    /// The report without its findings (`findings` is empty): scan, summary, checks.
    pub report: ScanReport,
    /// The findings, in report order.
    pub findings: CompactFindings,
}

impl StreamedScan {
    /// The report with only the findings `keep` selects, as [`Finding`]s (e.g. those
    /// that gate the exit code).
    ///
    /// [`Finding`]: crate::findings::Finding
    pub fn report_of(&self, keep: impl Fn(Status, Severity) -> bool) -> ScanReport {
        let mut report = self.report.clone();
        report.findings = (0..self.findings.len())
            .filter(|i| {
                let f = self.findings.get(*i);
                keep(f.status, f.check.severity)
            })
            .map(|i| self.findings.finding(i))
            .collect();
        report
    }
}

/// Evaluates the saved inventory at `path` as [`evaluate_inventory`] evaluates it once
/// loaded, reading its resources a batch at a time (evaluated on every core while the
/// next batch is read) and keeping findings compact, so that memory grows with the
/// findings, not with the file. Fails, having written nothing, on anything unusual (a
/// malformed document, a resource of an unknown scope): the caller then loads the
/// inventory whole, which reports the problem precisely.
pub fn evaluate_streamed(
    path: &std::path::Path,
    checks: &[Arc<Check>],
) -> Result<StreamedScan, Unstreamable> {
    let started_at = now_rfc3339();
    evaluate_streamed_after(stream::head(path)?, path, checks, started_at)
}

/// [`evaluate_streamed`] of an inventory whose head ([`stream::head`]) was read
/// already, evaluation having started at `started_at`.
pub fn evaluate_streamed_after(
    head: stream::Head,
    path: &std::path::Path,
    checks: &[Arc<Check>],
    started_at: String,
) -> Result<StreamedScan, Unstreamable> {
    let (head, rest) = head.split();
    let applicable = applicable(&head, checks);
    let ev = Evaluator::new(&applicable, &head.collected_at);
    let mut compact = CompactFindings::new(&applicable);
    let scopes: HashSet<&str> = head.scopes.iter().map(|s| s.id.as_str()).collect();
    let mut unknown_scope = None;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Resource>>(2);
        let reader = s.spawn(move || {
            stream::resources(path, rest, BATCH, |batch| {
                let _ = tx.send(batch);
            })
        });
        // Each batch's verdicts are added to the findings while the next batch is
        // evaluated.
        let mut judged: Option<(Vec<Resource>, Vec<Vec<Verdict>>)> = None;
        let add = |compact: &mut CompactFindings, (batch, verdicts): (Vec<Resource>, _)| {
            for (r, v) in batch.iter().zip(verdicts) {
                compact.add(r, v);
            }
        };
        for batch in rx {
            if unknown_scope.is_some() {
                continue;
            }
            if let Some(r) = batch.iter().find(|r| !scopes.contains(r.scope.as_str())) {
                unknown_scope = Some(r.scope.clone());
                continue;
            }
            let previous = judged.take();
            let ((), verdicts) = rayon::join(
                || previous.map_or((), |p| add(&mut compact, p)),
                || {
                    batch
                        .par_iter()
                        .with_min_len(16)
                        .map(|r| judge(&ev, &head.errors, r))
                        .collect::<Vec<Vec<Verdict>>>()
                },
            );
            judged = Some((batch, verdicts));
        }
        if let Some(last) = judged {
            add(&mut compact, last);
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(Unstreamable("the reader panicked".into())))
    })?;
    if let Some(scope) = unknown_scope {
        return Err(Unstreamable(format!("a resource of unknown scope {scope}")));
    }
    for group in scope_errors(&head.errors, &ev) {
        compact.add_scope_error(&group);
    }
    compact.confirm_from_outside();
    let finished_at = now_rfc3339();
    compact.sort();
    let used: BTreeSet<&str> = compact
        .used_checks()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let checks = applicable
        .iter()
        .filter(|c| used.contains(c.id.as_str()))
        .map(|c| (c.id.clone(), CheckInfo::from(c.as_ref())))
        .collect();
    let summary = compact.summary(&head.scopes);
    let report = ScanReport {
        schema_version: FINDINGS_SCHEMA_VERSION,
        tool: Tool::current(),
        scan: ScanInfo {
            started_at,
            finished_at,
            collected_at: head.collected_at.clone(),
            scopes: head.scopes.clone(),
            collection_errors: head.errors.clone(),
        },
        summary,
        findings: Vec::new(),
        fixed: Vec::new(),
        checks,
    };
    drop(used);
    Ok(StreamedScan {
        report,
        findings: compact,
    })
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
