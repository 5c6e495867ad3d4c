//! `mamori scan terraform` on the hand-written plans of fixtures/terraform: the bad plan
//! fails every mapped risky resource at its address, the good plan fails nothing, values
//! known only after apply give `error`, and SARIF points at the resource blocks.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{code, mamori, root, stdout};
use serde_json::Value;

fn scan(dir: &str, extra: &[&str]) -> (i32, Value) {
    let plan = format!("fixtures/terraform/{dir}/plan.json");
    let mut args = vec![
        "scan",
        "terraform",
        "--plan",
        &plan,
        "--format",
        "json",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = mamori(&args);
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    (code(&out), report)
}

fn with_status<'a>(r: &'a Value, status: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(move |f| f["status"] == status)
        .map(|f| {
            (
                f["check_id"].as_str().unwrap(),
                f["resource"]["id"].as_str().unwrap(),
            )
        })
}

/// (check, address, kind) that must fail on the bad plan: one line per mapped kind at least.
const BAD: &[(&str, &str, &str)] = &[
    (
        "aws-s3-bucket-public-policy",
        "module.web.aws_s3_bucket.assets",
        "aws.s3.bucket",
    ),
    (
        "aws-s3-bucket-public-acl",
        "module.web.aws_s3_bucket.assets",
        "aws.s3.bucket",
    ),
    (
        "aws-s3-public-access-block-disabled",
        "module.web.aws_s3_bucket.assets",
        "aws.s3.bucket",
    ),
    (
        "aws-s3-bucket-acls-enabled",
        "module.web.aws_s3_bucket.assets",
        "aws.s3.bucket",
    ),
    (
        "aws-s3-bucket-versioning-disabled",
        "module.web.aws_s3_bucket.assets",
        "aws.s3.bucket",
    ),
    (
        "aws-ec2-security-group-admin-port-open",
        "aws_security_group.ssh",
        "aws.ec2.security_group",
    ),
    (
        "aws-ec2-security-group-database-port-open",
        "aws_security_group.db",
        "aws.ec2.security_group",
    ),
    (
        "aws-ec2-security-group-cifs-port-open",
        "aws_security_group.db",
        "aws.ec2.security_group",
    ),
    (
        "aws-ec2-instance-imdsv1-allowed",
        "aws_instance.web",
        "aws.ec2.instance",
    ),
    (
        "aws-ec2-instance-no-instance-profile",
        "aws_instance.web",
        "aws.ec2.instance",
    ),
    (
        "aws-rds-instance-publicly-accessible",
        "aws_db_instance.main",
        "aws.rds.instance",
    ),
    (
        "aws-rds-instance-storage-unencrypted",
        "aws_db_instance.main",
        "aws.rds.instance",
    ),
    (
        "aws-rds-instance-backups-insufficient",
        "aws_db_instance.main",
        "aws.rds.instance",
    ),
    (
        "aws-kms-key-rotation-disabled",
        "aws_kms_key.data",
        "aws.kms.key",
    ),
    (
        "aws-kms-key-policy-public",
        "aws_kms_key.data",
        "aws.kms.key",
    ),
    (
        "aws-cloudtrail-trail-not-logging",
        "aws_cloudtrail.main",
        "aws.cloudtrail.trail",
    ),
    (
        "aws-cloudtrail-log-file-validation-disabled",
        "aws_cloudtrail.main",
        "aws.cloudtrail.trail",
    ),
    (
        "aws-iam-policy-full-admin-attached",
        "aws_iam_policy.admin",
        "aws.iam.policy",
    ),
    (
        "aws-iam-role-trust-any-principal",
        "aws_iam_role.deploy",
        "aws.iam.role",
    ),
    (
        "aws-iam-role-full-admin-policy",
        "aws_iam_role.deploy",
        "aws.iam.role",
    ),
    (
        "aws-iam-user-full-admin-policy",
        "aws_iam_user.ci",
        "aws.iam.user",
    ),
    (
        "aws-iam-group-full-admin-policy",
        "aws_iam_group.ops",
        "aws.iam.group",
    ),
    (
        "gcp-storage-bucket-public",
        "google_storage_bucket.public",
        "gcp.storage.bucket",
    ),
    (
        "gcp-storage-bucket-uniform-access-disabled",
        "google_storage_bucket.public",
        "gcp.storage.bucket",
    ),
    (
        "gcp-compute-firewall-admin-port-open",
        "google_compute_firewall.ssh_world",
        "gcp.compute.firewall",
    ),
    (
        "gcp-compute-firewall-all-ports-open",
        "google_compute_firewall.all_open",
        "gcp.compute.firewall",
    ),
    (
        "gcp-sql-instance-open-to-internet",
        "google_sql_database_instance.mysql",
        "gcp.sql.instance",
    ),
    (
        "gcp-sql-instance-ssl-not-enforced",
        "google_sql_database_instance.mysql",
        "gcp.sql.instance",
    ),
    (
        "gcp-sql-instance-backups-disabled",
        "google_sql_database_instance.mysql",
        "gcp.sql.instance",
    ),
];

#[test]
fn the_bad_plan_fails_every_mapped_risky_resource_at_its_address() {
    let (exit, r) = scan("bad", &["--fail-on", "high"]);
    assert_eq!(exit, 1, "a high finding gates the plan");
    let fails: BTreeSet<(&str, &str)> = with_status(&r, "fail").collect();
    for (check, address, _) in BAD {
        assert!(
            fails.contains(&(*check, *address)),
            "{check} does not fail on {address}: {fails:#?}"
        );
    }
    // Every resource the plan maps fails something, and is named by its address.
    let resources: BTreeSet<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["id"].as_str().unwrap())
        .collect();
    let failing: BTreeSet<&str> = fails.iter().map(|(_, a)| *a).collect();
    assert_eq!(resources, failing);
    assert_eq!(resources.len(), 15, "{resources:#?}");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["id"] == "module.web.aws_s3_bucket.assets")
        .unwrap();
    assert_eq!(f["resource"]["name"], "module.web.aws_s3_bucket.assets");
    assert_eq!(f["resource"]["region"], "eu-west-1");
    assert_eq!(f["resource"]["account"], "terraform");
}

#[test]
fn the_good_plan_fails_nothing() {
    let (exit, r) = scan("good", &["--fail-on", "low"]);
    let fails: Vec<_> = with_status(&r, "fail").collect();
    assert!(fails.is_empty(), "{fails:#?}");
    assert_eq!(exit, 0);
    assert!(with_status(&r, "pass").count() > 20);
}

#[test]
fn values_known_only_after_apply_give_error_never_pass() {
    let (_, r) = scan("unknown", &[]);
    let errors: BTreeSet<(&str, &str)> = with_status(&r, "error").collect();
    for pair in [
        ("aws-s3-bucket-public-policy", "aws_s3_bucket.data"),
        ("aws-s3-bucket-tls-not-enforced", "aws_s3_bucket.data"),
        (
            "aws-ec2-security-group-admin-port-open",
            "aws_security_group.internal",
        ),
        ("aws-ec2-instance-imdsv1-allowed", "aws_instance.app"),
    ] {
        assert!(errors.contains(&pair), "{pair:?} not an error: {errors:#?}");
    }
    for f in r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "error")
    {
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("value unknown until apply"),
            "{f}"
        );
    }
    // What the plan does know is still evaluated.
    assert!(
        with_status(&r, "fail")
            .any(|p| p == ("aws-s3-bucket-versioning-disabled", "aws_s3_bucket.data"))
    );
}

#[test]
fn sarif_locates_results_at_the_resource_blocks_with_config_dir() {
    let out = mamori(&[
        "scan",
        "terraform",
        "--plan",
        "fixtures/terraform/bad/plan.json",
        "--config-dir",
        "fixtures/terraform/bad",
        "--format",
        "sarif",
        "--quiet",
    ]);
    assert_eq!(code(&out), 0, "{}", common::stderr(&out));
    let sarif: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let at = |address: &str| {
        results
            .iter()
            .find(|r| r["locations"][0]["logicalLocations"][0]["name"] == address)
            .map(|r| {
                let p = &r["locations"][0]["physicalLocation"];
                (
                    p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    p["region"]["startLine"].as_i64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        at("module.web.aws_s3_bucket.assets"),
        ("fixtures/terraform/bad/modules/web/main.tf".into(), 3)
    );
    assert_eq!(
        at("aws_security_group.ssh"),
        ("fixtures/terraform/bad/main.tf".into(), 22)
    );
    assert!(
        results
            .iter()
            .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_i64())
    );
}

#[test]
fn mapped_resources_use_only_declared_fields() {
    let set = mamori::checks::load(&[]).unwrap();
    for dir in ["bad", "good", "unknown"] {
        let text =
            std::fs::read_to_string(root().join(format!("fixtures/terraform/{dir}/plan.json")))
                .unwrap();
        let doc = mamori::collect::terraform::plan::parse(
            &text,
            mamori::collect::terraform::DocKind::Plan,
            dir,
        )
        .unwrap();
        let inv = mamori::collect::terraform::inventory(&doc, dir);
        for res in &inv.resources {
            let data: Value = serde_json::from_str(res.data.get()).unwrap();
            let undeclared = set.kinds.undeclared_paths(&res.kind, &data);
            assert!(
                undeclared.is_empty(),
                "{} ({}): {undeclared:?}",
                res.id,
                res.kind
            );
            for u in &res.unknown {
                assert!(
                    set.kinds.field_type(&res.kind, u).is_some(),
                    "{}: unknown {u} undeclared",
                    res.id
                );
            }
        }
    }
}

/// The same check YAML fails on the plan and on the live resource: on the moto-seeded
/// account (the exact failing set `tests/aws_moto.rs` asserts) for AWS, and on every check's
/// own `fail` fixture, which is data in the live collectors' shape, for both providers.
#[test]
fn each_mapped_kind_fails_the_same_check_on_the_plan_and_live() {
    let (_, r) = scan("bad", &[]);
    let fails: BTreeSet<(&str, &str)> = with_status(&r, "fail").collect();
    let live = std::fs::read_to_string(root().join("tests/aws/expected-fails.txt")).unwrap();
    let live: BTreeSet<&str> = live
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let set = mamori::checks::load(&[]).unwrap();
    let mut kinds = BTreeSet::new();
    for (check, address, kind) in BAD {
        assert!(fails.contains(&(*check, *address)));
        let c = set.checks.iter().find(|c| c.id == *check).unwrap();
        assert_eq!(c.resource_kind, *kind);
        for fx in &c.fixtures.fail {
            let outcome = mamori::evaluate::run_fixture(c, fx, "2026-06-01T00:00:00Z");
            assert!(
                matches!(outcome, mamori::evaluate::Outcome::Fail(_)),
                "{check}: {outcome:?}"
            );
        }
        kinds.insert(*kind);
    }
    // On the emulated account, at least one of each AWS kind's plan failures fails too
    // (the seeded account has no customer-managed admin policy attached anywhere).
    const NOT_SEEDED: &[&str] = &["aws.iam.policy"];
    for kind in kinds
        .iter()
        .filter(|k| k.starts_with("aws.") && !NOT_SEEDED.contains(k))
    {
        assert!(
            BAD.iter().any(|(c, _, k)| k == kind && live.contains(c)),
            "no check of {kind} fails both on the plan and on the seeded account"
        );
    }
    assert_eq!(kinds.len(), 13);
}

#[test]
fn a_state_is_read_and_a_plan_given_as_state_is_refused() {
    let out = mamori(&[
        "scan",
        "terraform",
        "--state",
        "fixtures/terraform/bad/plan.json",
    ]);
    assert_eq!(code(&out), 2);
    assert!(common::stderr(&out).contains("use `--plan`"));
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    std::fs::write(
        &state,
        r#"{"format_version":"1.0","terraform_version":"1.9.8","values":{"root_module":{"resources":[
          {"address":"aws_s3_bucket.old","mode":"managed","type":"aws_s3_bucket","name":"old",
           "provider_name":"registry.terraform.io/hashicorp/aws","schema_version":0,
           "values":{"bucket":"old-bucket","arn":"arn:aws:s3:::old-bucket","acl":null,"policy":"",
             "versioning":[{"enabled":false,"mfa_delete":false}],"logging":[],
             "server_side_encryption_configuration":[]}}]}}}"#,
    )
    .unwrap();
    let out = mamori(&[
        "scan",
        "terraform",
        "--state",
        state.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(code(&out), 0, "{}", common::stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        with_status(&r, "fail")
            .any(|p| p == ("aws-s3-bucket-versioning-disabled", "aws_s3_bucket.old"))
    );
    // An existing bucket's Block Public Access is not in the state: not evaluated.
    assert!(
        with_status(&r, "error")
            .any(|p| p == ("aws-s3-public-access-block-disabled", "aws_s3_bucket.old"))
    );
}
