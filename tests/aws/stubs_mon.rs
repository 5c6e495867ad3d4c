//! Stubs for the monitoring services moto does not answer in the protocol the SDK speaks.
//!
//! CloudWatch: the SDK calls it with the Smithy RPC v2 CBOR protocol
//! (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`, CBOR bodies), which
//! moto does not understand. The stub answers `DescribeAlarms` with CBOR replies shaped as
//! the API reference documents `DescribeAlarmsOutput`
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html):
//! in the seeded account, one alarm with a subscribed SNS topic for each CIS metric filter of
//! `tests/aws/seeds/cloudwatch.py`, one alarm without actions and one with actions disabled
//! in us-east-1, nothing in eu-west-1.

use serde_json::{Value, json};

use crate::harness::{Message, Reply, Stub};

/// The metrics of the CIS metric filters in `tests/aws/seeds/cloudwatch.py`.
const CIS_METRICS: [&str; 15] = [
    "UnauthorizedAPICalls",
    "ConsoleSigninWithoutMFA",
    "RootAccountUsage",
    "IAMPolicyChanges",
    "CloudTrailChanges",
    "ConsoleSigninFailures",
    "DisableOrDeleteCMK",
    "S3BucketPolicyChanges",
    "AWSConfigChanges",
    "SecurityGroupChanges",
    "NACLChanges",
    "NetworkGatewayChanges",
    "RouteTableChanges",
    "VPCChanges",
    "OrganizationsChanges",
];

/// Appends the CBOR head of `major` type with argument `n` (RFC 8949, section 3).
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

/// Encodes a JSON value as CBOR (integers as integers, other numbers as float64).
pub fn cbor(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                head(out, 0, u);
            } else if let Some(i) = n.as_i64() {
                head(out, 1, (-1 - i) as u64);
            } else {
                out.push(0xfb);
                out.extend(n.as_f64().unwrap_or_default().to_be_bytes());
            }
        }
        Value::String(s) => {
            head(out, 3, s.len() as u64);
            out.extend(s.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for i in items {
                cbor(i, out);
            }
        }
        Value::Object(m) => {
            head(out, 5, m.len() as u64);
            for (k, v) in m {
                head(out, 3, k.len() as u64);
                out.extend(k.as_bytes());
                cbor(v, out);
            }
        }
    }
}

/// An RPC v2 CBOR reply.
fn cbor_reply(body: &Value) -> Reply {
    let mut out = Vec::new();
    cbor(body, &mut out);
    Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/cbor".into()),
            ("smithy-protocol".into(), "rpc-v2-cbor".into()),
        ],
        body: out,
    }
}

fn alarm(region: &str, name: &str, metric: &str, enabled: bool, actions: &[String]) -> Value {
    json!({
        "AlarmName": name,
        "AlarmArn": format!("arn:aws:cloudwatch:{region}:123456789012:alarm:{name}"),
        "ActionsEnabled": enabled,
        "AlarmActions": actions,
        "OKActions": [],
        "InsufficientDataActions": [],
        "StateValue": "OK",
        "MetricName": metric,
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    })
}

/// The CloudWatch stub: with `seeded`, the alarms of the seeded account; otherwise no
/// alarms anywhere (the accounts of an organization scan).
pub fn cloudwatch_stub(seeded: bool) -> Stub {
    Stub::start(move |req: &Message| {
        if !req.path.ends_with("/operation/DescribeAlarms") {
            return Reply {
                status: 400,
                headers: vec![("smithy-protocol".into(), "rpc-v2-cbor".into())],
                body: Vec::new(),
            };
        }
        let region = req.region().unwrap_or("us-east-1");
        let mut alarms = Vec::new();
        if seeded && region == "us-east-1" {
            let topic = vec![format!(
                "arn:aws:sns:{region}:123456789012:good-topic-alerts"
            )];
            for m in CIS_METRICS {
                alarms.push(alarm(region, &format!("good-alarm-{m}"), m, true, &topic));
            }
            alarms.push(alarm(region, "bad-alarm-no-action", "Errors", true, &[]));
            alarms.push(alarm(
                region,
                "bad-alarm-actions-disabled",
                "Errors",
                false,
                &topic,
            ));
        }
        cbor_reply(&json!({"MetricAlarms": alarms, "CompositeAlarms": []}))
    })
}

/// Amazon Macie is not emulated by moto. `GetMacieSession` (`GET /macie`) answers as the
/// API reference documents it
/// (https://docs.aws.amazon.com/macie/latest/APIReference/macie.html): with `seeded`, an
/// enabled session in us-east-1; elsewhere (and for every account otherwise) the refusal
/// AWS gives an account without Macie.
pub fn macie_stub(seeded: bool) -> Stub {
    Stub::start(move |req: &Message| {
        if req.method == "GET" && req.path.starts_with("/macie") {
            if seeded && req.region() == Some("us-east-1") {
                return Reply::json(
                    200,
                    r#"{"createdAt":"2026-01-01T00:00:00Z","findingPublishingFrequency":"FIFTEEN_MINUTES","serviceRole":"arn:aws:iam::123456789012:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie","status":"ENABLED","updatedAt":"2026-01-01T00:00:00Z"}"#,
                );
            }
            let mut r = Reply::json(403, r#"{"message":"Macie is not enabled."}"#);
            r.headers
                .push(("x-amzn-ErrorType".into(), "AccessDeniedException".into()));
            return r;
        }
        Reply::json(404, r#"{"message":"not stubbed"}"#)
    })
}

/// Amazon Inspector for accounts moto knows nothing about (moto leaves an account that
/// never enabled Inspector out of `BatchGetAccountStatus`, AWS reports it disabled):
/// every requested account with every scan type `DISABLED`, shaped as the API reference's
/// BatchGetAccountStatus response
/// (https://docs.aws.amazon.com/inspector/v2/APIReference/API_BatchGetAccountStatus.html).
#[allow(dead_code)] // used by tests/aws_org.rs, not by every test that includes this file
pub fn inspector2_disabled_stub() -> Stub {
    Stub::start(|req: &Message| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let disabled = json!({"status": "DISABLED"});
        let accounts: Vec<Value> = body["accountIds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|id| {
                json!({
                    "accountId": id,
                    "state": disabled,
                    "resourceState": {"ec2": disabled, "ecr": disabled, "lambda": disabled, "lambdaCode": disabled},
                })
            })
            .collect();
        Reply::json(
            200,
            &json!({"accounts": accounts, "failedAccounts": []}).to_string(),
        )
    })
}
