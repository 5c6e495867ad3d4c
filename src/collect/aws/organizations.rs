//! AWS Organizations: the accounts of an organization, read from its management (or a
//! delegated-administrator) account, each scanned through a role assumed in it.
//!
//! Flow: `DescribeOrganization`, then the tree from `ListRoots` down
//! (`ListOrganizationalUnitsForParent`, `ListAccountsForParent`, paged), so every account
//! is known with its OU path. The selection (`--account`, `--exclude-account`, `--ou`,
//! `--shard`) picks the accounts to scan; suspended or closing accounts are listed as
//! skipped scopes, never scanned. Each selected account is scanned like a single account
//! (the caller's own account with the caller's credentials, every other one through
//! `AssumeRole` on `arn:PARTITION:iam::ID:role/ROLE`), several at once under the one limit
//! of collection units in flight. An account whose role cannot be assumed becomes a
//! collection error covering every member-account kind, so its checks report `error`.
//!
//! Organization-level facts become `aws.organizations.organization` (SCPs enabled, the
//! SCPs with their documents and targets, delegated administrators, organization trails) and one `aws.organizations.account`
//! per selected account (status, OU path, the SCPs in effect).
//!
//! References: <https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html>,
//! <https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPoliciesForTarget.html>,
//! <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html>
//! (SCPs do not affect the management account).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::PolicyType;
use aws_types::SdkConfig;
use aws_types::region::Region;
use futures::StreamExt;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use crate::collect::request::{AwsOrganizationRequest, AwsRequest};
use crate::collect::{CollectError, Progress};
use crate::inventory::{CollectionError, Inventory, Provider, Scope};
use crate::patterns::globset;

use super::errors::{self, Op};
use super::sts::Identity;
use super::{Clients, Ctx};

/// Accounts collected at once (their collection units share the one unit limit).
const ACCOUNTS_IN_FLIGHT: usize = 8;

/// Kinds read from the organization itself (never from a member account's credentials).
const ORG_KINDS: &[&str] = &[
    "aws.organizations.organization",
    "aws.organizations.account",
];

/// Service principals whose delegated administrator the organization checks look at.
const DELEGATED_SERVICES: [(&str, &str); 3] = [
    ("guardduty", "guardduty.amazonaws.com"),
    ("securityhub", "securityhub.amazonaws.com"),
    ("access_analyzer", "access-analyzer.amazonaws.com"),
];

/// One account of the organization with its place in the tree.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    arn: Option<String>,
    name: Option<String>,
    status: Option<String>,
    joined_method: Option<String>,
    /// Root id first, then each OU down to the account's parent: (id, name).
    path: Vec<(String, String)>,
}

impl Member {
    fn active(&self) -> bool {
        self.status.as_deref() == Some("ACTIVE")
    }
}

/// The organization as listed.
struct Tree {
    id: String,
    arn: Option<String>,
    management_account: String,
    feature_set: Option<String>,
    scp_enabled: bool,
    roots: Vec<String>,
    ous: Vec<String>,
    members: Vec<Member>,
}

fn organizations_client(sdk: &SdkConfig, partition: &str) -> aws_sdk_organizations::Client {
    // Organizations is a global service served from one region per partition.
    let region = match partition {
        "aws-cn" => "cn-northwest-1",
        "aws-us-gov" => "us-gov-west-1",
        _ => "us-east-1",
    };
    // Like every other client: throttling never exhausts the retry quota.
    let retry = aws_smithy_runtime::client::retries::RetryPartition::custom("mamori-organizations")
        .token_bucket(aws_smithy_runtime::client::retries::TokenBucket::unlimited())
        .build();
    let conf = aws_sdk_organizations::config::Builder::from(sdk)
        .region(Region::new(region))
        .retry_partition(retry)
        .build();
    aws_sdk_organizations::Client::from_conf(conf)
}

fn fatal<E, R>(
    operation: &str,
    err: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> CollectError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = errors::code(err);
    let help = if code == "AWSOrganizationsNotInUseException" {
        "these credentials' account is not in an organization: scan it without --organization"
    } else {
        "run from the organization's management account or a delegated administrator for AWS Organizations, with organizations:Describe*/List* (e.g. the AWS managed policy AWSOrganizationsReadOnlyAccess)"
    };
    CollectError::fatal(
        format!(
            "cannot list the organization's accounts: {operation} failed ({code}: {})",
            errors::message(err)
        ),
        help,
    )
}

/// Lists the organization's roots, OUs and accounts; any failure is fatal (without the
/// list there is nothing to scan).
async fn read_tree(c: &aws_sdk_organizations::Client) -> Result<Tree, CollectError> {
    let org = c
        .describe_organization()
        .send()
        .await
        .map_err(|e| fatal("DescribeOrganization", &e))?;
    let org = org.organization().ok_or_else(|| {
        CollectError::fatal(
            "DescribeOrganization returned no organization",
            "check the endpoint",
        )
    })?;
    let mut tree = Tree {
        id: org.id().unwrap_or_default().to_string(),
        arn: org.arn().map(str::to_string),
        management_account: org.master_account_id().unwrap_or_default().to_string(),
        feature_set: org.feature_set().map(|f| f.as_str().to_string()),
        scp_enabled: false,
        roots: Vec::new(),
        ous: Vec::new(),
        members: Vec::new(),
    };
    let mut queue: Vec<Vec<(String, String)>> = Vec::new();
    let mut pages = c.list_roots().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fatal("ListRoots", &e))?;
        for root in page.roots() {
            let Some(id) = root.id() else { continue };
            tree.scp_enabled |= root.policy_types().iter().any(|p| {
                p.r#type() == Some(&PolicyType::ServiceControlPolicy)
                    && p.status().is_some_and(|s| s.as_str() == "ENABLED")
            });
            tree.roots.push(id.to_string());
            queue.push(vec![(
                id.to_string(),
                root.name().unwrap_or("Root").to_string(),
            )]);
        }
    }
    while let Some(path) = queue.pop() {
        let parent = path.last().map(|(id, _)| id.clone()).unwrap_or_default();
        let mut pages = c
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| fatal("ListOrganizationalUnitsForParent", &e))?;
            for ou in page.organizational_units() {
                let Some(id) = ou.id() else { continue };
                tree.ous.push(id.to_string());
                let mut p = path.clone();
                p.push((id.to_string(), ou.name().unwrap_or(id).to_string()));
                queue.push(p);
            }
        }
        let mut pages = c
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| fatal("ListAccountsForParent", &e))?;
            for a in page.accounts() {
                let Some(id) = a.id() else { continue };
                tree.members.push(Member {
                    id: id.to_string(),
                    arn: a.arn().map(str::to_string),
                    name: a.name().map(str::to_string),
                    // `State` replaced `Status`, which AWS retired on 2026-09-09; older
                    // endpoints (and emulators) may still answer only `Status`.
                    status: a
                        .state()
                        .map(|s| s.as_str().to_string())
                        .or_else(|| a.status().map(|s| s.as_str().to_string())),
                    joined_method: a.joined_method().map(|m| m.as_str().to_string()),
                    path: path.clone(),
                });
            }
        }
    }
    tree.members.sort_by(|a, b| a.id.cmp(&b.id));
    tree.ous.sort();
    Ok(tree)
}

/// The members the request selects (suspended ones included: they are listed as skipped).
fn select<'a>(
    tree: &'a Tree,
    req: &AwsOrganizationRequest,
) -> Result<Vec<&'a Member>, CollectError> {
    for ou in &req.ous {
        if !tree.ous.contains(ou) && !tree.roots.contains(ou) {
            return Err(CollectError::Config(format!(
                "--ou {ou}: no such organizational unit in organization {}",
                tree.id
            )));
        }
    }
    let include = globset(&req.accounts, "account").map_err(CollectError::Config)?;
    let exclude = globset(&req.exclude_accounts, "account").map_err(CollectError::Config)?;
    Ok(tree
        .members
        .iter()
        .filter(|m| req.accounts.is_empty() || include.is_match(&m.id))
        .filter(|m| !exclude.is_match(&m.id))
        .filter(|m| req.ous.is_empty() || m.path.iter().any(|(id, _)| req.ous.contains(id)))
        .filter(|m| req.shard.is_none_or(|s| s.owns(&m.id)))
        .collect())
}

/// Every member-account kind the AWS checks know (`checks/aws/kinds.yaml`), for the
/// error that stands for an account that could not be entered.
fn member_kinds() -> Vec<String> {
    include_str!("../../../checks/aws/kinds.yaml")
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '\t']))
        .filter_map(|l| l.trim_end().strip_suffix(':'))
        .filter(|k| k.starts_with("aws.") && !ORG_KINDS.contains(k))
        .map(str::to_string)
        .collect()
}

/// A recorded failure that leaves a whole account uncollected.
fn account_error(
    account: &str,
    service: &'static str,
    operation: &'static str,
    code: String,
    message: String,
) -> CollectionError {
    let op = Op {
        service,
        region: None,
        operation,
        kinds: &[],
    };
    CollectionError {
        kinds: member_kinds(),
        ..op.error(account, code, message)
    }
}

fn scope_of(m: &Member, skipped: Option<&str>) -> Scope {
    let mut attributes = BTreeMap::new();
    if let Some(s) = &m.status {
        attributes.insert("status".to_string(), s.clone());
    }
    if let Some(ou) = m.path.last() {
        attributes.insert("parent".to_string(), ou.0.clone());
    }
    if let Some(why) = skipped {
        attributes.insert("skipped".to_string(), why.to_string());
    }
    Scope {
        provider: Provider::Aws,
        id: m.id.clone(),
        name: m.name.clone(),
        regions: Vec::new(),
        attributes,
    }
}

/// What every member account's scan shares.
struct Shared<'a> {
    req: &'a AwsRequest,
    org: &'a AwsOrganizationRequest,
    sdk: &'a SdkConfig,
    home_region: &'a str,
    caller: &'a Identity,
    progress: &'a Progress,
    limit: &'a Semaphore,
}

/// Scans one member account: enters it, lists its regions, collects it.
async fn scan_member(shared: &Shared<'_>, member: &Member) -> Inventory {
    let Shared {
        req,
        org,
        sdk,
        home_region,
        caller,
        progress,
        limit,
    } = *shared;
    let (clients, identity) = if member.id == caller.account {
        (
            Clients::new(sdk.clone(), home_region.to_string()),
            caller.clone(),
        )
    } else {
        let role_arn = format!(
            "arn:{}:iam::{}:role/{}",
            caller.partition, member.id, org.role_name
        );
        match assume(sdk, home_region, &role_arn, org.external_id.as_deref()).await {
            Ok(entered) => (
                Clients::new(entered, home_region.to_string()),
                Identity {
                    account: member.id.clone(),
                    arn: role_arn,
                    partition: caller.partition.clone(),
                },
            ),
            Err((code, message)) => {
                let mut inv = Inventory::new();
                inv.scopes.push(scope_of(member, None));
                inv.errors.push(account_error(
                    &member.id,
                    "sts",
                    "AssumeRole",
                    code,
                    format!("cannot assume {role_arn}: {message}"),
                ));
                return inv;
            }
        }
    };
    let regions = match super::regions(&clients, &req.regions).await {
        Ok(r) => r,
        Err(e) => {
            let mut inv = Inventory::new();
            inv.scopes.push(scope_of(member, None));
            inv.errors.push(account_error(
                &member.id,
                "ec2",
                "DescribeRegions",
                "RegionsUnknown".into(),
                e.to_string(),
            ));
            return inv;
        }
    };
    let mut inv = super::collect_account(clients, &identity, &regions, progress, limit).await;
    let listed = scope_of(member, None);
    for s in &mut inv.scopes {
        s.name.clone_from(&listed.name);
        s.attributes.extend(listed.attributes.clone());
    }
    inv
}

/// Assumes `role_arn` with the caller's credentials; the entered configuration refreshes
/// its credentials as they expire. The first `AssumeRole` is made here so that a refusal
/// is reported with AWS's own error code.
async fn assume(
    sdk: &SdkConfig,
    home_region: &str,
    role_arn: &str,
    external_id: Option<&str>,
) -> Result<SdkConfig, (String, String)> {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .region(Region::new(home_region.to_string()))
            .build(),
    );
    let mut call = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("mamori");
    if let Some(x) = external_id {
        call = call.external_id(x);
    }
    call.send()
        .await
        .map_err(|e| (errors::code(&e), errors::message(&e)))?;
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("mamori")
        .region(Region::new(home_region.to_string()))
        .configure(sdk);
    if let Some(x) = external_id {
        provider = provider.external_id(x);
    }
    let provider = provider.build().await;
    Ok(sdk
        .to_builder()
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build())
}

/// Collects the organization: its own facts and every selected account.
pub(crate) async fn collect(
    req: &AwsRequest,
    org: &AwsOrganizationRequest,
    sdk: &SdkConfig,
    home_region: &str,
    caller: &Identity,
    progress: &Progress,
    limit: &Semaphore,
) -> Result<Inventory, CollectError> {
    let c = organizations_client(sdk, &caller.partition);
    let pb = progress.task("organizations");
    let tree = read_tree(&c).await?;
    let selected = select(&tree, org)?;
    pb.set_message(format!(
        "organization {}: {} accounts",
        tree.id,
        selected.len()
    ));

    // Organization-level facts, read with the caller's credentials.
    let ctx = Ctx::new(
        tree.management_account.clone(),
        caller.partition.clone(),
        Clients::new(sdk.clone(), home_region.to_string()),
        progress.clone(),
    );
    let scps = if tree.scp_enabled {
        Some(policies_by_target(&c, &tree, &selected).await)
    } else {
        None
    };
    // The organization's own resource belongs to the management account's scope: it is
    // read when that account is selected (always in a full scan; in exactly one shard).
    if selected.iter().any(|m| m.id == tree.management_account) {
        organization_resource(&ctx, &c, &tree, home_region).await;
    }
    for m in &selected {
        member_resource(&ctx, &tree, m, scps.as_ref());
    }
    pb.finish_and_clear();

    let shared = Shared {
        req,
        org,
        sdk,
        home_region,
        caller,
        progress,
        limit,
    };
    let shared = &shared;
    let parts: Vec<Inventory> = futures::stream::iter(selected.iter().copied())
        .map(|m| async move {
            if m.active() {
                return scan_member(shared, m).await;
            }
            let mut inv = Inventory::new();
            let why = format!(
                "account is {}",
                m.status.as_deref().unwrap_or("not active").to_lowercase()
            );
            inv.scopes.push(scope_of(m, Some(&why)));
            inv
        })
        .buffer_unordered(ACCOUNTS_IN_FLIGHT)
        .collect()
        .await;

    // The caller normalizes (sorts and dedups) the merged inventory.
    let mut inv = ctx.into_inventory();
    for part in parts {
        inv.merge(part);
    }
    Ok(inv)
}

/// What listing one target's SCPs gave: the names, or the failure (code, message).
type Listed = Result<Vec<String>, (String, String)>;

/// The SCPs attached to each target (root, OU, selected account), by target id.
async fn policies_by_target(
    c: &aws_sdk_organizations::Client,
    tree: &Tree,
    selected: &[&Member],
) -> BTreeMap<String, Listed> {
    let targets: BTreeSet<String> = tree
        .roots
        .iter()
        .cloned()
        .chain(
            selected
                .iter()
                .flat_map(|m| m.path.iter().map(|(id, _)| id.clone())),
        )
        .chain(selected.iter().map(|m| m.id.clone()))
        .collect();
    futures::stream::iter(targets)
        .map(|t| async move {
            let mut names = Vec::new();
            let mut pages = c
                .list_policies_for_target()
                .target_id(&t)
                .filter(PolicyType::ServiceControlPolicy)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(p) => names.extend(
                        p.policies()
                            .iter()
                            .filter_map(|s| s.name().map(str::to_string)),
                    ),
                    Err(e) => return (t, Err((errors::code(&e), errors::message(&e)))),
                }
            }
            names.sort();
            (t, Ok(names))
        })
        .buffer_unordered(super::ITEM_CONCURRENCY)
        .collect::<BTreeMap<_, _>>()
        .await
}

/// The delegated administrators of the services in [`DELEGATED_SERVICES`], by key:
/// `ListDelegatedAdministrators`, then `ListDelegatedServicesForAccount` for each. `None`
/// (a gap recorded on `delegated_administrators`) when a listing fails.
async fn delegated_administrators(ctx: &Ctx, c: &aws_sdk_organizations::Client) -> Option<Value> {
    let op = |operation| Op {
        service: "organizations",
        region: None,
        operation,
        kinds: &["aws.organizations.organization"],
    };
    let mut admins = Vec::new();
    let mut pages = c.list_delegated_administrators().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => admins.extend(
                p.delegated_administrators()
                    .iter()
                    .filter_map(|a| a.id().map(str::to_string)),
            ),
            Err(e) => {
                op("ListDelegatedAdministrators").gap(ctx, &e, &["delegated_administrators"]);
                return None;
            }
        }
    }
    let mut delegated: BTreeMap<&str, Vec<String>> = DELEGATED_SERVICES
        .iter()
        .map(|(k, _)| (*k, Vec::new()))
        .collect();
    for admin in admins {
        let mut pages = c
            .list_delegated_services_for_account()
            .account_id(&admin)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let p = match page {
                Ok(p) => p,
                Err(e) => {
                    op("ListDelegatedServicesForAccount").gap(
                        ctx,
                        &e,
                        &["delegated_administrators"],
                    );
                    return None;
                }
            };
            for s in p.delegated_services() {
                if let Some((key, _)) = DELEGATED_SERVICES
                    .iter()
                    .find(|(_, principal)| Some(*principal) == s.service_principal())
                    && let Some(list) = delegated.get_mut(key)
                {
                    list.push(admin.clone());
                }
            }
        }
    }
    Some(Value::Object(
        delegated
            .into_iter()
            .map(|(k, mut v)| {
                v.sort();
                (k.to_string(), json!(v))
            })
            .collect(),
    ))
}

/// Every SCP of the organization, by name, with its document and the targets it is
/// attached to (`ListPolicies`, `DescribePolicy`, `ListTargetsForPolicy`). `None` (a gap
/// recorded on `scps`) when a call fails.
async fn service_control_policies(ctx: &Ctx, c: &aws_sdk_organizations::Client) -> Option<Value> {
    let op = |operation| Op {
        service: "organizations",
        region: None,
        operation,
        kinds: &["aws.organizations.organization"],
    };
    let mut summaries = Vec::new();
    let mut pages = c
        .list_policies()
        .filter(PolicyType::ServiceControlPolicy)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => summaries.extend(p.policies.unwrap_or_default()),
            Err(e) => {
                op("ListPolicies").gap(ctx, &e, &["scps"]);
                return None;
            }
        }
    }
    let read: Vec<Option<Value>> = futures::stream::iter(summaries)
        .map(|s| async move {
            let Some(id) = s.id().map(str::to_string) else {
                op("ListPolicies").missing_id(ctx, "Id");
                return None;
            };
            let (described, targets) =
                futures::join!(c.describe_policy().policy_id(&id).send(), async {
                    let mut ids = Vec::new();
                    let mut pages = c
                        .list_targets_for_policy()
                        .policy_id(&id)
                        .into_paginator()
                        .send();
                    while let Some(page) = pages.next().await {
                        match page {
                            Ok(p) => ids.extend(
                                p.targets()
                                    .iter()
                                    .filter_map(|t| t.target_id().map(str::to_string)),
                            ),
                            Err(e) => {
                                op("ListTargetsForPolicy").gap(ctx, &e, &["scps"]);
                                return None;
                            }
                        }
                    }
                    ids.sort();
                    Some(ids)
                },);
            let document = match described {
                Ok(o) => o
                    .policy()
                    .and_then(|p| p.content())
                    .and_then(super::policy::parse),
                Err(e) => {
                    op("DescribePolicy").gap(ctx, &e, &["scps"]);
                    return None;
                }
            };
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            m.insert("name".into(), json!(s.name().unwrap_or(id.as_str())));
            m.insert("aws_managed".into(), json!(s.aws_managed()));
            m.insert("targets".into(), json!(targets?));
            if let Some(d) = document {
                m.insert("document".into(), d);
            }
            Some(Value::Object(m))
        })
        .buffer_unordered(super::ITEM_CONCURRENCY)
        .collect()
        .await;
    let mut all = read.into_iter().collect::<Option<Vec<Value>>>()?;
    all.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Some(Value::Array(all))
}

/// `aws.organizations.organization`: SCPs, delegated administrators, organization trails.
async fn organization_resource(
    ctx: &Ctx,
    c: &aws_sdk_organizations::Client,
    tree: &Tree,
    home_region: &str,
) {
    const KIND: &str = "aws.organizations.organization";
    let mut data = Map::new();
    data.insert("id".into(), json!(tree.id));
    data.insert(
        "management_account_id".into(),
        json!(tree.management_account),
    );
    if let Some(f) = &tree.feature_set {
        data.insert("feature_set".into(), json!(f));
    }
    data.insert("scp_enabled".into(), json!(tree.scp_enabled));
    data.insert("accounts".into(), json!(tree.members.len()));

    let (delegated, scps) = futures::join!(
        delegated_administrators(ctx, c),
        service_control_policies(ctx, c)
    );
    if let Some(delegated) = delegated {
        data.insert("delegated_administrators".into(), delegated);
    }
    if let Some(scps) = scps {
        data.insert("scps".into(), scps);
    }

    // Organization trails: DescribeTrails in the caller's home region lists every trail
    // that applies there, multi-region trails of other regions included.
    match ctx
        .clients
        .client::<aws_sdk_cloudtrail::Client>(home_region)
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
    {
        Ok(out) => {
            let mut names: Vec<String> = out
                .trail_list()
                .iter()
                .filter(|t| t.is_organization_trail() == Some(true))
                .filter_map(|t| t.name().map(str::to_string))
                .collect();
            names.sort();
            names.dedup();
            data.insert("organization_trails".into(), json!(names));
        }
        Err(e) => Op {
            service: "cloudtrail",
            region: Some(home_region),
            operation: "DescribeTrails",
            kinds: &[KIND],
        }
        .gap(ctx, &e, &["organization_trails"]),
    }
    let id = tree.arn.clone().unwrap_or_else(|| tree.id.clone());
    let mut r = ctx.resource(KIND, id, &Value::Object(data));
    r.name = Some(tree.id.clone());
    ctx.push(r);
}

/// `aws.organizations.account`: one selected account's place and the SCPs in effect.
fn member_resource(ctx: &Ctx, tree: &Tree, m: &Member, scps: Option<&BTreeMap<String, Listed>>) {
    let mut data = Map::new();
    data.insert("account_id".into(), json!(m.id));
    if let Some(s) = &m.status {
        data.insert("status".into(), json!(s));
    }
    if let Some(j) = &m.joined_method {
        data.insert("joined_method".into(), json!(j));
    }
    data.insert(
        "is_management_account".into(),
        json!(m.id == tree.management_account),
    );
    // The OU path below the root (empty: the account sits directly under the root).
    let ous: Vec<&str> = m
        .path
        .iter()
        .skip(1)
        .map(|(_, name)| name.as_str())
        .collect();
    data.insert("ou_path".into(), json!(ous));
    data.insert(
        "parent_id".into(),
        json!(m.path.last().map(|(id, _)| id.as_str()).unwrap_or_default()),
    );
    match scps {
        // SCPs disabled: no SCP applies to any account (documented behaviour).
        None => {
            data.insert("scps".into(), json!([]));
        }
        Some(by_target) => {
            let mut all = BTreeSet::new();
            let mut failed = None;
            for target in m
                .path
                .iter()
                .map(|(id, _)| id)
                .chain(std::iter::once(&m.id))
            {
                match by_target.get(target) {
                    Some(Ok(names)) => all.extend(names.iter().cloned()),
                    Some(Err(e)) => failed = Some(e.clone()),
                    None => failed = Some(("NotListed".into(), format!("{target} was not listed"))),
                }
            }
            match failed {
                None => {
                    data.insert("scps".into(), json!(all.into_iter().collect::<Vec<_>>()));
                }
                // A gap: only the checks reading `scps` report `error` for this account.
                Some((code, message)) => {
                    let op = Op {
                        service: "organizations",
                        region: None,
                        operation: "ListPoliciesForTarget",
                        kinds: &["aws.organizations.account"],
                    };
                    ctx.record(CollectionError {
                        fields: vec!["scps".into()],
                        ..op.error(&m.id, code, message)
                    });
                }
            }
        }
    }
    let id = m.arn.clone().unwrap_or_else(|| m.id.clone());
    let mut r = crate::inventory::Resource::new(
        Provider::Aws,
        "aws.organizations.account",
        m.id.clone(),
        id,
        &Value::Object(data),
    );
    r.name = m.name.clone();
    ctx.push(r);
}
