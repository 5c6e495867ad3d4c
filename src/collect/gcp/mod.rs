//! Google Cloud collection: one module per service, run per project in parallel with
//! bounded concurrency.
//!
//! Credentials are Application Default Credentials (`google-cloud-auth`). Every REST call
//! goes through [`client::GcpClient`], which honours `MAMORI_GCP_ENDPOINT` (see
//! `/work/shared/contracts.md`): with it set and no credentials available, calls are sent
//! without authentication, so tests and emulators need no Google account.
//!
//! A failed call becomes a [`CollectionError`] naming the kinds it leaves incomplete; a
//! disabled API (403 with `ErrorInfo` reason `SERVICE_DISABLED`) is recorded once for all
//! of its kinds, never as "no resources".

pub mod apikeys;
pub mod bigquery;
pub mod client;
pub mod compute;
pub mod dataproc;
pub mod dns;
pub mod iam;
pub mod kms;
pub mod logging;
pub mod project_settings;
pub mod resourcemanager;
pub mod sql;
pub mod storage;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::collect::request::GcpRequest;
use crate::inventory::{CollectionError, Inventory, Provider, Resource};

use super::{CollectError, Progress};
use client::{ApiError, Auth, ENDPOINT_ENV, GcpClient};

/// Projects collected at the same time.
const PROJECT_CONCURRENCY: usize = 4;
/// Per-resource calls (bucket IAM, key lists, ...) in flight at once within a service.
pub(crate) const ITEM_CONCURRENCY: usize = 8;
/// How long to wait for the first access token before giving up.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(20);

/// How to authenticate, shown whenever credentials are missing or refused.
const AUTH_HELP: &str = "authenticate with `gcloud auth application-default login`, or set \
GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or a workload identity \
federation configuration; the principal needs roles/viewer and roles/iam.securityReviewer \
(or equivalent read-only roles) on each project";

/// Collects the projects named on the command line and those below `--organization` /
/// `--folder`.
pub async fn collect(args: &GcpRequest, progress: &Progress) -> Result<Inventory, CollectError> {
    if args.projects.is_empty() && args.organization.is_none() && args.folder.is_none() {
        return Err(CollectError::Config(
            "name what to scan: `--project P` (repeatable), `--organization ID` or `--folder ID`"
                .to_string(),
        ));
    }
    let endpoint = std::env::var(ENDPOINT_ENV)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(e) = &endpoint
        && !(e.starts_with("http://") || e.starts_with("https://"))
    {
        return Err(CollectError::Config(format!(
            "{ENDPOINT_ENV} must be a base URL such as http://127.0.0.1:8080, not `{e}`"
        )));
    }
    let auth = authenticate(endpoint.is_some()).await?;
    let http = reqwest::Client::builder()
        .user_agent(concat!("mamori/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| CollectError::fatal(format!("cannot start the HTTP client: {e}"), "retry"))?;
    let client = GcpClient::new(http, endpoint.clone(), auth);

    let mut projects: Vec<(String, Option<String>)> =
        args.projects.iter().map(|p| (p.clone(), None)).collect();
    for (flag, parent) in [
        (
            "--organization",
            args.organization
                .as_ref()
                .map(|o| format!("organizations/{}", strip(o, "organizations/"))),
        ),
        (
            "--folder",
            args.folder
                .as_ref()
                .map(|f| format!("folders/{}", strip(f, "folders/"))),
        ),
    ] {
        let Some(parent) = parent else { continue };
        let spinner = progress.task(format!("gcp: listing projects in {parent}"));
        let task = client.with_progress(spinner.clone());
        let found = resourcemanager::enumerate_projects(&task, &parent).await;
        spinner.finish_and_clear();
        let found = found.map_err(|e| enumeration_error(flag, &parent, &e, endpoint.as_deref()))?;
        if found.is_empty() {
            return Err(CollectError::fatal(
                format!("no active project found below {parent}"),
                "check the id, and that the credentials may list its projects (resourcemanager.projects.list)",
            ));
        }
        for (id, name) in found {
            if !projects.iter().any(|(p, _)| *p == id) {
                projects.push((id, name));
            }
        }
    }

    if let Some(shard) = args.shard {
        projects.retain(|(p, _)| shard.owns(p));
    }

    let results: Vec<Result<Inventory, CollectError>> = futures::stream::iter(projects)
        .map(|(project, name)| {
            let task = progress.task(format!("gcp: {project}"));
            let client = client.with_progress(task.clone());
            let endpoint = endpoint.clone();
            async move {
                let r = collect_project(&client, &project, name, endpoint.as_deref()).await;
                task.finish_and_clear();
                r
            }
        })
        .buffer_unordered(PROJECT_CONCURRENCY)
        .collect()
        .await;
    let mut inv = Inventory::new();
    for r in results {
        inv.merge(r?);
    }
    Ok(inv)
}

fn strip<'a>(s: &'a str, prefix: &str) -> &'a str {
    s.strip_prefix(prefix).unwrap_or(s)
}

/// Application Default Credentials, or anonymous calls when an endpoint override is set
/// and no credentials are available.
async fn authenticate(endpoint_override: bool) -> Result<Auth, CollectError> {
    let creds =
        match google_cloud_auth::credentials::Builder::default().build_access_token_credentials() {
            Ok(c) => c,
            Err(_) if endpoint_override => return Ok(Auth::Anonymous),
            Err(e) => {
                return Err(CollectError::fatal(
                    format!("no usable Google Cloud credentials: {e}"),
                    AUTH_HELP,
                ));
            }
        };
    match tokio::time::timeout(TOKEN_TIMEOUT, creds.access_token()).await {
        Ok(Ok(_)) => Ok(Auth::Adc(creds)),
        _ if endpoint_override => Ok(Auth::Anonymous),
        Ok(Err(e)) => Err(CollectError::fatal(
            format!("cannot obtain a Google Cloud access token: {e}"),
            AUTH_HELP,
        )),
        Err(_) => Err(CollectError::fatal(
            format!(
                "no Google Cloud credentials found (no credentials file, and the metadata server did not answer within {}s)",
                TOKEN_TIMEOUT.as_secs()
            ),
            AUTH_HELP,
        )),
    }
}

fn unreachable_error(e: &ApiError, endpoint: Option<&str>) -> CollectError {
    let help = match endpoint {
        Some(ep) => format!("is the server at {ep} ({ENDPOINT_ENV}) running?"),
        None => "check the network connection and any proxy settings".to_string(),
    };
    CollectError::fatal(format!("cannot reach Google Cloud: {}", e.message), help)
}

fn enumeration_error(
    flag: &str,
    parent: &str,
    e: &ApiError,
    endpoint: Option<&str>,
) -> CollectError {
    if e.is_transport() {
        return unreachable_error(e, endpoint);
    }
    if e.status == 401 {
        return CollectError::fatal(format!("authentication refused: {}", e.message), AUTH_HELP);
    }
    CollectError::fatal(
        format!(
            "cannot list the projects below {parent} ({flag}): {} {}",
            e.code, e.message
        ),
        "the principal needs resourcemanager.projects.list and resourcemanager.folders.list \
         (e.g. roles/browser) on the organization or folder; or name projects with --project",
    )
}

/// Collects one project: its metadata and IAM policy first (other services use them), then
/// every service concurrently.
async fn collect_project(
    client: &GcpClient,
    project: &str,
    listed_name: Option<String>,
    endpoint: Option<&str>,
) -> Result<Inventory, CollectError> {
    let ctx = Ctx {
        client: client.clone(),
        project: project.to_string(),
    };
    let mut out = Collected::default();
    let info = match resourcemanager::get_project(&ctx).await {
        Ok(info) => Some(info),
        Err(e) if e.is_transport() => return Err(unreachable_error(&e, endpoint)),
        Err(e) if e.status == 401 => {
            return Err(CollectError::fatal(
                format!(
                    "authentication refused for project {project}: {}",
                    e.message
                ),
                AUTH_HELP,
            ));
        }
        Err(e) => {
            out.fail(
                &ctx,
                "resourcemanager",
                "projects.get",
                &[resourcemanager::KIND],
                &e,
                None,
            );
            None
        }
    };
    let (policy, sinks) = futures::join!(
        resourcemanager::get_iam_policy(&ctx),
        logging::list_sinks(&ctx)
    );
    let policy = match policy {
        Ok(p) => Some(p),
        Err(e) => {
            out.fail(
                &ctx,
                "resourcemanager",
                "cloudresourcemanager.projects.getIamPolicy",
                &[resourcemanager::KIND, iam::KIND_SERVICE_ACCOUNT],
                &e,
                None,
            );
            None
        }
    };

    // Every service at once: no barrier between services, only the shared HTTP
    // client's limits.
    let (
        iam_out,
        storage_out,
        (compute_out, compute_facts),
        sql_out,
        kms_out,
        (logging_out, logging_facts),
        dns_out,
        (settings_out, settings_facts),
        (keys_out, keys_facts),
        bigquery_out,
        dataproc_out,
    ) = futures::join!(
        iam::collect(&ctx, policy.as_ref()),
        storage::collect(&ctx, sinks.as_deref().ok()),
        compute::collect(&ctx),
        sql::collect(&ctx),
        kms::collect(&ctx),
        logging::collect(&ctx, &sinks),
        dns::collect(&ctx),
        project_settings::collect(&ctx),
        apikeys::collect(&ctx),
        bigquery::collect(&ctx),
        dataproc::collect(&ctx),
    );
    for part in [
        iam_out,
        storage_out,
        compute_out,
        sql_out,
        kms_out,
        logging_out,
        dns_out,
        settings_out,
        keys_out,
        bigquery_out,
        dataproc_out,
    ] {
        out.extend(part);
    }
    let mut facts = compute_facts.unwrap_or_default();
    facts.extend(logging_facts);
    facts.extend(settings_facts);
    facts.extend(keys_facts);
    let (scope, project_resource) =
        resourcemanager::project_resource(&ctx, info, listed_name, policy.as_ref(), &facts);
    out.resources.push(project_resource);

    let mut inv = Inventory::new();
    inv.scopes.push(scope);
    inv.resources = out.resources;
    inv.errors = out.errors;
    Ok(inv)
}

/// What a service collector needs: the client and the project.
pub(crate) struct Ctx {
    /// The client, counting calls on the project's progress spinner.
    pub client: GcpClient,
    /// The project id.
    pub project: String,
}

/// What one service collector produced.
#[derive(Default)]
pub(crate) struct Collected {
    /// Normalized resources.
    pub resources: Vec<Resource>,
    /// Failed calls.
    pub errors: Vec<CollectionError>,
}

impl Collected {
    /// Records a failed call leaving `kinds` incomplete (for one resource when
    /// `resource_id` is given).
    pub fn fail(
        &mut self,
        ctx: &Ctx,
        service: &str,
        operation: &str,
        kinds: &[&str],
        e: &ApiError,
        resource_id: Option<String>,
    ) {
        self.errors.push(CollectionError {
            provider: Provider::Gcp,
            scope: ctx.project.clone(),
            service: service.to_string(),
            region: None,
            operation: operation.to_string(),
            code: e.code.clone(),
            message: e.message.clone(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            resource_id,
            fields: Vec::new(),
        });
    }

    /// Records a failed call that only leaves some fields of the project resource out: no
    /// kind is marked incomplete; the checks reading the missing fields report `error`.
    pub fn fail_partial(&mut self, ctx: &Ctx, service: &str, operation: &str, e: &ApiError) {
        self.fail(
            ctx,
            service,
            operation,
            &[],
            e,
            Some(resourcemanager::project_id(&ctx.project)),
        );
    }

    /// Adds a resource.
    pub fn push(&mut self, r: Resource) {
        self.resources.push(r);
    }

    fn extend(&mut self, other: Collected) {
        self.resources.extend(other.resources);
        self.errors.extend(other.errors);
    }
}

/// A new GCP resource in the context's project.
pub(crate) fn resource(ctx: &Ctx, kind: &str, id: impl Into<String>, data: &Value) -> Resource {
    Resource::new(Provider::Gcp, kind, ctx.project.clone(), id, data)
}

/// Labels as tags.
pub(crate) fn labels(v: &Value) -> BTreeMap<String, String> {
    v.get("labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// A string field, if present.
pub(crate) fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string field or "".
pub(crate) fn s_or<'a>(v: &'a Value, key: &str) -> &'a str {
    s(v, key).unwrap_or_default()
}

/// A boolean field, `false` when absent (Google omits false booleans).
pub(crate) fn b(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A list of strings, empty when absent.
pub(crate) fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// An integer that Google may send as a JSON string (int64 fields) or number.
pub(crate) fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The last segment of a URL or resource name (`.../networks/default` -> `default`).
pub(crate) fn short(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_string()
}

/// A duration in Google's JSON form (`"7776000s"`, `"1.5s"`) as whole seconds.
pub(crate) fn duration_seconds(s: &str) -> Option<i64> {
    let n = s.strip_suffix('s')?;
    n.parse::<f64>().ok().map(|f| f as i64)
}

/// IAM policy bindings normalized: `[{role, members[], condition?{title, expression}}]`.
pub(crate) fn iam_bindings(policy: &Value) -> Value {
    let bindings: Vec<Value> = policy
        .get("bindings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|bnd| {
                    let mut o = json!({
                        "role": s_or(bnd, "role"),
                        "members": strings(bnd, "members"),
                    });
                    if let Some(c) = bnd.get("condition") {
                        o["condition"] = json!({
                            "title": s_or(c, "title"),
                            "expression": s_or(c, "expression"),
                        });
                    }
                    o
                })
                .collect()
        })
        .unwrap_or_default();
    Value::Array(bindings)
}

/// Metadata items (`{items: [{key, value}]}`) as a map.
pub(crate) fn metadata_map(metadata: Option<&Value>) -> BTreeMap<String, String> {
    metadata
        .and_then(|m| m.get("items"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((s(i, "key")?.to_string(), s_or(i, "value").to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A metadata flag as Compute Engine reads it (`TRUE`, `true`, `1`, `y`, `yes`).
pub(crate) fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "y" | "yes"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_ints() {
        assert_eq!(duration_seconds("7776000s"), Some(7_776_000));
        assert_eq!(duration_seconds("1.5s"), Some(1));
        assert_eq!(duration_seconds("x"), None);
        assert_eq!(int(&json!({"a": "42"}), "a"), Some(42));
        assert_eq!(int(&json!({"a": 42}), "a"), Some(42));
    }

    #[test]
    fn bindings_keep_conditions() {
        let p = json!({"bindings": [{"role": "roles/viewer", "members": ["user:a@x"],
            "condition": {"title": "t", "expression": "e"}}, {"role": "roles/owner"}]});
        let b = iam_bindings(&p);
        assert_eq!(b[0]["condition"]["expression"], "e");
        assert_eq!(b[1]["members"], json!([]));
    }
}
