//! AWS collection (see the AWS provider issue): one module per service.

use crate::cli::AwsArgs;
use crate::inventory::Inventory;

use super::{CollectError, Progress};

/// Collects the account of the current credentials.
pub async fn collect(_args: &AwsArgs, _progress: &Progress) -> Result<Inventory, CollectError> {
    Err(CollectError::fatal(
        "the AWS collector is not available in this build",
        "evaluate a saved inventory with `mamori scan --inventory FILE`",
    ))
}
