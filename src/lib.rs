//! mamori (守り): a cloud security posture scanner for AWS, GCP and Salesforce.
//!
//! The pipeline is `collect -> inventory -> evaluate -> report`:
//! - [`collect`]: read-only API calls per provider and service, producing an [`inventory::Inventory`];
//! - [`inventory`]: the versioned, saveable JSON document of normalized resources;
//! - [`checks`]: declarative YAML checks with CEL conditions, and [`evaluate`] to run them;
//! - [`findings`]: the one findings model, rendered by [`report`] as table, JSON, SARIF.

pub mod baseline;
pub mod checks;
pub mod cli;
pub mod collect;
pub mod compact;
pub mod compliance;
pub mod confirm;
pub mod diagnostics;
pub mod evaluate;
pub mod findings;
pub mod inventory;
pub mod mutelist;
pub mod patterns;
pub mod pipeline;
pub mod report;
pub mod shard;
