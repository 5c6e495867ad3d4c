//! A saved inventory reported as JSON is evaluated as it is read, with compact findings
//! (`pipeline::evaluate_streamed`): its report must be, byte for byte, the report of
//! the inventory loaded whole, whatever the inventory holds (collection errors of every
//! kind, values unknown until apply, outside-in confirmations, several scopes).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use mamori::checks;
use mamori::inventory::{CollectionError, Inventory, Provider, Resource, Scope};
use mamori::pipeline;
use mamori::report::json;

/// The report's text without its two clock readings.
fn without_clock(text: &str) -> String {
    text.lines()
        .filter(|l| !l.contains("\"started_at\"") && !l.contains("\"finished_at\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same_report(path: &Path) {
    let set = checks::load(&[]).unwrap();
    let streamed = pipeline::evaluate_streamed(path, &set.checks).unwrap();
    let mut text = Vec::new();
    json::write_compact(&streamed.report, &streamed.findings, &mut text).unwrap();
    let whole = Inventory::load(path).unwrap();
    let report = pipeline::evaluate_inventory(&whole, &set.checks);
    let expected = json::render(&report);
    let got = String::from_utf8(text).unwrap();
    assert_eq!(report.findings.len(), streamed.findings.len());
    assert!(
        without_clock(&got) == without_clock(&expected),
        "{}: the streamed report differs from the whole one",
        path.display()
    );
    // Each compact finding turns back into the finding it stands for.
    for (i, f) in report.findings.iter().enumerate().step_by(7) {
        let back = streamed.findings.finding(i);
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(f).unwrap()
        );
    }
}

#[test]
fn bundled_inventories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_same_report(&root.join("fixtures/demo/inventory.json"));
    assert_same_report(&root.join("fixtures/org/inventory.json"));
}

fn error(scope: &str, kind: &str, region: Option<&str>) -> CollectionError {
    CollectionError {
        provider: Provider::Aws,
        scope: scope.into(),
        service: "svc".into(),
        region: region.map(str::to_string),
        operation: "List".into(),
        code: "AccessDenied".into(),
        message: "denied \"here\"".into(),
        kinds: vec![kind.into()],
        resource_id: None,
        fields: Vec::new(),
    }
}

/// Every check's fixtures as resources of two scopes, with collection errors that block
/// a kind, explain a resource's missing fields, leave field gaps, and leave a kind
/// without resources; values unknown until apply; and a guest site probed from outside.
#[test]
fn every_fixture_with_errors_unknowns_and_confirmations() {
    let set = checks::load(&[]).unwrap();
    let mut inv = Inventory::new();
    inv.collected_at = "2026-06-01T00:00:00Z".into();
    for p in Provider::ALL {
        for n in ["a", "b"] {
            inv.scopes.push(Scope {
                provider: p,
                id: format!("{p}-{n}"),
                name: Some(format!("scope {n}")),
                regions: vec![],
                attributes: Default::default(),
            });
        }
    }
    let mut i = 0;
    for c in &set.checks {
        for fx in c.fixtures.fail.iter().chain(&c.fixtures.pass) {
            let scope = format!("{}-{}", c.provider, if i % 3 == 0 { "b" } else { "a" });
            let mut r = Resource::new(
                c.provider,
                c.resource_kind.clone(),
                scope,
                format!("{}/{i}", c.resource_kind),
                &fx.data,
            )
            .with_tags(fx.tags.clone());
            if i % 2 == 0 {
                r = r.named(format!("resource \"{i}\"\t{}", fx.name));
            }
            if i % 5 != 0 {
                r = r.in_region(if i % 4 == 0 { "eu-west-1" } else { "us-east-1" });
            }
            if i % 11 == 0 {
                r.unknown = c.data_reads.first().cloned().into_iter().collect();
            }
            inv.resources.push(r);
            i += 1;
        }
    }
    // The same resource twice: equal keys keep their order.
    let twice = inv.resources[3].clone();
    inv.resources.push(twice);
    // A guest site with a failing inside finding that a probe in the same inventory
    // reproduced.
    let site = serde_json::json!("https://Example.my.site.com/s/");
    for id in [
        "salesforce-guest-api-enabled",
        "salesforce-site-guest-api-answers",
    ] {
        let c = set.checks.iter().find(|c| c.id == id).unwrap();
        let mut data = c.fixtures.fail[0].data.clone();
        data["site_url"] = site.clone();
        inv.resources.push(Resource::new(
            Provider::Salesforce,
            c.resource_kind.clone(),
            "salesforce-a",
            "guest-site-1",
            &data,
        ));
    }
    let kinds: Vec<&str> = set
        .checks
        .iter()
        .map(|c| c.resource_kind.as_str())
        .collect();
    let aws = |k: &&&str| k.starts_with("aws.");
    let mut aws_kinds = kinds.iter().filter(aws);
    let blocked = aws_kinds.next().unwrap();
    inv.errors.push(error("aws-a", blocked, Some("us-east-1")));
    let mut explained = error("aws-a", "aws.s3.bucket", None);
    explained.resource_id = inv
        .resources
        .iter()
        .find(|r| r.kind == "aws.s3.bucket" && r.scope == "aws-a")
        .map(|r| r.id.clone());
    inv.errors.push(explained);
    let mut gap = error("aws-b", aws_kinds.nth(3).unwrap(), None);
    let gap_kind = gap.kinds[0].clone();
    gap.fields = set
        .checks
        .iter()
        .filter(|c| c.resource_kind == gap_kind)
        .filter_map(|c| c.data_reads.first())
        .map(|p| p.split(['.', '[']).next().unwrap_or_default().to_string())
        .collect();
    inv.errors.push(gap);
    inv.errors
        .push(error("aws-b", "aws.kms.key", Some("ap-south-1")));
    inv.errors.push(error("aws-a", "aws.kms.key", None));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    std::fs::write(&path, inv.to_json()).unwrap();
    assert_same_report(&path);
    // The confirmation is there.
    let set_checks = &set.checks;
    let streamed = pipeline::evaluate_streamed(&path, set_checks).unwrap();
    let confirmed = (0..streamed.findings.len())
        .filter(|i| streamed.findings.get(*i).confirmed_from_outside.is_some())
        .count();
    assert_eq!(confirmed, 1);
}

#[test]
fn what_cannot_be_streamed_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let set = checks::load(&[]).unwrap();
    let mut inv = Inventory::new();
    inv.collected_at = "2026-06-01T00:00:00Z".into();
    inv.resources.push(Resource::new(
        Provider::Aws,
        "aws.s3.bucket",
        "not-a-scope",
        "b",
        &serde_json::json!({}),
    ));
    std::fs::write(&path, inv.to_json()).unwrap();
    assert!(pipeline::evaluate_streamed(&path, &set.checks).is_err());
    std::fs::write(&path, "{\"schema_version\": 1, \"resources\": [").unwrap();
    assert!(pipeline::evaluate_streamed(&path, &set.checks).is_err());
}
