//! Baselines and diffs: compare findings across runs by their stable fingerprint.
//!
//! A baseline is the findings JSON of an earlier run (`mamori scan --format json`). A
//! finding is *open* when its status is `fail` or `muted` (a known problem, accepted or
//! not). Against a baseline:
//! - a failing finding is **new** when no open baseline finding has its fingerprint, and
//!   **unchanged** otherwise (muted findings are left unclassified: they never gate);
//! - an open baseline finding is **fixed** when the same fingerprint now passes, or when it
//!   is gone although its check ran on its scope and nothing blocked collection of its
//!   kind there (the resource was deleted). A finding that now reports `error`, or whose
//!   check or scope was not part of this run, is neither: we cannot tell.
//!
//! `mamori diff` uses the same rules on two saved documents, and also lists findings
//! failing in both whose severity changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::{
    BaselineState, FINDINGS_SCHEMA_VERSION, Finding, ScanInfo, ScanReport, Severity, Status,
    fingerprint,
};

/// Why a findings document could not be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read findings {path}: {source}")]
    #[diagnostic(code(mamori::baseline))]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a findings JSON document.
    #[error("{path}:{line}:{column}: not a mamori findings document: at `{field}`: {message}")]
    #[diagnostic(
        code(mamori::baseline),
        help(
            "a baseline is the output of `mamori scan ... --format json` (not an inventory or SARIF)"
        )
    )]
    Invalid {
        /// The file.
        path: String,
        /// The JSON path of the offending field.
        field: String,
        /// What is wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Written by a newer mamori.
    #[error(
        "{path}: findings schema_version {found} is newer than this mamori reads ({FINDINGS_SCHEMA_VERSION})"
    )]
    #[diagnostic(code(mamori::baseline), help("upgrade mamori"))]
    Version {
        /// The file.
        path: String,
        /// The version found.
        found: u32,
    },
}

/// The parts of a findings JSON document a comparison needs. Lenient on purpose: any
/// version-1 document, from any mamori release, can serve as a baseline.
#[derive(Debug, Clone, Deserialize)]
pub struct FindingsDoc {
    /// The findings format version.
    pub schema_version: u32,
    /// When and what the run covered (absent in hand-made documents).
    #[serde(default)]
    pub scan: Option<ScanInfo>,
    /// The findings.
    pub findings: Vec<Finding>,
    /// The ids of the checks that produced findings.
    #[serde(default, deserialize_with = "map_keys")]
    pub checks: BTreeSet<String>,
    /// The file the document was read from.
    #[serde(skip)]
    pub path: String,
}

fn map_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeSet<String>, D::Error> {
    let m: BTreeMap<String, serde::de::IgnoredAny> = BTreeMap::deserialize(d)?;
    Ok(m.into_keys().collect())
}

impl FindingsDoc {
    /// Reads a findings JSON file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: display.clone(),
            source,
        })?;
        Self::from_json(&text, &display)
    }

    /// Parses a findings JSON document; fills missing fingerprints.
    pub fn from_json(text: &str, path: &str) -> Result<Self, BaselineError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let mut doc: FindingsDoc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let message = crate::diagnostics::strip_position(&inner.to_string());
            BaselineError::Invalid {
                path: path.to_string(),
                field,
                message,
                line: inner.line(),
                column: inner.column(),
            }
        })?;
        if doc.schema_version > FINDINGS_SCHEMA_VERSION {
            return Err(BaselineError::Version {
                path: path.to_string(),
                found: doc.schema_version,
            });
        }
        for f in &mut doc.findings {
            if f.fingerprint.is_empty() {
                f.fingerprint = fingerprint(&f.check_id, &f.resource);
            }
        }
        doc.path = path.to_string();
        Ok(doc)
    }
}

fn is_open(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Muted)
}

/// What a run covered: decides whether a baseline finding that is now absent was fixed.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// The scope ids scanned.
    pub scopes: BTreeSet<String>,
    /// The check ids that ran.
    pub checks: BTreeSet<String>,
    /// The collection errors of the run.
    pub errors: Vec<crate::inventory::CollectionError>,
}

impl Coverage {
    /// The coverage of a report, given the ids of the checks that ran.
    pub fn of_report<'a>(report: &ScanReport, checks: impl IntoIterator<Item = &'a str>) -> Self {
        Coverage {
            scopes: report.scan.scopes.iter().map(|s| s.id.clone()).collect(),
            checks: checks.into_iter().map(str::to_string).collect(),
            errors: report.scan.collection_errors.clone(),
        }
    }

    /// The coverage of a saved document: its scopes and the checks that reported.
    pub fn of_doc(doc: &FindingsDoc) -> Self {
        Coverage {
            scopes: doc
                .scan
                .iter()
                .flat_map(|s| s.scopes.iter().map(|s| s.id.clone()))
                .collect(),
            checks: doc.checks.clone(),
            errors: doc
                .scan
                .as_ref()
                .map(|s| s.collection_errors.clone())
                .unwrap_or_default(),
        }
    }

    fn would_report(&self, f: &Finding) -> bool {
        let r = &f.resource;
        self.scopes.contains(&r.account)
            && self.checks.contains(&*f.check_id)
            && !self
                .errors
                .iter()
                .any(|e| e.affects(&r.kind, &r.account, r.region.as_deref(), Some(&r.id)))
    }
}

/// A finding failing in both runs whose severity changed.
#[derive(Debug, Clone, Serialize)]
pub struct SeverityChange {
    /// The severity in the old run.
    pub old_severity: Severity,
    /// The finding in the new run.
    pub finding: Finding,
}

/// The result of comparing two sets of findings.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Fingerprints of failing findings absent from the old open set.
    pub new: BTreeSet<String>,
    /// Fingerprints of failing findings already open in the old run.
    pub unchanged: BTreeSet<String>,
    /// Old open findings that are fixed now.
    pub fixed: Vec<Finding>,
    /// Findings open in both runs with a different severity.
    pub changed_severity: Vec<SeverityChange>,
}

/// Compares the findings of an old run with those of a new one.
pub fn compare(old: &[Finding], new: &[Finding], coverage: &Coverage) -> Comparison {
    let old_open: HashMap<&str, &Finding> = old
        .iter()
        .filter(|f| is_open(f))
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let new_all: HashMap<&str, &Finding> =
        new.iter().map(|f| (f.fingerprint.as_str(), f)).collect();
    let mut out = Comparison::default();
    for f in new.iter().filter(|f| is_open(f)) {
        match old_open.get(f.fingerprint.as_str()) {
            Some(o) => {
                if f.status == Status::Fail {
                    out.unchanged.insert(f.fingerprint.clone());
                }
                if o.severity != f.severity {
                    out.changed_severity.push(SeverityChange {
                        old_severity: o.severity,
                        finding: f.clone(),
                    });
                }
            }
            None if f.status == Status::Fail => {
                out.new.insert(f.fingerprint.clone());
            }
            None => {}
        }
    }
    for o in old.iter().filter(|f| is_open(f)) {
        let fixed = match new_all.get(o.fingerprint.as_str()) {
            Some(n) => n.status == Status::Pass,
            None => coverage.would_report(o),
        };
        if fixed {
            let mut f = o.clone();
            f.baseline = None;
            out.fixed.push(f);
        }
    }
    out.fixed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// Classifies a report against a baseline: sets `baseline` on failing findings, lists
/// the fixed ones and fills `summary.new` / `summary.fixed`. `ran` are the ids of the
/// checks this run evaluated.
pub fn apply<'a>(
    report: &mut ScanReport,
    baseline: &FindingsDoc,
    ran: impl IntoIterator<Item = &'a str>,
) -> Comparison {
    let coverage = Coverage::of_report(report, ran);
    let cmp = compare(&baseline.findings, &report.findings, &coverage);
    for f in &mut report.findings {
        f.baseline = if cmp.new.contains(&f.fingerprint) {
            Some(BaselineState::New)
        } else if cmp.unchanged.contains(&f.fingerprint) {
            Some(BaselineState::Unchanged)
        } else {
            None
        };
    }
    report.fixed = cmp.fixed.clone();
    report.summary.new = Some(0);
    report.summary.fixed = Some(0);
    report.refresh();
    cmp
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::findings::ResourceRef;
    use crate::inventory::Provider;

    fn finding(check: &str, id: &str, status: Status, severity: Severity) -> Finding {
        let resource = Arc::new(ResourceRef {
            kind: "aws.s3.bucket".into(),
            id: id.into(),
            name: None,
            region: None,
            account: "1".into(),
            location: None,
        });
        Finding {
            check_id: check.into(),
            title: "t".into(),
            severity,
            status,
            provider: Provider::Aws,
            service: "s3".into(),
            fingerprint: fingerprint(check, &resource),
            resource,
            message: String::new(),
            remediation: "".into(),
            muted_reason: None,
            confirmed_from_outside: None,
            baseline: None,
        }
    }

    #[test]
    fn classifies_new_unchanged_fixed_and_unknown() {
        use Severity::{High, Low};
        use Status::{Error, Fail, Muted, Pass};
        let old = vec![
            finding("c", "kept", Fail, High),
            finding("c", "passes-now", Fail, High),
            finding("c", "deleted", Muted, High),
            finding("c", "errors-now", Fail, High),
            finding("other", "not-run", Fail, High),
            finding("c", "reseverity", Fail, High),
        ];
        let new = vec![
            finding("c", "kept", Fail, High),
            finding("c", "passes-now", Pass, High),
            finding("c", "errors-now", Error, High),
            finding("c", "fresh", Fail, High),
            finding("c", "reseverity", Fail, Low),
        ];
        let coverage = Coverage {
            scopes: ["1".to_string()].into(),
            checks: ["c".to_string()].into(),
            errors: Vec::new(),
        };
        let cmp = compare(&old, &new, &coverage);
        let fp = |id: &str| {
            fingerprint(
                "c",
                &new.iter()
                    .chain(&old)
                    .find(|f| f.resource.id == id)
                    .expect("present")
                    .resource,
            )
        };
        assert_eq!(cmp.new, [fp("fresh")].into());
        assert_eq!(cmp.unchanged, [fp("kept"), fp("reseverity")].into());
        let fixed: Vec<&str> = cmp.fixed.iter().map(|f| f.resource.id.as_str()).collect();
        assert_eq!(fixed, ["passes-now", "deleted"]);
        assert_eq!(cmp.changed_severity.len(), 1);
        assert_eq!(cmp.changed_severity[0].old_severity, High);
    }
}
