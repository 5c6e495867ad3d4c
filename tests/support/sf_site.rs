//! A local Experience Cloud site for tests of the outside-in guest probe: an HTTP/1.1
//! server answering what a Salesforce site answers an unauthenticated visitor.
//!
//! - `GET /s/`: the Aura page, naming the framework build (`fwuid`) and the app;
//! - `POST /s/sfsites/aura`: Aura actions, answered in Aura's `{"actions": [{"id",
//!   "state", "returnValue", "error"}], "context": {...}}` shape:
//!   `HostConfigController.getConfigData` (the site's `apiNamesToKeyPrefixes`) and
//!   `SelectableListDataProviderController.getItems` (a page of records and, with
//!   `getCount`, `totalCount`); any other action gets `state: "ERROR"`;
//! - `GET /s/login/SelfRegister`: the self-registration page, or a redirect to the login
//!   page when self-registration is off;
//! - `GET /services/data/` and `GET /services/data/v60.0/sobjects` (the REST API, as the
//!   guest: answered only when the guest profile is API-enabled);
//! - `POST /services/Soap/u/60.0`: a SOAP fault, as Salesforce answers a call without a
//!   session header.
//!
//! Record values contain [`SENTINEL`], so tests can prove the probe never stores them.
//! Every request is kept in [`FakeSite::requests`].

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::sf_org::{Request, parse_pairs, read_request, write_response};

/// A marker inside every record value the site returns.
pub const SENTINEL: &str = "SENTINEL-7f3a-guest-record-value";

/// What the site exposes to its guest user.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// Objects the guest can read, with the number of records it can read.
    pub readable: Vec<(&'static str, i64)>,
    /// Objects the site's config names (readable or not).
    pub objects: Vec<&'static str>,
    /// Whether self-registration is on.
    pub self_registration: bool,
    /// Whether the guest profile has "API Enabled".
    pub api_enabled: bool,
    /// The site's path prefix below the domain (`/portal`), empty for the root site.
    pub prefix: &'static str,
    /// The page names an older framework build than the Aura endpoint runs, so every
    /// action is answered `aura:clientOutOfSync`.
    pub stale_page_fwuid: bool,
}

impl SiteOptions {
    /// A site exposing Contact (42 records) and a custom object holding patient data (7).
    pub fn exposed() -> Self {
        SiteOptions {
            readable: vec![("Contact", 42), ("Patient__c", 7)],
            objects: vec![
                "Account",
                "Contact",
                "Solution",
                "Patient__c",
                "Knowledge__kav",
            ],
            self_registration: true,
            api_enabled: true,
            prefix: "",
            stale_page_fwuid: false,
        }
    }

    /// A site whose guest can read nothing.
    pub fn locked_down() -> Self {
        SiteOptions {
            readable: Vec::new(),
            objects: vec!["Account", "Contact", "Patient__c"],
            self_registration: false,
            api_enabled: false,
            prefix: "",
            stale_page_fwuid: false,
        }
    }
}

/// One request as the site received it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// HTTP method.
    pub method: String,
    /// Path without query string.
    pub path: String,
    /// The Aura action descriptors of an Aura POST (empty otherwise).
    pub descriptors: Vec<String>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Whether an `Authorization` or `Cookie` header was sent.
    pub credentials: bool,
}

/// A running fake site.
pub struct FakeSite {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl FakeSite {
    /// Starts a site on a free local port.
    pub fn start(options: SiteOptions) -> FakeSite {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let options = Arc::new(options);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let l = l.clone();
                let o = options.clone();
                std::thread::spawn(move || serve(stream, &o, &l));
            }
        });
        FakeSite { url, log }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().expect("log").clone()
    }
}

fn serve(stream: TcpStream, options: &SiteOptions, log: &Mutex<Vec<Logged>>) {
    let Some(mut req) = read_request(&stream) else {
        return;
    };
    if !options.prefix.is_empty()
        && let Some(p) = req.path.strip_prefix(options.prefix)
        && p.starts_with("/s")
    {
        req.path = p.to_string();
    }
    let descriptors = aura_descriptors(&req);
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    log.lock().expect("log").push(Logged {
        method: req.method.clone(),
        path: req.path.clone(),
        descriptors: descriptors.clone(),
        user_agent: header("user-agent").unwrap_or_default(),
        credentials: header("authorization").is_some() || header("cookie").is_some(),
    });
    let (status, content_type, body, location) = answer(&req, &descriptors, options);
    let extra = location
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let _ = write_response(&stream, status, content_type, &extra, &body);
}

/// The descriptors of the actions in an Aura POST's `message` form field.
fn aura_descriptors(req: &Request) -> Vec<String> {
    if req.method != "POST" || !req.path.ends_with("/aura") {
        return Vec::new();
    }
    let form = parse_pairs(&req.body);
    let Some((_, message)) = form.iter().find(|(k, _)| k == "message") else {
        return Vec::new();
    };
    let v: Value = serde_json::from_str(message).unwrap_or(Value::Null);
    v["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["descriptor"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

const FWUID: &str = "REDACTEDfwuidFIXTURE9dGVzdA";
const HTML: &str = "text/html;charset=UTF-8";
const JSON: &str = "application/json;charset=UTF-8";

fn answer(
    req: &Request,
    descriptors: &[String],
    o: &SiteOptions,
) -> (u16, &'static str, String, Option<String>) {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/s/") | ("GET", "/s") => (200, HTML, landing_page(o.stale_page_fwuid), None),
        ("POST", "/s/sfsites/aura") if o.stale_page_fwuid && !context_fwuid_is_current(req) => (
            200,
            JSON,
            concat!(
                "*/{\"event\":{\"descriptor\":\"markup://aura:clientOutOfSync\",",
                "\"attributes\":{\"values\":{}}},\"exceptionEvent\":true}/*ERROR*/"
            )
            .to_string(),
            None,
        ),
        ("POST", "/s/sfsites/aura") => (200, JSON, aura(req, descriptors, o).to_string(), None),
        ("GET", "/s/login/SelfRegister") if o.self_registration => (
            200,
            HTML,
            "<html><body><form id=\"selfRegister\">First name, Last name, Email</form></body></html>"
                .to_string(),
            None,
        ),
        ("GET", "/s/login/SelfRegister") => (302, HTML, String::new(), Some("/s/login/".into())),
        ("GET", "/services/data/") => (
            200,
            JSON,
            json!([{"label": "Winter '24", "url": "/services/data/v60.0", "version": "60.0"}])
                .to_string(),
            None,
        ),
        ("GET", "/services/data/v60.0/sobjects") if o.api_enabled => (
            200,
            JSON,
            json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": o.objects.iter().map(|n| json!({"name": n, "queryable": true})).collect::<Vec<_>>()})
                .to_string(),
            None,
        ),
        ("GET", p) if p.starts_with("/services/data/") => (
            401,
            JSON,
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
                .to_string(),
            None,
        ),
        ("POST", "/services/Soap/u/60.0") => (
            500,
            "text/xml;charset=UTF-8",
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">"#,
                r#"<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode>"#,
                r#"<faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session</faultstring>"#,
                r#"</soapenv:Fault></soapenv:Body></soapenv:Envelope>"#
            )
            .to_string(),
            None,
        ),
        _ => (404, HTML, "<html><body>Page not found</body></html>".into(), None),
    }
}

/// Whether an Aura POST's `aura.context` names the framework build the site runs.
fn context_fwuid_is_current(req: &Request) -> bool {
    parse_pairs(&req.body)
        .iter()
        .find(|(k, _)| k == "aura.context")
        .and_then(|(_, c)| serde_json::from_str::<Value>(c).ok())
        .is_some_and(|c| c["fwuid"] == FWUID)
}

fn landing_page(stale: bool) -> String {
    let fwuid = if stale { "OLDfwuidBUILD" } else { FWUID };
    format!(
        concat!(
            "<!DOCTYPE html><html><head><title>Help Center</title>",
            "<script src=\"/s/sfsites/auraFW/javascript/{fwuid}/aura_prod.js\"></script>",
            "<script>window.Aura = {{\"initConfig\": {{\"context\": {{\"mode\":\"PROD\",",
            "\"app\":\"siteforce:communityApp\",\"fwuid\":\"{fwuid}\"}}}}}};</script>",
            "</head><body></body></html>"
        ),
        fwuid = fwuid
    )
}

fn aura(req: &Request, descriptors: &[String], o: &SiteOptions) -> Value {
    let form = parse_pairs(&req.body);
    let message: Value = form
        .iter()
        .find(|(k, _)| k == "message")
        .and_then(|(_, m)| serde_json::from_str(m).ok())
        .unwrap_or(Value::Null);
    let actions: Vec<Value> = message["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .zip(descriptors)
        .map(|(a, d)| action(a, d, o))
        .collect();
    json!({
        "actions": actions,
        "context": {"mode": "PROD", "app": "siteforce:communityApp", "fwuid": FWUID},
        "perfSummary": {"version": "core", "request": 12.0}
    })
}

fn action(a: &Value, descriptor: &str, o: &SiteOptions) -> Value {
    let id = a["id"].clone();
    let error = |msg: &str| {
        json!({"id": id, "state": "ERROR", "returnValue": null,
               "error": [{"message": msg, "stackTrace": "", "data": {"message": msg}}]})
    };
    if descriptor.ends_with("HostConfigController/ACTION$getConfigData") {
        let prefixes: serde_json::Map<String, Value> = o
            .objects
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), json!(format!("a0{i}"))))
            .collect();
        return json!({"id": id, "state": "SUCCESS", "error": [], "returnValue": {
            "apiNamesToKeyPrefixes": prefixes,
            "isSiteforce": true,
            "appContextId": "06mFIXTURE"
        }});
    }
    if descriptor.ends_with("SelectableListDataProviderController/ACTION$getItems") {
        let object = a["params"]["entityNameOrId"].as_str().unwrap_or("");
        let page_size = a["params"]["pageSize"].as_i64().unwrap_or(25);
        if !o.objects.contains(&object) {
            return error(&format!("Invalid sObject type: {object}"));
        }
        let Some((_, count)) = o.readable.iter().find(|(n, _)| *n == object) else {
            if o.readable.is_empty() {
                return error(
                    "You don't have access to this record. Ask your administrator for help or to request access.",
                );
            }
            return json!({"id": id, "state": "SUCCESS", "error": [],
                          "returnValue": {"result": [], "totalCount": 0}});
        };
        let rows: Vec<Value> = (0..page_size.min(*count))
            .map(|i| {
                let mut record = json!({
                    "Id": format!("003FIXTURE{i:05}"),
                    "Name": format!("{SENTINEL} name {i}"),
                    "attributes": {"type": object}
                });
                if object == "Contact" {
                    record["Email"] = json!(format!("{SENTINEL}.{i}@example.com"));
                    record["Phone"] = json!(format!("{SENTINEL} +1 555 01{i:02}"));
                } else {
                    record["Email__c"] = json!(format!("{SENTINEL}.{i}@example.com"));
                    record["Date_of_Birth__c"] = json!(format!("{SENTINEL} 1970-01-01"));
                }
                json!({"record": record})
            })
            .collect();
        let mut rv = json!({"result": rows});
        if a["params"]["getCount"].as_bool() == Some(true) {
            rv["totalCount"] = json!(count);
        }
        return json!({"id": id, "state": "SUCCESS", "error": [], "returnValue": rv});
    }
    error(&format!(
        "The action {descriptor} is not available to guest users"
    ))
}
