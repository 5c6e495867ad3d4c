//! `--mutelist` and `--baseline` for `mamori scan`: load both before collecting, apply
//! them to the evaluated report, and explain on standard error why a run fails.

use std::sync::Arc;

use super::{CommonScanArgs, exit, report_error};
use crate::baseline::{self, FindingsDoc};
use crate::checks::Check;
use crate::findings::{ScanReport, Severity};
use crate::inventory::Inventory;
use crate::mutelist::{MatchContext, Mutelist};

/// The noise controls of one scan.
#[derive(Debug, Default)]
pub(crate) struct Gating {
    mutelist: Option<Mutelist>,
    baseline: Option<FindingsDoc>,
}

impl Gating {
    /// Reads `--mutelist` and `--baseline`; on error prints the diagnostic and returns
    /// the exit code (2).
    pub(crate) fn load(common: &CommonScanArgs) -> Result<Self, u8> {
        let mutelist = match &common.mutelist {
            Some(p) => Some(Mutelist::load(p).map_err(|e| {
                report_error(e);
                exit::USAGE
            })?),
            None => None,
        };
        let baseline = match &common.baseline {
            Some(p) => Some(FindingsDoc::load(p).map_err(|e| {
                report_error(e);
                exit::USAGE
            })?),
            None => None,
        };
        Ok(Gating { mutelist, baseline })
    }

    /// Mutes, then classifies against the baseline. Warns about expired mutelist
    /// entries unless `quiet`.
    pub(crate) fn apply(
        &self,
        report: &mut ScanReport,
        inventory: &Inventory,
        checks: &[Arc<Check>],
        quiet: bool,
    ) {
        if let Some(m) = &self.mutelist {
            let today = chrono::Utc::now().date_naive();
            let outcome = m.apply(report, &MatchContext::new(Some(inventory), checks), today);
            if !quiet {
                for (i, e) in m.entries.iter().enumerate() {
                    let Some(day) = e.expires.filter(|_| !e.is_active(today)) else {
                        continue;
                    };
                    eprintln!(
                        "warning: {}: mutelist entry expired on {day} and no longer mutes ({} failing finding(s) reported again); renew or remove it: {}",
                        m.locate(i),
                        outcome.hits[i],
                        e.reason
                    );
                }
            }
        }
        if let Some(b) = &self.baseline {
            baseline::apply(report, b, checks.iter().map(|c| c.id.as_str()));
        }
    }
}

/// When `--fail-on` makes the run fail, names the findings responsible on standard
/// error (unless `quiet`), so that a CI log says why without opening the report.
pub(crate) fn explain_exit(report: &ScanReport, fail_on: Option<Severity>, quiet: bool) {
    let Some(threshold) = fail_on else {
        return;
    };
    if quiet {
        return;
    }
    let gating: Vec<_> = crate::pipeline::gating_findings(report, threshold).collect();
    if gating.is_empty() {
        return;
    }
    let new = if report.summary.new.is_some() {
        "new "
    } else {
        ""
    };
    eprintln!(
        "mamori: {} {new}failing finding(s) at or above {threshold} (--fail-on {threshold}):",
        gating.len()
    );
    for f in gating {
        let region = f
            .resource
            .region
            .as_deref()
            .map(|r| format!("/{r}"))
            .unwrap_or_default();
        eprintln!(
            "  {} {} {} ({}{region})",
            f.severity.as_str().to_uppercase(),
            f.check_id,
            f.resource.display_name(),
            f.resource.account,
        );
    }
}
