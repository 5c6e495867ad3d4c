//! What to collect, as plain data: the command line (or any other caller of the library)
//! builds these; collectors depend on nothing above them.

use std::path::PathBuf;

use crate::shard::Shard;

/// One AWS account, the current credentials' (or `profile`'s), or every selected
/// account of their organization.
#[derive(Debug, Clone)]
pub struct AwsRequest {
    /// Regions to scan; empty = every enabled region (of each account).
    pub regions: Vec<String>,
    /// A named profile of the shared AWS config.
    pub profile: Option<String>,
    /// Scan the organization the credentials manage instead of their own account.
    pub organization: Option<AwsOrganizationRequest>,
    /// Requests in flight at most, across every account, region and service.
    pub max_concurrency: usize,
}

/// The default of [`AwsRequest::max_concurrency`].
pub const DEFAULT_AWS_MAX_CONCURRENCY: usize = 64;

impl Default for AwsRequest {
    fn default() -> Self {
        AwsRequest {
            regions: Vec::new(),
            profile: None,
            organization: None,
            max_concurrency: DEFAULT_AWS_MAX_CONCURRENCY,
        }
    }
}

/// The role AWS Organizations creates in every account it creates.
pub const DEFAULT_ORGANIZATION_ROLE: &str = "OrganizationAccountAccessRole";

/// Which accounts of an organization to scan, and how to enter them.
#[derive(Debug, Clone)]
pub struct AwsOrganizationRequest {
    /// The role assumed in each member account.
    pub role_name: String,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// Only these accounts (ids or globs); all when empty.
    pub accounts: Vec<String>,
    /// Never these accounts (ids or globs).
    pub exclude_accounts: Vec<String>,
    /// Only accounts below one of these OUs (or roots); all when empty.
    pub ous: Vec<String>,
    /// Only this shard of the accounts.
    pub shard: Option<Shard>,
}

impl Default for AwsOrganizationRequest {
    fn default() -> Self {
        AwsOrganizationRequest {
            role_name: DEFAULT_ORGANIZATION_ROLE.to_string(),
            external_id: None,
            accounts: Vec::new(),
            exclude_accounts: Vec::new(),
            ous: Vec::new(),
            shard: None,
        }
    }
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
#[derive(Debug, Clone)]
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
    /// API requests in flight at most, over every org of the scan.
    pub max_concurrency: usize,
}

/// The default of [`SalesforceRequest::max_concurrency`]: under the 25 requests of 20 s
/// or more a production org runs at once (a Developer Edition org's 5 are met only by
/// slow queries, and its refusals are retried).
pub const DEFAULT_SALESFORCE_MAX_CONCURRENCY: usize = 8;

impl Default for SalesforceRequest {
    fn default() -> Self {
        SalesforceRequest {
            target_orgs: Vec::new(),
            instance_url: None,
            client_id: None,
            jwt_key_file: None,
            username: None,
            login_url: String::new(),
            shard: None,
            max_concurrency: DEFAULT_SALESFORCE_MAX_CONCURRENCY,
        }
    }
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
