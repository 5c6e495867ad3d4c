//! `--format sarif`: SARIF 2.1.0 with one rule per check and one result per failing
//! finding, located logically at the resource. Fingerprints let code scanning track
//! alerts across runs.

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor,
    Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use crate::findings::{CheckInfo, Finding, ScanReport, Severity, Status};

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(sev: Severity) -> ResultLevel {
    match sev {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn rule(c: &CheckInfo) -> ReportingDescriptor {
    let mut help = format!(
        "{}\n\n**Risk:** {}\n\n**Remediation:** {}\n",
        c.description,
        c.risk,
        c.remediation.text.trim()
    );
    if let Some(cli) = &c.remediation.cli {
        help.push_str(&format!("\n```sh\n{}\n```\n", cli.trim()));
    }
    if !c.references.is_empty() {
        help.push_str("\n**References:**\n");
        for r in &c.references {
            help.push_str(&format!("- {r}\n"));
        }
    }
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        serde_json::Value::String(c.severity.security_severity().to_string()),
    );
    props.insert(
        "severity".to_string(),
        serde_json::Value::String(c.severity.to_string()),
    );
    props.insert(
        "provider".to_string(),
        serde_json::Value::String(c.provider.to_string()),
    );
    let mut tags = vec![
        "security".to_string(),
        c.provider.to_string(),
        c.service.clone(),
    ];
    for (fw, controls) in &c.compliance {
        for ctl in controls {
            tags.push(format!("{fw}:{ctl}"));
        }
    }
    ReportingDescriptor::builder()
        .id(c.id.clone())
        .name(c.id.clone())
        .short_description(
            MultiformatMessageString::builder()
                .text(c.title.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(c.description.clone())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{} {}", c.risk, c.remediation.text.trim()))
                .markdown(help)
                .build(),
        )
        .help_uri(c.help_uri.clone())
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::to_value(level(c.severity)).unwrap_or_default())
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(props)
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult {
    let r = &f.resource;
    let fqn = format!(
        "{}/{}/{}/{}/{}",
        f.provider,
        r.account,
        r.region.as_deref().unwrap_or("global"),
        r.kind,
        r.id
    );
    let logical = LogicalLocation::builder()
        .name(r.display_name().to_string())
        .fully_qualified_name(fqn.clone())
        .kind("resource")
        .build();
    // Code scanning needs a physical location: the declaring file and line where there
    // is one (Terraform with `--config-dir`), else the resource's path stands for it.
    let physical = match &r.location {
        Some(loc) => PhysicalLocation::builder()
            .artifact_location(ArtifactLocation::builder().uri(loc.file.clone()).build())
            .region(Region::builder().start_line(i64::from(loc.line)).build())
            .build(),
        None => PhysicalLocation::builder()
            .artifact_location(
                ArtifactLocation::builder()
                    .uri(fqn.replace(':', "_"))
                    .build(),
            )
            .build(),
    };
    let mut fp = BTreeMap::new();
    fp.insert("mamori/v1".to_string(), f.fingerprint.clone());
    let rule_index = rule_index.and_then(|i| i64::try_from(i).ok()).unwrap_or(-1);
    let mut result = SarifResult::builder()
        .rule_id(f.check_id.to_string())
        .level(level(f.severity))
        .message(Message::builder().text(f.message.clone()).build())
        .locations(vec![
            Location::builder()
                .logical_locations(vec![logical])
                .physical_location(physical)
                .build(),
        ])
        .partial_fingerprints(fp)
        .rule_index(rule_index)
        .build();
    // Muted findings are reported as suppressed (code scanning closes their alerts), and
    // the state against a `--baseline` is carried over.
    if f.status == Status::Muted {
        let mut suppression = serde_sarif::sarif::Suppression::builder()
            .kind(serde_json::Value::from("external"))
            .build();
        suppression.justification = f.muted_reason.clone();
        result.suppressions = Some(vec![suppression]);
    }
    result.baseline_state = f.baseline.map(|b| {
        serde_json::Value::from(match b {
            crate::findings::BaselineState::New => "new",
            crate::findings::BaselineState::Unchanged => "unchanged",
        })
    });
    result
}

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &ScanReport) -> String {
    let checks: Vec<&CheckInfo> = report.checks.values().collect();
    let index: BTreeMap<&str, usize> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Muted))
        .map(|f| result(f, index.get(&*f.check_id).copied()))
        .collect();
    let driver = ToolComponent::builder()
        .name("mamori")
        .version(report.tool.version.clone())
        .semantic_version(report.tool.version.clone())
        .information_uri("https://github.com/mamori-sec/mamori")
        .rules(checks.iter().map(|c| rule(c)).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let sarif = Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::Value::String("2.1.0".into()))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&sarif).unwrap_or_default() + "\n"
}
