//! A small Salesforce REST client: API version discovery, SOQL queries on the REST and
//! Tooling APIs with `nextRecordsUrl` paging, `describe`, retries with backoff on 5xx and
//! `REQUEST_LIMIT_EXCEEDED`, and Salesforce's error bodies (`[{"message","errorCode"}]`).
//! Requests of every client of a scan share one [`RequestLimit`] (`--max-concurrency`).
//!
//! The access token is sent in the `Authorization` header only; it never appears in an
//! error message (see [`AccessToken`] and [`redact`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{OnceCell, Semaphore};

use crate::collect::CollectError;

/// The lowest API version mamori speaks (Spring '24).
pub const MIN_API_VERSION: f64 = 60.0;

/// How many times a call is tried before its error is kept: well past the usual 3, so
/// that a burst of 503s or concurrent-request limits does not change what a scan sees.
const MAX_ATTEMPTS: u32 = 10;

/// The longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Once the org's daily API usage (`Sforce-Limit-Info: api-usage=USED/LIMIT`) reaches
/// this share of its limit, mamori stops calling: the rest of the quota is the org's.
pub const API_USAGE_CEILING: f64 = 0.95;

/// Guidance printed when the org refuses the session.
pub const REAUTH_HELP: &str =
    "re-authenticate with `sf org login web --alias ALIAS` (or refresh SF_ACCESS_TOKEN)";

/// The most requests in flight at once over every client sharing it (clones share one
/// limit). A request holds its permit while it is on the wire; a retry waits out its
/// backoff without one.
#[derive(Debug, Clone)]
pub struct RequestLimit(Arc<Semaphore>);

impl RequestLimit {
    /// A limit of `max` requests in flight (at least one).
    pub fn new(max: usize) -> Self {
        RequestLimit(Arc::new(Semaphore::new(max.max(1))))
    }
}

/// An OAuth access token. Its `Debug` and `Display` never show the value.
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The secret value, for the `Authorization` header and redaction only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replaces every occurrence of the token in `text` (error bodies can echo requests).
pub fn redact(text: &str, token: &AccessToken) -> String {
    let secret = token.expose();
    if secret.len() < 4 {
        // Too short to redact without mangling ordinary words; such a token is not real.
        return text.to_string();
    }
    text.replace(secret, "[REDACTED]")
}

/// Which API a query goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `/services/data/vNN.0/query`.
    Rest,
    /// `/services/data/vNN.0/tooling/query`.
    Tooling,
}

impl Api {
    /// The path segment below the version.
    fn query_path(self) -> &'static str {
        match self {
            Api::Rest => "query",
            Api::Tooling => "tooling/query",
        }
    }

    /// `rest` or `tooling`, for error records.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Rest => "rest",
            Api::Tooling => "tooling",
        }
    }
}

/// A failed API call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Salesforce answered with an error status and (usually) an error body.
    #[error("{code}: {message}")]
    Salesforce {
        /// HTTP status.
        status: u16,
        /// `errorCode`, e.g. `INVALID_TYPE`, `INSUFFICIENT_ACCESS`.
        code: String,
        /// `message`.
        message: String,
    },
    /// The request never got an answer (connection refused, TLS, timeout) or the answer
    /// was not JSON.
    #[error("{0}")]
    Transport(String),
}

impl ApiError {
    /// The session was refused: nothing else will work, the scan must stop.
    pub fn is_session_invalid(&self) -> bool {
        matches!(self, ApiError::Salesforce { status: 401, .. })
    }

    /// The provider error code, or `TRANSPORT`.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Salesforce { code, .. } => code,
            ApiError::Transport(_) => "TRANSPORT",
        }
    }

    /// Whether another attempt may succeed.
    fn is_retryable(&self) -> bool {
        match self {
            ApiError::Salesforce { status, code, .. } => {
                *status >= 500 || code == "REQUEST_LIMIT_EXCEEDED" || *status == 429
            }
            ApiError::Transport(_) => true,
        }
    }

    /// The error as a fatal collection error, with guidance.
    pub fn into_fatal(self, instance: &str) -> CollectError {
        if self.is_session_invalid() {
            CollectError::fatal(
                format!("Salesforce refused the session for {instance}: {self}"),
                REAUTH_HELP,
            )
        } else {
            CollectError::fatal(
                format!("cannot reach the Salesforce API at {instance}: {self}"),
                "check --instance-url / SF_INSTANCE_URL and the network; then retry",
            )
        }
    }
}

/// A connected client for one org.
pub struct Client {
    http: reqwest::Client,
    instance: String,
    version: String,
    token: AccessToken,
    calls: AtomicUsize,
    backoff: Duration,
    /// One cell per described object: concurrent callers share one request.
    describes: Mutex<HashMap<(Api, String), Arc<DescribeCell>>>,
    /// The highest `Sforce-Limit-Info` seen: used and limit, packed as `used << 32 | limit`.
    api_usage: AtomicU64,
    /// Requests sent and not answered yet (their usage is not reported yet).
    in_flight: AtomicUsize,
    limit: RequestLimit,
}

/// An object's describe, once asked.
type DescribeCell = OnceCell<Arc<Describe>>;

/// What `sobjects/<X>/describe` says an object has.
#[derive(Debug, Default)]
pub struct Describe {
    /// Field API names.
    pub fields: BTreeSet<String>,
    /// Relationship names of reference fields (`Profile` for `ProfileId`).
    pub relationships: BTreeSet<String>,
}

impl Describe {
    /// Whether a SELECT item exists: a field, or `Relationship.Field` whose relationship
    /// exists (the far end is not described).
    pub fn has(&self, item: &str) -> bool {
        match item.split_once('.') {
            Some((rel, _)) => self.relationships.contains(rel),
            None => self.fields.contains(item),
        }
    }
}

/// Parses `api-usage=USED/LIMIT` out of a `Sforce-Limit-Info` header.
pub fn parse_limit_info(header: &str) -> Option<(u32, u32)> {
    let usage = header
        .split(',')
        .find_map(|p| p.trim().strip_prefix("api-usage="))?;
    let (used, limit) = usage.split_once('/')?;
    Some((used.trim().parse().ok()?, limit.trim().parse().ok()?))
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("instance", &self.instance)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Builds the HTTP client every Salesforce API call uses.
pub fn http_client() -> Result<reqwest::Client, CollectError> {
    build_http_client(
        reqwest::Client::builder()
            .user_agent(concat!("mamori/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(120)),
    )
}

/// Finishes an HTTP client (with the shared connect timeout); a failure is fatal.
pub fn build_http_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, CollectError> {
    builder
        .connect_timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| {
            CollectError::fatal(
                format!("cannot build the HTTP client: {e}"),
                "check the TLS configuration of this machine",
            )
        })
}

/// Normalizes an instance URL: no trailing slash, scheme required.
pub fn normalize_instance(url: &str) -> Result<String, CollectError> {
    normalize_url(url, "instance URL", "https://example.my.salesforce.com")
}

/// Trims a base URL's trailing slashes; `what` and `example` word the error when it has
/// no http(s) scheme.
pub fn normalize_url(url: &str, what: &str, example: &str) -> Result<String, CollectError> {
    let trimmed = url.trim().trim_end_matches('/');
    if !(trimmed.starts_with("https://") || trimmed.starts_with("http://")) {
        return Err(CollectError::Config(format!(
            "{what} `{trimmed}` must start with https:// (e.g. {example})"
        )));
    }
    Ok(trimmed.to_string())
}

impl Client {
    /// Connects: asks the org which API versions it offers and picks the newest
    /// (at least [`MIN_API_VERSION`]). A refused session or an unreachable endpoint is fatal.
    /// Every request of the client then waits for a permit of `limit`.
    pub async fn connect(
        http: reqwest::Client,
        instance: &str,
        token: AccessToken,
        limit: RequestLimit,
    ) -> Result<Client, CollectError> {
        let mut client = Client {
            http,
            instance: normalize_instance(instance)?,
            version: format!("{MIN_API_VERSION:.1}"),
            token,
            calls: AtomicUsize::new(0),
            backoff: Duration::from_millis(250),
            describes: Mutex::new(HashMap::new()),
            api_usage: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            limit,
        };
        let url = format!("{}/services/data/", client.instance);
        let versions = client
            .get_json(&url)
            .await
            .map_err(|e| e.into_fatal(&client.instance))?;
        client.version = choose_version(&versions).ok_or_else(|| {
            CollectError::fatal(
                format!(
                    "the org at {} offers no REST API version at or above {MIN_API_VERSION:.1}",
                    client.instance
                ),
                "mamori needs API version 60.0 (Spring '24) or later",
            )
        })?;
        Ok(client)
    }

    /// The instance URL, e.g. `https://example.my.salesforce.com`.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The chosen API version, e.g. `62.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// How many HTTP requests were made.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }

    /// Runs a SOQL query and follows `nextRecordsUrl` until `done`; returns every record.
    pub async fn query(&self, api: Api, soql: &str) -> Result<Vec<Value>, ApiError> {
        let base = format!(
            "{}/services/data/v{}/{}",
            self.instance,
            self.version,
            api.query_path()
        );
        let mut url = reqwest::Url::parse(&base).map_err(|e| ApiError::Transport(e.to_string()))?;
        url.query_pairs_mut().append_pair("q", soql);
        let mut page = self.get_json(url.as_str()).await?;
        let mut records = Vec::new();
        loop {
            if let Some(Value::Array(rows)) = page.get_mut("records").map(Value::take) {
                records.extend(rows);
            }
            let done = page.get("done").and_then(Value::as_bool).unwrap_or(true);
            let next = page.get("nextRecordsUrl").and_then(Value::as_str);
            match (done, next) {
                (false, Some(next)) => {
                    let url = format!("{}{}", self.instance, next);
                    page = self.get_json(&url).await?;
                }
                _ => break,
            }
        }
        Ok(records)
    }

    /// What an object has (`/sobjects/<X>/describe` on the REST or Tooling API), asked
    /// once per object per scan (callers asking at the same time share the answer; a
    /// failure is not kept).
    pub async fn describe(&self, api: Api, sobject: &str) -> Result<Arc<Describe>, ApiError> {
        let cell = match self.describes.lock() {
            Ok(mut m) => m.entry((api, sobject.to_string())).or_default().clone(),
            Err(_) => Arc::new(OnceCell::new()),
        };
        cell.get_or_try_init(|| self.fetch_describe(api, sobject))
            .await
            .cloned()
    }

    /// Asks for an object's describe.
    async fn fetch_describe(&self, api: Api, sobject: &str) -> Result<Arc<Describe>, ApiError> {
        let prefix = match api {
            Api::Rest => "",
            Api::Tooling => "tooling/",
        };
        let url = format!(
            "{}/services/data/v{}/{prefix}sobjects/{sobject}/describe",
            self.instance, self.version
        );
        let body = self.get_json(&url).await?;
        let mut d = Describe::default();
        for f in body
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = f.get("name").and_then(Value::as_str) {
                d.fields.insert(name.to_string());
            }
            if let Some(rel) = f.get("relationshipName").and_then(Value::as_str) {
                d.relationships.insert(rel.to_string());
            }
        }
        Ok(Arc::new(d))
    }

    /// The org's daily API usage as last reported (`Sforce-Limit-Info`), if seen.
    pub fn api_usage(&self) -> Option<(u32, u32)> {
        let packed = self.api_usage.load(Ordering::Relaxed);
        let (used, limit) = ((packed >> 32) as u32, packed as u32);
        (limit > 0).then_some((used, limit))
    }

    /// Runs `call` until it succeeds, fails for good, or [`MAX_ATTEMPTS`] are spent,
    /// with exponential backoff (capped at [`MAX_BACKOFF`]) between attempts.
    async fn retrying<T, Fut>(&self, call: impl Fn() -> Fut) -> Result<T, ApiError>
    where
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match call().await {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => {
                    let pause = self
                        .backoff
                        .saturating_mul(2u32.saturating_pow(attempt - 1));
                    tokio::time::sleep(pause.min(MAX_BACKOFF)).await;
                }
                other => return other,
            }
        }
    }

    /// Sends one request once it holds a permit of the scan's [`RequestLimit`]: refuses
    /// once the org's daily API usage, counting the requests still unanswered, reaches
    /// [`API_USAGE_CEILING`]; counts it, records `Sforce-Limit-Info`, and returns the
    /// status and the (redacted) body.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, String), ApiError> {
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.limit.0.acquire().await.ok();
        let unanswered = InFlight::enter(&self.in_flight);
        if let Some((used, limit)) = self.api_usage()
            && f64::from(used) + unanswered.others as f64 >= f64::from(limit) * API_USAGE_CEILING
        {
            return Err(ApiError::Salesforce {
                status: 403,
                code: "API_USAGE_CEILING".to_string(),
                message: format!(
                    "the org has used {used} of its {limit} daily API requests; mamori stops at {:.0}% to leave the rest to the org",
                    API_USAGE_CEILING * 100.0
                ),
            });
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        let response = request
            .send()
            .await
            .map_err(|e| ApiError::Transport(redact(&transport_message(e), &self.token)))?;
        let status = response.status().as_u16();
        if let Some((used, limit)) = response
            .headers()
            .get("sforce-limit-info")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_limit_info)
        {
            // Answers may arrive out of order: the usage only grows within a scan.
            self.api_usage.fetch_max(
                (u64::from(used) << 32) | u64::from(limit),
                Ordering::Relaxed,
            );
        }
        drop(unanswered);
        let text = response
            .text()
            .await
            .map_err(|e| ApiError::Transport(redact(&transport_message(e), &self.token)))?;
        Ok((status, redact(&text, &self.token)))
    }

    /// GET with retries; parses JSON; maps error bodies.
    async fn get_json(&self, url: &str) -> Result<Value, ApiError> {
        self.retrying(|| async {
            let (status, text) = self
                .send(
                    self.http
                        .get(url)
                        .bearer_auth(self.token.expose())
                        .header("Accept", "application/json"),
                )
                .await?;
            if (200..300).contains(&status) {
                return serde_json::from_str(&text).map_err(|e| {
                    ApiError::Transport(format!("invalid JSON from Salesforce: {e}"))
                });
            }
            Err(error_from_body(status, &text))
        })
        .await
    }

    /// One Metadata API (SOAP) call, `body` being the operation element; returns the
    /// answer's XML. Retried like REST calls; a SOAP fault becomes an [`ApiError`].
    pub async fn metadata_call(&self, body: &str) -> Result<String, ApiError> {
        let url = format!("{}/services/Soap/m/{}", self.instance, self.version);
        self.retrying(|| async {
            let (status, text) = self
                .send(
                    self.http
                        .post(&url)
                        .header("Content-Type", "text/xml; charset=UTF-8")
                        .header("SOAPAction", "\"\"")
                        .body(super::metadata::envelope(self.token.expose(), body)),
                )
                .await?;
            if (200..300).contains(&status) {
                return Ok(text);
            }
            let (code, message) = super::metadata::fault(&text)
                .unwrap_or_else(|| ("UNKNOWN".to_string(), format!("HTTP {status}")));
            // SOAP answers every fault with 500: give it the status its REST twin would have.
            let status = match code.as_str() {
                "INVALID_SESSION_ID" => 401,
                "REQUEST_LIMIT_EXCEEDED" | "SERVER_UNAVAILABLE" => 503,
                "INSUFFICIENT_ACCESS" => 403,
                _ if status >= 500 && code == "UNKNOWN" => status,
                _ => 400,
            };
            Err(ApiError::Salesforce {
                status,
                code,
                message,
            })
        })
        .await
    }
}

/// One request counted in [`Client`]'s `in_flight` until dropped.
struct InFlight<'a> {
    count: &'a AtomicUsize,
    /// The other requests in flight when this one entered.
    others: usize,
}

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let others = count.fetch_add(1, Ordering::Relaxed);
        InFlight { count, others }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Interprets an error body: `[{"message","errorCode"}]` (or an object with those keys,
/// or OAuth's `{"error","error_description"}`).
pub fn error_from_body(status: u16, text: &str) -> ApiError {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    let first = match &parsed {
        Some(Value::Array(items)) => items.first(),
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    };
    let pick = |keys: &[&str]| {
        first.and_then(|o| {
            keys.iter()
                .find_map(|k| o.get(*k).and_then(Value::as_str).map(str::to_string))
        })
    };
    let code = pick(&["errorCode", "error"]).unwrap_or_else(|| format!("HTTP_{status}"));
    let message = pick(&["message", "error_description"]).unwrap_or_else(|| {
        let snippet: String = text.chars().take(200).collect();
        if snippet.is_empty() {
            format!("HTTP {status}")
        } else {
            snippet
        }
    });
    ApiError::Salesforce {
        status,
        code,
        message,
    }
}

/// A transport error's message with its cause chain, without the URL's query string.
fn transport_message(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// Picks the newest version at or above the floor from `GET /services/data/`.
fn choose_version(versions: &Value) -> Option<String> {
    versions
        .as_array()?
        .iter()
        .filter_map(|v| v.get("version").and_then(Value::as_str))
        .filter_map(|s| s.parse::<f64>().ok().map(|n| (n, s)))
        .filter(|(n, _)| *n >= MIN_API_VERSION)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_at_or_above_floor() {
        let v = serde_json::json!([
            {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"},
            {"label": "Summer '25", "url": "/services/data/v64.0", "version": "64.0"},
            {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"}
        ]);
        assert_eq!(choose_version(&v).as_deref(), Some("64.0"));
        let old = serde_json::json!([{"version": "58.0"}]);
        assert_eq!(choose_version(&old), None);
    }

    #[test]
    fn error_bodies() {
        let e = error_from_body(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        );
        assert!(e.is_session_invalid());
        assert_eq!(e.code(), "INVALID_SESSION_ID");
        let e = error_from_body(
            400,
            r#"{"error":"invalid_grant","error_description":"expired"}"#,
        );
        assert_eq!(e.to_string(), "invalid_grant: expired");
        assert!(!error_from_body(400, "[]").is_retryable());
        assert!(error_from_body(503, "oops").is_retryable());
    }

    #[test]
    fn tokens_are_redacted() {
        let t = AccessToken::new("00Dxx!secret-token");
        assert_eq!(format!("{t:?} {t}"), "AccessToken(***) ***");
        assert_eq!(
            redact("bad 00Dxx!secret-token here", &t),
            "bad [REDACTED] here"
        );
    }
}
