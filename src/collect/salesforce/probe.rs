//! The outside-in guest probe of a Salesforce (Experience Cloud) site: what an
//! unauthenticated visitor can read, asked the way a guest's browser asks.
//!
//! No credentials are used and only read-only requests are sent:
//!
//! 1. `GET {site}{path}/`: the page a browser loads first; it names the Aura framework
//!    build (`fwuid`) and the Aura application the site runs.
//! 2. The Aura endpoint is the first of `{path}/sfsites/aura`, `/sfsites/aura`, `/aura`,
//!    `/s/aura` that answers an Aura `POST` with an `actions` array.
//! 3. `HostConfigController.getConfigData`: the objects the site's client knows
//!    (`apiNamesToKeyPrefixes`).
//! 4. For each object worth probing (personal-data standard objects, then custom
//!    objects), `SelectableListDataProviderController.getItems` with `pageSize = 1` and
//!    `getCount = true`: the number of records the guest can read. Only the count and the
//!    *names* of the returned row's fields are kept; field values are never parsed.
//! 5. `GET {site}{path}/login/SelfRegister`: whether the self-registration page is served.
//! 6. `GET {site}/services/data/vNN.0/sobjects` and a SOAP `getUserInfo` without a session:
//!    whether the REST or SOAP API answers the guest.
//!
//! Requests are paced (`rate` per second) and capped (`max_requests`); objects left
//! unprobed by the cap become a [`CollectionError`], so their checks report `error`.
//! Only [`READ_ONLY_ACTIONS`] are ever sent to the Aura endpoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use super::Data;
use crate::collect::{CollectError, Progress};
use crate::inventory::{CollectionError, Inventory, Provider, Resource, Scope};

/// Kinds the probe emits.
pub mod kinds {
    /// One probed site.
    pub const GUEST_SITE: &str = "salesforce.guest_site";
    /// One object of a probed site and what the guest can read of it.
    pub const GUEST_OBJECT: &str = "salesforce.guest_object";
}

/// `HostConfigController.getConfigData`: the site's object list.
pub const GET_CONFIG_DATA: &str = "serviceComponent://ui.force.components.controllers.hostConfig.HostConfigController/ACTION$getConfigData";
/// `SelectableListDataProviderController.getItems`: a page of a list view, with a count.
pub const GET_ITEMS: &str = "serviceComponent://ui.force.components.controllers.lists.selectableListDataProvider.SelectableListDataProviderController/ACTION$getItems";
/// The only Aura actions the probe sends. Both read.
pub const READ_ONLY_ACTIONS: [&str; 2] = [GET_CONFIG_DATA, GET_ITEMS];

/// Where the Aura endpoint may be, relative to the site (the first entry is below `path`).
const ENDPOINT_SUFFIXES: [&str; 4] = ["/sfsites/aura", "/sfsites/aura", "/aura", "/s/aura"];

/// Standard objects that commonly hold personal data, probed first.
pub const PERSONAL_STANDARD_OBJECTS: [&str; 16] = [
    "Account",
    "Contact",
    "Lead",
    "Case",
    "User",
    "Opportunity",
    "Contract",
    "Order",
    "Individual",
    "ContactPointEmail",
    "ContactPointPhone",
    "ContactPointAddress",
    "Task",
    "Event",
    "ContentDocument",
    "Attachment",
];

/// What to probe, built by the command line.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// The site's base URL, e.g. `https://example.my.site.com` (or with a path prefix).
    pub url: String,
    /// The Experience Cloud path below the base URL, `/s` for Aura sites.
    pub path: String,
    /// Requests per second at most.
    pub rate: f64,
    /// Requests in all at most.
    pub max_requests: usize,
}

/// Paces and counts requests.
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
    sent: AtomicUsize,
    max: usize,
}

impl Pacer {
    fn new(rate: f64, max: usize) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            5.0
        };
        Pacer {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: tokio::sync::Mutex::new(Instant::now()),
            sent: AtomicUsize::new(0),
            max,
        }
    }

    /// Waits for the next slot; `false` when the budget is spent.
    async fn permit(&self) -> bool {
        let mut next = self.next.lock().await;
        if self.sent.load(Ordering::Relaxed) >= self.max {
            return false;
        }
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep(*next - now).await;
        }
        *next = (*next).max(now) + self.interval;
        self.sent.fetch_add(1, Ordering::Relaxed);
        true
    }

    fn sent(&self) -> usize {
        self.sent.load(Ordering::Relaxed)
    }
}

/// A failed probe request.
#[derive(Debug)]
enum ProbeError {
    /// `--max-requests` was reached.
    Budget,
    /// The request got no usable answer.
    Transport(String),
}

struct Prober {
    http: reqwest::Client,
    base: String,
    path: String,
    pacer: Pacer,
    fwuid: Option<String>,
    app: String,
    counter: AtomicUsize,
}

/// What an Aura endpoint answered.
#[derive(Debug)]
enum AuraAnswer {
    /// The first action's answer.
    Action(AuraAction),
    /// `aura:clientOutOfSync`: the endpoint is Aura, but the framework build the probe
    /// sent (from the site's page) is not the one it runs.
    OutOfSync,
    /// Not an Aura answer.
    Other,
}

/// One Aura response (`{"actions": [...]}`), without anything the probe does not read.
#[derive(Debug, Deserialize)]
struct AuraResponse {
    actions: Vec<AuraAction>,
}

#[derive(Debug, Deserialize)]
struct AuraAction {
    #[serde(default)]
    state: String,
    #[serde(default, rename = "returnValue")]
    return_value: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    error: Vec<AuraErrorItem>,
}

#[derive(Debug, Deserialize)]
struct AuraErrorItem {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ConfigData {
    #[serde(default, rename = "apiNamesToKeyPrefixes")]
    api_names_to_key_prefixes: BTreeMap<String, IgnoredAny>,
}

/// `getItems`' answer: the count and, per row, the record's field *names* only.
#[derive(Debug, Deserialize)]
struct Items {
    #[serde(default, rename = "totalCount")]
    total_count: Option<i64>,
    #[serde(default)]
    result: Vec<ItemRow>,
}

#[derive(Debug, Deserialize)]
struct ItemRow {
    #[serde(default)]
    record: BTreeMap<String, IgnoredAny>,
}

/// Strips the anti-hijacking prefixes Aura puts before and after its JSON.
fn aura_json(text: &str) -> Option<&str> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    (start <= end).then(|| &text[start..=end])
}

/// `application/x-www-form-urlencoded` encoding of pairs.
fn form(pairs: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap_or_else(|_| unreachable!());
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    url.query().unwrap_or_default().to_string()
}

/// The value of `"key":"value"` in a page.
fn quoted_after(page: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let at = page.find(&needle)? + needle.len();
    let rest = page[at..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// The framework build id of an Aura page: from its bootstrap context or its script URLs.
fn page_fwuid(page: &str) -> Option<String> {
    quoted_after(page, "fwuid").or_else(|| {
        let at = page.find("/auraFW/javascript/")? + "/auraFW/javascript/".len();
        let end = page[at..].find('/')?;
        Some(page[at..at + end].to_string())
    })
}

/// Normalizes a site URL: scheme required, no trailing slash.
pub fn normalize_site(url: &str) -> Result<String, CollectError> {
    super::client::normalize_url(url, "site URL", "https://example.my.site.com")
}

fn normalize_path(path: &str) -> String {
    let p = path.trim().trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("/{p}")
    }
}

impl Prober {
    async fn get(&self, url: &str) -> Result<(u16, String), ProbeError> {
        if !self.pacer.permit().await {
            return Err(ProbeError::Budget);
        }
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| ProbeError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| ProbeError::Transport(e.without_url().to_string()))?;
        Ok((status, text))
    }

    /// Sends one Aura action; returns the action's answer.
    async fn aura(
        &self,
        endpoint: &str,
        descriptor: &'static str,
        params: Value,
    ) -> Result<AuraAnswer, ProbeError> {
        debug_assert!(READ_ONLY_ACTIONS.contains(&descriptor));
        if !self.pacer.permit().await {
            return Err(ProbeError::Budget);
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let message = json!({"actions": [{
            "id": format!("{n};a"),
            "descriptor": descriptor,
            "callingDescriptor": "UNKNOWN",
            "params": params,
        }]});
        let context = json!({
            "mode": "PROD",
            "fwuid": self.fwuid.clone().unwrap_or_default(),
            "app": self.app,
            "loaded": {},
            "dn": [],
            "globals": {},
            "uad": false,
        });
        let body = form(&[
            ("message", &message.to_string()),
            ("aura.context", &context.to_string()),
            ("aura.pageURI", &format!("{}/", self.path)),
            ("aura.token", "null"),
        ]);
        let short = descriptor.rsplit('$').next().unwrap_or(descriptor);
        let url = format!("{}{endpoint}?r={n}&aura.{short}=1", self.base);
        let resp = self
            .http
            .post(url)
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| ProbeError::Transport(e.without_url().to_string()))?;
        let text = resp
            .text()
            .await
            .map_err(|e| ProbeError::Transport(e.without_url().to_string()))?;
        if text.contains("aura:clientOutOfSync") {
            return Ok(AuraAnswer::OutOfSync);
        }
        let parsed = aura_json(&text).and_then(|j| serde_json::from_str::<AuraResponse>(j).ok());
        Ok(parsed
            .and_then(|r| r.actions.into_iter().next())
            .map_or(AuraAnswer::Other, AuraAnswer::Action))
    }
}

/// Probes one site from outside; the inventory holds one `salesforce.guest_site` and
/// one `salesforce.guest_object` per probed object.
pub async fn probe(req: &ProbeRequest, progress: &Progress) -> Result<Inventory, CollectError> {
    let base = normalize_site(&req.url)?;
    let path = normalize_path(&req.path);
    let http = super::client::build_http_client(
        reqwest::Client::builder()
            .user_agent(concat!(
                "mamori/",
                env!("CARGO_PKG_VERSION"),
                " (guest probe)"
            ))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60)),
    )?;
    let mut prober = Prober {
        http,
        base: base.clone(),
        path: path.clone(),
        pacer: Pacer::new(req.rate, req.max_requests.max(1)),
        fwuid: None,
        app: "siteforce:communityApp".to_string(),
        counter: AtomicUsize::new(0),
    };
    let site_id = format!("{base}{path}");
    let bar = progress.task(format!("Salesforce site {site_id}"));
    let mut errors = Vec::new();
    let error =
        |operation: &str, code: &str, message: String, kinds: &[&str], id: Option<String>| {
            CollectionError {
                provider: Provider::Salesforce,
                scope: site_id.clone(),
                service: "site".to_string(),
                region: None,
                operation: operation.to_string(),
                code: code.to_string(),
                message,
                kinds: kinds.iter().map(|k| k.to_string()).collect(),
                resource_id: id,
                fields: Vec::new(),
            }
        };

    // 1. The landing page.
    let page = match prober.get(&format!("{site_id}/")).await {
        Ok((_, text)) => text,
        Err(ProbeError::Transport(e)) => {
            return Err(CollectError::fatal(
                format!("cannot reach the site {site_id}: {e}"),
                "check the URL (and --path) and the network; then retry",
            ));
        }
        Err(ProbeError::Budget) => String::new(),
    };
    prober.fwuid = page_fwuid(&page);
    if let Some(app) = quoted_after(&page, "app") {
        prober.app = app;
    }

    // 2-3. The Aura endpoint and the site's object list.
    let mut endpoint = None;
    let mut objects: Option<Vec<String>> = None;
    let mut candidates: Vec<String> = Vec::new();
    for (i, suffix) in ENDPOINT_SUFFIXES.iter().enumerate() {
        let c = if i == 0 {
            format!("{path}{suffix}")
        } else {
            suffix.to_string()
        };
        if !candidates.contains(&c) {
            candidates.push(c);
        }
    }
    let mut out_of_sync = false;
    for c in &candidates {
        match prober.aura(c, GET_CONFIG_DATA, json!({})).await {
            Ok(AuraAnswer::Action(action)) => {
                endpoint = Some(c.clone());
                if action.state == "SUCCESS" {
                    objects = action
                        .return_value
                        .and_then(|raw| serde_json::from_str::<ConfigData>(raw.get()).ok())
                        .map(|c| c.api_names_to_key_prefixes.into_keys().collect());
                }
                break;
            }
            Ok(AuraAnswer::OutOfSync) => {
                endpoint = Some(c.clone());
                out_of_sync = true;
                break;
            }
            Ok(AuraAnswer::Other) | Err(ProbeError::Transport(_)) => {}
            Err(ProbeError::Budget) => break,
        }
    }
    if endpoint.is_none() {
        errors.push(error(
            "getConfigData",
            "AURA_NOT_FOUND",
            format!(
                "no Aura endpoint answered at {site_id} ({}): the site may not be an Aura site, or --path is wrong; its objects were not probed",
                candidates.join(", ")
            ),
            &[kinds::GUEST_OBJECT],
            None,
        ));
    }
    bar.set_position(prober.pacer.sent() as u64);

    let mut resources = Vec::new();
    let mut probed_objects = 0i64;
    if let Some(ep) = &endpoint {
        match &objects {
            None if out_of_sync => errors.push(error(
                "getConfigData",
                "AURA_OUT_OF_SYNC",
                format!(
                    "{base}{ep} answered aura:clientOutOfSync: the framework build (fwuid {}) read from the site's page is not the one it runs; its objects were not probed",
                    prober.fwuid.as_deref().unwrap_or("none found")
                ),
                &[kinds::GUEST_OBJECT],
                None,
            )),
            None => errors.push(error(
                "getConfigData",
                "AURA_ERROR",
                format!("{base}{ep} did not answer getConfigData with the site's object list"),
                &[kinds::GUEST_OBJECT],
                None,
            )),
            Some(all) => {
                let order = probe_order(all);
                let mut unprobed = Vec::new();
                for object in &order {
                    if !unprobed.is_empty() {
                        unprobed.push(object.clone());
                        continue;
                    }
                    let params = json!({
                        "entityNameOrId": object,
                        "layoutType": "FULL",
                        "pageSize": 1,
                        "currentPage": 0,
                        "useTimeout": false,
                        "getCount": true,
                        "enableRowActions": false,
                    });
                    let id = format!("{site_id}#{object}");
                    let evidence = format!(
                        "POST {base}{ep} getItems(entityNameOrId={object}, pageSize=1, getCount=true)"
                    );
                    match prober.aura(ep, GET_ITEMS, params).await {
                        Err(ProbeError::Budget) => unprobed.push(object.clone()),
                        Err(ProbeError::Transport(e)) => errors.push(error(
                            "getItems",
                            "TRANSPORT",
                            format!("{evidence}: {e}"),
                            &[kinds::GUEST_OBJECT],
                            // No resource exists for it: a scope-wide error keeps the
                            // object's checks visible as not evaluated.
                            None,
                        )),
                        Ok(AuraAnswer::OutOfSync | AuraAnswer::Other) => errors.push(error(
                            "getItems",
                            "AURA_NO_ANSWER",
                            format!("{evidence}: no Aura action answer"),
                            &[kinds::GUEST_OBJECT],
                            // No resource exists for it: a scope-wide error keeps the
                            // object's checks visible as not evaluated.
                            None,
                        )),
                        Ok(AuraAnswer::Action(answer)) => {
                            probed_objects += 1;
                            let data = object_data(&site_id, object, &evidence, Some(answer));
                            resources.push(
                                Resource::new(
                                    Provider::Salesforce,
                                    kinds::GUEST_OBJECT,
                                    site_id.clone(),
                                    id,
                                    &Value::Object(data.into_map()),
                                )
                                .named(object.clone()),
                            );
                        }
                    }
                    bar.set_position(prober.pacer.sent() as u64);
                }
                if !unprobed.is_empty() {
                    errors.push(error(
                        "getItems",
                        "REQUEST_BUDGET",
                        format!(
                            "--max-requests {} reached; not probed: {}",
                            req.max_requests,
                            unprobed.join(", ")
                        ),
                        &[kinds::GUEST_OBJECT],
                        None,
                    ));
                }
            }
        }
    }

    // 5. Self-registration page.
    let self_registration = match prober.get(&format!("{site_id}/login/SelfRegister")).await {
        Ok((status, _)) => Some(status == 200),
        Err(_) => None,
    };
    // 6. The APIs, as the guest (no session).
    let rest = rest_answers_guest(&prober).await;
    let soap = soap_answers_guest(&prober).await;
    for (what, answer) in [
        ("self-registration page", &self_registration),
        ("REST API", &rest),
        ("SOAP API", &soap),
    ] {
        if answer.is_none() {
            errors.push(error(
                what,
                "NOT_PROBED",
                format!("the {what} of {site_id} could not be probed (request budget or network)"),
                &[],
                Some(site_id.clone()),
            ));
        }
    }
    bar.finish_and_clear();

    let data = Data::new()
        .set("site_url", site_id.clone())
        .set("aura_reachable", endpoint.is_some())
        .opt(
            "aura_endpoint",
            endpoint.as_ref().map(|e| format!("{base}{e}")),
        )
        .opt("objects_visible", objects.as_ref().map(|o| o.len() as i64))
        .set("objects_probed", probed_objects)
        .opt("self_registration_page", self_registration)
        .opt("rest_api_guest", rest)
        .opt("soap_api_guest", soap)
        .set("requests", prober.pacer.sent() as i64);
    resources.insert(
        0,
        Resource::new(
            Provider::Salesforce,
            kinds::GUEST_SITE,
            site_id.clone(),
            site_id.clone(),
            &Value::Object(data.into_map()),
        )
        .named(site_id.clone()),
    );

    let mut inv = Inventory::new();
    let mut attributes = BTreeMap::new();
    attributes.insert("probe".to_string(), "outside-in guest".to_string());
    inv.scopes.push(Scope {
        provider: Provider::Salesforce,
        id: site_id.clone(),
        name: Some(site_id),
        regions: Vec::new(),
        attributes,
    });
    inv.resources = resources;
    inv.errors = errors;
    Ok(inv)
}

/// The objects to count, in order: personal-data standard objects, then custom objects.
fn probe_order(all: &[String]) -> Vec<String> {
    let mut out: Vec<String> = PERSONAL_STANDARD_OBJECTS
        .iter()
        .filter(|o| all.iter().any(|a| a == *o))
        .map(|o| o.to_string())
        .collect();
    out.extend(all.iter().filter(|o| o.ends_with("__c")).cloned());
    out
}

/// The `guest_object` data for one `getItems` answer.
fn object_data(site: &str, object: &str, evidence: &str, answer: Option<AuraAction>) -> Data {
    let base = Data::new().set("site_url", site).set("object", object).set(
        "standard_personal_object",
        PERSONAL_STANDARD_OBJECTS.contains(&object),
    );
    let Some(action) = answer else {
        return base
            .set("readable", false)
            .set("record_count", 0)
            .set("field_names", Vec::<String>::new())
            .set("evidence", format!("{evidence} -> no Aura answer"));
    };
    if action.state != "SUCCESS" {
        let why = action
            .error
            .iter()
            .find_map(|e| e.message.clone())
            .unwrap_or_else(|| action.state.clone());
        return base
            .set("readable", false)
            .set("record_count", 0)
            .set("field_names", Vec::<String>::new())
            .set("evidence", format!("{evidence} -> {}: {why}", action.state));
    }
    let items = action
        .return_value
        .and_then(|raw| serde_json::from_str::<Items>(raw.get()).ok());
    let count = items
        .as_ref()
        .and_then(|i| i.total_count)
        .unwrap_or_else(|| items.as_ref().map_or(0, |i| i.result.len() as i64));
    let mut names: Vec<String> = items
        .into_iter()
        .flat_map(|i| i.result.into_iter().flat_map(|r| r.record.into_keys()))
        .filter(|k| k != "attributes")
        .collect();
    names.sort();
    names.dedup();
    base.set("readable", count > 0)
        .set("record_count", count)
        .set("field_names", names)
        .set(
            "evidence",
            format!("{evidence} -> SUCCESS, totalCount {count}"),
        )
}

/// Whether `{site}/services/data/vNN.0/sobjects` answers without a session.
async fn rest_answers_guest(p: &Prober) -> Option<bool> {
    let version = match p.get(&format!("{}/services/data/", p.base)).await {
        Ok((200, text)) => newest_version(&text),
        Ok(_) => None,
        Err(_) => return None,
    }
    .unwrap_or_else(|| "60.0".to_string());
    match p
        .get(&format!("{}/services/data/v{version}/sobjects", p.base))
        .await
    {
        Ok((status, text)) => Some(status == 200 && text.contains("\"sobjects\"")),
        Err(_) => None,
    }
}

fn newest_version(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.as_array()?
        .iter()
        .filter_map(|e| e.get("version").and_then(Value::as_str))
        .filter_map(|s| s.parse::<f64>().ok().map(|n| (n, s.to_string())))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s)
}

/// Whether the SOAP partner API answers `getUserInfo` without a session header.
async fn soap_answers_guest(p: &Prober) -> Option<bool> {
    if !p.pacer.permit().await {
        return None;
    }
    let envelope = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">"#,
        r#"<soapenv:Body><urn:getUserInfo/></soapenv:Body></soapenv:Envelope>"#
    );
    let resp = p
        .http
        .post(format!("{}/services/Soap/u/60.0", p.base))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"")
        .body(envelope)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let text = resp.text().await.ok()?;
    Some(status == 200 && text.contains("getUserInfoResponse"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parsing() {
        let page = r#"<script>var ctx = {"mode":"PROD","app":"siteforce:communityApp","fwuid":"abc123"}</script>"#;
        assert_eq!(page_fwuid(page).as_deref(), Some("abc123"));
        assert_eq!(
            quoted_after(page, "app").as_deref(),
            Some("siteforce:communityApp")
        );
        let scripts = r#"<script src="/s/sfsites/auraFW/javascript/XyZ9/aura_prod.js"></script>"#;
        assert_eq!(page_fwuid(scripts).as_deref(), Some("XyZ9"));
        assert_eq!(
            aura_json("while(1);\n{\"a\":1}/*ERROR*/"),
            Some("{\"a\":1}")
        );
        assert_eq!(normalize_path("s/"), "/s");
        assert_eq!(normalize_path("/"), "");
    }

    #[test]
    fn personal_objects_first_then_custom() {
        let all: Vec<String> = ["Zeta__c", "Account", "Solution", "Contact", "Patient__c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            probe_order(&all),
            ["Account", "Contact", "Zeta__c", "Patient__c"]
        );
    }

    #[test]
    fn record_values_are_never_parsed() {
        let raw = r#"{"totalCount": 42, "result": [{"record": {"Id": "003x", "Email": "secret@example.com", "attributes": {"type": "Contact"}}}]}"#;
        let action = AuraAction {
            state: "SUCCESS".into(),
            return_value: serde_json::value::RawValue::from_string(raw.into()).ok(),
            error: Vec::new(),
        };
        let data = Value::Object(object_data("s", "Contact", "e", Some(action)).into_map());
        assert_eq!(data["record_count"], 42);
        assert_eq!(data["field_names"], json!(["Email", "Id"]));
        assert!(!data.to_string().contains("secret@example.com"));
    }
}
