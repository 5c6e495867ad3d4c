//! The assessment view: what the HTML and Markdown reports show, computed once from a
//! [`ScanReport`] so that both templates present the same numbers.
//!
//! Everything here is plain, serializable data; the templates only lay it out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::compliance::Framework;
use crate::findings::{CheckInfo, Finding, ScanReport, ScopeSummary, Severity, Status};
use crate::inventory::Provider;

/// The framework id whose control ids give the NIST CSF 2.0 function of a check.
pub const NIST_CSF: &str = "nist-csf-2.0";

/// The NIST CSF 2.0 functions, in the framework's order: (prefix, name, what it covers).
pub const CSF_FUNCTIONS: [(&str, &str, &str); 6] = [
    ("GV", "Govern", "Strategy, policy and oversight"),
    ("ID", "Identify", "Assets and risks are understood"),
    ("PR", "Protect", "Safeguards to prevent compromise"),
    ("DE", "Detect", "Attacks and compromises are found"),
    ("RS", "Respond", "Actions on a detected incident"),
    ("RC", "Recover", "Assets and operations are restored"),
];

/// How many top risks the executive summary lists.
const TOP_RISKS: usize = 5;

/// Pass / fail / not-evaluated counts with the derived score and bar geometry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Passing pairs (muted pairs count as accepted, not as passing).
    pub pass: usize,
    /// Failing pairs.
    pub fail: usize,
    /// Pairs that could not be evaluated.
    pub error: usize,
    /// Muted pairs.
    pub muted: usize,
    /// pass / (pass + fail + muted), in percent rounded down; `None` when nothing was evaluated.
    pub score: Option<u32>,
    /// Share of the bar for each status, in percent of all pairs (for charts).
    pub pass_pct: f64,
    /// See `pass_pct`.
    pub fail_pct: f64,
    /// See `pass_pct`.
    pub error_pct: f64,
    /// See `pass_pct`.
    pub muted_pct: f64,
}

impl Tally {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Error => self.error += 1,
            Status::Muted => self.muted += 1,
        }
    }

    fn finish(mut self) -> Self {
        let evaluated = self.pass + self.fail + self.muted;
        self.score =
            (evaluated > 0).then(|| u32::try_from(self.pass * 100 / evaluated).unwrap_or(0));
        let total = evaluated + self.error;
        if total > 0 {
            let pct = |n: usize| (n as f64) * 100.0 / (total as f64);
            self.pass_pct = pct(self.pass);
            self.fail_pct = pct(self.fail);
            self.error_pct = pct(self.error);
            self.muted_pct = pct(self.muted);
        }
        self
    }

    /// Every pair counted.
    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.muted
    }
}

/// One scope (account, project, org) of the scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeView {
    /// Provider display name.
    pub provider: &'static str,
    /// What the scope is called (account, project, org).
    pub noun: &'static str,
    /// The scope id.
    pub id: String,
    /// The human name, where one exists.
    pub name: Option<String>,
    /// The regions collected, comma separated (empty for global providers).
    pub regions: String,
    /// Why the scope was not scanned (its `skipped` attribute), if it was not.
    pub skipped: Option<String>,
}

/// Failing findings of one severity.
#[derive(Debug, Clone, Serialize)]
pub struct SeverityCount {
    /// The severity name.
    pub severity: &'static str,
    /// The failing pairs at this severity.
    pub count: usize,
}

/// A failing check in the top-risks list.
#[derive(Debug, Clone, Serialize)]
pub struct Risk {
    /// The check id.
    pub check_id: String,
    /// The anchor of its section.
    pub anchor: String,
    /// The check title.
    pub title: String,
    /// The severity.
    pub severity: &'static str,
    /// How many resources fail it.
    pub resources: usize,
    /// The area (provider and service) label.
    pub area: String,
}

/// A limitation: something that could not be assessed.
#[derive(Debug, Clone, Serialize)]
pub struct Limitation {
    /// Provider display name.
    pub provider: &'static str,
    /// The scope id.
    pub scope: String,
    /// The region, where one applies.
    pub region: Option<String>,
    /// The service.
    pub service: String,
    /// The failed API operation.
    pub operation: String,
    /// The provider's error code.
    pub code: String,
    /// The provider's message.
    pub message: String,
    /// The resource kinds left unassessed, comma separated.
    pub kinds: String,
}

/// Posture of one area (a provider service, or a NIST CSF function).
#[derive(Debug, Clone, Serialize)]
pub struct AreaPosture {
    /// Short code (e.g. `PR`) or `provider/service`.
    pub code: String,
    /// Display label.
    pub label: String,
    /// A short explanation (CSF functions only).
    pub hint: String,
    /// The counts.
    pub tally: Tally,
}

/// A horizontal stacked-bar chart, laid out for inline SVG.
#[derive(Debug, Clone, Serialize)]
pub struct BarChart {
    /// The chart's accessible title.
    pub title: String,
    /// Total height in px.
    pub height: u32,
    /// One row per area.
    pub rows: Vec<BarRow>,
}

/// One row of a [`BarChart`].
#[derive(Debug, Clone, Serialize)]
pub struct BarRow {
    /// Label left of the bar.
    pub label: String,
    /// Vertical position of the row.
    pub y: u32,
    /// Segments, left to right.
    pub segments: Vec<BarSegment>,
    /// Text right of the bar (score).
    pub value: String,
    /// Accessible description of the row.
    pub describe: String,
}

/// One segment of a [`BarRow`].
#[derive(Debug, Clone, Serialize)]
pub struct BarSegment {
    /// CSS class (`pass`, `fail`, `error`, `muted`, `none`).
    pub class: &'static str,
    /// Left edge, in px from the bar's origin.
    pub x: f64,
    /// Width in px.
    pub width: f64,
}

/// The status of a control in a framework view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    /// Every evaluated resource passes.
    Pass,
    /// At least one resource fails.
    Fail,
    /// A check maps to the control but could not be evaluated on some resource, none fail.
    NotEvaluated,
    /// No check in this report maps to the control.
    NotCovered,
}

impl ControlStatus {
    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::NotEvaluated => "not evaluated",
            ControlStatus::NotCovered => "not covered",
        }
    }
}

/// A failing or unevaluated finding listed under a control.
#[derive(Debug, Clone, Serialize)]
pub struct ControlFinding {
    /// The check id.
    pub check_id: String,
    /// The anchor of the check's section.
    pub anchor: String,
    /// The severity.
    pub severity: &'static str,
    /// `fail`, `error` or `muted`.
    pub status: &'static str,
    /// The status as shown to people: `fail`, `not evaluated` or `muted`.
    pub status_label: &'static str,
    /// The resource's display name.
    pub resource: String,
    /// The finding message.
    pub message: String,
}

/// One control of a framework with its status.
#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    /// The control id.
    pub id: String,
    /// The control title (from `compliance/<framework>.yaml`).
    pub title: String,
    /// The status.
    pub status: ControlStatus,
    /// The status label.
    pub status_label: &'static str,
    /// The checks mapping to the control.
    pub checks: Vec<String>,
    /// The counts over the checks' findings.
    pub tally: Tally,
    /// The findings that are not passing.
    pub findings: Vec<ControlFinding>,
}

/// A framework's controls with their status.
#[derive(Debug, Clone, Serialize)]
pub struct FrameworkView {
    /// The framework id.
    pub id: String,
    /// The framework title.
    pub title: String,
    /// Where it is published.
    pub url: Option<String>,
    /// Controls known in the data file (0 when the file lists none).
    pub controls_defined: usize,
    /// Controls with at least one mapped check in this report.
    pub controls_assessed: usize,
    /// Controls passing.
    pub controls_pass: usize,
    /// Controls failing.
    pub controls_fail: usize,
    /// Controls mapped but not evaluated.
    pub controls_not_evaluated: usize,
    /// Controls passing, in percent of the controls assessed.
    pub pass_pct: Option<u32>,
    /// The controls (filled for the framework selected with `--compliance`; otherwise empty).
    pub controls: Vec<ControlView>,
}

/// One affected resource of a failing check.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedResource {
    /// The resource's display name.
    pub name: String,
    /// The resource id.
    pub id: String,
    /// The resource kind.
    pub kind: String,
    /// Account/project/org, and region where one applies.
    pub location: String,
    /// The finding message.
    pub message: String,
    /// The finding fingerprint.
    pub fingerprint: String,
    /// `new` or `unchanged` against a baseline, when one was given.
    pub baseline: Option<&'static str>,
}

/// A failing check with everything a reader needs to fix it.
#[derive(Debug, Clone, Serialize)]
pub struct IssueView {
    /// The check id.
    pub check_id: String,
    /// An HTML anchor.
    pub anchor: String,
    /// The title.
    pub title: String,
    /// The severity.
    pub severity: &'static str,
    /// What the check looks at.
    pub description: String,
    /// Why it matters.
    pub risk: String,
    /// What to do, in prose.
    pub remediation: String,
    /// CLI commands.
    pub cli: Option<String>,
    /// Terraform.
    pub terraform: Option<String>,
    /// Console steps.
    pub console: Option<String>,
    /// References (URLs).
    pub references: Vec<String>,
    /// Compliance mappings as `framework: a, b`.
    pub compliance: Vec<String>,
    /// The check's documentation.
    pub help_uri: String,
    /// The failing resources.
    pub resources: Vec<AffectedResource>,
}

/// Failing checks of one area, worst first.
#[derive(Debug, Clone, Serialize)]
pub struct IssueGroup {
    /// The area label.
    pub label: String,
    /// The area anchor.
    pub anchor: String,
    /// Failing pairs in the area.
    pub fail: usize,
    /// The failing checks.
    pub issues: Vec<IssueView>,
}

/// One count of the organization overview, shaded by its size.
#[derive(Debug, Clone, Serialize)]
pub struct HeatCell {
    /// The severity name, or `error` for findings not evaluated (the CSS class).
    pub class: &'static str,
    /// The count.
    pub count: usize,
    /// Share of the cell's colour, in percent: 15 + 75 × count ÷ the column's largest
    /// count (so 90 for the largest); 0 for a zero count, which stays plain.
    pub shade: u32,
    /// Whether the shade is dark enough to need light text.
    pub hot: bool,
}

/// One scope in the organization overview.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewRow {
    /// Provider display name.
    pub provider: &'static str,
    /// What the scope is called (account, project, org).
    pub noun: &'static str,
    /// The scope id.
    pub id: String,
    /// The human name, where one exists.
    pub name: Option<String>,
    /// Why the scope was not scanned; its counts are then not shown.
    pub skipped: Option<String>,
    /// Failing findings by severity (most severe first), then findings not evaluated.
    pub cells: Vec<HeatCell>,
    /// Failing plus not evaluated.
    pub total: usize,
}

/// The CSS classes of the organization overview's count columns: the severities, most
/// severe first, then findings not evaluated.
const OVERVIEW_COLUMNS: [&str; 6] = ["critical", "high", "medium", "low", "info", "error"];

/// The organization overview: one row per scope, worst first (see
/// [`ScopeSummary::of`]); empty for a single-scope report.
pub fn overview(by_scope: &[ScopeSummary]) -> Vec<OverviewRow> {
    let counts = |s: &ScopeSummary| -> [usize; 6] {
        let f = &s.fail;
        [f.critical, f.high, f.medium, f.low, f.info, s.error]
    };
    let mut max = [0usize; 6];
    for s in by_scope.iter().filter(|s| s.skipped.is_none()) {
        for (m, n) in max.iter_mut().zip(counts(s)) {
            *m = (*m).max(n);
        }
    }
    by_scope
        .iter()
        .map(|s| {
            let cells = OVERVIEW_COLUMNS
                .iter()
                .zip(counts(s))
                .zip(max)
                .map(|((class, count), max)| {
                    let shade = if count == 0 {
                        0
                    } else {
                        15 + u32::try_from(count * 75 / max.max(1)).unwrap_or(75)
                    };
                    HeatCell {
                        class,
                        count,
                        shade,
                        hot: shade >= 55,
                    }
                })
                .collect();
            OverviewRow {
                provider: provider_label(s.provider),
                noun: s.provider.scope_noun(),
                id: s.scope.clone(),
                name: s.name.clone(),
                skipped: s.skipped.clone(),
                cells,
                total: s.fail.total() + s.error,
            }
        })
        .collect()
}

/// Everything the human-readable reports show.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentView {
    /// The report title.
    pub title: String,
    /// The tool name.
    pub tool: String,
    /// The tool version.
    pub version: String,
    /// When the inventory was collected.
    pub collected_at: String,
    /// When the evaluation finished.
    pub finished_at: String,
    /// The scopes.
    pub scopes: Vec<ScopeView>,
    /// The organization overview: one row per scope, worst first (several scopes only).
    pub overview: Vec<OverviewRow>,
    /// The overall counts.
    pub overall: Tally,
    /// Every evaluated pair.
    pub total: usize,
    /// Checks that produced a finding.
    pub checks_run: usize,
    /// Resources evaluated (distinct).
    pub resources: usize,
    /// Failing pairs by severity, worst first.
    pub severities: Vec<SeverityCount>,
    /// Worst failing checks.
    pub top_risks: Vec<Risk>,
    /// Collection errors.
    pub limitations: Vec<Limitation>,
    /// Checks with findings that could not be evaluated: (check id, count).
    pub unevaluated_checks: Vec<(String, usize)>,
    /// Posture per provider service.
    pub services: Vec<AreaPosture>,
    /// Posture per NIST CSF 2.0 function.
    pub functions: Vec<AreaPosture>,
    /// The service chart.
    pub services_chart: BarChart,
    /// The CSF chart.
    pub functions_chart: BarChart,
    /// Stroke geometry of the score ring: (pass arc length, circumference).
    pub ring: (f64, f64),
    /// Per-framework summaries.
    pub frameworks: Vec<FrameworkView>,
    /// The framework selected with `--compliance`, with every control.
    pub compliance: Option<FrameworkView>,
    /// Failing checks by area.
    pub groups: Vec<IssueGroup>,
    /// Muted findings.
    pub muted: Vec<AffectedResource>,
    /// Baseline findings no longer failing (with `--baseline`), as (check title, resource).
    pub fixed_findings: Vec<(String, AffectedResource)>,
    /// Whether a baseline was applied.
    pub with_baseline: bool,
    /// New failing findings against the baseline.
    pub new: Option<usize>,
    /// Baseline findings fixed.
    pub fixed: Option<usize>,
}

/// The display name of a provider.
pub fn provider_label(p: Provider) -> &'static str {
    match p {
        Provider::Aws => "AWS",
        Provider::Gcp => "Google Cloud",
        Provider::Salesforce => "Salesforce",
    }
}

/// The short display name of a provider, used before a service name.
pub fn provider_short(p: Provider) -> &'static str {
    match p {
        Provider::Aws => "AWS",
        Provider::Gcp => "GCP",
        Provider::Salesforce => "Salesforce",
    }
}

/// The display name of a provider's service, e.g. `AWS · S3`.
pub fn service_label(p: Provider, service: &str) -> String {
    let known = match (p, service) {
        (Provider::Aws, "s3") => Some("S3"),
        (Provider::Aws, "iam") => Some("IAM"),
        (Provider::Aws, "ec2") => Some("EC2 / VPC"),
        (Provider::Aws, "kms") => Some("KMS"),
        (Provider::Aws, "rds") => Some("RDS"),
        (Provider::Aws, "cloudtrail") => Some("CloudTrail"),
        (Provider::Aws, "config") => Some("Config"),
        (Provider::Aws, "guardduty") => Some("GuardDuty"),
        (Provider::Aws, "accessanalyzer") => Some("IAM Access Analyzer"),
        (Provider::Gcp, "compute") => Some("Compute Engine"),
        (Provider::Gcp, "storage") => Some("Cloud Storage"),
        (Provider::Gcp, "iam") => Some("IAM"),
        (Provider::Gcp, "sql") => Some("Cloud SQL"),
        (Provider::Gcp, "logging") => Some("Cloud Logging"),
        (Provider::Gcp, "kms") => Some("Cloud KMS"),
        (Provider::Gcp, "apikeys") => Some("API Keys"),
        (Provider::Gcp, "bigquery") => Some("BigQuery"),
        (Provider::Gcp, "dns") => Some("Cloud DNS"),
        (Provider::Gcp, "dataproc") => Some("Dataproc"),
        (Provider::Gcp, "essentialcontacts") => Some("Essential Contacts"),
        (Provider::Salesforce, "mfa") => Some("MFA"),
        (Provider::Salesforce, "oauth") => Some("OAuth"),
        (Provider::Salesforce, "sso") => Some("SSO"),
        _ => None,
    };
    let name = known.map(str::to_string).unwrap_or_else(|| {
        service
            .split(['-', '_'])
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" ")
    });
    format!("{} · {name}", provider_short(p))
}

/// A stable HTML anchor for a check.
pub fn check_anchor(check_id: &str) -> String {
    format!("check-{check_id}")
}

/// The `account/region` (or `account`) a finding is in.
pub fn location(f: &Finding) -> String {
    match &f.resource.region {
        Some(r) => format!("{}/{r}", f.resource.account),
        None => f.resource.account.clone(),
    }
}

/// Sorts control ids so that `1.2` comes before `1.10` and `A.5.9` before `A.5.10`.
pub fn natural_key(id: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for ch in id.chars() {
        if ch.is_ascii_digit() {
            if !text.is_empty() {
                out.push((u64::MAX, std::mem::take(&mut text)));
            }
            digits.push(ch);
        } else {
            if !digits.is_empty() {
                out.push((digits.parse().unwrap_or(u64::MAX), String::new()));
                digits.clear();
            }
            text.push(ch);
        }
    }
    if !digits.is_empty() {
        out.push((digits.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !text.is_empty() {
        out.push((u64::MAX, text));
    }
    out
}

/// The order controls are listed in: NIST CSF 2.0 subcategories by function (GV, ID, PR,
/// DE, RS, RC), everything else by [`natural_key`].
pub fn control_order(id: &str) -> (usize, Vec<(u64, String)>) {
    let function = CSF_FUNCTIONS
        .iter()
        .position(|(code, _, _)| id.split('.').next() == Some(*code))
        .unwrap_or(0);
    (function, natural_key(id))
}

/// The CSF function codes of a check (from its `nist-csf-2.0` control ids), deduplicated.
pub fn csf_functions(c: &CheckInfo) -> BTreeSet<String> {
    c.compliance
        .get(NIST_CSF)
        .into_iter()
        .flatten()
        .filter_map(|ctl| ctl.split('.').next())
        .map(|p| p.trim().to_ascii_uppercase())
        .filter(|p| CSF_FUNCTIONS.iter().any(|(code, _, _)| code == p))
        .collect()
}

/// Width of a bar in the charts (see the SVG in `templates/report.html`).
const CHART_WIDTH: f64 = 530.0;
const ROW_HEIGHT: u32 = 30;

fn chart(title: &str, areas: &[AreaPosture]) -> BarChart {
    let rows = areas
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let t = &a.tally;
            let mut segments = Vec::new();
            let mut x = 0.0;
            for (class, pct) in [
                ("pass", t.pass_pct),
                ("muted", t.muted_pct),
                ("fail", t.fail_pct),
                ("error", t.error_pct),
            ] {
                if pct > 0.0 {
                    let width = (pct * CHART_WIDTH / 100.0 * 10.0).round() / 10.0;
                    segments.push(BarSegment { class, x, width });
                    x += width;
                }
            }
            if segments.is_empty() {
                segments.push(BarSegment {
                    class: "none",
                    x: 0.0,
                    width: CHART_WIDTH,
                });
            }
            let value = match t.score {
                Some(s) => format!("{s}%"),
                None if t.total() == 0 => "no checks".to_string(),
                None => "not evaluated".to_string(),
            };
            BarRow {
                label: a.label.clone(),
                y: u32::try_from(i).unwrap_or(0) * ROW_HEIGHT,
                segments,
                describe: format!(
                    "{}: {} passed, {} failed, {} not evaluated, {} muted",
                    a.label, t.pass, t.fail, t.error, t.muted
                ),
                value,
            }
        })
        .collect::<Vec<_>>();
    BarChart {
        title: title.to_string(),
        height: u32::try_from(rows.len()).unwrap_or(0) * ROW_HEIGHT + 8,
        rows,
    }
}

fn affected(f: &Finding) -> AffectedResource {
    AffectedResource {
        name: f.resource.display_name().to_string(),
        id: f.resource.id.clone(),
        kind: f.resource.kind.clone(),
        location: location(f),
        message: f.message.clone(),
        fingerprint: f.fingerprint.clone(),
        baseline: f.baseline.map(|b| match b {
            crate::findings::BaselineState::New => "new",
            crate::findings::BaselineState::Unchanged => "unchanged",
        }),
    }
}

fn issue(check_id: &str, info: Option<&CheckInfo>, findings: &[&Finding]) -> IssueView {
    let first = findings.first();
    let severity = info
        .map(|c| c.severity)
        .or(first.map(|f| f.severity))
        .unwrap_or(Severity::Info);
    IssueView {
        check_id: check_id.to_string(),
        anchor: check_anchor(check_id),
        title: info
            .map(|c| c.title.clone())
            .or(first.map(|f| f.title.to_string()))
            .unwrap_or_default(),
        severity: severity.as_str(),
        description: info.map(|c| c.description.clone()).unwrap_or_default(),
        risk: info.map(|c| c.risk.clone()).unwrap_or_default(),
        remediation: info
            .map(|c| c.remediation.text.trim().to_string())
            .or(first.map(|f| f.remediation.trim().to_string()))
            .unwrap_or_default(),
        cli: info.and_then(|c| c.remediation.cli.as_ref().map(|s| s.trim_end().to_string())),
        terraform: info.and_then(|c| {
            c.remediation
                .terraform
                .as_ref()
                .map(|s| s.trim_end().to_string())
        }),
        console: info.and_then(|c| c.remediation.console.as_ref().map(|s| s.trim().to_string())),
        references: info.map(|c| c.references.clone()).unwrap_or_default(),
        compliance: info
            .map(|c| {
                c.compliance
                    .iter()
                    .map(|(fw, ids)| format!("{fw}: {}", ids.join(", ")))
                    .collect()
            })
            .unwrap_or_default(),
        help_uri: info.map(|c| c.help_uri.clone()).unwrap_or_default(),
        resources: findings.iter().map(|f| affected(f)).collect(),
    }
}

/// Builds the per-control view of a framework from the report's findings.
pub fn framework_view(report: &ScanReport, fw: &Framework, with_controls: bool) -> FrameworkView {
    // Control id -> checks mapping to it.
    let mut mapped: BTreeMap<String, Vec<&CheckInfo>> = BTreeMap::new();
    for c in report.checks.values() {
        for ctl in c.compliance.get(&fw.id).into_iter().flatten() {
            mapped.entry(ctl.clone()).or_default().push(c);
        }
    }
    let mut ids: Vec<String> = fw.controls.keys().cloned().collect();
    for id in mapped.keys() {
        if !fw.controls.contains_key(id) {
            ids.push(id.clone());
        }
    }
    ids.sort_by_key(|id| control_order(id));
    let mut view = FrameworkView {
        id: fw.id.clone(),
        title: fw.title.clone(),
        url: fw.url.clone(),
        controls_defined: fw.controls.len(),
        controls_assessed: 0,
        controls_pass: 0,
        controls_fail: 0,
        controls_not_evaluated: 0,
        pass_pct: None,
        controls: Vec::new(),
    };
    for id in ids {
        let checks = mapped.get(&id).cloned().unwrap_or_default();
        let check_ids: BTreeSet<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        let mut tally = Tally::default();
        let mut findings = Vec::new();
        for f in report
            .findings
            .iter()
            .filter(|f| check_ids.contains(&*f.check_id))
        {
            tally.add(f.status);
            if f.status != Status::Pass {
                findings.push(ControlFinding {
                    check_id: f.check_id.to_string(),
                    anchor: check_anchor(&f.check_id),
                    severity: f.severity.as_str(),
                    status: f.status.as_str(),
                    status_label: match f.status {
                        Status::Error => "not evaluated",
                        other => other.as_str(),
                    },
                    resource: f.resource.display_name().to_string(),
                    message: f.message.clone(),
                });
            }
        }
        let tally = tally.finish();
        let status = if checks.is_empty() || tally.total() == 0 {
            ControlStatus::NotCovered
        } else if tally.fail > 0 {
            ControlStatus::Fail
        } else if tally.error > 0 {
            ControlStatus::NotEvaluated
        } else {
            ControlStatus::Pass
        };
        match status {
            ControlStatus::Pass => view.controls_pass += 1,
            ControlStatus::Fail => view.controls_fail += 1,
            ControlStatus::NotEvaluated => view.controls_not_evaluated += 1,
            ControlStatus::NotCovered => {}
        }
        if status != ControlStatus::NotCovered {
            view.controls_assessed += 1;
        }
        if with_controls {
            view.controls.push(ControlView {
                title: fw.controls.get(&id).cloned().unwrap_or_default(),
                id,
                status,
                status_label: status.label(),
                checks: check_ids.iter().map(|s| s.to_string()).collect(),
                tally,
                findings,
            });
        }
    }
    view.pass_pct = (view.controls_assessed > 0)
        .then(|| u32::try_from(view.controls_pass * 100 / view.controls_assessed).unwrap_or(0));
    view
}

/// Builds the view. `compliance` is the framework selected with `--compliance`, if any.
pub fn build(report: &ScanReport, compliance: Option<&Framework>) -> AssessmentView {
    let s = &report.summary;
    let mut overall = Tally::default();
    for f in &report.findings {
        overall.add(f.status);
    }
    let overall = overall.finish();

    let scopes = report
        .scan
        .scopes
        .iter()
        .map(|sc| ScopeView {
            provider: provider_label(sc.provider),
            noun: sc.provider.scope_noun(),
            id: sc.id.clone(),
            name: sc.name.clone(),
            regions: sc.regions.join(", "),
            skipped: sc.attributes.get("skipped").cloned(),
        })
        .collect();

    let severities = Severity::DESCENDING
        .iter()
        .map(|sev| SeverityCount {
            severity: sev.as_str(),
            count: s.fail_by_severity.get(sev).copied().unwrap_or(0),
        })
        .collect();

    // Failing findings per check, in report order (worst first).
    let mut by_check: Vec<(String, Vec<&Finding>)> = Vec::new();
    for f in report.failing() {
        match by_check.iter_mut().find(|(id, _)| **id == *f.check_id) {
            Some((_, v)) => v.push(f),
            None => by_check.push((f.check_id.to_string(), vec![f])),
        }
    }
    let area_of = |f: &Finding| (f.provider, f.service.to_string());

    let mut ranked: Vec<&(String, Vec<&Finding>)> = by_check.iter().collect();
    ranked.sort_by(|a, b| {
        let sa = a.1.first().map(|f| f.severity);
        let sb = b.1.first().map(|f| f.severity);
        sb.cmp(&sa)
            .then(b.1.len().cmp(&a.1.len()))
            .then(a.0.cmp(&b.0))
    });
    let top_risks = ranked
        .iter()
        .take(TOP_RISKS)
        .filter_map(|(id, fs)| {
            let f = fs.first()?;
            Some(Risk {
                check_id: id.clone(),
                anchor: check_anchor(id),
                title: f.title.to_string(),
                severity: f.severity.as_str(),
                resources: fs.len(),
                area: service_label(f.provider, &f.service),
            })
        })
        .collect();

    let limitations = report
        .scan
        .collection_errors
        .iter()
        .map(|e| Limitation {
            provider: provider_label(e.provider),
            scope: e.scope.clone(),
            region: e.region.clone(),
            service: e.service.clone(),
            operation: e.operation.clone(),
            code: e.code.clone(),
            message: e.message.clone(),
            kinds: e.kinds.join(", "),
        })
        .collect();
    let mut unevaluated: BTreeMap<String, usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Error) {
        *unevaluated.entry(f.check_id.to_string()).or_default() += 1;
    }

    // Posture per service.
    let mut service_tallies: BTreeMap<(Provider, String), Tally> = BTreeMap::new();
    let mut function_tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for f in &report.findings {
        service_tallies.entry(area_of(f)).or_default().add(f.status);
        if let Some(info) = report.checks.get(&*f.check_id) {
            for func in csf_functions(info) {
                function_tallies.entry(func).or_default().add(f.status);
            }
        }
    }
    let services: Vec<AreaPosture> = service_tallies
        .into_iter()
        .map(|((p, svc), t)| AreaPosture {
            code: format!("{}/{svc}", p.as_str()),
            label: service_label(p, &svc),
            hint: String::new(),
            tally: t.finish(),
        })
        .collect();
    let functions: Vec<AreaPosture> = CSF_FUNCTIONS
        .iter()
        .map(|(code, name, hint)| AreaPosture {
            code: (*code).to_string(),
            label: format!("{name} ({code})"),
            hint: (*hint).to_string(),
            tally: function_tallies
                .get(*code)
                .cloned()
                .unwrap_or_default()
                .finish(),
        })
        .collect();

    // Framework summaries: every framework a reported check maps to.
    let mut fw_ids: BTreeSet<String> = BTreeSet::new();
    for c in report.checks.values() {
        fw_ids.extend(c.compliance.keys().cloned());
    }
    let frameworks = fw_ids
        .iter()
        .map(|id| {
            let fw = crate::compliance::framework(id).unwrap_or_else(|| Framework {
                id: id.clone(),
                title: id.clone(),
                url: None,
                controls: BTreeMap::new(),
            });
            framework_view(report, &fw, false)
        })
        .collect();

    // Failing checks grouped by area; areas ordered by their worst finding.
    let mut groups: Vec<IssueGroup> = Vec::new();
    let mut group_keys: Vec<((Provider, String), Severity)> = Vec::new();
    for (_, fs) in &by_check {
        if let Some(f) = fs.first() {
            let key = area_of(f);
            if !group_keys.iter().any(|(k, _)| *k == key) {
                group_keys.push((key, f.severity));
            }
        }
    }
    group_keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((p, svc), _) in group_keys {
        let mut issues: Vec<IssueView> = by_check
            .iter()
            .filter(|(_, fs)| {
                fs.first()
                    .is_some_and(|f| f.provider == p && *f.service == *svc)
            })
            .map(|(id, fs)| issue(id, report.checks.get(id), fs))
            .collect();
        // Worst first: a severity's position in DESCENDING is its rank.
        issues.sort_by_key(|i| {
            let rank = Severity::DESCENDING
                .iter()
                .position(|s| s.as_str() == i.severity);
            (rank, i.check_id.clone())
        });
        groups.push(IssueGroup {
            label: service_label(p, &svc),
            anchor: format!("area-{}-{svc}", p.as_str()),
            fail: issues.iter().map(|i| i.resources.len()).sum(),
            issues,
        });
    }

    let resources: BTreeSet<(&str, &str, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.resource.account.as_str(),
                f.resource.kind.as_str(),
                f.resource.id.as_str(),
            )
        })
        .collect();

    let circumference = 2.0 * std::f64::consts::PI * 52.0;
    let ring_pass = f64::from(overall.score.unwrap_or(0)) / 100.0 * circumference;
    let services_chart = chart("Posture by service", &services);
    let functions_chart = chart("Posture by NIST CSF 2.0 function", &functions);

    AssessmentView {
        title: "Cloud Security Posture Assessment".to_string(),
        tool: report.tool.name.clone(),
        version: report.tool.version.clone(),
        collected_at: report.scan.collected_at.clone(),
        finished_at: report.scan.finished_at.clone(),
        scopes,
        overview: overview(&report.by_scope()),
        total: report.findings.len(),
        checks_run: report.checks.len(),
        resources: resources.len(),
        overall,
        severities,
        top_risks,
        limitations,
        unevaluated_checks: unevaluated.into_iter().collect(),
        services,
        functions,
        services_chart,
        functions_chart,
        ring: (
            (ring_pass * 10.0).round() / 10.0,
            (circumference * 10.0).round() / 10.0,
        ),
        frameworks,
        compliance: compliance.map(|fw| framework_view(report, fw, true)),
        groups,
        muted: report
            .findings
            .iter()
            .filter(|f| f.status == Status::Muted)
            .map(affected)
            .collect(),
        fixed_findings: report
            .fixed
            .iter()
            .map(|f| (f.title.to_string(), affected(f)))
            .collect(),
        with_baseline: s.new.is_some(),
        new: s.new,
        fixed: s.fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csf_controls_in_function_order() {
        let mut ids = vec![
            "RC.RP-01", "DE.CM-01", "GV.OC-01", "PR.AA-05", "PR.AA-01", "ID.AM-01",
        ];
        ids.sort_by_key(|id| control_order(id));
        assert_eq!(
            ids,
            vec![
                "GV.OC-01", "ID.AM-01", "PR.AA-01", "PR.AA-05", "DE.CM-01", "RC.RP-01"
            ]
        );
    }

    #[test]
    fn natural_order_of_control_ids() {
        let mut ids = vec![
            "1.10", "1.2", "A.5.10", "A.5.9", "2.1.4", "PR.AA-05", "PR.AA-01",
        ];
        ids.sort_by_key(|id| natural_key(id));
        assert_eq!(
            ids,
            vec![
                "1.2", "1.10", "2.1.4", "A.5.9", "A.5.10", "PR.AA-01", "PR.AA-05"
            ]
        );
    }

    #[test]
    fn tally_score_ignores_errors() {
        let mut t = Tally::default();
        t.add(Status::Pass);
        t.add(Status::Fail);
        t.add(Status::Error);
        let t = t.finish();
        assert_eq!(t.score, Some(50));
        assert!((t.pass_pct - 100.0 / 3.0).abs() < 1e-9);
    }
}
