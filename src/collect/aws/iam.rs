//! IAM (global): users, groups, roles and customer-managed policies with their documents
//! from `GetAccountAuthorizationDetails` (a few paged calls instead of one call per
//! entity), the credential report, the account summary, the password policy and the
//! virtual MFA devices.
//!
//! Users carry their effective policies (inline, attached, and those inherited from
//! their groups) and their credential-report row; roles carry their trust policy.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_iam::types::{
    AttachedPolicy, EntityType, PolicyDetail, ReportStateType, SummaryKeyType,
};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::errors::{Op, is_code, ts};
use super::{Ctx, ITEM_CONCURRENCY, Service, Unit, policy};

super::clients::sdk_client!("iam", aws_sdk_iam);

/// Run by every account scan.
pub(crate) const SERVICE: Service = Service {
    units: &[Unit::Account(|ctx| Box::pin(collect(ctx)))],
};

const USER: &str = "aws.iam.user";
const GROUP: &str = "aws.iam.group";
const ROLE: &str = "aws.iam.role";
const POLICY: &str = "aws.iam.policy";
const ACCOUNT: &str = "aws.account";

fn op(operation: &'static str, kinds: &'static [&'static str]) -> Op<'static> {
    Op {
        service: "iam",
        region: None,
        operation,
        kinds,
    }
}

/// Collects IAM.
pub(crate) async fn collect(ctx: &Ctx) {
    let pb = ctx.progress.task("iam");
    let client = ctx
        .clients
        .client::<aws_sdk_iam::Client>(&ctx.clients.home_region);
    let account_id = super::account::account_arn(ctx);
    futures::join!(
        entities(ctx, &client, &pb),
        account_summary(ctx, &client, &account_id, &pb),
        password_policy(ctx, &client, &account_id, &pb),
        virtual_mfa(ctx, &client, &account_id, &pb),
        alias(ctx, &client, &pb),
        server_certificates(ctx, &client, &pb),
    );
    pb.finish_and_clear();
}

/// A named policy document attached to a principal.
#[derive(Clone)]
struct Attached {
    /// The policy's name; `None` when the reply left it out.
    name: Option<String>,
    arn: Option<String>,
    source: String,
    /// The parsed document; `None` when the reply had none or it did not parse, so the
    /// checks that read it report `error` rather than passing an empty policy.
    document: Option<Value>,
}

impl Attached {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(a) = &self.arn {
            m.insert("arn".into(), json!(a));
        }
        m.insert("source".into(), json!(self.source));
        if let Some(d) = &self.document {
            m.insert("document".into(), d.clone());
        }
        Value::Object(m)
    }
}

fn inline(list: &[PolicyDetail], source: &str) -> Vec<Attached> {
    list.iter()
        .map(|p| Attached {
            name: p.policy_name().map(str::to_string),
            arn: None,
            source: source.to_string(),
            document: p.policy_document().and_then(policy::parse),
        })
        .collect()
}

struct Group {
    arn: String,
    path: String,
    created: Option<String>,
    inline: Vec<Attached>,
    managed: Vec<AttachedPolicy>,
}

/// Users, groups, roles and policies, then their resources.
async fn entities(ctx: &Ctx, client: &aws_sdk_iam::Client, pb: &indicatif::ProgressBar) {
    let kinds: &'static [&'static str] = &[USER, GROUP, ROLE, POLICY];
    // The credential report is generated while the entities are paged in.
    let details = async {
        let mut pages = client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .filter(EntityType::Role)
            .filter(EntityType::LocalManagedPolicy)
            .into_paginator()
            .send();
        let mut users = Vec::new();
        let mut groups_raw = Vec::new();
        let mut roles = Vec::new();
        let mut policies = Vec::new();
        while let Some(page) = pages.next().await {
            pb.inc(1);
            match page {
                Ok(p) => {
                    users.extend(p.user_detail_list.unwrap_or_default());
                    groups_raw.extend(p.group_detail_list.unwrap_or_default());
                    roles.extend(p.role_detail_list.unwrap_or_default());
                    policies.extend(p.policies.unwrap_or_default());
                }
                Err(e) => {
                    op("GetAccountAuthorizationDetails", kinds).fail(ctx, &e, None);
                    return None;
                }
            }
        }
        Some((users, groups_raw, roles, policies))
    };
    let (details, report) = futures::join!(details, credential_report(ctx, client, pb));
    if let Some(rows) = &report
        && let Some(root) = rows.get("<root_account>")
        && let Some(v) = credential_fields(root).get("last_used")
    {
        ctx.facts(|facts| facts.set("root_last_used", v.clone()));
    }
    let Some((users, groups_raw, roles, policies)) = details else {
        return;
    };

    // Customer-managed policies: documents by ARN, and one resource each.
    let mut documents: HashMap<String, Value> = HashMap::new();
    for p in &policies {
        let Some(arn) = p.arn().map(str::to_string) else {
            op("GetAccountAuthorizationDetails", &[POLICY]).missing_id(ctx, "Policy Arn");
            continue;
        };
        let default = p
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.document())
            .and_then(policy::parse);
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("path".into(), json!(p.path().unwrap_or("/")));
        data.insert(
            "attachment_count".into(),
            json!(p.attachment_count().unwrap_or(0)),
        );
        if let Some(v) = p.default_version_id() {
            data.insert("default_version_id".into(), json!(v));
        }
        if let Some(c) = p.create_date().and_then(ts) {
            data.insert("created".into(), json!(c));
        }
        if let Some(c) = p.update_date().and_then(ts) {
            data.insert("updated".into(), json!(c));
        }
        if let Some(d) = &default {
            data.insert("document".into(), d.clone());
            documents.insert(arn.clone(), d.clone());
        }
        // PolicyName, or the name the ARN carries (`arn:...:policy/PATH/NAME`) when a
        // reply leaves the name out.
        let name = p
            .policy_name()
            .map(str::to_string)
            .or_else(|| arn.rsplit('/').next().map(str::to_string))
            .unwrap_or_else(|| arn.clone());
        ctx.push(ctx.resource(POLICY, arn, &Value::Object(data)).named(name));
    }

    // AWS-managed policies attached to something: fetch their documents once each.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let attached_lists = users
        .iter()
        .map(|u| u.attached_managed_policies())
        .chain(groups_raw.iter().map(|g| g.attached_managed_policies()))
        .chain(roles.iter().map(|r| r.attached_managed_policies()));
    for list in attached_lists {
        for a in list {
            if let Some(arn) = a.policy_arn()
                && !documents.contains_key(arn)
            {
                wanted.insert(arn.to_string());
            }
        }
    }
    let fetched: Vec<(String, Option<Value>)> = futures::stream::iter(wanted)
        .map(|arn| async move {
            let doc = managed_document(ctx, client, &arn, pb).await;
            (arn, doc)
        })
        .buffer_unordered(ITEM_CONCURRENCY)
        .collect()
        .await;
    let mut failed_policies: BTreeSet<String> = BTreeSet::new();
    for (arn, doc) in fetched {
        match doc {
            Some(d) => {
                documents.insert(arn, d);
            }
            None => {
                failed_policies.insert(arn);
            }
        }
    }
    let managed = |list: &[AttachedPolicy], source: &str| -> Vec<Attached> {
        list.iter()
            .filter_map(|a| {
                let arn = a.policy_arn()?;
                Some(Attached {
                    name: a.policy_name().map(str::to_string),
                    arn: Some(arn.to_string()),
                    source: source.to_string(),
                    document: Some(documents.get(arn)?.clone()),
                })
            })
            .collect()
    };
    let uses_failed = |list: &[AttachedPolicy]| {
        list.iter().any(|a| {
            a.policy_arn()
                .is_some_and(|arn| failed_policies.contains(arn))
        })
    };

    // Who may open AWS Support cases (CIS: a support role exists).
    let is_support = |list: &[AttachedPolicy]| {
        list.iter().any(|a| {
            a.policy_arn()
                .is_some_and(|arn| arn.ends_with(":policy/AWSSupportAccess"))
        })
    };
    let support: Vec<String> = users
        .iter()
        .filter(|u| is_support(u.attached_managed_policies()))
        .filter_map(|u| u.user_name())
        .chain(
            groups_raw
                .iter()
                .filter(|g| is_support(g.attached_managed_policies()))
                .filter_map(|g| g.group_name()),
        )
        .chain(
            roles
                .iter()
                .filter(|r| is_support(r.attached_managed_policies()))
                .filter_map(|r| r.role_name()),
        )
        .map(str::to_string)
        .collect();
    ctx.facts(|f| f.set("support_access_entities", json!(support)));

    let groups: BTreeMap<String, Group> = groups_raw
        .iter()
        .filter_map(|g| {
            let (Some(name), Some(arn)) = (g.group_name(), g.arn()) else {
                op("GetAccountAuthorizationDetails", &[GROUP]).missing_id(ctx, "GroupName or Arn");
                return None;
            };
            let name = name.to_string();
            let group = Group {
                arn: arn.to_string(),
                path: g.path().unwrap_or("/").to_string(),
                created: g.create_date().and_then(ts),
                inline: inline(g.group_policy_list(), "inline"),
                managed: g.attached_managed_policies().to_vec(),
            };
            Some((name, group))
        })
        .collect();
    let mut members: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for u in &users {
        for g in u.group_list() {
            members
                .entry(g.as_str())
                .or_default()
                .extend(u.user_name().map(str::to_string));
        }
    }

    for (name, g) in &groups {
        let mut pols = g.inline.clone();
        pols.extend(managed(&g.managed, "managed"));
        let mut data = Map::new();
        data.insert("arn".into(), json!(g.arn));
        data.insert("path".into(), json!(g.path));
        if let Some(c) = &g.created {
            data.insert("created".into(), json!(c));
        }
        data.insert(
            "users".into(),
            json!(members.get(name.as_str()).cloned().unwrap_or_default()),
        );
        data.insert(
            "policies".into(),
            Value::Array(pols.iter().map(Attached::to_json).collect()),
        );
        if uses_failed(&g.managed) {
            op("GetPolicyVersion", &[GROUP]).fail_with(
                ctx,
                "Incomplete",
                "an attached managed policy could not be read",
                Some(&g.arn),
            );
        }
        ctx.push(
            ctx.resource(GROUP, g.arn.clone(), &Value::Object(data))
                .named(name.clone()),
        );
    }

    for u in &users {
        let (Some(name), Some(arn)) = (u.user_name(), u.arn()) else {
            op("GetAccountAuthorizationDetails", &[USER]).missing_id(ctx, "UserName or Arn");
            continue;
        };
        let (name, arn) = (name.to_string(), arn.to_string());
        let mut pols = inline(u.user_policy_list(), "inline");
        pols.extend(managed(u.attached_managed_policies(), "managed"));
        let mut incomplete = uses_failed(u.attached_managed_policies());
        for gname in u.group_list() {
            if let Some(g) = groups.get(gname) {
                let source = format!("group:{gname}");
                pols.extend(g.inline.iter().cloned().map(|mut a| {
                    a.source = source.clone();
                    a
                }));
                pols.extend(managed(&g.managed, &source));
                incomplete |= uses_failed(&g.managed);
            } else {
                // A group the listing could not name: its policies are unknown.
                incomplete = true;
            }
        }
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        if let Some(id) = u.user_id() {
            data.insert("user_id".into(), json!(id));
        }
        data.insert("path".into(), json!(u.path().unwrap_or("/")));
        if let Some(c) = u.create_date().and_then(ts) {
            data.insert("created".into(), json!(c));
        }
        data.insert("groups".into(), json!(u.group_list()));
        data.insert(
            "policies".into(),
            Value::Array(pols.iter().map(Attached::to_json).collect()),
        );
        if let Some(rows) = &report {
            match rows.get(&name) {
                Some(row) => data.extend(credential_fields(row)),
                None => op("GetCredentialReport", &[USER]).fail_with(
                    ctx,
                    "NotInCredentialReport",
                    format!("user {name} is not in the credential report yet (it is regenerated at most every 4 hours)"),
                    Some(&arn),
                ),
            }
        }
        if incomplete {
            op("GetPolicyVersion", &[USER]).fail_with(
                ctx,
                "Incomplete",
                "an attached managed policy could not be read",
                Some(&arn),
            );
        }
        let tags: BTreeMap<String, String> = u
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        ctx.push(
            ctx.resource(USER, arn, &Value::Object(data))
                .named(name)
                .with_tags(tags),
        );
    }

    for r in &roles {
        let (Some(name), Some(arn)) = (r.role_name(), r.arn()) else {
            op("GetAccountAuthorizationDetails", &[ROLE]).missing_id(ctx, "RoleName or Arn");
            continue;
        };
        let (name, arn) = (name.to_string(), arn.to_string());
        let mut pols = inline(r.role_policy_list(), "inline");
        pols.extend(managed(r.attached_managed_policies(), "managed"));
        let path = r.path().unwrap_or("/");
        let mut data = Map::new();
        data.insert("arn".into(), json!(arn));
        data.insert("path".into(), json!(path));
        data.insert(
            "service_linked".into(),
            json!(path.starts_with("/aws-service-role/")),
        );
        if let Some(c) = r.create_date().and_then(ts) {
            data.insert("created".into(), json!(c));
        }
        if let Some(d) = r.assume_role_policy_document().and_then(policy::parse) {
            data.insert("trust_policy".into(), d);
        }
        if let Some(d) = r
            .role_last_used()
            .and_then(|l| l.last_used_date())
            .and_then(ts)
        {
            data.insert("last_used".into(), json!(d));
        }
        data.insert(
            "instance_profile_arns".into(),
            json!(
                r.instance_profile_list()
                    .iter()
                    .map(|p| p.arn())
                    .collect::<Vec<_>>()
            ),
        );
        data.insert(
            "policies".into(),
            Value::Array(pols.iter().map(Attached::to_json).collect()),
        );
        if uses_failed(r.attached_managed_policies()) {
            op("GetPolicyVersion", &[ROLE]).fail_with(
                ctx,
                "Incomplete",
                "an attached managed policy could not be read",
                Some(&arn),
            );
        }
        let tags: BTreeMap<String, String> = r
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        ctx.push(
            ctx.resource(ROLE, arn, &Value::Object(data))
                .named(name)
                .with_tags(tags),
        );
    }
}

/// The normalized default version of an AWS-managed policy; records the failure.
async fn managed_document(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    arn: &str,
    pb: &indicatif::ProgressBar,
) -> Option<Value> {
    pb.inc(1);
    let version = match client.get_policy().policy_arn(arn).send().await {
        Ok(o) => o.policy?.default_version_id?,
        Err(e) => {
            op("GetPolicy", &[USER, GROUP, ROLE]).fail(ctx, &e, Some(arn));
            return None;
        }
    };
    pb.inc(1);
    match client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
    {
        Ok(o) => o
            .policy_version?
            .document
            .as_deref()
            .and_then(policy::parse),
        Err(e) => {
            op("GetPolicyVersion", &[USER, GROUP, ROLE]).fail(ctx, &e, Some(arn));
            None
        }
    }
}

/// The credential report, rows keyed by user name (`<root_account>` for root).
async fn credential_report(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    pb: &indicatif::ProgressBar,
) -> Option<HashMap<String, HashMap<String, String>>> {
    let kinds: &'static [&'static str] = &[USER, ACCOUNT];
    // Generation is asynchronous: ask until the report is complete.
    let mut delay = Duration::from_millis(200);
    for attempt in 0.. {
        pb.inc(1);
        match client.generate_credential_report().send().await {
            Ok(o) if o.state() == Some(&ReportStateType::Complete) => break,
            Ok(_) if attempt < 40 => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Ok(_) => {
                op("GenerateCredentialReport", kinds).fail_with(
                    ctx,
                    "ReportNotReady",
                    "the credential report was not ready after a minute",
                    None,
                );
                return None;
            }
            Err(e) => {
                op("GenerateCredentialReport", kinds).fail(ctx, &e, None);
                return None;
            }
        }
    }
    pb.inc(1);
    let out = match client.get_credential_report().send().await {
        Ok(o) => o,
        Err(e) => {
            op("GetCredentialReport", kinds).fail(ctx, &e, None);
            return None;
        }
    };
    let Some(content) = out.content() else {
        op("GetCredentialReport", kinds).fail_with(
            ctx,
            "MissingContent",
            "GetCredentialReport returned no report content",
            None,
        );
        return None;
    };
    let text = String::from_utf8_lossy(content.as_ref());
    let rows = parse_csv(&text);
    let mut iter = rows.into_iter();
    let header = iter.next()?;
    Some(
        iter.filter_map(|row| {
            let map: HashMap<String, String> = header.iter().cloned().zip(row).collect();
            Some((map.get("user")?.clone(), map))
        })
        .collect(),
    )
}

/// A credential-report value, `None` for `N/A`, `no_information`, `not_supported`, empty.
fn cell<'a>(row: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    row.get(key)
        .map(String::as_str)
        .filter(|v| !matches!(*v, "" | "N/A" | "no_information" | "not_supported"))
}

/// Normalizes a report timestamp (`2026-01-02T03:04:05+00:00`) to RFC 3339 UTC.
fn report_time(v: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(v).ok().map(|d| {
        d.with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    })
}

/// The user fields taken from a credential-report row.
fn credential_fields(row: &HashMap<String, String>) -> Map<String, Value> {
    let mut m = Map::new();
    let flag = |k: &str| cell(row, k).map(|v| v == "true");
    let time = |k: &str| cell(row, k).and_then(report_time);
    if let Some(b) = flag("password_enabled") {
        m.insert("password_enabled".into(), json!(b));
    }
    if let Some(t) = time("password_last_used") {
        m.insert("password_last_used".into(), json!(t));
    }
    if let Some(t) = time("password_last_changed") {
        m.insert("password_last_changed".into(), json!(t));
    }
    if let Some(b) = flag("mfa_active") {
        m.insert("mfa_active".into(), json!(b));
    }
    let mut keys = Vec::new();
    let mut last_used: Vec<String> = time("password_last_used").into_iter().collect();
    for n in 1..=2 {
        let Some(rotated) = time(&format!("access_key_{n}_last_rotated")) else {
            continue;
        };
        let mut k = Map::new();
        // A status the report does not give stays absent (its checks report `error`).
        if let Some(active) = flag(&format!("access_key_{n}_active")) {
            k.insert(
                "status".into(),
                json!(if active { "Active" } else { "Inactive" }),
            );
        }
        k.insert("created".into(), json!(rotated));
        if let Some(t) = time(&format!("access_key_{n}_last_used_date")) {
            last_used.push(t.clone());
            k.insert("last_used".into(), json!(t));
        }
        if let Some(s) = cell(row, &format!("access_key_{n}_last_used_service")) {
            k.insert("last_used_service".into(), json!(s));
        }
        keys.push(Value::Object(k));
    }
    m.insert("access_keys".into(), Value::Array(keys));
    if let Some(t) = last_used.into_iter().max() {
        m.insert("last_used".into(), json!(t));
    }
    m
}

/// The rows of a CSV document (the credential report is RFC 4180 CSV), header included.
/// A row the reader cannot decode ends the document.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map_while(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect()
}

async fn account_summary(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account_id: &str,
    pb: &indicatif::ProgressBar,
) {
    pb.inc(1);
    match client.get_account_summary().send().await {
        Ok(o) => {
            let map = o.summary_map.unwrap_or_default();
            ctx.facts(|f| {
                if let Some(v) = map.get(&SummaryKeyType::AccountMfaEnabled) {
                    f.set("root_mfa_enabled", json!(*v > 0));
                }
                if let Some(v) = map.get(&SummaryKeyType::AccountAccessKeysPresent) {
                    f.set("root_access_keys_present", json!(*v > 0));
                }
                if let Some(v) = map.get(&SummaryKeyType::AccountPasswordPresent) {
                    f.set("root_password_present", json!(*v > 0));
                }
            });
        }
        Err(e) => op("GetAccountSummary", &[ACCOUNT]).fail(ctx, &e, Some(account_id)),
    }
}

async fn password_policy(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account_id: &str,
    pb: &indicatif::ProgressBar,
) {
    pb.inc(1);
    match client.get_account_password_policy().send().await {
        Ok(o) => {
            let Some(p) = o.password_policy else { return };
            let mut m = Map::new();
            if let Some(v) = p.minimum_password_length {
                m.insert("minimum_password_length".into(), json!(v));
            }
            m.insert("require_symbols".into(), json!(p.require_symbols));
            m.insert("require_numbers".into(), json!(p.require_numbers));
            m.insert(
                "require_uppercase_characters".into(),
                json!(p.require_uppercase_characters),
            );
            m.insert(
                "require_lowercase_characters".into(),
                json!(p.require_lowercase_characters),
            );
            m.insert(
                "allow_users_to_change_password".into(),
                json!(p.allow_users_to_change_password),
            );
            if let Some(v) = p.max_password_age {
                m.insert("max_password_age".into(), json!(v));
            }
            if let Some(v) = p.password_reuse_prevention {
                m.insert("password_reuse_prevention".into(), json!(v));
            }
            if let Some(v) = p.hard_expiry {
                m.insert("hard_expiry".into(), json!(v));
            }
            ctx.facts(|f| {
                f.set("password_policy", Value::Object(m));
            });
        }
        // No policy is a fact, not a failure.
        Err(e) if is_code(&e, &["NoSuchEntity"]) => {}
        Err(e) => op("GetAccountPasswordPolicy", &[ACCOUNT]).fail(ctx, &e, Some(account_id)),
    }
}

async fn virtual_mfa(
    ctx: &Ctx,
    client: &aws_sdk_iam::Client,
    account_id: &str,
    pb: &indicatif::ProgressBar,
) {
    let mut pages = client.list_virtual_mfa_devices().into_paginator().send();
    let mut root_virtual = false;
    while let Some(page) = pages.next().await {
        pb.inc(1);
        match page {
            Ok(p) => {
                for d in p.virtual_mfa_devices() {
                    let serial = d.serial_number();
                    let user_arn = d.user().map_or("", |u| u.arn());
                    if serial.ends_with(":mfa/root-account-mfa-device")
                        || user_arn.ends_with(":root")
                    {
                        root_virtual = true;
                    }
                }
            }
            Err(e) => {
                op("ListVirtualMFADevices", &[ACCOUNT]).fail(ctx, &e, Some(account_id));
                return;
            }
        }
    }
    ctx.facts(|f| f.set("root_virtual_mfa", json!(root_virtual)));
}

async fn server_certificates(ctx: &Ctx, client: &aws_sdk_iam::Client, pb: &indicatif::ProgressBar) {
    const CERT: &str = "aws.iam.server_certificate";
    let mut pages = client.list_server_certificates().into_paginator().send();
    while let Some(page) = pages.next().await {
        pb.inc(1);
        match page {
            Ok(p) => {
                for c in p.server_certificate_metadata_list() {
                    let mut data = Map::new();
                    data.insert("arn".into(), json!(c.arn()));
                    if let Some(t) = c.upload_date().and_then(ts) {
                        data.insert("upload_date".into(), json!(t));
                    }
                    if let Some(t) = c.expiration().and_then(ts) {
                        data.insert("expiration".into(), json!(t));
                    }
                    let r = ctx
                        .resource(CERT, c.arn(), &Value::Object(data))
                        .named(c.server_certificate_name());
                    ctx.push(r);
                }
            }
            Err(e) => {
                op("ListServerCertificates", &[CERT]).fail(ctx, &e, None);
                return;
            }
        }
    }
}

async fn alias(ctx: &Ctx, client: &aws_sdk_iam::Client, pb: &indicatif::ProgressBar) {
    pb.inc(1);
    // The alias only names the account; a failure leaves no check incomplete.
    if let Ok(o) = client.list_account_aliases().send().await
        && let Some(a) = o.account_aliases().first()
    {
        ctx.facts(|f| f.set("alias", json!(a)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_handles_quotes() {
        let rows = parse_csv("user,arn\n\"a,b\",\"x\"\"y\"\r\nc,d\n");
        assert_eq!(
            rows,
            vec![vec!["user", "arn"], vec!["a,b", "x\"y"], vec!["c", "d"]]
        );
    }

    #[test]
    fn credential_row_fields() {
        let header = "user,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date";
        let line = "bob,true,no_information,false,true,2026-01-01T00:00:00+00:00,N/A,false,N/A,N/A";
        let rows = parse_csv(&format!("{header}\n{line}\n"));
        let row: HashMap<String, String> = rows[0].iter().cloned().zip(rows[1].clone()).collect();
        let f = credential_fields(&row);
        assert_eq!(f["password_enabled"], json!(true));
        assert_eq!(f["mfa_active"], json!(false));
        assert!(f.get("password_last_used").is_none());
        assert_eq!(
            f["access_keys"],
            json!([{"status": "Active", "created": "2026-01-01T00:00:00Z"}])
        );
    }
}
