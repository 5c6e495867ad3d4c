//! STS: who the credentials belong to. Failure here means the scan cannot run.

use crate::collect::CollectError;

use super::Clients;
use super::errors;

/// The caller's account and identity.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// The 12-digit account id.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
}

/// Calls `GetCallerIdentity`; any failure is fatal (exit 3).
pub(crate) async fn caller_identity(clients: &Clients) -> Result<Identity, CollectError> {
    let out = clients
        .sts(&clients.home_region)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            CollectError::fatal(
                format!(
                    "no AWS credentials found, or they were refused: GetCallerIdentity failed ({}: {})",
                    errors::code(&e),
                    errors::message(&e)
                ),
                "configure credentials for the SDK's default chain: set AWS_PROFILE or pass --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; check AWS_ENDPOINT_URL if you set one",
            )
        })?;
    let (Some(account), Some(arn)) = (
        out.account().filter(|a| !a.is_empty()),
        out.arn().filter(|a| !a.is_empty()),
    ) else {
        return Err(CollectError::fatal(
            "GetCallerIdentity returned no account id or ARN",
            "check the credentials and the endpoint (AWS_ENDPOINT_URL)",
        ));
    };
    let (account, arn) = (account.to_string(), arn.to_string());
    let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
    Ok(Identity {
        account,
        arn,
        partition,
    })
}
