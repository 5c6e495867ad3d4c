//! Salesforce collection through the REST and Tooling APIs: one org, or several
//! `--target-org`s collected concurrently into one inventory (one scope per org).
//!
//! [`auth`] obtains a session, [`client`] speaks the API (version discovery, SOQL paging,
//! describe, retries, error bodies), and one module per area normalizes what it reads
//! into the kinds documented in `checks/salesforce/kinds.yaml`:
//! [`org`] (org-wide settings, Health Check, trusted IP ranges), [`access`] (profiles,
//! permission sets, users, MFA, logins), [`sites`] (sites and guest profiles), [`apps`]
//! (connected apps), [`network`] (remote sites, CSP trusted sites, named credentials),
//! [`secrets`] (credential-like fields of custom settings and custom metadata types) and
//! [`files`] (public content links). [`probe`] is the outside-in guest probe of a site.
//!
//! After the org's identity, the areas are collected at once, and so are the independent
//! queries within each ([`together!`], [`Ctx::width`]), under one limit of requests in
//! flight for the whole scan (`--max-concurrency`, [`client::RequestLimit`]). Each runs on
//! its own [`Ctx::fork`], absorbed in a fixed order, so the inventory is the same as
//! one request after another would give.
//!
//! Every query is built from the object's `describe` ([`Ctx::select`]): a field the org
//! lacks is left out and recorded as a field gap, so only checks that read it report
//! `error`, naming it.
//!
//! A query the user may not run becomes a [`CollectionError`] naming the missing
//! permission and the kinds it leaves incomplete; the checks of those kinds then report
//! `error`. Only a refused session (or an unreachable org) stops the scan; of several
//! orgs, it stops only that org's collection (see [`collect`]).

/// Awaits the futures together, or one after another in the order written when `$ctx`
/// runs sequentially ([`Ctx::sequential`]); gives their outputs as a tuple.
macro_rules! together {
    ($ctx:expr; $($f:expr),+ $(,)?) => {
        if $ctx.sequential() {
            ($($f.await,)+)
        } else {
            futures::join!($($f),+)
        }
    };
}

pub mod access;
pub mod apps;
pub mod auth;
pub mod client;
pub mod files;
pub mod metadata;
pub mod network;
pub mod org;
pub mod probe;
pub mod secrets;
pub mod sites;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use indicatif::ProgressBar;
use serde_json::{Map, Value};

use self::client::{API_USAGE_CEILING, Api, ApiError, Client, RequestLimit};
use super::{CollectError, Progress};
use crate::collect::request::SalesforceRequest;
use crate::inventory::{CollectionError, Inventory, Provider, Resource, Scope};

/// Resource kinds this collector emits.
pub mod kinds {
    /// The org and its org-wide settings.
    pub const ORG: &str = "salesforce.org";
    /// One Health Check row.
    pub const HEALTH_CHECK_RISK: &str = "salesforce.health_check_risk";
    /// A site.
    pub const SITE: &str = "salesforce.site";
    /// A site's guest profile.
    pub const GUEST_PROFILE: &str = "salesforce.guest_profile";
    /// A profile.
    pub const PROFILE: &str = "salesforce.profile";
    /// A permission set or permission set group.
    pub const PERMISSION_SET: &str = "salesforce.permission_set";
    /// An active user.
    pub const USER: &str = "salesforce.user";
    /// A connected app.
    pub const CONNECTED_APP: &str = "salesforce.connected_app";
    /// A remote site setting.
    pub const REMOTE_SITE: &str = "salesforce.remote_site";
    /// A CSP trusted site.
    pub const CSP_TRUSTED_SITE: &str = "salesforce.csp_trusted_site";
    /// An org-wide trusted IP range.
    pub const TRUSTED_IP_RANGE: &str = "salesforce.trusted_ip_range";
    /// A named credential.
    pub const NAMED_CREDENTIAL: &str = "salesforce.named_credential";
    /// A secret-looking field of a custom setting or custom metadata type.
    pub const CUSTOM_SETTING_SECRET: &str = "salesforce.custom_setting_secret";
    /// A file shared by public link (ContentDistribution).
    pub const CONTENT_DISTRIBUTION: &str = "salesforce.content_distribution";

    /// Every kind above: what an org that could not be collected leaves unassessed.
    pub const ALL: [&str; 14] = [
        ORG,
        HEALTH_CHECK_RISK,
        SITE,
        GUEST_PROFILE,
        PROFILE,
        PERMISSION_SET,
        USER,
        CONNECTED_APP,
        REMOTE_SITE,
        CSP_TRUSTED_SITE,
        TRUSTED_IP_RANGE,
        NAMED_CREDENTIAL,
        CUSTOM_SETTING_SECRET,
        CONTENT_DISTRIBUTION,
    ];
}

/// `--target-org` orgs collected at the same time.
const ORG_CONCURRENCY: usize = 4;

/// With fewer daily API requests than this left before [`API_USAGE_CEILING`], an org is
/// collected one request at a time in a fixed order, so that the ceiling stops its scan
/// at the same point every time.
const SEQUENTIAL_BELOW: u32 = 1000;

/// Collects the requested orgs into one inventory, one scope per org.
///
/// One org (`--instance-url`, the JWT flow or a single `--target-org`) stops the scan when
/// its session is refused or it cannot be reached. Of several `--target-org`s (those of
/// the request's shard, when it has one), up to [`ORG_CONCURRENCY`] are collected at once,
/// and an org that cannot be authenticated or reached becomes a collection error over
/// every kind ([`kinds::ALL`]), so its checks report `error`; the scan stops only when no
/// org could be collected.
pub async fn collect(
    args: &SalesforceRequest,
    progress: &Progress,
) -> Result<Inventory, CollectError> {
    let http = client::http_client()?;
    let limit = RequestLimit::new(args.max_concurrency);
    let width = args.max_concurrency.max(1);
    let mut aliases: Vec<&str> = Vec::new();
    for alias in &args.target_orgs {
        if !aliases.contains(&alias.as_str()) {
            aliases.push(alias);
        }
    }
    let several = aliases.len() > 1;
    if let Some(shard) = args.shard {
        aliases.retain(|a| shard.owns(a));
        if aliases.is_empty() {
            return Ok(Inventory::new());
        }
    }
    if !several {
        let session = auth::authenticate(args, &http).await?;
        return collect_org(http, session, &limit, width, progress).await;
    }

    let results: Vec<(&str, Result<Inventory, Unreached>)> = futures::stream::iter(aliases)
        .map(|alias| {
            let target = collect_target(http.clone(), alias, &limit, width, progress);
            async move { (alias, target.await) }
        })
        .buffered(ORG_CONCURRENCY)
        .collect()
        .await;
    let scanned = |inv: &Inventory, id: &str| inv.scopes.iter().any(|s| s.id == id);
    let mut inv = Inventory::new();
    let mut unreached = Vec::new();
    for (alias, result) in results {
        match result {
            // Two aliases of one org: its resources once.
            Ok(org) if org.scopes.iter().any(|s| scanned(&inv, &s.id)) => {
                progress.warn(&format!(
                    "`{alias}` is an org already scanned under another alias; skipped"
                ));
            }
            Ok(org) => inv.merge(org),
            Err(u) => unreached.push(u),
        }
    }
    // Each collected org brought its scope.
    if inv.scopes.is_empty() {
        return Err(Unreached::none_collected(unreached));
    }
    for u in &unreached {
        // Its org may have been scanned under another alias.
        let elsewhere = scanned(&inv, &u.scope);
        progress.warn(&format!(
            "Salesforce org `{}` not scanned{}: {}",
            u.alias,
            if elsewhere {
                " (its org was, under another alias)"
            } else {
                ", its checks report error"
            },
            u.describe()
        ));
        if !elsewhere {
            inv.merge(u.inventory());
        }
    }
    Ok(inv)
}

/// Collects one `--target-org` of several; a failure keeps the scope it belongs to.
async fn collect_target(
    http: reqwest::Client,
    alias: &str,
    limit: &RequestLimit,
    width: usize,
    progress: &Progress,
) -> Result<Inventory, Unreached> {
    let unreached = |scope: &str, operation, error| Unreached {
        alias: alias.to_string(),
        scope: scope.to_string(),
        operation,
        error,
    };
    let session = auth::sf_cli_session(alias)
        .await
        .map_err(|e| unreached(alias, "sf org display", e))?;
    let scope = session.org_id.clone().unwrap_or_else(|| alias.to_string());
    collect_org(http, session, limit, width, progress)
        .await
        .map_err(|e| unreached(&scope, "collect", e))
}

/// An org of several that could not be authenticated or reached.
struct Unreached {
    /// Its `--target-org`.
    alias: String,
    /// Its org id when the Salesforce CLI reported one, else the alias.
    scope: String,
    /// What failed: `sf org display` or the collection.
    operation: &'static str,
    /// Why.
    error: CollectError,
}

impl Unreached {
    /// The error and, when known, how to fix it.
    fn describe(&self) -> String {
        match self.error.help() {
            Some(help) => format!("{} ({help})", self.error),
            None => self.error.to_string(),
        }
    }

    /// Its scope and one collection error over every kind, so that its checks report
    /// `error`, never `pass`.
    fn inventory(&self) -> Inventory {
        let mut inv = Inventory::new();
        inv.scopes.push(Scope {
            provider: Provider::Salesforce,
            id: self.scope.clone(),
            name: None,
            regions: Vec::new(),
            attributes: BTreeMap::from([("target_org".to_string(), self.alias.clone())]),
        });
        inv.errors.push(CollectionError {
            provider: Provider::Salesforce,
            scope: self.scope.clone(),
            service: "salesforce".to_string(),
            region: None,
            operation: self.operation.to_string(),
            code: "ORG_NOT_SCANNED".to_string(),
            message: self.describe(),
            kinds: kinds::ALL.iter().map(|k| k.to_string()).collect(),
            resource_id: None,
            fields: Vec::new(),
        });
        inv
    }

    /// The error when no org could be collected: the org's own when there was one.
    fn none_collected(mut all: Vec<Unreached>) -> CollectError {
        if all.len() == 1
            && let Some(only) = all.pop()
        {
            return only.error;
        }
        let lines: Vec<String> = all
            .iter()
            .map(|u| format!("  `{}`: {}", u.alias, u.error))
            .collect();
        let mut helps: Vec<&str> = all.iter().filter_map(|u| u.error.help()).collect();
        helps.dedup();
        CollectError::Fatal {
            message: format!(
                "none of the {} Salesforce orgs could be scanned:\n{}",
                all.len(),
                lines.join("\n")
            ),
            help: (!helps.is_empty()).then(|| helps.join("; ")),
        }
    }
}

/// Collects the org of a session: its identity first, then every area at once (sites'
/// guest profiles once the permission sets are read), fanning out up to `width` queries
/// at a time within an area, under the scan's request `limit`.
async fn collect_org(
    http: reqwest::Client,
    session: auth::Session,
    limit: &RequestLimit,
    width: usize,
    progress: &Progress,
) -> Result<Inventory, CollectError> {
    let client = Client::connect(
        http,
        &session.instance_url,
        session.token.clone(),
        limit.clone(),
    )
    .await?;
    let bar = progress.task(format!("Salesforce {}", client.instance()));

    let mut ctx = Ctx::new(&client, 1);
    let identity = org::identify(&mut ctx).await?;
    ctx.org_id = identity.id.clone();
    ctx.width = pace(width, client.api_usage());

    let mut scope = Scope {
        provider: Provider::Salesforce,
        id: identity.id.clone(),
        name: identity.name.clone(),
        regions: Vec::new(),
        attributes: BTreeMap::new(),
    };
    scope
        .attributes
        .insert("instance_url".into(), client.instance().to_string());
    scope
        .attributes
        .insert("api_version".into(), client.version().to_string());
    scope
        .attributes
        .insert("auth_method".into(), session.method.to_string());

    let [mut o, mut a, mut s, mut ap, mut n, mut se, mut f] = ctx.forks();
    let access_and_sites = async {
        // Sites are listed while the permission sets are read; their guest profiles need both.
        let (access, sites) = together!(a; access::collect(&mut a), sites::collect(&mut s));
        let access = access?;
        if let Some(guests) = sites? {
            sites::guest_profiles(&mut s, &guests, &access).await?;
        }
        Ok::<(), CollectError>(())
    };
    let (score, access_and_sites, apps, network, secrets, files) = counting(
        async {
            together!(ctx;
                org::collect(&mut o, &identity),
                access_and_sites,
                apps::collect(&mut ap),
                network::collect(&mut n),
                secrets::collect(&mut se),
                files::collect(&mut f),
            )
        },
        &bar,
        &client,
    )
    .await;
    if let Some(score) = score? {
        scope
            .attributes
            .insert("health_check_score".into(), score.to_string());
    }
    access_and_sites?;
    apps?;
    network?;
    secrets?;
    files?;
    ctx.absorb([o, a, s, ap, n, se, f]);
    bar.finish_and_clear();

    let mut inv = Inventory::new();
    inv.scopes.push(scope);
    inv.resources = ctx.resources;
    inv.errors = ctx.errors;
    Ok(inv)
}

/// How many queries of an area run at once: `width`, or one at a time when the org's
/// daily API usage is within [`SEQUENTIAL_BELOW`] requests of [`API_USAGE_CEILING`].
fn pace(width: usize, usage: Option<(u32, u32)>) -> usize {
    let near_ceiling = usage.is_some_and(|(used, limit)| {
        f64::from(used) + f64::from(SEQUENTIAL_BELOW) >= f64::from(limit) * API_USAGE_CEILING
    });
    if near_ceiling { 1 } else { width.max(1) }
}

/// Awaits `work`, showing the client's call count on `bar` meanwhile.
async fn counting<T>(work: impl Future<Output = T>, bar: &ProgressBar, client: &Client) -> T {
    let mut work = std::pin::pin!(work);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            out = &mut work => {
                bar.set_position(client.calls() as u64);
                return out;
            }
            _ = tick.tick() => bar.set_position(client.calls() as u64),
        }
    }
}

/// What one task of the collection of an org works with: the client, the org id, and
/// what this task collected. Tasks run at once each on their own [`Ctx::fork`], and their
/// results are [`Ctx::absorb`]ed in a fixed order.
pub struct Ctx<'a> {
    /// The API client.
    pub client: &'a Client,
    /// The 18-character org id (the scope id).
    pub org_id: String,
    /// Collected resources.
    pub resources: Vec<Resource>,
    /// Failed calls.
    pub errors: Vec<CollectionError>,
    /// The collection time, for ages computed at collection (stale tokens).
    pub now: DateTime<Utc>,
    /// How many independent queries run at once; 1 runs them one after another, in the
    /// order written.
    pub width: usize,
}

impl<'a> Ctx<'a> {
    fn new(client: &'a Client, width: usize) -> Self {
        Ctx {
            client,
            org_id: String::new(),
            resources: Vec::new(),
            errors: Vec::new(),
            now: Utc::now(),
            width: width.max(1),
        }
    }

    /// A context for a task run alongside this one: same org, client and time, nothing
    /// collected yet.
    pub fn fork(&self) -> Ctx<'a> {
        Ctx {
            client: self.client,
            org_id: self.org_id.clone(),
            resources: Vec::new(),
            errors: Vec::new(),
            now: self.now,
            width: self.width,
        }
    }

    /// `N` forks.
    pub fn forks<const N: usize>(&self) -> [Ctx<'a>; N] {
        std::array::from_fn(|_| self.fork())
    }

    /// Appends what forks collected, in the order given.
    pub fn absorb(&mut self, forks: impl IntoIterator<Item = Ctx<'a>>) {
        for fork in forks {
            self.resources.extend(fork.resources);
            self.errors.extend(fork.errors);
        }
    }

    /// Whether queries run one after another.
    pub fn sequential(&self) -> bool {
        self.width <= 1
    }

    /// Runs a query; a failure is recorded against `kinds` and gives `None`, except a
    /// refused session, which stops the scan.
    pub async fn query(
        &mut self,
        api: Api,
        object: &str,
        soql: &str,
        kinds: &[&str],
    ) -> Result<Option<Vec<Value>>, CollectError> {
        match self.client.query(api, soql).await {
            Ok(rows) => Ok(Some(rows)),
            Err(e) => {
                self.record(e, api, &format!("query {object}"), object, kinds, None)?;
                Ok(None)
            }
        }
    }

    /// Describes `object` (once per scan), then selects those of `fields` the org has,
    /// with `tail` (` WHERE ...`, ` ORDER BY ...`) after `FROM object`.
    ///
    /// A field the org lacks is left out of the SELECT and recorded as a *field gap*
    /// against `kinds` (see [`CollectionError::fields`]): checks that read it report
    /// `error` naming it, every other check still evaluates. The gap names the data keys
    /// the field feeds: see [`data_keys`].
    pub async fn select(
        &mut self,
        api: Api,
        object: &str,
        fields: &[&str],
        tail: &str,
        kinds: &[&str],
    ) -> Result<Option<Vec<Value>>, CollectError> {
        let describe = match self.client.describe(api, object).await {
            Ok(d) => d,
            Err(e) => {
                self.record(e, api, &format!("describe {object}"), object, kinds, None)?;
                return Ok(None);
            }
        };
        let (present, absent): (Vec<&str>, Vec<&str>) =
            fields.iter().copied().partition(|f| describe.has(f));
        for f in &absent {
            self.field_gap(api, object, f, &data_keys(object, f), kinds);
        }
        if present.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let soql = format!("SELECT {} FROM {object}{tail}", present.join(", "));
        self.query(api, object, &soql, kinds).await
    }

    /// Records that `object.field` does not exist in this org; `keys` are the data fields
    /// of `kinds` left absent because of it.
    pub fn field_gap(
        &mut self,
        api: Api,
        object: &str,
        field: &str,
        keys: &[String],
        kinds: &[&str],
    ) {
        let message = format!(
            "{object}.{field} is not available in this org (its describe on API v{} has no such field: the edition, licences or enabled features lack it)",
            self.client.version()
        );
        let error = self.error(
            api.as_str(),
            format!("describe {object}"),
            "FIELD_NOT_AVAILABLE",
            message,
            kinds,
        );
        self.errors.push(CollectionError {
            fields: keys.to_vec(),
            ..error
        });
    }

    /// Reads metadata components through the Metadata API (`readMetadata` of `names`, or
    /// of every component `listMetadata` finds when `names` is empty). A failure is
    /// recorded against `kinds` (only over `fields` when given: a field gap) and gives
    /// `None`; a refused session stops the scan.
    pub async fn read_metadata(
        &mut self,
        kind: &str,
        names: &[&str],
        kinds: &[&str],
        fields: &[&str],
    ) -> Result<Option<Vec<Value>>, CollectError> {
        let result = if names.is_empty() {
            match metadata::list(self.client, kind).await {
                Ok(all) => metadata::read(self.client, kind, &all, self.width).await,
                Err(e) => Err(e),
            }
        } else {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            metadata::read(self.client, kind, &names, self.width).await
        };
        match result {
            Ok(records) => Ok(Some(records)),
            Err(e) => {
                if e.is_session_invalid() {
                    return Err(e.into_fatal(self.client.instance()));
                }
                let message = format!(
                    "metadata: {e} (reading {kind} needs \"View Setup and Configuration\" and \"Modify Metadata Through Metadata API Functions\" or \"Customize Application\")"
                );
                let error = self.error(
                    "metadata",
                    format!("readMetadata {kind}"),
                    e.code(),
                    message,
                    kinds,
                );
                self.errors.push(CollectionError {
                    fields: fields.iter().map(|f| f.to_string()).collect(),
                    ..error
                });
                Ok(None)
            }
        }
    }

    /// Records a failed call (or stops the scan when the session was refused).
    pub fn record(
        &mut self,
        err: ApiError,
        api: Api,
        operation: &str,
        object: &str,
        kinds: &[&str],
        resource_id: Option<String>,
    ) -> Result<(), CollectError> {
        if err.is_session_invalid() {
            return Err(err.into_fatal(self.client.instance()));
        }
        let message = format!(
            "{}: {err} (reading {object} needs the \"{}\" permission{})",
            api.as_str(),
            permission_for(object),
            if matches!(err, ApiError::Transport(_)) {
                "; the call failed before Salesforce answered"
            } else {
                ""
            }
        );
        let error = self.error(
            api.as_str(),
            operation.to_string(),
            err.code(),
            message,
            kinds,
        );
        self.errors.push(CollectionError {
            resource_id,
            ..error
        });
        Ok(())
    }

    /// A collection error of this org covering `kinds` (no resource, no field gap).
    fn error(
        &self,
        service: &str,
        operation: String,
        code: &str,
        message: String,
        kinds: &[&str],
    ) -> CollectionError {
        CollectionError {
            provider: Provider::Salesforce,
            scope: self.org_id.clone(),
            service: service.to_string(),
            region: None,
            operation,
            code: code.to_string(),
            message,
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            resource_id: None,
            fields: Vec::new(),
        }
    }

    /// Adds a resource of this org.
    pub fn push(&mut self, kind: &str, id: &str, name: &str, data: Map<String, Value>) {
        let r = Resource::new(
            Provider::Salesforce,
            kind,
            self.org_id.clone(),
            id,
            &Value::Object(data),
        )
        .named(name);
        self.resources.push(r);
    }
}

/// Data keys whose value comes from a field that is not named after it.
const RENAMED: [(&str, &str, &[&str]); 13] = [
    (
        "SiteDetail",
        "IsRegistrationEnabled",
        &["self_registration_enabled"],
    ),
    ("*", "CreatedDate", &["created"]),
    ("User", "LastLoginDate", &["last_login"]),
    ("User", "Profile.Name", &["profile"]),
    ("User", "Name", &["full_name"]),
    (
        "ConnectedApplication",
        "OptionsAllowAdminApprovedUsersOnly",
        &["permitted_users"],
    ),
    (
        "ConnectedApplication",
        "OptionsHasSessionLevelPolicy",
        &["high_assurance_required"],
    ),
    (
        "OauthToken",
        "LastUsedDate",
        &["stale_token_count", "last_used"],
    ),
    (
        "LoginHistory",
        "AuthMethodReference",
        &["non_mfa_ui_logins_30d"],
    ),
    ("SetupAuditTrail", "CreatedBy.Username", &["created_by"]),
    ("SiteDetail", "SecureUrl", &["url"]),
    (
        "ContentDistribution",
        "PreferencesPasswordRequired",
        &["password_required"],
    ),
    ("ContentDistribution", "PreferencesExpires", &["expires"]),
];

/// The data keys a Salesforce field feeds: the field's own name, its snake_case form
/// (`ClickjackProtectionLevel` -> `clickjack_protection_level`, the convention
/// collectors follow) and, for fields stored under another name, that name.
pub fn data_keys(object: &str, field: &str) -> Vec<String> {
    let mut keys = vec![field.to_string(), snake_case(field)];
    for (o, f, k) in RENAMED {
        if (o == object || o == "*") && f == field {
            keys.extend(k.iter().map(|s| s.to_string()));
        }
    }
    keys
}

/// `ClickjackProtectionLevel` -> `clickjack_protection_level`; `Profile.Name` -> `profile_name`.
pub fn snake_case(field: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = field.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '.' {
            out.push('_');
            continue;
        }
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if let Some(p) = prev
                && p != '.'
                && (p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || next_lower && p.is_ascii_uppercase())
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The user permission that lets an integration user read an object.
fn permission_for(object: &str) -> &'static str {
    match object {
        "TwoFactorMethodsInfo" => "Manage Multi-Factor Authentication in API",
        "EventLogFile" => "View Event Log Files",
        "TenantSecret" => "Manage Encryption Keys",
        "LoginHistory" | "UserLogin" => "Manage Users",
        "OauthToken" => "Manage Connected Apps",
        "ContentDistribution" => "View All Data (without it, only links to files the user can see)",
        _ => "View Setup and Configuration",
    }
}

/// Escapes a value for a single-quoted SOQL literal.
pub fn soql_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// A quoted, comma-separated SOQL `IN (...)` list.
pub fn soql_in<'s>(values: impl IntoIterator<Item = &'s str>) -> String {
    values
        .into_iter()
        .map(|v| format!("'{}'", soql_escape(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Follows a dotted path through nested relationship objects (`GuestUser.Profile.Name`).
pub fn field<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(record, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// A string field (numbers are formatted); `None` when absent, null or empty.
pub fn str_field(record: &Value, path: &str) -> Option<String> {
    match field(record, path)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean field (also accepts "true"/"false" strings, as Metadata sometimes has).
pub fn bool_field(record: &Value, path: &str) -> Option<bool> {
    match field(record, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// An integer field (also accepts numeric strings).
pub fn int_field(record: &Value, path: &str) -> Option<i64> {
    match field(record, path)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

/// A Salesforce datetime (`2026-05-28T09:00:00.000+0000`) as RFC 3339 UTC.
pub fn ts_field(record: &Value, path: &str) -> Option<String> {
    str_field(record, path).and_then(|s| to_rfc3339(&s))
}

/// Converts a Salesforce datetime to RFC 3339 UTC with second precision.
pub fn to_rfc3339(s: &str) -> Option<String> {
    let parsed = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()?;
    Some(
        parsed
            .with_timezone(&Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// Builds a `data` object, leaving out absent values.
#[derive(Debug, Default)]
pub struct Data(Map<String, Value>);

impl Data {
    /// An empty object.
    pub fn new() -> Self {
        Data(Map::new())
    }

    /// Sets a field when the value is present.
    pub fn opt(mut self, key: &str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }

    /// Sets a field.
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_string(), value.into());
        self
    }

    /// The object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreached_org_leaves_every_org_check_unassessed() {
        let set = crate::checks::load(&[]).expect("built-in checks");
        let outside_in = [probe::kinds::GUEST_SITE, probe::kinds::GUEST_OBJECT];
        for c in set
            .checks
            .iter()
            .filter(|c| c.provider == Provider::Salesforce)
        {
            let kind = c.resource_kind.as_str();
            assert!(
                kinds::ALL.contains(&kind) || outside_in.contains(&kind),
                "{}: kind {kind} is missing from kinds::ALL",
                c.id
            );
        }
    }

    #[test]
    fn near_the_daily_ceiling_an_org_is_read_one_request_at_a_time() {
        assert_eq!(pace(8, None), 8);
        assert_eq!(pace(0, None), 1);
        assert_eq!(pace(8, Some((100, 15_000))), 8);
        // 95% of 10,000 is 9,500: fewer than SEQUENTIAL_BELOW requests left.
        assert_eq!(pace(8, Some((9_480, 10_000))), 1);
        assert_eq!(pace(8, Some((8_499, 10_000))), 8);
        assert_eq!(pace(8, Some((8_500, 10_000))), 1);
    }

    #[test]
    fn snake_case_data_keys() {
        assert_eq!(
            snake_case("ClickjackProtectionLevel"),
            "clickjack_protection_level"
        );
        assert_eq!(snake_case("SecureUrl"), "secure_url");
        assert_eq!(snake_case("IsSSOEnabled"), "is_sso_enabled");
        assert_eq!(snake_case("Profile.Name"), "profile_name");
    }

    #[test]
    fn nested_fields_and_timestamps() {
        let rec = serde_json::json!({
            "attributes": {"type": "Site"},
            "GuestUser": {"attributes": {"type": "User"}, "Profile": {"Name": "Portal Profile"}},
            "LastLoginDate": "2026-05-28T09:00:00.000+0000",
            "Empty": null
        });
        assert_eq!(
            str_field(&rec, "GuestUser.Profile.Name").as_deref(),
            Some("Portal Profile")
        );
        assert_eq!(str_field(&rec, "Empty"), None);
        assert_eq!(
            ts_field(&rec, "LastLoginDate").as_deref(),
            Some("2026-05-28T09:00:00Z")
        );
        assert_eq!(soql_in(["a", "b'c"]), "'a', 'b\\'c'");
    }
}
