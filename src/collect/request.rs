//! What to collect, as plain data: the command line (or any other caller of the library)
//! builds these; collectors depend on nothing above them.

use std::path::PathBuf;

use crate::shard::Shard;

/// One AWS account: the current credentials' (or `profile`'s).
#[derive(Debug, Clone, Default)]
pub struct AwsRequest {
    /// Regions to scan; empty = every enabled region.
    pub regions: Vec<String>,
    /// A named profile of the shared AWS config.
    pub profile: Option<String>,
}

/// GCP projects: named ones and those below an organization or folder.
#[derive(Debug, Clone, Default)]
pub struct GcpRequest {
    /// Project ids.
    pub projects: Vec<String>,
    /// Every project below this organization (`123` or `organizations/123`).
    pub organization: Option<String>,
    /// Every project below this folder.
    pub folder: Option<String>,
    /// Only this shard of the projects.
    pub shard: Option<Shard>,
}

/// Salesforce orgs and how to authenticate to them.
#[derive(Debug, Clone, Default)]
pub struct SalesforceRequest {
    /// Salesforce CLI aliases or usernames (`sf org display`), one per org; empty with
    /// `instance_url` or the JWT flow.
    pub target_orgs: Vec<String>,
    /// The instance URL (with `SF_ACCESS_TOKEN` or the JWT flow).
    pub instance_url: Option<String>,
    /// Connected app consumer key for the JWT bearer flow.
    pub client_id: Option<String>,
    /// Private key (PEM) for the JWT bearer flow.
    pub jwt_key_file: Option<PathBuf>,
    /// Username for the JWT bearer flow.
    pub username: Option<String>,
    /// Login URL (audience) of the JWT bearer flow.
    pub login_url: String,
    /// Only this shard of `target_orgs` (by alias).
    pub shard: Option<Shard>,
}

/// A Terraform plan or state to map onto the live kinds.
#[derive(Debug, Clone, Default)]
pub struct TerraformRequest {
    /// `terraform show -json tfplan` output.
    pub plan: Option<PathBuf>,
    /// `terraform show -json` output (the deployed state).
    pub state: Option<PathBuf>,
    /// The configuration's root directory, to locate `resource` blocks.
    pub config_dir: Option<PathBuf>,
}
