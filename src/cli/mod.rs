//! The command line: argument definitions (clap derive) and dispatch.
//!
//! Names, flags and exit codes here are a contract with outside tooling
//! (see CONTRIBUTING.md): extend them, never break them.

mod checks_cmd;
mod output;
mod report_cmd;
mod scan_cmd;
// CI gating: `--mutelist`, `--baseline`, `mamori diff`, `mamori mutelist`.
mod diff_cmd;
mod gating;
mod merge_cmd;
mod mutelist_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::findings::Severity;
use crate::report::Format;

/// Exit codes (see the README).
pub mod exit {
    /// The scan ran; nothing at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// The scan ran; an unsuppressed failing finding is at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage, configuration or input error.
    pub const USAGE: u8 = 2;
    /// The scan could not run (credentials, authentication, endpoint).
    pub const SCAN_FAILED: u8 = 3;
}

/// mamori (守り): a cloud security posture scanner for AWS, GCP and Salesforce.
#[derive(Debug, Parser)]
#[command(name = "mamori", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process")]
pub enum Command {
    /// Collect a cloud configuration (or read a saved inventory) and evaluate the checks.
    Scan(ScanArgs),
    /// List, show, lint and test checks.
    #[command(subcommand)]
    Checks(ChecksCommand),
    /// Render a saved findings JSON (`scan --format json`) in other formats, without rescanning.
    Report(ReportArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Compare two findings JSON documents: new, fixed and re-rated findings.
    Diff(diff_cmd::DiffArgs),
    /// Validate a mutelist and find entries that no longer match anything.
    #[command(subcommand)]
    Mutelist(mutelist_cmd::MutelistCommand),
    /// Join the findings JSON of several runs (shards, accounts, orgs) into one report.
    Merge(merge_cmd::MergeArgs),
}

/// `mamori scan`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScanArgs {
    /// The provider to collect from; omit it with `--inventory`.
    #[command(subcommand)]
    pub provider: Option<ProviderCommand>,
    /// Evaluate a saved inventory offline instead of collecting; repeat to evaluate
    /// several together (e.g. an inside Salesforce scan and an outside-in site probe).
    #[arg(long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,
    /// Options shared by every scan.
    #[command(flatten)]
    pub common: CommonScanArgs,
}

/// Flags every kind of scan takes.
#[derive(Debug, Args, Clone)]
pub struct CommonScanArgs {
    /// Output format; repeat (or separate with commas) for several, with `--output-dir`.
    #[arg(
        long,
        value_enum,
        default_value = "table",
        value_delimiter = ',',
        global = true
    )]
    pub format: Vec<Format>,
    /// Write the report to FILE instead of standard output (one format).
    #[arg(long, short, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// Write each format to DIR/mamori-report.<ext> (e.g. mamori-report.html).
    #[arg(long, value_name = "DIR", global = true, conflicts_with = "output")]
    pub output_dir: Option<PathBuf>,
    /// Show every control of FRAMEWORK (e.g. cis-aws-5.0) with its status, in the table,
    /// HTML and Markdown reports.
    #[arg(long, value_name = "FRAMEWORK", global = true)]
    pub compliance: Option<String>,
    /// Write the collected inventory to FILE (evaluate it later with `--inventory`).
    #[arg(long, value_name = "FILE", global = true)]
    pub save_inventory: Option<PathBuf>,
    /// Also load the checks in DIR (repeatable).
    #[arg(long, value_name = "DIR", global = true)]
    pub checks_dir: Vec<PathBuf>,
    /// Exit 1 when an unsuppressed failing finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", global = true)]
    pub fail_on: Option<Severity>,
    /// Only run these checks (id or glob, repeatable).
    #[arg(long = "check", value_name = "ID", global = true)]
    pub checks: Vec<String>,
    /// Skip these checks (id or glob, repeatable).
    #[arg(long = "exclude-check", value_name = "ID", global = true)]
    pub exclude_checks: Vec<String>,
    /// Only run checks of these services (repeatable), e.g. `s3`.
    #[arg(long = "service", value_name = "SERVICE", global = true)]
    pub services: Vec<String>,
    /// Only run checks at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", global = true)]
    pub severity: Option<Severity>,
    /// Show passing findings in the table too.
    #[arg(long, global = true)]
    pub show_passes: bool,
    /// Print nothing on standard error (no progress, no warnings).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Mute the accepted risks listed in FILE (YAML, see docs/ci.md): matched failing
    /// findings get status `muted` with the entry's reason.
    #[arg(long, value_name = "FILE", global = true)]
    pub mutelist: Option<PathBuf>,
    /// Compare with the findings JSON of an earlier run (`--format json`): failing
    /// findings are marked new or unchanged, fixed ones listed; `--fail-on` then counts
    /// only new findings.
    #[arg(long, value_name = "FILE", global = true)]
    pub baseline: Option<PathBuf>,
}

/// `mamori report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A findings JSON written by `mamori scan --format json`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format; repeat (or separate with commas) for several, with `--output-dir`.
    #[arg(long, value_enum, default_value = "html", value_delimiter = ',')]
    pub format: Vec<Format>,
    /// Write the report to FILE instead of standard output (one format).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write each format to DIR/mamori-report.<ext>.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub output_dir: Option<PathBuf>,
    /// Show every control of FRAMEWORK with its status.
    #[arg(long, value_name = "FRAMEWORK")]
    pub compliance: Option<String>,
    /// Show passing findings in the table too.
    #[arg(long)]
    pub show_passes: bool,
    /// Print nothing on standard error but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `mamori scan <provider>`.
#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Scan the AWS account of the current credentials.
    Aws(AwsArgs),
    /// Scan Google Cloud projects.
    Gcp(GcpArgs),
    /// Scan one or several Salesforce orgs.
    Salesforce(SalesforceArgs),
    /// Probe a Salesforce (Experience Cloud) site from outside, as its guest user: no
    /// credentials, read-only requests only. Probe only sites you are authorised to test.
    #[command(name = "salesforce-site")]
    SalesforceSite(SalesforceSiteArgs),
    /// Evaluate a Terraform plan (or state) with the AWS and GCP checks, before apply.
    Terraform(TerraformArgs),
}

/// `mamori scan salesforce-site`.
#[derive(Debug, Args, Clone)]
pub struct SalesforceSiteArgs {
    /// The site's base URL, e.g. https://example.my.site.com (with its path prefix, if any).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The Experience Cloud path below URL (Aura sites serve pages below `/s`).
    #[arg(long, value_name = "PATH", default_value = "/s")]
    pub path: String,
    /// Requests per second at most.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    pub rate: f64,
    /// Requests in all at most; objects left unprobed report `error`.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_requests: usize,
}

/// `mamori scan terraform`.
#[derive(Debug, Args, Clone, Default)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["plan", "state"])))]
pub struct TerraformArgs {
    /// A plan as JSON: the output of `terraform show -json tfplan`.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// A state as JSON: the output of `terraform show -json` (what is deployed).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The configuration's root directory: findings get the file and line of their
    /// `resource` block (SARIF physical locations). Give it relative to the repository root.
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
}

/// `mamori scan aws`.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// Region to scan (repeatable); default: every enabled region.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Named profile from the shared AWS config.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Scan every account of the organization these credentials manage (the management
    /// account or a delegated administrator), each through a role assumed in it.
    #[arg(long)]
    pub organization: bool,
    /// The role to assume in each member account.
    #[arg(
        long,
        value_name = "NAME",
        default_value = crate::collect::request::DEFAULT_ORGANIZATION_ROLE,
        requires = "organization"
    )]
    pub role_name: String,
    /// The external id the member accounts' role requires.
    #[arg(long, value_name = "ID", requires = "organization")]
    pub external_id: Option<String>,
    /// Only this account (id or glob, repeatable).
    #[arg(long = "account", value_name = "ID", requires = "organization")]
    pub accounts: Vec<String>,
    /// Skip this account (id or glob, repeatable).
    #[arg(long = "exclude-account", value_name = "ID", requires = "organization")]
    pub exclude_accounts: Vec<String>,
    /// Only accounts below this organizational unit (ou-... or r-..., repeatable).
    #[arg(long = "ou", value_name = "OU-ID", requires = "organization")]
    pub ous: Vec<String>,
    /// Scan only shard I of N of the organization's accounts (deterministic by account
    /// id); run N copies and join their JSON reports with `mamori merge`.
    #[arg(long, value_name = "I/N", value_parser = crate::shard::Shard::parse, requires = "organization")]
    pub shard: Option<crate::shard::Shard>,
    /// AWS requests in flight at most, over every account, region and service (AWS's
    /// per-service rate limits are met well before the default at a region's round
    /// trip; throttled calls are retried with backoff).
    #[arg(long, value_name = "N", default_value_t = crate::collect::request::DEFAULT_AWS_MAX_CONCURRENCY)]
    pub max_concurrency: usize,
}

/// `mamori scan gcp`.
#[derive(Debug, Args, Clone, Default)]
pub struct GcpArgs {
    /// Project id to scan (repeatable).
    #[arg(long = "project", value_name = "PROJECT")]
    pub projects: Vec<String>,
    /// Scan every project below this organization.
    #[arg(long, value_name = "ID")]
    pub organization: Option<String>,
    /// Scan every project below this folder.
    #[arg(long, value_name = "ID")]
    pub folder: Option<String>,
    /// Scan only shard I of N of the projects (deterministic by project id); run N
    /// copies and join their JSON reports with `mamori merge`.
    #[arg(long, value_name = "I/N", value_parser = crate::shard::Shard::parse)]
    pub shard: Option<crate::shard::Shard>,
}

/// `mamori scan salesforce`.
#[derive(Debug, Args, Clone, Default)]
pub struct SalesforceArgs {
    /// An org alias or username known to the Salesforce CLI (`sf org display`); repeat to
    /// scan several orgs into one report (one scope per org).
    #[arg(long = "target-org", value_name = "ALIAS")]
    pub target_orgs: Vec<String>,
    /// The org's instance URL, used with `SF_ACCESS_TOKEN` or the JWT flow.
    #[arg(long, env = "SF_INSTANCE_URL", value_name = "URL")]
    pub instance_url: Option<String>,
    /// Connected app consumer key, for the OAuth 2.0 JWT bearer flow.
    #[arg(long, value_name = "KEY")]
    pub client_id: Option<String>,
    /// Private key (PEM) for the JWT bearer flow.
    #[arg(long, value_name = "FILE")]
    pub jwt_key_file: Option<PathBuf>,
    /// Username to authenticate as with the JWT bearer flow.
    #[arg(long, value_name = "USERNAME")]
    pub username: Option<String>,
    /// Login URL (audience) for the JWT flow: login.salesforce.com, test.salesforce.com or a My Domain.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://login.salesforce.com"
    )]
    pub login_url: String,
    /// Scan only shard I of N of the `--target-org` orgs (deterministic by alias); run N
    /// copies and join their JSON reports with `mamori merge`.
    #[arg(long, value_name = "I/N", value_parser = crate::shard::Shard::parse, requires = "target_orgs")]
    pub shard: Option<crate::shard::Shard>,
    /// Salesforce API requests in flight at most, over every org of the scan (1 runs them
    /// one after another; calls refused for concurrency are retried with backoff).
    #[arg(long, value_name = "N", default_value_t = crate::collect::request::DEFAULT_SALESFORCE_MAX_CONCURRENCY)]
    pub max_concurrency: usize,
}

impl From<&AwsArgs> for crate::collect::request::AwsRequest {
    fn from(a: &AwsArgs) -> Self {
        Self {
            regions: a.regions.clone(),
            profile: a.profile.clone(),
            organization: a
                .organization
                .then(|| crate::collect::request::AwsOrganizationRequest {
                    role_name: a.role_name.clone(),
                    external_id: a.external_id.clone(),
                    accounts: a.accounts.clone(),
                    exclude_accounts: a.exclude_accounts.clone(),
                    ous: a.ous.clone(),
                    shard: a.shard,
                }),
            max_concurrency: a.max_concurrency,
        }
    }
}

impl From<&GcpArgs> for crate::collect::request::GcpRequest {
    fn from(a: &GcpArgs) -> Self {
        Self {
            projects: a.projects.clone(),
            organization: a.organization.clone(),
            folder: a.folder.clone(),
            shard: a.shard,
        }
    }
}

#[cfg(feature = "salesforce")]
impl From<&SalesforceSiteArgs> for crate::collect::salesforce::probe::ProbeRequest {
    fn from(a: &SalesforceSiteArgs) -> Self {
        Self {
            url: a.url.clone(),
            path: a.path.clone(),
            rate: a.rate,
            max_requests: a.max_requests,
        }
    }
}

impl From<&TerraformArgs> for crate::collect::request::TerraformRequest {
    fn from(a: &TerraformArgs) -> Self {
        Self {
            plan: a.plan.clone(),
            state: a.state.clone(),
            config_dir: a.config_dir.clone(),
        }
    }
}

impl From<&SalesforceArgs> for crate::collect::request::SalesforceRequest {
    fn from(a: &SalesforceArgs) -> Self {
        Self {
            target_orgs: a.target_orgs.clone(),
            instance_url: a.instance_url.clone(),
            client_id: a.client_id.clone(),
            jwt_key_file: a.jwt_key_file.clone(),
            username: a.username.clone(),
            login_url: a.login_url.clone(),
            shard: a.shard,
            max_concurrency: a.max_concurrency,
        }
    }
}

/// `mamori checks`.
#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// One line per check: id, severity, provider, title.
    List {
        /// Only this provider's checks.
        #[arg(long, value_name = "PROVIDER")]
        provider: Option<String>,
        /// Also load the checks in DIR.
        #[arg(long, value_name = "DIR")]
        checks_dir: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// List the controls of FRAMEWORK with the checks covering each.
        #[arg(long, value_name = "FRAMEWORK")]
        compliance: Option<String>,
    },
    /// Everything about one check.
    Show {
        /// The check id (or a former id).
        id: String,
        /// Also load the checks in DIR.
        #[arg(long, value_name = "DIR")]
        checks_dir: Vec<PathBuf>,
    },
    /// Validate check files: YAML shape, metadata, CEL and field paths, fixtures.
    Lint {
        /// The directory to lint; the built-in checks when omitted.
        dir: Option<PathBuf>,
    },
    /// Run every check's fail and pass fixtures.
    Test {
        /// The directory to test; the built-in checks when omitted.
        dir: Option<PathBuf>,
    },
    /// Write one Markdown page per check (docs/checks/<provider>/<id>.md).
    Docs {
        /// The output directory.
        #[arg(long, default_value = "docs/checks")]
        out: PathBuf,
    },
}

/// Parses the arguments, runs the command and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(cli))
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Scan(args) => scan_cmd::run(args),
        Command::Checks(cmd) => checks_cmd::run(cmd),
        Command::Report(args) => report_cmd::run(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "mamori", &mut std::io::stdout());
            exit::OK
        }
        Command::Diff(args) => diff_cmd::run(&args),
        Command::Mutelist(cmd) => mutelist_cmd::run(cmd),
        Command::Merge(args) => merge_cmd::run(&args),
    }
}

/// Prints an error through miette's graphical handler to standard error.
pub(crate) fn report_error(err: impl miette::Diagnostic + Send + Sync + 'static) {
    eprintln!("{:?}", miette::Report::new(err));
}

/// A plain error message as a diagnostic.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
pub(crate) struct PlainError {
    pub message: String,
    #[help]
    pub help: Option<String>,
}

impl PlainError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        PlainError {
            message: message.into(),
            help: None,
        }
    }

    pub(crate) fn with_help(message: impl Into<String>, help: impl Into<String>) -> Self {
        PlainError {
            message: message.into(),
            help: Some(help.into()),
        }
    }
}
