//! `--format ocsf`: OCSF 1.3.0 Compliance Finding events (class 2003), one per
//! evaluated (check, resource) pair, passes included.
//!
//! The document is a JSON array of events, as Prowler's `json-ocsf` output is, so the
//! same pipelines ingest it (Amazon Security Lake custom sources, SIEM collectors);
//! `jq -c '.[]'` turns it into JSON Lines. Events are validated in the tests against
//! `tests/data/ocsf/compliance_finding-1.3.0.schema.json`, generated from the OCSF
//! schema by `scripts/ocsf-class-schema.py`.
//!
//! Mapping: `compliance.status_id` is Pass (1), Fail (3) or Warning (2, not evaluated);
//! the finding lifecycle `status_id` is New (1), or Suppressed (3) for muted findings;
//! `status_code` carries mamori's status (`PASS`, `FAIL`, `ERROR`, `MUTED`);
//! `finding_info.uid` and `metadata.uid` are the stable fingerprint.

use serde_json::{Map, Value, json};

use super::ReportError;
use crate::findings::{Finding, ScanReport, Severity, Status};
use crate::inventory::Provider;

/// The OCSF schema version emitted.
pub const OCSF_VERSION: &str = "1.3.0";
/// Compliance Finding.
pub const CLASS_UID: u32 = 2003;
/// Findings.
pub const CATEGORY_UID: u32 = 2;
/// Activity "Create".
const ACTIVITY_CREATE: u32 = 1;

fn severity_id(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// Milliseconds since the epoch of an RFC 3339 time (0 when unparsable).
fn epoch_ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .unwrap_or(0)
}

fn cloud(report: &ScanReport, f: &Finding) -> Value {
    let r = &f.resource;
    let scope_name = report
        .scan
        .scopes
        .iter()
        .find(|s| s.provider == f.provider && s.id == r.account)
        .and_then(|s| s.name.clone());
    let mut cloud = Map::new();
    let (provider, account_type) = match f.provider {
        Provider::Aws => ("AWS", Some((10, "AWS Account"))),
        Provider::Gcp => ("GCP", None),
        Provider::Salesforce => ("Salesforce", Some((99, "Salesforce Org"))),
    };
    cloud.insert("provider".into(), json!(provider));
    if let Some(region) = &r.region {
        cloud.insert("region".into(), json!(region));
    }
    match account_type {
        Some((type_id, type_name)) => {
            let mut account = json!({"uid": r.account, "type_id": type_id, "type": type_name});
            if let (Some(name), Some(obj)) = (scope_name, account.as_object_mut()) {
                obj.insert("name".into(), json!(name));
            }
            cloud.insert("account".into(), account);
        }
        None => {
            cloud.insert("project_uid".into(), json!(r.account));
        }
    }
    Value::Object(cloud)
}

fn event(report: &ScanReport, f: &Finding) -> Value {
    let info = report.checks.get(&*f.check_id);
    let time = report.scan.finished_at.as_str();
    let (sev_id, sev) = severity_id(f.severity);
    let (status_id, status) = match f.status {
        Status::Muted => (3, "Suppressed"),
        _ => (1, "New"),
    };
    let (compliance_id, compliance_status) = match f.status {
        Status::Pass => (1, "Pass"),
        Status::Error => (2, "Warning"),
        Status::Fail | Status::Muted => (3, "Fail"),
    };
    let mut standards: Vec<String> = Vec::new();
    let mut requirements: Vec<String> = Vec::new();
    if let Some(c) = info {
        for (fw, ids) in &c.compliance {
            standards.push(fw.clone());
            requirements.extend(ids.iter().map(|id| format!("{fw}:{id}")));
        }
    }
    let r = &f.resource;
    let mut resource = json!({
        "uid": r.id,
        "type": r.kind,
        "group": {"name": &*f.service},
    });
    if let Some(obj) = resource.as_object_mut() {
        if let Some(name) = &r.name {
            obj.insert("name".into(), json!(name));
        }
        if let Some(region) = &r.region {
            obj.insert("region".into(), json!(region));
        }
    }
    let mut finding_info = json!({
        "uid": f.fingerprint,
        "title": &*f.title,
        "types": [format!("{}/{}", f.provider, f.service)],
        "created_time": epoch_ms(time),
        "product_uid": &*f.check_id,
    });
    let mut unmapped = json!({
        "check_id": &*f.check_id,
        "provider": f.provider.as_str(),
        "service": &*f.service,
        "status": f.status.as_str(),
    });
    if let (Some(c), Some(fi), Some(un)) =
        (info, finding_info.as_object_mut(), unmapped.as_object_mut())
    {
        fi.insert("desc".into(), json!(c.description));
        fi.insert("src_url".into(), json!(c.help_uri));
        un.insert("risk".into(), json!(c.risk));
        un.insert("compliance".into(), json!(c.compliance));
    }
    if let (Some(reason), Some(un)) = (&f.muted_reason, unmapped.as_object_mut()) {
        un.insert("muted_reason".into(), json!(reason));
    }
    if let (Some(b), Some(un)) = (f.baseline, unmapped.as_object_mut()) {
        un.insert("baseline".into(), json!(b));
    }
    let remediation = json!({
        "desc": f.remediation.trim(),
        "references": info.map(|c| c.references.clone()).unwrap_or_default(),
    });
    json!({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": sev_id,
        "severity": sev,
        "status_id": status_id,
        "status": status,
        "status_code": f.status.as_str().to_uppercase(),
        "status_detail": f.message,
        "message": f.message,
        "time": epoch_ms(time),
        "metadata": {
            "version": OCSF_VERSION,
            "uid": f.fingerprint,
            "event_code": &*f.check_id,
            "profiles": ["cloud"],
            "product": {
                "name": report.tool.name,
                "vendor_name": report.tool.name,
                "version": report.tool.version,
            },
        },
        "finding_info": finding_info,
        "compliance": {
            "standards": standards,
            "requirements": requirements,
            "control": &*f.check_id,
            "status_id": compliance_id,
            "status": compliance_status,
            "status_detail": f.message,
        },
        "remediation": remediation,
        "resources": [resource],
        "cloud": cloud(report, f),
        "unmapped": unmapped,
    })
}

/// The OCSF events of a report, one per finding.
pub fn events(report: &ScanReport) -> Vec<Value> {
    report.findings.iter().map(|f| event(report, f)).collect()
}

/// Renders the OCSF document: a pretty-printed JSON array of events.
pub fn render(report: &ScanReport) -> Result<String, ReportError> {
    let mut out = serde_json::to_string_pretty(&events(report))
        .map_err(|e| ReportError::Encode(format!("ocsf: {e}")))?;
    out.push('\n');
    Ok(out)
}
