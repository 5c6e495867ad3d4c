//! Salesforce collection (see the Salesforce provider issue).

use crate::cli::SalesforceArgs;
use crate::inventory::Inventory;

use super::{CollectError, Progress};

/// Collects one org.
pub async fn collect(
    _args: &SalesforceArgs,
    _progress: &Progress,
) -> Result<Inventory, CollectError> {
    Err(CollectError::fatal(
        "the Salesforce collector is not available in this build",
        "evaluate a saved inventory with `mamori scan --inventory FILE`",
    ))
}
