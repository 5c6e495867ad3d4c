//! Authentication to a Salesforce org, in this order of preference:
//!
//! 1. `--target-org ALIAS`: the Salesforce CLI's stored session, read through
//!    `sf org display --json -o ALIAS` (`accessToken`, `instanceUrl`, `id`);
//! 2. the OAuth 2.0 JWT bearer flow (`--client-id`, `--jwt-key-file`, `--username`,
//!    `--login-url`), for CI: an RS256-signed assertion exchanged at
//!    `{login-url}/services/oauth2/token`;
//! 3. `SF_ACCESS_TOKEN` with `--instance-url` / `SF_INSTANCE_URL`.
//!
//! Tokens are held in [`AccessToken`], which never prints its value.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{AccessToken, error_from_body, normalize_instance, redact};
use crate::collect::CollectError;
use crate::collect::request::SalesforceRequest;

/// Environment variable holding an access token (used with `--instance-url`).
pub const TOKEN_ENV: &str = "SF_ACCESS_TOKEN";

/// Lifetime of a JWT bearer assertion; Salesforce accepts at most a few minutes.
const ASSERTION_LIFETIME_SECS: u64 = 180;

/// A session: where the org is and the token to talk to it.
#[derive(Debug, Clone)]
pub struct Session {
    /// The org's instance URL (no trailing slash).
    pub instance_url: String,
    /// The access token.
    pub token: AccessToken,
    /// How the session was obtained, for the scope's attributes (`sf-cli`, `jwt`, `token`).
    pub method: &'static str,
    /// The org id, when known before any API call (the Salesforce CLI reports it).
    pub org_id: Option<String>,
}

/// The claims of a JWT bearer assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BearerClaims {
    /// The connected app's consumer key.
    pub iss: String,
    /// The username to log in as.
    pub sub: String,
    /// The login URL (login.salesforce.com, test.salesforce.com or a My Domain URL).
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

/// Obtains a session from the command line, the environment or the Salesforce CLI.
pub async fn authenticate(
    args: &SalesforceRequest,
    http: &reqwest::Client,
) -> Result<Session, CollectError> {
    if let Some(alias) = args.target_orgs.first() {
        return sf_cli_session(alias).await;
    }
    if args.client_id.is_some() || args.jwt_key_file.is_some() {
        return jwt_bearer(args, http).await;
    }
    let token = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty());
    match (token, &args.instance_url) {
        (Some(token), Some(url)) => Ok(Session {
            instance_url: normalize_instance(url)?,
            token: AccessToken::new(token.trim()),
            method: "token",
            org_id: None,
        }),
        (Some(_), None) => Err(CollectError::Config(format!(
            "{TOKEN_ENV} is set but no instance URL: pass --instance-url URL (or set SF_INSTANCE_URL)"
        ))),
        (None, _) => Err(CollectError::fatal(
            "no Salesforce credentials",
            "use `--target-org ALIAS` (after `sf org login web --alias ALIAS`), or set SF_ACCESS_TOKEN with --instance-url, or the JWT flow (--client-id, --jwt-key-file, --username)",
        )),
    }
}

/// Reads the Salesforce CLI's session for an alias or username.
pub async fn sf_cli_session(alias: &str) -> Result<Session, CollectError> {
    let output = tokio::process::Command::new("sf")
        .args(["org", "display", "--json", "-o", alias])
        .env("SF_DISABLE_AUTOUPDATE", "true")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            CollectError::fatal(
                format!("cannot run the Salesforce CLI (`sf org display`): {e}"),
                "install the Salesforce CLI (`npm install -g @salesforce/cli`) or use SF_ACCESS_TOKEN with --instance-url",
            )
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed: Option<Value> = serde_json::from_str(&stdout).ok();
    let result = parsed.as_ref().and_then(|v| v.get("result"));
    let field = |k: &str| {
        result
            .and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match (field("accessToken"), field("instanceUrl")) {
        (Some(token), Some(url)) if output.status.success() => {
            let token = AccessToken::new(token);
            Ok(Session {
                instance_url: normalize_instance(&url)?,
                token,
                method: "sf-cli",
                org_id: field("id"),
            })
        }
        _ => {
            let message = parsed
                .as_ref()
                .and_then(|v| v.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("no session in its output");
            // The CLI's messages do not contain tokens, but its output might: redact anyway.
            let message = match field("accessToken") {
                Some(t) => redact(message, &AccessToken::new(t)),
                None => message.to_string(),
            };
            Err(CollectError::fatal(
                format!("the Salesforce CLI has no usable session for `{alias}`: {message}"),
                format!("re-authenticate with `sf org login web --alias {alias}`"),
            ))
        }
    }
}

/// Builds and signs (RS256) a JWT bearer assertion.
pub fn bearer_assertion(claims: &BearerClaims, private_key_pem: &[u8]) -> Result<String, String> {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem)
        .map_err(|e| format!("not an RSA private key in PEM form: {e}"))?;
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, claims, &key).map_err(|e| format!("cannot sign: {e}"))
}

/// The OAuth 2.0 JWT bearer flow.
async fn jwt_bearer(
    args: &SalesforceRequest,
    http: &reqwest::Client,
) -> Result<Session, CollectError> {
    let (Some(client_id), Some(key_file), Some(username)) =
        (&args.client_id, &args.jwt_key_file, &args.username)
    else {
        return Err(CollectError::Config(
            "the JWT bearer flow needs --client-id, --jwt-key-file and --username".to_string(),
        ));
    };
    let pem = std::fs::read(key_file).map_err(|e| {
        CollectError::Config(format!(
            "cannot read --jwt-key-file {}: {e}",
            key_file.display()
        ))
    })?;
    let login_url = normalize_instance(&args.login_url)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let claims = BearerClaims {
        iss: client_id.clone(),
        sub: username.clone(),
        aud: login_url.clone(),
        exp: now + ASSERTION_LIFETIME_SECS,
    };
    let assertion = bearer_assertion(&claims, &pem)
        .map_err(|e| CollectError::Config(format!("--jwt-key-file {}: {e}", key_file.display())))?;

    // The token request is a form post; build the body with the URL encoder.
    let mut form = reqwest::Url::parse("http://form.invalid/")
        .map_err(|e| CollectError::Config(e.to_string()))?;
    form.query_pairs_mut()
        .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
        .append_pair("assertion", &assertion);
    let body = form.query().unwrap_or_default().to_string();

    let endpoint = format!("{login_url}/services/oauth2/token");
    let response = http
        .post(&endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            CollectError::fatal(
                format!(
                    "cannot reach the Salesforce token endpoint {endpoint}: {}",
                    e.without_url()
                ),
                "check --login-url and the network",
            )
        })?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        let err = error_from_body(status, &text);
        return Err(CollectError::fatal(
            format!("the JWT bearer login as {username} was refused: {err}"),
            "check that the connected app's certificate matches --jwt-key-file, that the user (or its profile) is pre-authorized for the app, and that --login-url is login.salesforce.com, test.salesforce.com or your My Domain",
        ));
    }
    let parsed: Value = serde_json::from_str(&text).map_err(|e| {
        CollectError::fatal(
            format!("invalid answer from the token endpoint {endpoint}: {e}"),
            "check --login-url",
        )
    })?;
    let get = |k: &str| parsed.get(k).and_then(Value::as_str).map(str::to_string);
    match (get("access_token"), get("instance_url")) {
        (Some(token), Some(instance)) => Ok(Session {
            instance_url: normalize_instance(&instance)?,
            token: AccessToken::new(token),
            method: "jwt",
            org_id: None,
        }),
        _ => Err(CollectError::fatal(
            format!("the token endpoint {endpoint} returned no access_token/instance_url"),
            "check --login-url",
        )),
    }
}
