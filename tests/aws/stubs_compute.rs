//! Side services standing in for calls moto lacks: Lambda's ListFunctionUrlConfigs and
//! AWS Backup's GetBackupVaultAccessPolicy. Included by `tests/aws_moto.rs`.

use crate::harness::{Message, Reply, Stub, forward};

/// Lambda: forwards to `port` (moto, or a proxy in front of it) and answers
/// `ListFunctionUrlConfigs`, which moto does not implement, from moto's
/// `GetFunctionUrlConfig` of the same function. Reply shape:
/// https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctionUrlConfigs.html
/// (`{"FunctionUrlConfigs": [FunctionUrlConfig...], "NextMarker": null}`).
fn lambda(port: u16) -> Stub {
    Stub::start(move |req: &Message| {
        let path = req.path.split('?').next().unwrap_or_default();
        if req.method == "GET" && path.ends_with("/urls") {
            let mut get = req.clone();
            get.path = format!("{}/url", path.trim_end_matches("/urls"));
            let reply = forward(port, &get);
            if reply.status == 404 {
                return Reply::json(200, r#"{"FunctionUrlConfigs":[]}"#);
            }
            // moto answers GetFunctionUrlConfig with 201.
            if !(200..300).contains(&reply.status) {
                return reply;
            }
            let config: serde_json::Value =
                serde_json::from_slice(&reply.body).expect("GetFunctionUrlConfig JSON");
            let list = serde_json::json!({ "FunctionUrlConfigs": [config] });
            return Reply::json(200, &list.to_string());
        }
        forward(port, req)
    })
}

/// AWS Backup: forwards to `port` and answers `GetBackupVaultAccessPolicy`, which moto
/// does not implement (nor PutBackupVaultAccessPolicy): the vault `bad-vault` has a policy
/// letting anyone delete its recovery points, every other vault has none. Reply shapes:
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetBackupVaultAccessPolicy.html
/// (`{"BackupVaultName", "BackupVaultArn", "Policy"}`; ResourceNotFoundException, 404,
/// when the vault has no policy).
fn backup(port: u16) -> Stub {
    Stub::start(move |req: &Message| {
        let path = req.path.split('?').next().unwrap_or_default();
        let Some(vault) = path
            .strip_prefix("/backup-vaults/")
            .and_then(|p| p.strip_suffix("/access-policy"))
            .filter(|_| req.method == "GET")
        else {
            return forward(port, req);
        };
        if vault != "bad-vault" {
            let mut r = Reply::json(
                404,
                r#"{"Code":"ResourceNotFoundException","Message":"Backup vault has no access policy"}"#,
            );
            r.headers.push((
                "x-amzn-ErrorType".into(),
                "ResourceNotFoundException".into(),
            ));
            return r;
        }
        let region = req.region().unwrap_or("us-east-1");
        let arn = format!("arn:aws:backup:{region}:123456789012:backup-vault:{vault}");
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                "Resource": "*"
            }]
        });
        let body = serde_json::json!({
            "BackupVaultName": vault,
            "BackupVaultArn": arn,
            "Policy": policy.to_string(),
        });
        Reply::json(200, &body.to_string())
    })
}

/// The compute side services in front of one moto (or proxy) port.
pub struct ComputeStubs {
    lambda: Stub,
    backup: Stub,
}

impl ComputeStubs {
    /// Starts the side services forwarding to `port`.
    pub fn start(port: u16) -> ComputeStubs {
        ComputeStubs {
            lambda: lambda(port),
            backup: backup(port),
        }
    }

    /// The per-service endpoint variables pointing at them.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("AWS_ENDPOINT_URL_LAMBDA", self.lambda.url.as_str()),
            ("AWS_ENDPOINT_URL_BACKUP", self.backup.url.as_str()),
        ]
    }
}
