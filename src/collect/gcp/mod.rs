//! Google Cloud collection (see the GCP provider issue): one module per service.

use crate::cli::GcpArgs;
use crate::inventory::Inventory;

use super::{CollectError, Progress};

/// Collects the given projects.
pub async fn collect(_args: &GcpArgs, _progress: &Progress) -> Result<Inventory, CollectError> {
    Err(CollectError::fatal(
        "the GCP collector is not available in this build",
        "evaluate a saved inventory with `mamori scan --inventory FILE`",
    ))
}
