//! One small REST client for every Google Cloud API the collector reads.
//!
//! Why not Google's generated `google-cloud-*` clients: measured on a 2-core build machine,
//! `google-cloud-compute-v1` alone is ~1.2 million lines of generated Rust (50 MB of source)
//! before `sql-v1`, `iam-admin-v1` and `resourcemanager-v3`, and there are no generated REST
//! clients for the GCS JSON API (the storage crate's control plane is gRPC-only) or Cloud DNS.
//! The collector needs a few dozen read-only GET calls whose JSON it normalizes anyway, so it
//! uses Google's official `google-cloud-auth` crate for Application Default Credentials and
//! `reqwest` for the calls. That also gives every API the same behaviour: one place for
//! `MAMORI_GCP_ENDPOINT`, `nextPageToken` paging, compute aggregated lists, retries with
//! backoff on 429/5xx and the parsing of Google's error bodies.

use std::time::Duration;

use google_cloud_auth::credentials::{
    AccessTokenCredentials, CacheableResource, CredentialsProvider,
};
use indicatif::ProgressBar;
use serde_json::{Map, Value};

/// The environment variable that sends every GCP REST call to another base URL.
pub const ENDPOINT_ENV: &str = "MAMORI_GCP_ENDPOINT";

/// Attempts per call on throttling (429) and server errors (5xx).
const MAX_ATTEMPTS: u32 = 10;
/// Attempts per call when the server cannot be reached at all.
const MAX_TRANSPORT_ATTEMPTS: u32 = 3;
/// First backoff delay; doubled on each retry up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Upper bound on pages read from one list, against servers that repeat tokens forever.
const MAX_PAGES: usize = 10_000;

/// The Google APIs the collector calls, each with its production base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Resource Manager v3 (projects, folders, project IAM policy).
    ResourceManager,
    /// IAM v1 (service accounts and keys).
    Iam,
    /// Cloud Storage JSON API v1.
    Storage,
    /// Compute Engine v1.
    Compute,
    /// Cloud SQL Admin v1.
    Sql,
    /// Cloud KMS v1.
    Kms,
    /// Cloud Logging v2.
    Logging,
    /// Cloud DNS v1.
    Dns,
    /// Cloud Monitoring v3 (alert policies).
    Monitoring,
    /// Service Usage v1 (enabled services).
    ServiceUsage,
    /// Essential Contacts v1.
    EssentialContacts,
    /// Access Approval v1.
    AccessApproval,
    /// API Keys v2.
    ApiKeys,
    /// BigQuery v2.
    BigQuery,
    /// Dataproc v1.
    Dataproc,
}

impl Api {
    /// The production base URL; paths are appended unchanged.
    fn base_url(self) -> &'static str {
        match self {
            Api::ResourceManager => "https://cloudresourcemanager.googleapis.com",
            Api::Iam => "https://iam.googleapis.com",
            Api::Storage => "https://storage.googleapis.com",
            Api::Compute => "https://compute.googleapis.com",
            Api::Sql => "https://sqladmin.googleapis.com",
            Api::Kms => "https://cloudkms.googleapis.com",
            Api::Logging => "https://logging.googleapis.com",
            Api::Dns => "https://dns.googleapis.com",
            Api::Monitoring => "https://monitoring.googleapis.com",
            Api::ServiceUsage => "https://serviceusage.googleapis.com",
            Api::EssentialContacts => "https://essentialcontacts.googleapis.com",
            Api::AccessApproval => "https://accessapproval.googleapis.com",
            Api::ApiKeys => "https://apikeys.googleapis.com",
            Api::BigQuery => "https://bigquery.googleapis.com",
            Api::Dataproc => "https://dataproc.googleapis.com",
        }
    }
}

/// A failed call: Google's error body reduced to what a collection error records.
#[derive(Debug, Clone, thiserror::Error)]
#[error("HTTP {status} {code}: {message}")]
pub struct ApiError {
    /// HTTP status; 0 when no response arrived.
    pub status: u16,
    /// `SERVICE_DISABLED` for a disabled API, else the error's `status` (e.g.
    /// `PERMISSION_DENIED`) or reason, else `HTTP_<status>`; `UNAVAILABLE` without a response.
    pub code: String,
    /// Google's message.
    pub message: String,
}

impl ApiError {
    /// Whether the API is disabled in the project (nothing of it can be assessed).
    pub fn is_service_disabled(&self) -> bool {
        self.code == "SERVICE_DISABLED"
    }

    /// Whether no response was received (connection refused, DNS, timeout).
    pub fn is_transport(&self) -> bool {
        self.status == 0
    }

    /// Parses a Google error body (`{"error": {"code", "message", "status", "details"}}`;
    /// the Storage JSON API uses `errors[].reason` instead of `status`).
    fn from_body(status: u16, body: &str) -> Self {
        let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let err = parsed.get("error");
        let message = err
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| body.chars().take(300).collect());
        let disabled = err
            .and_then(|e| e.get("details"))
            .and_then(Value::as_array)
            .is_some_and(|details| {
                details.iter().any(|d| {
                    d.get("@type").and_then(Value::as_str)
                        == Some("type.googleapis.com/google.rpc.ErrorInfo")
                        && d.get("reason").and_then(Value::as_str) == Some("SERVICE_DISABLED")
                })
            });
        let code = if disabled {
            "SERVICE_DISABLED".to_string()
        } else if let Some(s) = err.and_then(|e| e.get("status")).and_then(Value::as_str) {
            s.to_string()
        } else if let Some(r) = err
            .and_then(|e| e.get("errors"))
            .and_then(|e| e.get(0))
            .and_then(|e| e.get("reason"))
            .and_then(Value::as_str)
        {
            r.to_string()
        } else {
            format!("HTTP_{status}")
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

/// How requests are authenticated.
#[derive(Clone)]
pub enum Auth {
    /// Application Default Credentials.
    Adc(AccessTokenCredentials),
    /// No `Authorization` header (only with an endpoint override).
    Anonymous,
}

/// A cheap-to-clone client: shared connection pool and credentials, plus the progress
/// spinner of the task using it.
#[derive(Clone)]
pub struct GcpClient {
    http: reqwest::Client,
    endpoint: Option<String>,
    auth: Auth,
    progress: ProgressBar,
}

impl GcpClient {
    /// A client sending calls to `endpoint` (a base URL) when given, else to Google.
    pub fn new(http: reqwest::Client, endpoint: Option<String>, auth: Auth) -> Self {
        GcpClient {
            http,
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_string()),
            auth,
            progress: ProgressBar::hidden(),
        }
    }

    /// The same client, counting its calls on `progress`.
    pub fn with_progress(&self, progress: ProgressBar) -> Self {
        GcpClient {
            progress,
            ..self.clone()
        }
    }

    fn url(&self, api: Api, path: &str) -> String {
        let base = self.endpoint.as_deref().unwrap_or(api.base_url());
        format!("{base}{path}")
    }

    /// `GET path?query`, returning the JSON body.
    pub async fn get(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, ApiError> {
        self.call(reqwest::Method::GET, api, path, query, None)
            .await
    }

    /// `POST path` with a JSON body (used for `:getIamPolicy`, which reads nothing else).
    pub async fn post(&self, api: Api, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.call(reqwest::Method::POST, api, path, &[], Some(body))
            .await
    }

    /// Reads every page of a list: the arrays under `items_key`, following `nextPageToken`.
    /// A missing `items_key` is an empty page (Google omits empty lists).
    pub async fn list(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, &str)],
        items_key: &str,
    ) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        self.pages(api, path, query, |page| {
            if let Some(Value::Array(items)) = page.get_mut(items_key) {
                out.append(items);
            }
        })
        .await?;
        Ok(out)
    }

    /// Reads every page of a Compute aggregated list (`items` maps `zones/Z` or
    /// `regions/R` to `{items_key: [...]}` or to a `NO_RESULTS_ON_PAGE` warning) and
    /// returns `(scope, item)` pairs, the scope without its `zones/`/`regions/` prefix.
    pub async fn aggregated(
        &self,
        path: &str,
        items_key: &str,
    ) -> Result<Vec<(String, Value)>, ApiError> {
        let mut out = Vec::new();
        self.pages(Api::Compute, path, &[], |page| {
            if let Some(Value::Object(scopes)) = page.get_mut("items") {
                for (scope, entry) in std::mem::take(scopes) {
                    let short = scope.rsplit('/').next().unwrap_or(&scope).to_string();
                    if let Value::Object(mut entry) = entry
                        && let Some(Value::Array(items)) = entry.remove(items_key)
                    {
                        out.extend(items.into_iter().map(|i| (short.clone(), i)));
                    }
                }
            }
        })
        .await?;
        Ok(out)
    }

    async fn pages(
        &self,
        api: Api,
        path: &str,
        query: &[(&str, &str)],
        mut each: impl FnMut(&mut Value),
    ) -> Result<(), ApiError> {
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            if let Some(t) = token.as_deref() {
                q.push(("pageToken", t));
            }
            let mut page = self.get(api, path, &q).await?;
            each(&mut page);
            let next = page
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if next.is_none() || next == token {
                return Ok(());
            }
            token = next;
        }
        Ok(())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        api: Api,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let url = self.url(api, path);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.progress.inc(1);
            let result = self.send(method.clone(), &url, query, body).await;
            let retryable = match &result {
                Ok(_) => false,
                Err(e) if e.is_transport() => attempt < MAX_TRANSPORT_ATTEMPTS,
                Err(e) => matches!(e.status, 429 | 500 | 502 | 503 | 504) && attempt < MAX_ATTEMPTS,
            };
            if !retryable {
                return result;
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let mut req = self.http.request(method, url);
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Auth::Adc(creds) = &self.auth {
            // The credentials' headers carry the bearer token and, for user credentials
            // with a quota project, `x-goog-user-project` (needed by some APIs).
            let headers = CredentialsProvider::headers(creds, http::Extensions::new())
                .await
                .map_err(|e| ApiError {
                    status: 401,
                    code: "UNAUTHENTICATED".to_string(),
                    message: format!("cannot obtain an access token: {e}"),
                })?;
            if let CacheableResource::New { data, .. } = headers {
                req = req.headers(data);
            }
        }
        let resp = req.send().await.map_err(|e| ApiError {
            status: 0,
            code: "UNAVAILABLE".to_string(),
            message: format!("{url}: {}", error_chain(&e)),
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| ApiError {
            status: 0,
            code: "UNAVAILABLE".to_string(),
            message: format!("{url}: {}", error_chain(&e)),
        })?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_body(status, &text));
        }
        if text.trim().is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        serde_json::from_str(&text).map_err(|e| ApiError {
            status,
            code: "INVALID_RESPONSE".to_string(),
            message: format!("{url}: response is not JSON: {e}"),
        })
    }
}

/// Exponential backoff with a little jitter (no RNG dependency: clock nanoseconds).
fn backoff(attempt: u32) -> Duration {
    let exp = BASE_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let capped = exp.min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = Duration::from_millis(u64::from(nanos % 50));
    capped + jitter
}

/// The error and its sources on one line (reqwest's top-level message hides the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_disabled_is_recognised() {
        let body = r#"{"error":{"code":403,"message":"Compute Engine API has not been used",
          "status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
          "reason":"SERVICE_DISABLED","domain":"googleapis.com",
          "metadata":{"service":"compute.googleapis.com"}}]}}"#;
        let e = ApiError::from_body(403, body);
        assert!(e.is_service_disabled());
        assert!(e.message.starts_with("Compute Engine API"));
    }

    #[test]
    fn storage_errors_use_the_reason() {
        let body = r#"{"error":{"code":403,"message":"denied","errors":[{"reason":"forbidden"}]}}"#;
        assert_eq!(ApiError::from_body(403, body).code, "forbidden");
        assert_eq!(ApiError::from_body(502, "<html>").code, "HTTP_502");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) < Duration::from_millis(200));
        assert!(backoff(3) >= Duration::from_millis(400));
        assert!(backoff(30) <= MAX_BACKOFF + Duration::from_millis(50));
    }
}
