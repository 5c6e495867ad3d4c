//! The findings model every reporter reads: one [`Finding`] per evaluated
//! (check, resource) pair, plus the scan's metadata, in a [`ScanReport`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// The reference to an inventory resource.
    pub fn of(r: &crate::inventory::Resource) -> Self {
        ResourceRef {
            kind: r.kind.clone(),
            id: r.id.clone(),
            name: r.name.clone(),
            region: r.region.clone(),
            account: r.scope.clone(),
            location: r.location.clone(),
        }
    }

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

impl BaselineState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
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
    /// For an inside finding that an outside-in probe in the same report reproduced:
    /// the probe's evidence (see [`crate::confirm`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_from_outside: Option<String>,
}

impl Finding {
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
    fingerprint_of(check_id, &r.account, r.region.as_deref(), &r.kind, &r.id)
}

/// [`fingerprint`] of a resource given by its parts.
pub fn fingerprint_of(
    check_id: &str,
    account: &str,
    region: Option<&str>,
    kind: &str,
    id: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [check_id, account, region.unwrap_or(""), kind, id] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &h.finalize()[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// The rank of each of `keys` in sorted order, equal keys sharing one: what report
/// order compares instead of the keys themselves.
pub(crate) fn dense_ranks<K: Ord + Sync>(keys: &[K]) -> Vec<u32> {
    use rayon::prelude::*;
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.par_sort_unstable_by(|a, b| keys[*a].cmp(&keys[*b]));
    let mut ranks = vec![0u32; keys.len()];
    let mut rank = 0u32;
    for (n, i) in order.iter().enumerate() {
        if n > 0 && keys[order[n - 1]] != keys[*i] {
            rank += 1;
        }
        ranks[*i] = rank;
    }
    ranks
}

/// Sorts findings into report order ([`Finding::sort_key`]) on integer ranks: each
/// distinct check id and resource is compared as a string once, not once per pair.
pub fn sort_findings(findings: &mut [Finding]) {
    use rayon::prelude::*;
    use std::collections::HashMap;
    // Distinct check ids and resources, by pointer first (findings share them).
    let mut check_ptrs: HashMap<*const u8, &str> = HashMap::new();
    let mut resource_ptrs: HashMap<*const ResourceRef, &ResourceRef> = HashMap::new();
    for f in findings.iter() {
        check_ptrs.entry(f.check_id.as_ptr()).or_insert(&f.check_id);
        resource_ptrs
            .entry(Arc::as_ptr(&f.resource))
            .or_insert(&f.resource);
    }
    let (check_keys, check_ids): (Vec<*const u8>, Vec<&str>) = check_ptrs.into_iter().unzip();
    let check_rank: HashMap<*const u8, u32> = check_keys
        .into_iter()
        .zip(dense_ranks(&check_ids))
        .collect();
    fn res_key(r: &ResourceRef) -> (&str, Option<&str>, &str, &str) {
        (
            r.account.as_str(),
            r.region.as_deref(),
            r.kind.as_str(),
            r.id.as_str(),
        )
    }
    let (resource_keys, resources): (Vec<*const ResourceRef>, Vec<_>) = resource_ptrs
        .into_iter()
        .map(|(p, r)| (p, res_key(r)))
        .unzip();
    // Equal resources (distinct allocations) share a rank.
    let resource_rank: HashMap<*const ResourceRef, u32> = resource_keys
        .into_iter()
        .zip(dense_ranks(&resources))
        .collect();
    type Key = (Status, std::cmp::Reverse<Severity>, u32, u32);
    let mut order: Vec<(Key, u32)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = (
                f.status,
                std::cmp::Reverse(f.severity),
                check_rank.get(&f.check_id.as_ptr()).copied().unwrap_or(0),
                resource_rank
                    .get(&Arc::as_ptr(&f.resource))
                    .copied()
                    .unwrap_or(0),
            );
            (key, u32::try_from(i).unwrap_or(u32::MAX))
        })
        .collect();
    // Stable: equal keys keep their evaluation order.
    order.par_sort_by_key(|(k, _)| *k);
    let order: Vec<usize> = order.into_iter().map(|(_, i)| i as usize).collect();
    permute(findings, &order);
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, in place (by
/// following the permutation's cycles), so a million findings are never held twice.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        if placed[start] {
            continue;
        }
        let mut at = start;
        loop {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
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
    /// The counts of each scope, worst first (only when the report covers more than one
    /// scope); see [`ScopeSummary::of`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_scope: Vec<ScopeSummary>,
}

/// What the counts of a finding need of it.
#[derive(Debug, Clone, Copy)]
pub struct Tally<'a> {
    /// The provider.
    pub provider: Provider,
    /// The scope.
    pub account: &'a str,
    /// The outcome.
    pub status: Status,
    /// The check's severity.
    pub severity: Severity,
    /// How many findings these are.
    pub count: usize,
}

impl<'a> From<&'a Finding> for Tally<'a> {
    fn from(f: &'a Finding) -> Self {
        Tally {
            provider: f.provider,
            account: &f.resource.account,
            status: f.status,
            severity: f.severity,
            count: 1,
        }
    }
}

impl Summary {
    /// Counts the findings of a scan covering `scopes`.
    pub fn of(scopes: &[Scope], findings: &[Finding]) -> Self {
        Self::of_tallies(scopes, findings.iter().map(Tally::from))
    }

    /// Counts findings given by what the counts need of them.
    pub fn of_tallies<'a>(
        scopes: &[Scope],
        findings: impl Iterator<Item = Tally<'a>> + Clone,
    ) -> Self {
        let mut s = Summary {
            total: findings.clone().map(|f| f.count).sum(),
            by_scope: ScopeSummary::of_tallies(scopes, findings.clone()),
            ..Summary::default()
        };
        for sev in Severity::DESCENDING {
            s.fail_by_severity.insert(sev, 0);
        }
        for f in findings {
            let n = f.count;
            match f.status {
                Status::Fail => {
                    s.fail += n;
                    *s.fail_by_severity.entry(f.severity).or_default() += n;
                }
                Status::Pass => s.pass += n,
                Status::Error => s.error += n,
                Status::Muted => s.muted += n,
            }
        }
        let evaluated = s.pass + s.fail + s.muted;
        s.posture_score =
            (evaluated > 0).then(|| u32::try_from(s.pass * 100 / evaluated).unwrap_or(0));
        s
    }
}

/// Failing findings by severity, most severe first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
}

impl SeverityCounts {
    /// The count of one severity.
    pub fn get(&self, sev: Severity) -> usize {
        match sev {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn add(&mut self, sev: Severity, n: usize) {
        *match sev {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        } += n;
    }

    /// Every failing finding.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// The counts of one scope (account, project, org): `summary.by_scope[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSummary {
    /// The provider.
    pub provider: Provider,
    /// The scope id (account id, project id, org id).
    pub scope: String,
    /// The human name, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why the scope was not scanned (its `skipped` attribute, e.g. a suspended account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Failing pairs by severity.
    pub fail: SeverityCounts,
    /// Pairs that could not be evaluated.
    pub error: usize,
    /// Passing pairs.
    pub pass: usize,
    /// Muted pairs.
    pub muted: usize,
}

impl ScopeSummary {
    /// The counts of every scope, worst first: by failing critical, high, medium, low and
    /// info findings, then findings not evaluated, then scope id; skipped scopes last.
    /// The scopes are those of the scan and any a finding names that the scan does not
    /// list. Empty when that makes at most one scope: a single-scope report has no
    /// per-scope breakdown.
    pub fn of(scopes: &[Scope], findings: &[Finding]) -> Vec<ScopeSummary> {
        Self::of_tallies(scopes, findings.iter().map(Tally::from))
    }

    /// [`ScopeSummary::of`] findings given by what the counts need of them.
    pub fn of_tallies<'a>(
        scopes: &[Scope],
        findings: impl Iterator<Item = Tally<'a>>,
    ) -> Vec<ScopeSummary> {
        use std::collections::HashMap;
        use std::collections::hash_map::Entry;
        let mut out: Vec<ScopeSummary> = Vec::with_capacity(scopes.len());
        let mut index: HashMap<(Provider, &str), usize> = HashMap::new();
        for sc in scopes {
            if let Entry::Vacant(e) = index.entry((sc.provider, &sc.id)) {
                e.insert(out.len());
                out.push(ScopeSummary {
                    name: sc.name.clone(),
                    skipped: sc.attributes.get("skipped").cloned(),
                    ..ScopeSummary::empty(sc.provider, &sc.id)
                });
            }
        }
        for f in findings {
            let i = *index.entry((f.provider, f.account)).or_insert_with(|| {
                out.push(ScopeSummary::empty(f.provider, f.account));
                out.len() - 1
            });
            let s = &mut out[i];
            let n = f.count;
            match f.status {
                Status::Fail => s.fail.add(f.severity, n),
                Status::Error => s.error += n,
                Status::Pass => s.pass += n,
                Status::Muted => s.muted += n,
            }
        }
        if out.len() < 2 {
            return Vec::new();
        }
        out.sort_by(|a, b| a.rank().cmp(&b.rank()));
        out
    }

    fn empty(provider: Provider, scope: &str) -> Self {
        ScopeSummary {
            provider,
            scope: scope.to_string(),
            name: None,
            skipped: None,
            fail: SeverityCounts::default(),
            error: 0,
            pass: 0,
            muted: 0,
        }
    }

    /// The sort key of [`ScopeSummary::of`]: smaller is worse.
    fn rank(&self) -> impl Ord + '_ {
        use std::cmp::Reverse;
        let f = &self.fail;
        (
            self.skipped.is_some(),
            Reverse((f.critical, f.high, f.medium, f.low, f.info, self.error)),
            &self.scope,
            self.provider,
        )
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

/// How to fix a failing resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    /// What to do, in prose.
    pub text: String,
    /// A CLI command or commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    /// A Terraform snippet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform: Option<String>,
    /// Steps in the provider's console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<String>,
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
    pub remediation: Remediation,
    /// Further reading.
    pub references: Vec<String>,
    /// Framework id to control ids.
    pub compliance: BTreeMap<String, Vec<String>>,
    /// Where the check is documented.
    pub help_uri: String,
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
    /// `checks` describes (at least) the checks that produced the findings.
    pub fn new(
        scan: ScanInfo,
        mut findings: Vec<Finding>,
        checks: impl IntoIterator<Item = CheckInfo>,
    ) -> Self {
        {
            use rayon::prelude::*;
            findings.par_iter_mut().with_min_len(1024).for_each(|f| {
                if f.fingerprint.is_empty() {
                    f.fingerprint = fingerprint(&f.check_id, &f.resource);
                }
            });
        }
        sort_findings(&mut findings);
        // Findings of one check come in runs once sorted: compare ids only between runs.
        let mut used: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        let mut last: *const u8 = std::ptr::null();
        for f in &findings {
            if f.check_id.as_ptr() != last {
                last = f.check_id.as_ptr();
                used.insert(&f.check_id);
            }
        }
        let checks = checks
            .into_iter()
            .filter(|c| used.contains(c.id.as_str()))
            .map(|c| (c.id.clone(), c))
            .collect();
        ScanReport {
            schema_version: FINDINGS_SCHEMA_VERSION,
            tool: Tool::current(),
            summary: Summary::of(&scan.scopes, &findings),
            scan,
            findings,
            fixed: Vec::new(),
            checks,
        }
    }

    /// Recomputes the summary after findings were changed (muted, filtered, baselined).
    pub fn refresh(&mut self) {
        sort_findings(&mut self.findings);
        let new = self.summary.new.map(|_| {
            self.findings
                .iter()
                .filter(|f| f.baseline == Some(BaselineState::New))
                .count()
        });
        let fixed = self.summary.fixed.map(|_| self.fixed.len());
        self.summary = Summary::of(&self.scan.scopes, &self.findings);
        self.summary.new = new;
        self.summary.fixed = fixed;
    }

    /// The counts of each scope, worst first, computed from the findings (empty for a
    /// single-scope report); what `summary.by_scope` holds.
    pub fn by_scope(&self) -> Vec<ScopeSummary> {
        ScopeSummary::of(&self.scan.scopes, &self.findings)
    }

    /// The failing findings (status `fail`), in report order.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.status == Status::Fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(id: &str, skipped: Option<&str>) -> Scope {
        Scope {
            provider: Provider::Aws,
            id: id.into(),
            name: Some(format!("name-{id}")),
            regions: Vec::new(),
            attributes: skipped
                .map(|r| [("skipped".to_string(), r.to_string())].into())
                .unwrap_or_default(),
        }
    }

    fn finding(account: &str, status: Status, severity: Severity) -> Finding {
        Finding {
            check_id: "c".into(),
            title: "t".into(),
            severity,
            status,
            provider: Provider::Aws,
            service: "s3".into(),
            resource: Arc::new(ResourceRef {
                kind: "aws.s3.bucket".into(),
                id: format!("{account}-bucket"),
                name: None,
                region: None,
                account: account.into(),
                location: None,
            }),
            message: String::new(),
            remediation: "".into(),
            fingerprint: String::new(),
            muted_reason: None,
            baseline: None,
            confirmed_from_outside: None,
        }
    }

    #[test]
    fn scopes_are_ordered_worst_first() {
        use Severity::{Critical, High, Low};
        use Status::{Error, Fail, Muted, Pass};
        let scopes = ["a", "b", "c", "d", "e", "f", "g"].map(|id| scope(id, None));
        let findings = vec![
            // b: one critical; a: one high and two lows; c: one high and an error (a low
            // outweighs an error); d and e: one high each (tie: by id); g: one error;
            // f: nothing failing.
            finding("a", Fail, High),
            finding("a", Fail, Low),
            finding("a", Fail, Low),
            finding("b", Fail, Critical),
            finding("c", Fail, High),
            finding("c", Error, High),
            finding("e", Fail, High),
            finding("d", Fail, High),
            finding("f", Pass, High),
            finding("f", Muted, High),
            finding("g", Error, Low),
        ];
        let by = ScopeSummary::of(&scopes, &findings);
        let order: Vec<&str> = by.iter().map(|s| s.scope.as_str()).collect();
        assert_eq!(order, ["b", "a", "c", "d", "e", "g", "f"]);
        let a = &by[1];
        assert_eq!((a.fail.high, a.fail.low, a.fail.total()), (1, 2, 3));
        let f = by.last().unwrap();
        assert_eq!((f.pass, f.muted, f.fail.total()), (1, 1, 0));
        assert_eq!(f.name.as_deref(), Some("name-f"));
    }

    #[test]
    fn skipped_scopes_come_last_and_unlisted_accounts_count() {
        let scopes = [scope("a", Some("account suspended")), scope("b", None)];
        let findings = vec![
            finding("b", Status::Pass, Severity::Low),
            finding("z", Status::Fail, Severity::Low),
        ];
        let by = ScopeSummary::of(&scopes, &findings);
        let order: Vec<(&str, Option<&str>)> = by
            .iter()
            .map(|s| (s.scope.as_str(), s.skipped.as_deref()))
            .collect();
        assert_eq!(
            order,
            [("z", None), ("b", None), ("a", Some("account suspended"))]
        );
    }

    #[test]
    fn permute_places_each_item_where_the_order_says() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        permute(&mut items, &[3, 0, 4, 1, 5, 2]);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'f', 'c']);
    }

    #[test]
    fn a_single_scope_has_no_breakdown() {
        let findings = vec![finding("a", Status::Fail, Severity::High)];
        assert!(ScopeSummary::of(&[scope("a", None)], &findings).is_empty());
        assert!(ScopeSummary::of(&[], &findings).is_empty());
        let summary = Summary::of(&[scope("a", None)], &findings);
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json.get("by_scope").is_none());
        let two = Summary::of(&[scope("a", None), scope("b", None)], &findings);
        let json = serde_json::to_value(&two).unwrap();
        assert_eq!(json["by_scope"][0]["fail"]["high"], 1);
        let back: Summary = serde_json::from_value(json).unwrap();
        assert_eq!(back, two);
    }
}
