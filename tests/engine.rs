//! Engine tests through the library: collection errors never turn into passes, every
//! built-in check's fixtures hold, and the demo inventory uses only declared fields.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use mamori::checks::{self, lint};
use mamori::findings::Status;
use mamori::inventory::{CollectionError, Inventory, Provider, Resource, Scope};

fn builtin() -> checks::CheckSet {
    checks::load(&[]).expect("built-in checks load")
}

fn inventory(resources: Vec<Resource>, errors: Vec<CollectionError>) -> Inventory {
    let mut inv = Inventory::new();
    inv.collected_at = "2026-06-01T00:00:00Z".into();
    inv.scopes.push(Scope {
        provider: Provider::Aws,
        id: "111122223333".into(),
        name: None,
        regions: vec!["eu-west-1".into(), "us-east-1".into()],
        attributes: Default::default(),
    });
    inv.resources = resources;
    inv.errors = errors;
    inv
}

fn error_for(kind: &str, region: Option<&str>, resource_id: Option<&str>) -> CollectionError {
    CollectionError {
        provider: Provider::Aws,
        scope: "111122223333".into(),
        service: "s3".into(),
        region: region.map(str::to_string),
        operation: "GetPublicAccessBlock".into(),
        code: "AccessDenied".into(),
        message: "Access Denied".into(),
        kinds: vec![kind.into()],
        resource_id: resource_id.map(str::to_string),
        fields: Vec::new(),
    }
}

/// A resource that passes the check under test, built from its own pass fixture.
fn passing_resource(check_id: &str, region: &str) -> (Arc<checks::Check>, Resource) {
    let set = builtin();
    let check = set
        .checks
        .iter()
        .find(|c| c.id == check_id)
        .expect("check")
        .clone();
    let fx = &check.fixtures.pass[0];
    let r = Resource::new(
        Provider::Aws,
        check.resource_kind.clone(),
        "111122223333",
        "res-1",
        &fx.data,
    )
    .named("good-resource")
    .in_region(region);
    (check, r)
}

#[test]
fn a_kind_with_a_collection_error_reports_error_not_pass() {
    let (check, r) = passing_resource("aws-s3-public-access-block-disabled", "eu-west-1");
    let kind = check.resource_kind.clone();
    let checks = vec![check];

    // Without an error, the resource passes.
    let report = mamori::pipeline::evaluate_inventory(&inventory(vec![r.clone()], vec![]), &checks);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].status, Status::Pass);

    // With a listing error in its region, the pass becomes an error, and the region's
    // kind gets an explicit "not evaluated" finding.
    let report = mamori::pipeline::evaluate_inventory(
        &inventory(
            vec![r.clone()],
            vec![error_for(&kind, Some("eu-west-1"), None)],
        ),
        &checks,
    );
    assert!(
        report.findings.iter().all(|f| f.status == Status::Error),
        "{:#?}",
        report.findings
    );
    assert_eq!(report.findings.len(), 2);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.message.contains("AccessDenied"))
    );

    // An error in another region leaves this resource's pass alone.
    let report = mamori::pipeline::evaluate_inventory(
        &inventory(
            vec![r.clone()],
            vec![error_for(&kind, Some("us-east-1"), None)],
        ),
        &checks,
    );
    let mine = report
        .findings
        .iter()
        .find(|f| f.resource.id == "res-1")
        .expect("finding");
    assert_eq!(mine.status, Status::Pass);
    assert!(report.findings.iter().any(|f| f.status == Status::Error && f.resource.region.as_deref() == Some("us-east-1")));

    // A per-resource error turns only that resource's pass into an error.
    let report = mamori::pipeline::evaluate_inventory(
        &inventory(
            vec![r],
            vec![error_for(&kind, Some("eu-west-1"), Some("res-1"))],
        ),
        &checks,
    );
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].status, Status::Error);
}

#[test]
fn a_value_unknown_until_apply_gives_error_only_to_the_checks_reading_it() {
    // Versioning enabled: passes. The same bucket with versioning unknown: error.
    let (versioning, mut r) = passing_resource("aws-s3-bucket-versioning-disabled", "eu-west-1");
    let (ownership, _) = passing_resource("aws-s3-bucket-acls-enabled", "eu-west-1");
    let mut data: serde_json::Value = serde_json::from_str(r.data.get()).unwrap();
    data["object_ownership"] = "BucketOwnerEnforced".into();
    data.as_object_mut().unwrap().remove("versioning");
    r.data = mamori::inventory::to_raw(&data);
    r.unknown = vec!["versioning".into()];
    let checks = vec![versioning, ownership];
    let report = mamori::pipeline::evaluate_inventory(&inventory(vec![r.clone()], vec![]), &checks);
    let status = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| &*f.check_id == id)
            .map(|f| (f.status, f.message.clone()))
            .unwrap()
    };
    let (s, m) = status("aws-s3-bucket-versioning-disabled");
    assert_eq!(s, Status::Error, "{m}");
    assert!(m.contains("value unknown until apply: `versioning`"), "{m}");
    // A check that does not read the unknown field is evaluated as usual.
    assert_eq!(status("aws-s3-bucket-acls-enabled").0, Status::Pass);

    // A container holding an unknown value, and a field below an unknown value, count too.
    let (sg_check, mut sg) =
        passing_resource("aws-ec2-security-group-admin-port-open", "eu-west-1");
    for unknown in ["ingress", "ingress[].ipv4_ranges"] {
        sg.unknown = vec![unknown.into()];
        let report = mamori::pipeline::evaluate_inventory(
            &inventory(vec![sg.clone()], vec![]),
            std::slice::from_ref(&sg_check),
        );
        assert_eq!(report.findings[0].status, Status::Error, "{unknown}");
    }
    sg.unknown = vec!["description".into()];
    let report = mamori::pipeline::evaluate_inventory(
        &inventory(vec![sg], vec![]),
        std::slice::from_ref(&sg_check),
    );
    assert_eq!(report.findings[0].status, Status::Pass);
}

#[test]
fn conditions_list_the_longest_data_paths_they_read() {
    let set = builtin();
    let check = |id: &str| set.checks.iter().find(|c| c.id == id).unwrap().clone();
    assert_eq!(
        check("aws-s3-bucket-versioning-disabled").data_reads,
        vec!["versioning"]
    );
    let reads = &check("aws-s3-bucket-public-acl").data_reads;
    assert!(
        reads.contains(&"acl.grants[].grantee_uri".to_string()),
        "{reads:?}"
    );
    assert!(!reads.contains(&"acl".to_string()), "{reads:?}");
    assert!(reads.contains(&"public_access_block.ignore_public_acls".to_string()));
}

#[test]
fn a_kind_with_no_resources_and_an_error_is_not_clean() {
    let set = builtin();
    let check = set
        .checks
        .iter()
        .find(|c| c.id == "aws-s3-public-access-block-disabled")
        .unwrap()
        .clone();
    let kind = check.resource_kind.clone();
    let report = mamori::pipeline::evaluate_inventory(
        &inventory(vec![], vec![error_for(&kind, None, None)]),
        &[check],
    );
    assert_eq!(report.summary.error, 1);
    assert_eq!(report.summary.pass, 0);
}

#[test]
fn a_missing_field_is_an_error_not_a_pass() {
    let set = builtin();
    let check = set
        .checks
        .iter()
        .find(|c| c.id == "aws-iam-root-mfa-disabled")
        .unwrap()
        .clone();
    let r = Resource::new(
        Provider::Aws,
        check.resource_kind.clone(),
        "111122223333",
        "acct",
        &serde_json::json!({}),
    );
    let report = mamori::pipeline::evaluate_inventory(&inventory(vec![r], vec![]), &[check]);
    assert_eq!(report.findings[0].status, Status::Error);
    assert!(
        report.findings[0].message.contains("root_mfa_enabled"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn every_builtin_check_has_fixtures_that_hold() {
    let set = builtin();
    assert!(set.checks.len() >= 10);
    for c in &set.checks {
        assert!(
            !c.fixtures.fail.is_empty() && !c.fixtures.pass.is_empty(),
            "{} lacks fixtures",
            c.id
        );
    }
    let results = mamori::evaluate::fixtures::run_fixtures(&set);
    let bad: Vec<String> = results
        .iter()
        .filter(|r| !r.ok())
        .map(|r| {
            format!(
                "{} `{}` expected {} got {:?}",
                r.check_id, r.fixture, r.expected, r.outcome
            )
        })
        .collect();
    assert!(bad.is_empty(), "fixture failures:\n{}", bad.join("\n"));
    let shapes = lint::fixture_shapes(&set);
    assert!(
        shapes.is_empty(),
        "fixtures use undeclared fields: {shapes:?}"
    );
}

#[test]
fn demo_inventory_uses_only_declared_fields_and_evaluates_cleanly() {
    let set = builtin();
    let inv = Inventory::load(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/inventory.json"),
    )
    .expect("demo loads");
    for r in &inv.resources {
        assert!(
            set.kinds.get(&r.kind).is_some(),
            "undeclared kind {}",
            r.kind
        );
        let data: serde_json::Value = serde_json::from_str(r.data.get()).unwrap();
        let undeclared = set.kinds.undeclared_paths(&r.kind, &data);
        assert!(
            undeclared.is_empty(),
            "{} {} uses undeclared {undeclared:?}",
            r.kind,
            r.id
        );
    }
    let report = mamori::pipeline::evaluate_inventory(&inv, &set.checks);
    // Only findings caused by the demo's recorded collection errors may be errors.
    for f in report.findings.iter().filter(|f| f.status == Status::Error) {
        assert!(
            f.message.starts_with("Not evaluated") || f.message.contains("Not evaluated"),
            "{}: {}",
            f.check_id,
            f.message
        );
    }
    for sev in ["critical", "high", "medium"] {
        assert!(
            report.failing().any(|f| f.severity.as_str() == sev),
            "the demo should show a {sev} finding"
        );
    }
}

#[test]
fn check_docs_are_up_to_date() {
    let set = builtin();
    let dir = tempfile::tempdir().unwrap();
    checks::docs::write_all(&set, dir.path()).unwrap();
    let committed = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/checks");
    let mut stale = Vec::new();
    for c in &set.checks {
        let rel = format!("{}/{}.md", c.provider, c.id);
        let fresh = std::fs::read_to_string(dir.path().join(&rel)).unwrap();
        let old = std::fs::read_to_string(committed.join(&rel)).unwrap_or_default();
        if fresh != old {
            stale.push(rel);
        }
    }
    let index_fresh = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
    if std::fs::read_to_string(committed.join("README.md")).unwrap_or_default() != index_fresh {
        stale.push("README.md".into());
    }
    assert!(
        stale.is_empty(),
        "docs/checks is stale, run `mamori checks docs`: {stale:?}"
    );
}

#[test]
fn a_field_gap_fails_only_the_checks_that_read_the_field() {
    let set = builtin();
    let pick = |id: &str| {
        set.checks
            .iter()
            .find(|c| c.id == id)
            .expect("check")
            .clone()
    };
    // Both read salesforce.guest_profile: one names PermissionsApiEnabled, one does not.
    let api = pick("salesforce-guest-api-enabled");
    let apex = pick("salesforce-guest-apex-class-access");
    let data = serde_json::json!({
        "site_name": "portal",
        "permissions": {"PermissionsViewSetup": false},
        "apex_classes": [],
        "visualforce_pages": []
    });
    let r = Resource::new(
        Provider::Salesforce,
        "salesforce.guest_profile",
        "111122223333",
        "00e1",
        &data,
    )
    .named("Portal Profile");
    let mut gap = error_for("salesforce.guest_profile", None, None);
    gap.provider = Provider::Salesforce;
    gap.code = "FIELD_NOT_AVAILABLE".into();
    gap.message = "PermissionSet.PermissionsApiEnabled is not available in this org".into();
    gap.fields = vec!["PermissionsApiEnabled".into()];
    let mut inv = inventory(vec![r], vec![gap]);
    inv.scopes[0].provider = Provider::Salesforce;
    let report = mamori::pipeline::evaluate_inventory(&inv, &[api, apex]);
    let by_id = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.check_id.as_ref() == id)
            .unwrap_or_else(|| panic!("{id}: {:#?}", report.findings))
    };
    assert_eq!(
        report.findings.len(),
        2,
        "a gap adds no scope-wide error findings"
    );
    let f = by_id("salesforce-guest-api-enabled");
    assert_eq!(f.status, Status::Error);
    assert!(
        f.message
            .contains("PermissionsApiEnabled is not available in this org")
    );
    assert_eq!(
        by_id("salesforce-guest-apex-class-access").status,
        Status::Pass
    );
}

#[test]
fn report_order_is_the_documented_sort_key() {
    let set = builtin();
    let inv = Inventory::load(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/inventory.json"),
    )
    .expect("demo loads");
    let report = mamori::pipeline::evaluate_inventory(&inv, &set.checks);
    assert!(report.findings.len() > 100);
    assert!(
        report
            .findings
            .windows(2)
            .all(|w| w[0].sort_key() <= w[1].sort_key()),
        "findings out of order"
    );
    // Fingerprints are 32 lowercase hex digits, one per (check, resource).
    let mut seen = std::collections::HashSet::new();
    for f in &report.findings {
        assert_eq!(f.fingerprint.len(), 32);
        assert!(
            f.fingerprint
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert!(
            seen.insert(f.fingerprint.clone()),
            "duplicate {}",
            f.fingerprint
        );
    }
}
