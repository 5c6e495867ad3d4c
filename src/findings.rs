//! The findings model every reporter reads: one [`Finding`] per evaluated
//! (check, resource) pair, plus the scan's metadata, in a [`ScanReport`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checks::Check;
use crate::inventory::{CollectionError, Provider, Scope, Tool};

/// How bad a failing check is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, no direct risk.
    Info,
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
    /// Critical: exploitable now, with severe impact.
    Critical,
}

impl Severity {
    /// All severities, most severe first.
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The CVSS-like score GitHub code scanning reads from `security-severity`.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The resource is in the risky state the check describes.
    Fail,
    /// The check could not be evaluated (data not collected, evaluation error).
    Error,
    /// A failing finding suppressed by a mutelist entry.
    Muted,
    /// The resource is not in the risky state.
    Pass,
}

impl Status {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Muted => "muted",
            Status::Pass => "pass",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource a finding is about, as named in the JSON contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The resource kind, e.g. `aws.s3.bucket`.
    pub kind: String,
    /// The resource id (ARN, self link, Salesforce id).
    pub id: String,
    /// The human name, where one exists.
    pub name: Option<String>,
    /// The region, where one applies.
    pub region: Option<String>,
    /// The account, project or org id.
    pub account: String,
    /// Where the resource is declared in source (Terraform scans with `--config-dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::inventory::SourceLocation>,
}

impl ResourceRef {
    /// The human name if there is one, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// Where a finding stands against a baseline (see `--baseline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline.
    New,
    /// Already in the baseline.
    Unchanged,
}

/// One evaluated (check, resource) pair.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    /// The check's stable id.
    pub check_id: Arc<str>,
    /// The check's title.
    pub title: Arc<str>,
    /// The check's severity.
    pub severity: Severity,
    /// The outcome.
    pub status: Status,
    /// The provider.
    pub provider: Provider,
    /// The check's service (e.g. `s3`, `iam`, `guest-access`).
    pub service: Arc<str>,
    /// The resource evaluated (shared by all findings on it).
    pub resource: Arc<ResourceRef>,
    /// What was found, naming the resource.
    pub message: String,
    /// How to fix it (the check's remediation text).
    pub remediation: Arc<str>,
    /// A stable identity for the finding across runs: check id + scope + resource.
    /// Filled in when the report is assembled.
    #[serde(default)]
    pub fingerprint: String,
    /// Why the finding is muted (status `muted` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_reason: Option<String>,
    /// The state against a baseline, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

impl Finding {
    /// Builds a finding for a check and a resource reference.
    pub fn new(check: &Check, resource: Arc<ResourceRef>, status: Status, message: String) -> Self {
        Finding {
            check_id: check.shared.id.clone(),
            title: check.shared.title.clone(),
            severity: check.severity,
            status,
            provider: check.provider,
            service: check.shared.service.clone(),
            resource,
            message,
            remediation: check.shared.remediation.clone(),
            fingerprint: String::new(),
            muted_reason: None,
            baseline: None,
        }
    }

    /// The key findings are sorted by: status, severity (worst first), check, scope,
    /// region, resource id.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.status,
            std::cmp::Reverse(self.severity),
            &self.check_id,
            self.provider,
            &self.resource.account,
            &self.resource.region,
            &self.resource.kind,
            &self.resource.id,
        )
    }
}

/// The stable fingerprint of a finding: the first 16 bytes of
/// SHA-256(check id, scope, region, kind, resource id), in hex.
pub fn fingerprint(check_id: &str, r: &ResourceRef) -> String {
    let mut h = Sha256::new();
    for part in [
        check_id,
        r.account.as_str(),
        r.region.as_deref().unwrap_or(""),
        r.kind.as_str(),
        r.id.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts over a set of findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Every evaluated pair.
    pub total: usize,
    /// Failing pairs.
    pub fail: usize,
    /// Passing pairs.
    pub pass: usize,
    /// Pairs that could not be evaluated.
    pub error: usize,
    /// Muted pairs.
    pub muted: usize,
    /// Failing pairs by severity.
    pub fail_by_severity: BTreeMap<Severity, usize>,
    /// Percentage of evaluated pairs (pass + fail) that pass, rounded down; `None` when
    /// nothing was evaluated.
    pub posture_score: Option<u32>,
    /// Findings new against the baseline (only with `--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    /// Baseline findings no longer failing (only with `--baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<usize>,
}

impl Summary {
    /// Counts the findings.
    pub fn of(findings: &[Finding]) -> Self {
        let mut s = Summary {
            total: findings.len(),
            ..Summary::default()
        };
        for sev in Severity::DESCENDING {
            s.fail_by_severity.insert(sev, 0);
        }
        for f in findings {
            match f.status {
                Status::Fail => {
                    s.fail += 1;
                    *s.fail_by_severity.entry(f.severity).or_default() += 1;
                }
                Status::Pass => s.pass += 1,
                Status::Error => s.error += 1,
                Status::Muted => s.muted += 1,
            }
        }
        let evaluated = s.pass + s.fail + s.muted;
        s.posture_score =
            (evaluated > 0).then(|| u32::try_from(s.pass * 100 / evaluated).unwrap_or(0));
        s
    }
}

/// When and what a scan covered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanInfo {
    /// When evaluation started (RFC 3339).
    pub started_at: String,
    /// When evaluation finished (RFC 3339).
    pub finished_at: String,
    /// When the inventory was collected (RFC 3339).
    #[serde(default)]
    pub collected_at: String,
    /// The scopes covered.
    pub scopes: Vec<Scope>,
    /// The collection errors: what could not be assessed.
    #[serde(default)]
    pub collection_errors: Vec<CollectionError>,
}

/// A check's metadata as carried in a report, so that any format can be regenerated
/// from saved JSON without the check files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckInfo {
    /// The check id.
    pub id: String,
    /// The title.
    pub title: String,
    /// The severity.
    pub severity: Severity,
    /// The provider.
    pub provider: Provider,
    /// The service.
    pub service: String,
    /// The resource kind.
    pub resource_kind: String,
    /// What the check looks at.
    pub description: String,
    /// Why the state is risky.
    pub risk: String,
    /// How to fix it.
    pub remediation: crate::checks::Remediation,
    /// Further reading.
    pub references: Vec<String>,
    /// Framework id to control ids.
    pub compliance: BTreeMap<String, Vec<String>>,
    /// Where the check is documented.
    pub help_uri: String,
}

impl From<&Check> for CheckInfo {
    fn from(c: &Check) -> Self {
        CheckInfo {
            id: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity,
            provider: c.provider,
            service: c.service.clone(),
            resource_kind: c.resource_kind.clone(),
            description: c.description.trim().to_string(),
            risk: c.risk.trim().to_string(),
            remediation: c.remediation.clone(),
            references: c.references.clone(),
            compliance: c.compliance.clone(),
            help_uri: c.help_uri(),
        }
    }
}

/// Version of the findings JSON format.
pub const FINDINGS_SCHEMA_VERSION: u32 = 1;

/// Everything a reporter needs: the `--format json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport {
    /// The findings format version; see [`FINDINGS_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The producing tool.
    pub tool: Tool,
    /// When and what.
    pub scan: ScanInfo,
    /// Counts.
    pub summary: Summary,
    /// Every evaluated (check, resource) pair, sorted.
    pub findings: Vec<Finding>,
    /// Baseline findings that no longer fail (only with `--baseline`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<Finding>,
    /// Metadata of every check that produced a finding, by id.
    #[serde(default)]
    pub checks: BTreeMap<String, CheckInfo>,
}

impl ScanReport {
    /// Assembles a report; sorts the findings and computes the summary.
    pub fn new(scan: ScanInfo, mut findings: Vec<Finding>, checks: &[Arc<Check>]) -> Self {
        for f in &mut findings {
            if f.fingerprint.is_empty() {
                f.fingerprint = fingerprint(&f.check_id, &f.resource);
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let used: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| &*f.check_id).collect();
        let checks = checks
            .iter()
            .filter(|c| used.contains(c.id.as_str()))
            .map(|c| (c.id.clone(), CheckInfo::from(c.as_ref())))
            .collect();
        ScanReport {
            schema_version: FINDINGS_SCHEMA_VERSION,
            tool: Tool::current(),
            summary: Summary::of(&findings),
            scan,
            findings,
            fixed: Vec::new(),
            checks,
        }
    }

    /// Recomputes the summary after findings were changed (muted, filtered, baselined).
    pub fn refresh(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let new = self.summary.new.map(|_| {
            self.findings
                .iter()
                .filter(|f| f.baseline == Some(BaselineState::New))
                .count()
        });
        let fixed = self.summary.fixed.map(|_| self.fixed.len());
        self.summary = Summary::of(&self.findings);
        self.summary.new = new;
        self.summary.fixed = fixed;
    }

    /// The failing findings (status `fail`), in report order.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == Status::Fail)
    }
}
