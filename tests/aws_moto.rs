//! The AWS collector end to end: moto server seeded with known-bad (`bad-...`) and
//! known-good (`good-...`) resources in two regions, scanned by the real binary through
//! the real SDK.
//!
//! The exact failing set lives in `tests/aws/expected-fails.txt` (one `check_id name`
//! per line, sorted, duplicates kept: a name seeded in both regions appears twice). It
//! is asserted exactly, together with "every bad resource fails a check", when every
//! check it names is built in; a build with fewer checks prints the differences instead.
//! Regenerate it with `MAMORI_UPDATE_EXPECTED=1 cargo test --test aws_moto` and review
//! the diff.

#![cfg(feature = "aws")]

#[path = "aws/harness.rs"]
mod harness;
#[path = "aws/stubs_compute.rs"]
mod stubs_compute;
#[path = "aws/stubs_edge.rs"]
mod stubs_edge;
#[path = "aws/stubs_mon.rs"]
mod stubs_mon;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;

use harness::{Message, Moto, Reply, Stub};
use serde_json::Value;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Findings moto cannot make pass, whatever the seed does: (check id, resource name, why).
const EMULATOR_LIMITS: &[(&str, &str, &str)] = &[
    // moto accepts MFADelete in PutBucketVersioning but never reports it back.
    (
        "aws-s3-bucket-mfa-delete-disabled",
        "good-bucket",
        "moto: no MFADelete in GetBucketVersioning",
    ),
    (
        "aws-s3-bucket-mfa-delete-disabled",
        "good-bucket-eu",
        "moto: no MFADelete in GetBucketVersioning",
    ),
    (
        "aws-s3-bucket-mfa-delete-disabled",
        "good-bucket-logs",
        "moto: no MFADelete in GetBucketVersioning",
    ),
    (
        "aws-s3-bucket-mfa-delete-disabled",
        "good-bucket-logs-eu",
        "moto: no MFADelete in GetBucketVersioning",
    ),
    // moto has no ModifyClusterParameterGroup: every parameter group reports the
    // default require_ssl=false.
    (
        "aws-redshift-cluster-ssl-not-required",
        "good-cluster",
        "moto: parameter groups cannot be modified",
    ),
    // moto's REST API stages never carry a clientCertificateId (UpdateStage ignores it).
    (
        "aws-apigateway-stage-client-certificate-missing",
        "good-api/prod",
        "moto: no clientCertificateId in GetStages",
    ),
    // moto's GetDNSSEC answers NOT_SIGNING for every zone (no EnableHostedZoneDNSSEC).
    (
        "aws-route53-zone-dnssec-disabled",
        "good-zone.example.com",
        "moto: GetDNSSEC is always NOT_SIGNING",
    ),
];

/// Access Analyzer is not emulated by moto: this stub answers `ListAnalyzers` with one
/// active analyzer in us-east-1 and none in eu-west-1.
fn access_analyzer_stub() -> Stub {
    Stub::start(|req: &Message| {
        if req.region() == Some("us-east-1") {
            Reply::json(
                200,
                r#"{"analyzers":[{"arn":"arn:aws:access-analyzer:us-east-1:123456789012:analyzer/good-analyzer","name":"good-analyzer","type":"ACCOUNT","status":"ACTIVE","createdAt":"2026-01-01T00:00:00Z"}]}"#,
            )
        } else {
            Reply::json(200, r#"{"analyzers":[]}"#)
        }
    })
}

/// A seeded moto server with the side services every account scan here uses: the S3
/// proxy that fixes moto's replies and the Access Analyzer, CloudWatch and Macie stubs. `None` (skipped) only
/// when moto is missing outside CI.
struct SeededAccount {
    moto: Moto,
    s3: Stub,
    analyzer: Stub,
    edge: stubs_edge::EdgeStubs,
    cloudwatch: Stub,
    macie: Stub,
    compute: stubs_compute::ComputeStubs,
}

impl SeededAccount {
    fn start() -> Option<Self> {
        let bin = harness::moto_server_path()?;
        let moto = Moto::start(&bin);
        moto.seed();
        let s3 = Stub::s3_fixing_proxy(moto.port());
        let compute = stubs_compute::ComputeStubs::start(moto.port());
        Some(SeededAccount {
            moto,
            s3,
            analyzer: access_analyzer_stub(),
            edge: stubs_edge::EdgeStubs::start(),
            cloudwatch: stubs_mon::cloudwatch_stub(true),
            macie: stubs_mon::macie_stub(true),
            compute,
        })
    }

    /// The per-service endpoint variables pointing at the side services.
    fn services(&self) -> Vec<(&'static str, &str)> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL_S3", self.s3.url.as_str()),
            (
                "AWS_ENDPOINT_URL_ACCESSANALYZER",
                self.analyzer.url.as_str(),
            ),
            ("AWS_ENDPOINT_URL_CLOUDWATCH", self.cloudwatch.url.as_str()),
            ("AWS_ENDPOINT_URL_MACIE2", self.macie.url.as_str()),
        ];
        env.extend(self.edge.env());
        env.extend(self.compute.env());
        env
    }
}

/// A JSON-protocol service (KMS) refusing every call.
fn access_denied_json_stub() -> Stub {
    Stub::start(|_req: &Message| {
        Reply::json(
            400,
            r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/scanner is not authorized to perform this action"}"#,
        )
    })
}

/// Runs `mamori scan aws` against the given endpoints.
fn scan(endpoint: &str, extra_env: &[(&str, &str)], args: &[&str]) -> Output {
    // MAMORI_TEST_BIN runs another build of the binary (a copy taken right after
    // `cargo build`, when several work trees share one target directory).
    let bin =
        std::env::var("MAMORI_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mamori").into());
    let mut cmd = harness::mamori_against(&bin, endpoint);
    cmd.args(["scan", "aws", "--format", "json", "--quiet"]);
    for r in REGIONS {
        cmd.args(["--region", r]);
    }
    cmd.args(args);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("run mamori")
}

fn report(out: &Output) -> Value {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn name(f: &Value) -> String {
    f["resource"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn with_status<'a>(r: &'a Value, status: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |f| f["status"] == status)
}

/// (check, resource id, status) of every finding, sorted.
fn outcome(rep: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = rep["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["check_id"].as_str().unwrap_or_default().to_string(),
                f["resource"]["id"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The comment heading tests/aws/expected-fails.txt.
const EXPECTED_HEADER: &str = "# Every failing finding of the seeded moto account: check id, region (global for\n# account-wide resources), resource name. Regenerate with MAMORI_UPDATE_EXPECTED=1 and\n# review the diff.\n";

fn expected_fails_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/expected-fails.txt")
}

/// REST read operations that are sent as POST: Inspector `BatchGetAccountStatus` and
/// Account Management `GetAlternateContact`.
const POST_READS: &[&str] = &["/status/batch/get", "/getAlternateContact"];

/// Read actions only: Query `Action`s and JSON targets named List*/Get*/BatchGet*/
/// Describe*/Generate*Report or GetCallerIdentity; REST calls (S3, s3control, GuardDuty, Access
/// Analyzer, Security Hub) as GET or HEAD, or POST to one of [`POST_READS`].
fn is_read(method: &str, path: &str, action: &str) -> bool {
    if action.is_empty() {
        let path = path.split('?').next().unwrap_or(path);
        return method == "GET"
            || method == "HEAD"
            || (method == "POST" && POST_READS.contains(&path));
    }
    action.starts_with("List")
        || action.starts_with("Get")
        || action.starts_with("BatchGet")
        || action.starts_with("Describe")
        || (action.starts_with("Generate") && action.ends_with("Report"))
}

#[test]
fn scan_of_a_seeded_account_reports_every_bad_resource_and_no_good_one() {
    let Some(account) = SeededAccount::start() else {
        return;
    };
    let moto = &account.moto;
    let services = account.services();

    // A clean scan, recorded by moto from its first request to its last.
    let dir = tempfile::tempdir().expect("temp dir");
    let inv_path = dir.path().join("inventory.json");
    moto.reset_recording();
    let out = scan(
        &moto.url,
        &services,
        &["--save-inventory", inv_path.to_str().expect("utf-8 path")],
    );
    let recorded = moto.recorded();
    let r = report(&out);
    // For debugging: MAMORI_AWS_TEST_OUT=DIR keeps the report and the inventory.
    if let Some(keep) = std::env::var_os("MAMORI_AWS_TEST_OUT") {
        let keep = Path::new(&keep);
        std::fs::write(keep.join("report.json"), &out.stdout).expect("keep the report");
        std::fs::copy(&inv_path, keep.join("inventory.json")).expect("keep the inventory");
    }
    let inventory: Value =
        serde_json::from_str(&std::fs::read_to_string(&inv_path).expect("inventory"))
            .expect("inventory JSON");

    // Collection itself went through: no collection errors against the emulator.
    let errors = inventory["errors"].as_array().cloned().unwrap_or_default();
    assert!(errors.is_empty(), "collection errors: {errors:#?}");

    // Drift between the collector and checks/aws/kinds.yaml, on real replies: every
    // resource's kind is declared, no resource carries an undeclared field, and every
    // declared top-level field of a kind is emitted by at least one of its resources
    // (unless listed in tests/aws/unemitted-fields.txt with the reason moto cannot give it).
    let set = mamori::checks::load(&[]).expect("built-in checks load");
    let mut emitted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut undeclared: BTreeSet<String> = BTreeSet::new();
    for res in inventory["resources"].as_array().into_iter().flatten() {
        let kind = res["kind"].as_str().unwrap_or_default();
        assert!(set.kinds.get(kind).is_some(), "undeclared kind {kind}");
        for path in set.kinds.undeclared_paths(kind, &res["data"]) {
            undeclared.insert(format!("{kind} {path}"));
        }
        let fields = emitted.entry(kind.to_string()).or_default();
        for key in res["data"].as_object().into_iter().flat_map(|o| o.keys()) {
            fields.insert(key.clone());
        }
    }
    assert!(
        undeclared.is_empty(),
        "fields the collector emits that checks/aws/kinds.yaml does not declare: {undeclared:#?}"
    );
    let allowed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws/unemitted-fields.txt"),
    )
    .expect("tests/aws/unemitted-fields.txt");
    let allowed: BTreeSet<&str> = allowed
        .lines()
        .filter_map(|l| l.split('#').next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut never = Vec::new();
    for (kind, fields) in &emitted {
        let decl = set.kinds.get(kind).expect("declared");
        for path in decl
            .fields
            .keys()
            .filter(|p| !p.contains('.') && !p.contains("[]"))
        {
            let entry = format!("{kind} {path}");
            if !fields.contains(path) && !allowed.contains(entry.as_str()) {
                never.push(entry);
            }
        }
    }
    assert!(
        never.is_empty(),
        "declared fields no collected resource carries (collector drift, or add them to tests/aws/unemitted-fields.txt with moto's reason): {never:#?}"
    );

    // (a) Read-only: every request moto received was a read action.
    assert!(
        recorded.len() > 40,
        "moto recorded only {} requests",
        recorded.len()
    );
    let writes: Vec<_> = recorded
        .iter()
        .filter(|(m, p, a)| !is_read(m, p, a))
        .collect();
    assert!(
        writes.is_empty(),
        "non-read requests during the scan: {writes:#?}"
    );

    // The checks of this build (the report's `checks` map) and the kinds they cover.
    let checks = r["checks"].as_object().cloned().unwrap_or_default();
    let loaded: BTreeSet<&str> = checks.keys().map(String::as_str).collect();
    let covered: BTreeSet<&str> = checks
        .values()
        .filter_map(|c| c["resource_kind"].as_str())
        .collect();

    // Every bad resource (of a kind some check covers) fails at least one check; no good
    // resource fails any.
    let fails: Vec<(String, String)> = with_status(&r, "fail")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap_or_default().to_string(),
                name(f),
            )
        })
        .collect();
    let failing_names: BTreeSet<&str> = fails.iter().map(|(_, n)| n.as_str()).collect();
    let bad: BTreeSet<&str> = inventory["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|res| res["kind"].as_str().is_some_and(|k| covered.contains(k)))
        .filter_map(|res| res["name"].as_str())
        .filter(|n| n.starts_with("bad-"))
        .collect();
    let seeded_bad = inventory["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|res| res["name"].as_str().is_some_and(|n| n.starts_with("bad-")))
        .count();
    assert!(
        seeded_bad >= 20,
        "seeded bad resources missing: {seeded_bad}"
    );
    // Every check the expected list names is built in (the list and the checks change
    // together), and every bad resource fails at least one check.
    let listed_checks: BTreeSet<String> = std::fs::read_to_string(expected_fails_path())
        .expect("tests/aws/expected-fails.txt")
        .lines()
        .filter_map(|l| l.split(' ').next())
        .filter(|c| !c.is_empty() && !c.starts_with('#'))
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = listed_checks
        .iter()
        .filter(|c| !loaded.contains(c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "checks named in tests/aws/expected-fails.txt that this build does not have: {missing:?}"
    );
    let unreported: Vec<_> = bad.difference(&failing_names).collect();
    assert!(
        unreported.is_empty(),
        "bad resources without a failing finding: {unreported:?}"
    );
    let limits: BTreeSet<(&str, &str)> = EMULATOR_LIMITS.iter().map(|(c, n, _)| (*c, *n)).collect();
    let good_fails: Vec<_> = fails
        .iter()
        .filter(|(c, n)| n.starts_with("good-") && !limits.contains(&(c.as_str(), n.as_str())))
        .collect();
    assert!(
        good_fails.is_empty(),
        "good resources failing: {good_fails:#?}"
    );
    let good_errors: Vec<_> = with_status(&r, "error")
        .filter(|f| name(f).starts_with("good-"))
        .map(|f| (f["check_id"].clone(), name(f), f["message"].clone()))
        .collect();
    assert!(
        good_errors.is_empty(),
        "good resources not evaluated: {good_errors:#?}"
    );

    // The exact failing set: (check, region, resource name) of every failing finding.
    // Names, not ids: moto makes up new instance, group and volume ids on every run.
    let mut actual: Vec<String> = with_status(&r, "fail")
        .map(|f| {
            format!(
                "{} {} {}",
                f["check_id"].as_str().unwrap_or_default(),
                f["resource"]["region"].as_str().unwrap_or("global"),
                name(f)
            )
        })
        .collect();
    actual.sort();
    if std::env::var_os("MAMORI_UPDATE_EXPECTED").is_some() {
        std::fs::write(
            expected_fails_path(),
            EXPECTED_HEADER.to_string() + &actual.join("\n") + "\n",
        )
        .expect("write expected fails");
    }
    let expected_text =
        std::fs::read_to_string(expected_fails_path()).expect("tests/aws/expected-fails.txt");
    let expected: Vec<String> = expected_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(
        actual, expected,
        "failing (check, region, resource) triples differ from tests/aws/expected-fails.txt (regenerate with MAMORI_UPDATE_EXPECTED=1 and review the diff)"
    );

    // Under heavy throttling (every third call refused with its protocol's throttling
    // error) the scan reports exactly what the clean one did.
    let throttled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let throttling = Stub::moto_proxy_counted(moto.port(), Some(3), throttled.clone());
    let throttling_port: u16 = throttling
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("proxy port");
    let compute = stubs_compute::ComputeStubs::start(throttling_port);
    let mut throttled_env = vec![
        (
            "AWS_ENDPOINT_URL_ACCESSANALYZER",
            account.analyzer.url.as_str(),
        ),
        (
            "AWS_ENDPOINT_URL_CLOUDWATCH",
            account.cloudwatch.url.as_str(),
        ),
        ("AWS_ENDPOINT_URL_MACIE2", account.macie.url.as_str()),
    ];
    throttled_env.extend(account.edge.env());
    throttled_env.extend(compute.env());
    let throttled_report = report(&scan(&throttling.url, &throttled_env, &[]));
    let throttled_count = throttled.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        throttled_count > 50,
        "only {throttled_count} throttled replies"
    );
    assert_eq!(
        throttled_report["scan"]["collection_errors"],
        serde_json::json!([]),
        "collection errors under throttling"
    );
    assert!(
        outcome(&throttled_report) == outcome(&r),
        "findings under throttling differ from the clean scan"
    );

    // (c) KMS refusing every call: KMS checks report `error`, everything else is unchanged.
    let kms = access_denied_json_stub();
    let mut denied_env = services.clone();
    denied_env.push(("AWS_ENDPOINT_URL_KMS", kms.url.as_str()));
    let denied = report(&scan(&moto.url, &denied_env, &[]));
    let is_kms = |f: &&Value| {
        f["check_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("aws-kms-"))
    };
    let kms_statuses: BTreeMap<String, usize> = denied["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(is_kms)
        .fold(BTreeMap::new(), |mut m, f| {
            *m.entry(f["status"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
            m
        });
    if loaded.iter().any(|c| c.starts_with("aws-kms-")) {
        assert!(
            kms_statuses.contains_key("error"),
            "no KMS error findings: {kms_statuses:?}"
        );
        assert_eq!(
            kms_statuses.len(),
            1,
            "KMS findings other than error: {kms_statuses:?}"
        );
    }
    let denied_errors: Vec<&Value> = denied["scan"]["collection_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    assert!(
        denied_errors
            .iter()
            .any(|e| e["service"] == "kms" && e["code"] == "AccessDeniedException"),
        "the refused KMS call is not recorded: {denied_errors:#?}"
    );
    // Checks that read a field taken from KMS for another service's resource (a backup
    // vault's key manager comes from kms:DescribeKey) report `error` too.
    const READS_KMS: &[&str] = &["aws-backup-vault-not-cmk-encrypted"];
    let non_kms = |rep: &Value| -> Vec<(String, String, String)> {
        outcome(rep)
            .into_iter()
            .filter(|(check, _, _)| {
                !check.starts_with("aws-kms-") && !READS_KMS.contains(&check.as_str())
            })
            .collect()
    };
    assert_eq!(
        non_kms(&denied),
        non_kms(&r),
        "a refused KMS changed other checks' results"
    );
}

#[test]
fn refused_credentials_exit_3_with_a_clear_message() {
    // STS answering as AWS does for an unknown access key.
    let sts = Stub::start(|_req: &Message| {
        Reply {
        status: 403,
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: br#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>"#.to_vec(),
    }
    });
    let out = scan(&sts.url, &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(stderr.contains("InvalidClientTokenId"), "{stderr}");
    assert!(stderr.contains("aws sso login"), "{stderr}");

    // Nothing listening at all.
    let port = harness::free_port();
    let out = scan(&format!("http://127.0.0.1:{port}"), &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.contains("GetCallerIdentity"), "{stderr}");
}

#[test]
fn max_concurrency_bounds_requests_in_flight() {
    let Some(account) = SeededAccount::start() else {
        return;
    };
    let moto = &account.moto;
    // A slow path to moto (20 ms a request) that records how many requests overlap.
    let port = moto.port();
    let now = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (n, p) = (now.clone(), peak.clone());
    let slow = Stub::start(move |req: &Message| {
        use std::sync::atomic::Ordering::SeqCst;
        let cur = n.fetch_add(1, SeqCst) + 1;
        p.fetch_max(cur, SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let reply = harness::forward(port, req);
        n.fetch_sub(1, SeqCst);
        reply
    });
    let env = account.services();
    let limited = report(&scan(&slow.url, &env, &["--max-concurrency", "3"]));
    let seen = peak.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        seen <= 3,
        "{seen} requests in flight with --max-concurrency 3"
    );
    assert!(seen >= 2, "requests never overlapped ({seen})");
    let direct = report(&scan(&moto.url, &env, &[]));
    assert_eq!(
        outcome(&limited),
        outcome(&direct),
        "the limit changed the findings"
    );
}
