//! AWS collection: one module per service, run per region and per service in parallel
//! with bounded concurrency.
//!
//! Flow: the SDK's default credential chain (optionally `--profile`) and
//! `GetCallerIdentity` establish the account (a failure there is fatal, exit 3); the
//! regions are `--region` or every enabled region (`DescribeRegions`); then the global
//! services (IAM, S3, account-level S3 Public Access Block) and every regional service
//! run as independent units. Each unit pushes normalized resources into a shared
//! [`Ctx`]; account-wide facts are gathered in [`account::AccountFacts`] and become one
//! `aws.account` resource at the end. A failed call becomes a
//! [`CollectionError`](crate::inventory::CollectionError) naming the kinds it leaves
//! incomplete, and the scan goes on.

mod account;
mod clients;
mod errors;
mod limit;
mod organizations;
pub use super::aws_policy as policy;
mod sts;

// The service modules: every `src/collect/aws/<service>.rs` that declares
// `pub(crate) const SERVICE: Service`, declared here with `SERVICES` listing them.
// build.rs lists their names from the directory (so a new service is one new file) as
// `with_aws_services!`, which hands them to `declare_services!`; the generated file holds
// names only, never paths, so a build directory shared by several checkouts stays right.
include!(concat!(env!("OUT_DIR"), "/aws_services.rs"));
macro_rules! declare_services {
    ($($name:ident),* $(,)?) => {
        $(mod $name;)*
        /// Every service module, by name.
        const SERVICES: &[&Service] = &[$(&$name::SERVICE),*];
    };
}
with_aws_services!(declare_services);

/// Runs `read` for every item, `ITEM_CONCURRENCY` at a time (the per-item reads of a
/// listing: each pushes its resources and records its errors through the context).
pub(crate) async fn each_item<T, F, Fut>(items: impl IntoIterator<Item = T>, read: F)
where
    F: FnMut(T) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures::StreamExt;
    futures::stream::iter(items)
        .for_each_concurrent(ITEM_CONCURRENCY, read)
        .await;
}

/// A resource's tags from the SDK's (key, value) pairs. A tag without a key is dropped; a
/// missing value is the empty string, which is what AWS stores for a tag given no value.
pub(crate) fn tag_map<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> std::collections::BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

use std::sync::Mutex;

use futures::future::BoxFuture;
use tokio::sync::Semaphore;

use crate::collect::request::AwsRequest;
use crate::inventory::{CollectionError, Inventory, Provider, Resource, Scope};

use super::{CollectError, Progress};

pub(crate) use clients::Clients;

/// How many collection units (a service in a region of an account) run at once, across
/// every account of the scan.
const UNIT_CONCURRENCY: usize = 12;

/// How many per-resource calls one unit keeps in flight (e.g. per-bucket S3 calls).
pub(crate) const ITEM_CONCURRENCY: usize = 16;

/// A service's collection: what a service module declares as its `SERVICE`.
pub(crate) struct Service {
    /// What an account scan runs of it.
    pub units: &'static [Unit],
}

/// One unit of collection, run concurrently with every other under the scan's limit.
pub(crate) enum Unit {
    /// Once per account (global services: IAM, S3 listing).
    Account(for<'a> fn(&'a Ctx) -> BoxFuture<'a, ()>),
    /// Once per region of the scan.
    Region(for<'a> fn(&'a Ctx, &'a str) -> BoxFuture<'a, ()>),
}

/// Shared state of one account's collection.
pub(crate) struct Ctx {
    /// The account id (scope id).
    pub account: String,
    /// The partition of the account (`aws`, `aws-cn`, `aws-us-gov`), taken from the caller ARN.
    pub partition: String,
    /// Service clients.
    pub clients: Clients,
    /// Progress reporting.
    pub progress: Progress,
    resources: Mutex<Vec<Resource>>,
    errors: Mutex<Vec<CollectionError>>,
    /// Account-wide facts, denormalized onto the `aws.account` resource at the end.
    pub facts: Mutex<account::AccountFacts>,
}

impl Ctx {
    /// A context for collecting `account` with `clients`.
    pub fn new(account: String, partition: String, clients: Clients, progress: Progress) -> Self {
        Ctx {
            account,
            partition,
            clients,
            progress,
            resources: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            facts: Mutex::new(account::AccountFacts::default()),
        }
    }

    /// What was collected, as an inventory without scopes.
    pub fn into_inventory(self) -> Inventory {
        let mut inv = Inventory::new();
        inv.resources = self.resources.into_inner().unwrap_or_default();
        inv.errors = self.errors.into_inner().unwrap_or_default();
        inv
    }

    /// Adds a resource (in this account).
    pub fn push(&self, r: Resource) {
        if let Ok(mut v) = self.resources.lock() {
            v.push(r);
        }
    }

    /// Starts a resource of `kind` in this account.
    pub fn resource(
        &self,
        kind: &str,
        id: impl Into<String>,
        data: &serde_json::Value,
    ) -> Resource {
        Resource::new(Provider::Aws, kind, self.account.clone(), id, data)
    }

    /// Records a failed call.
    pub fn record(&self, e: CollectionError) {
        if let Ok(mut v) = self.errors.lock() {
            v.push(e);
        }
    }

    /// Updates the account facts.
    pub fn facts<F: FnOnce(&mut account::AccountFacts)>(&self, f: F) {
        if let Ok(mut facts) = self.facts.lock() {
            f(&mut facts);
        }
    }
}

/// Collects what the request names: the account of the current credentials, or with
/// `organization` every selected account of its organization.
pub async fn collect(args: &AwsRequest, progress: &Progress) -> Result<Inventory, CollectError> {
    let sdk = clients::load_sdk_config(args).await;
    let home_region = args
        .regions
        .first()
        .cloned()
        .or_else(|| sdk.region().map(|r| r.to_string()))
        .unwrap_or_else(|| "us-east-1".to_string());
    let clients = Clients::new(sdk.clone(), home_region.clone());
    let identity = sts::caller_identity(&clients).await?;
    // One limit on collection units in flight, whatever the number of accounts.
    let limit = Semaphore::new(UNIT_CONCURRENCY);

    let mut inv = match &args.organization {
        Some(org) => {
            organizations::collect(args, org, &sdk, &home_region, &identity, progress, &limit)
                .await?
        }
        None => {
            let regions = regions(&clients, &args.regions).await?;
            collect_account(clients, &identity, &regions, progress, &limit).await
        }
    };
    inv.collected_at = crate::inventory::now_rfc3339();
    inv.normalize();
    Ok(inv)
}

/// The regions to scan: the requested ones, or every region enabled for the account
/// (`DescribeRegions` lists only those; opt-in regions not enabled are left out).
pub(crate) async fn regions(
    clients: &Clients,
    requested: &[String],
) -> Result<Vec<String>, CollectError> {
    if requested.is_empty() {
        return ec2::enabled_regions(clients).await;
    }
    let mut r = requested.to_vec();
    r.sort();
    r.dedup();
    Ok(r)
}

/// Collects one account (one scope) with `clients`, running its collection units under
/// `limit`.
pub(crate) async fn collect_account(
    clients: Clients,
    identity: &sts::Identity,
    regions: &[String],
    progress: &Progress,
    limit: &Semaphore,
) -> Inventory {
    let ctx = Ctx::new(
        identity.account.clone(),
        identity.partition.clone(),
        clients,
        progress.clone(),
    );
    let all_units = || SERVICES.iter().flat_map(|s| s.units.iter());
    let mut units: Vec<BoxFuture<'_, ()>> = Vec::new();
    for unit in all_units() {
        if let Unit::Account(run) = unit {
            units.push(run(&ctx));
        }
    }
    for region in regions {
        for unit in all_units() {
            if let Unit::Region(run) = unit {
                units.push(run(&ctx, region));
            }
        }
    }
    futures::future::join_all(units.into_iter().map(|unit| async {
        // The semaphore is never closed; a unit runs once it holds a permit.
        let _permit = limit.acquire().await.ok();
        unit.await;
    }))
    .await;

    account::finish(&ctx, identity, regions);

    let mut attributes = std::collections::BTreeMap::new();
    attributes.insert("caller_arn".to_string(), identity.arn.clone());
    attributes.insert("partition".to_string(), identity.partition.clone());
    let scope = Scope {
        provider: Provider::Aws,
        id: identity.account.clone(),
        name: None,
        regions: regions.to_vec(),
        attributes,
    };
    let mut inv = ctx.into_inventory();
    inv.scopes.push(scope);
    inv
}
