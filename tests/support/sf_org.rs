//! A local Salesforce org for tests: an HTTP/1.1 server answering the REST and Tooling
//! endpoints mamori calls, from the JSON files in `fixtures/salesforce/org/`.
//!
//! - `GET /services/data/` answers `versions.json` (no authentication, like Salesforce);
//! - `GET /services/data/vNN.0/query?q=SOQL` and `.../tooling/query?q=SOQL` answer the
//!   entry of `queries/*.json` for the same API, object and clauses after `FROM X`
//!   (whitespace-normalized), whatever the SELECT list: like a real org, a selected field
//!   the object's describe lacks fails the whole query with `INVALID_FIELD`, and records
//!   carry only the selected fields. Pages follow `page_size` with `nextRecordsUrl` /
//!   `done` as Salesforce pages them, each record (and nested relationship object)
//!   carrying `attributes {type, url}`;
//! - `GET /services/data/vNN.0/sobjects/X/describe` answers `describe/X.json`, or, for
//!   objects without one, a describe listing the fields the object's fixtures select;
//! - `POST /services/Soap/m/vNN.0` answers the Metadata API's `listMetadata` and
//!   `readMetadata` from `metadata/<Type>/<fullName>.xml`;
//! - every API answer carries `Sforce-Limit-Info: api-usage=N/15000`;
//! - every request is answered after [`Options::delay`], and the most requests in flight at
//!   once is kept ([`FixtureOrg::peak_in_flight`]);
//! - `POST /services/oauth2/token` runs the JWT bearer grant: it verifies the RS256
//!   assertion with `fixtures/salesforce/jwt-test-key.pub.pem` and records its claims.
//!
//! Any other request, or an unknown query, gets Salesforce's error shape
//! (`[{"message","errorCode"}]`) and is remembered in [`FixtureOrg::unmatched`].

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// The access token the fixture org accepts.
pub const TOKEN: &str = "00DFIXTURE0000001!AQ4AQFixtureSecretTokenValue";

/// The org id of the fixtures (`Organization.Id`).
pub const ORG_ID: &str = "00DFX0000000001AAA";

/// How the fixture org behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Objects whose queries are refused with `INSUFFICIENT_ACCESS` (the error message
    /// echoes the bearer token, to prove that mamori redacts what servers send back);
    /// `metadata:<Type>` refuses Metadata API reads of that type.
    pub deny: Vec<String>,
    /// Objects whose first query answers 503 (to exercise retries).
    pub fail_once: Vec<String>,
    /// The org's daily API limit as `Sforce-Limit-Info` reports it (default 15000); the
    /// usage reported is `api_used_before` plus the requests served.
    pub api_limit: Option<u32>,
    /// Daily API requests used before the scan started.
    pub api_used_before: u32,
    /// `(object, field)` pairs this org's describe lacks (another edition), on top of
    /// those `describe/*.json` already leave out.
    pub drop_fields: Vec<(String, String)>,
    /// Answers name sites under this base URL instead of `https://fixture.my.site.com`
    /// (to point them at a local fake site).
    pub site_base: Option<String>,
    /// Answers give this org id instead of [`ORG_ID`] (to run several distinct orgs).
    pub org_id: Option<String>,
    /// How long each request takes (so that concurrent requests overlap).
    pub delay: Option<std::time::Duration>,
}

/// A fake Salesforce CLI: a directory with an `sf` script answering
/// `sf org display --json -o ALIAS` with a session of the fixture org named ALIAS, and
/// failing as the real CLI does for any other alias. Put [`FakeSfCli::path`] on `PATH`.
#[cfg(unix)]
pub struct FakeSfCli {
    /// `PATH` with the script's directory first.
    pub path: String,
    _dir: tempfile::TempDir,
}

#[cfg(unix)]
impl FakeSfCli {
    /// A CLI knowing the `(alias, org, access token)` sessions ([`TOKEN`] is the one the
    /// orgs accept).
    pub fn new(sessions: &[(&str, &FixtureOrg, &str)]) -> FakeSfCli {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().expect("tempdir");
        let mut cases = String::new();
        for (alias, org, token) in sessions {
            let display = json!({
                "status": 0,
                "result": {
                    "id": org.org_id, "apiVersion": "64.0", "accessToken": token,
                    "instanceUrl": org.url, "username": "admin1@fixture.example", "alias": alias,
                    "connectedStatus": "Connected"
                }
            });
            cases.push_str(&format!("  '{alias}') cat <<'EOF'\n{display}\nEOF\n  ;;\n"));
        }
        let script = format!(
            r#"#!/bin/sh
[ "$1 $2 $3 $4" = "org display --json -o" ] || exit 2
case "$5" in
{cases}  *) echo "{{\"status\":1,\"message\":\"No authorization information found for $5.\"}}"; exit 1 ;;
esac
"#
        );
        let sf = dir.path().join("sf");
        std::fs::write(&sf, script).expect("write sf");
        std::fs::set_permissions(&sf, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let path = format!(
            "{}:{}",
            dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        FakeSfCli { path, _dir: dir }
    }
}

#[derive(Debug, Default)]
struct State {
    unmatched: Vec<String>,
    failed_once: HashSet<String>,
    jwt_claims: Vec<Value>,
    jwt_errors: Vec<String>,
    served: u32,
    queries: Vec<String>,
    in_flight: u32,
    peak_in_flight: u32,
    /// The SELECT list of the last query of each fixture, to project its later pages.
    selects: std::collections::HashMap<usize, Vec<String>>,
}

/// A running fixture org.
pub struct FixtureOrg {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The org id its answers give.
    pub org_id: String,
    state: Arc<Mutex<State>>,
}

struct Query {
    api: String,
    soql: String,
    /// The SELECT list, the object and what follows `FROM object`.
    select: Vec<String>,
    tail: String,
    sobject: String,
    relationships: serde_json::Map<String, Value>,
    page_size: usize,
    records: Vec<Value>,
    error: Option<(u16, Value)>,
}

struct Org {
    dir: PathBuf,
    version: String,
    queries: Vec<Query>,
    options: Options,
    url: String,
    public_key: Vec<u8>,
    /// Describes: `describe/X.json`, else synthesized from the fixtures of X.
    describes: std::collections::HashMap<(String, String), Value>,
}

/// `SELECT a, b FROM X WHERE ...` -> (["a", "b"], "X", " WHERE ...").
fn split_soql(soql: &str) -> (Vec<String>, String, String) {
    let soql = normalize(soql);
    let upper = soql.to_ascii_uppercase();
    let Some(at) = upper.find(" FROM ") else {
        return (Vec::new(), String::new(), String::new());
    };
    let select = soql[..at]
        .trim_start_matches("SELECT ")
        .trim_start_matches("select ")
        .split(',')
        .map(|f| f.trim().to_string())
        .collect();
    let rest = &soql[at + 6..];
    let (object, tail) = match rest.find(' ') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    (select, object.to_string(), tail.to_string())
}

/// The describe of every object the fixtures query.
fn load_describes(
    dir: &Path,
    queries: &[Query],
) -> std::collections::HashMap<(String, String), Value> {
    let mut selected: std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeSet<String>,
    > = Default::default();
    for q in queries {
        let e = selected
            .entry((q.api.clone(), from_object(&q.soql)))
            .or_default();
        e.insert("Id".to_string());
        e.extend(q.select.iter().cloned());
    }
    let mut out = std::collections::HashMap::new();
    for ((api, object), fields) in selected {
        let file = dir.join("describe").join(format!("{object}.json"));
        let describe = match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str(&text).expect("describe json"),
            Err(_) => {
                let mut seen = std::collections::BTreeSet::new();
                let list: Vec<Value> = fields
                    .iter()
                    .filter_map(|f| match f.split_once('.') {
                        Some((rel, _)) => seen.insert(format!("{rel}Id")).then(|| {
                            json!({"name": format!("{rel}Id"), "type": "reference", "relationshipName": rel})
                        }),
                        None => seen.insert(f.clone()).then(|| json!({"name": f, "type": "string"})),
                    })
                    .collect();
                json!({"name": object, "queryable": true, "fields": list})
            }
        };
        out.insert((api, object), describe);
    }
    out
}

/// Whether a describe has a SELECT item (a field, or `Relationship.Field`).
fn describe_has(describe: &Value, item: &str) -> bool {
    let fields = describe["fields"].as_array().cloned().unwrap_or_default();
    match item.split_once('.') {
        Some((rel, _)) => fields
            .iter()
            .any(|f| f["relationshipName"].as_str() == Some(rel)),
        None => fields.iter().any(|f| f["name"].as_str() == Some(item)),
    }
}

fn normalize(soql: &str) -> String {
    soql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The object a SOQL query reads (`... FROM Object ...`).
fn from_object(soql: &str) -> String {
    let words: Vec<&str> = soql.split_whitespace().collect();
    words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("FROM"))
        .and_then(|i| words.get(i + 1))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn load_queries(dir: &Path) -> Vec<Query> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("queries"))
        .expect("fixtures/salesforce/org/queries")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read query fixture");
        let entries: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for e in entries {
            let soql = normalize(e["soql"].as_str().expect("soql"));
            let (select, _, tail) = split_soql(&soql);
            out.push(Query {
                select,
                tail,
                api: e["api"].as_str().unwrap_or("query").to_string(),
                sobject: e["type"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| from_object(&soql)),
                relationships: e["relationships"].as_object().cloned().unwrap_or_default(),
                page_size: e["page_size"].as_u64().unwrap_or(2000) as usize,
                records: e["records"].as_array().cloned().unwrap_or_default(),
                error: e
                    .get("status")
                    .and_then(Value::as_u64)
                    .map(|s| (s as u16, e["body"].clone())),
                soql,
            });
        }
    }
    out
}

impl FixtureOrg {
    /// Starts the org on a free local port.
    pub fn start(options: Options) -> FixtureOrg {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/salesforce");
        let dir = root.join("org");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let versions: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("versions.json")).expect("versions.json"),
        )
        .expect("versions.json is JSON");
        let version = versions
            .as_array()
            .and_then(|v| v.last())
            .and_then(|v| v["version"].as_str())
            .expect("a version")
            .to_string();
        let queries = load_queries(&dir);
        let mut describes = load_describes(&dir, &queries);
        for ((_, object), d) in describes.iter_mut() {
            if let Some(fields) = d["fields"].as_array_mut() {
                fields.retain(|f| {
                    !options
                        .drop_fields
                        .iter()
                        .any(|(o, n)| o == object && f["name"].as_str() == Some(n.as_str()))
                });
            }
        }
        let org_id = options.org_id.clone().unwrap_or_else(|| ORG_ID.to_string());
        let org = Arc::new(Org {
            queries,
            describes,
            dir,
            version,
            options,
            url: url.clone(),
            public_key: std::fs::read(root.join("jwt-test-key.pub.pem")).expect("public key"),
        });
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let org = org.clone();
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &org, &st);
                });
            }
        });
        FixtureOrg { url, org_id, state }
    }

    /// Requests the org could not answer from its fixtures.
    pub fn unmatched(&self) -> Vec<String> {
        self.state.lock().expect("state").unmatched.clone()
    }

    /// Every SOQL query received (whitespace-normalized).
    pub fn queries(&self) -> Vec<String> {
        self.state.lock().expect("state").queries.clone()
    }

    /// Requests served.
    pub fn served(&self) -> u32 {
        self.state.lock().expect("state").served
    }

    /// The most requests that were in flight at once.
    pub fn peak_in_flight(&self) -> u32 {
        self.state.lock().expect("state").peak_in_flight
    }

    /// Claims of the JWT bearer assertions that verified.
    pub fn jwt_claims(&self) -> Vec<Value> {
        self.state.lock().expect("state").jwt_claims.clone()
    }

    /// Why assertions were rejected.
    pub fn jwt_errors(&self) -> Vec<String> {
        self.state.lock().expect("state").jwt_errors.clone()
    }
}

/// One parsed HTTP/1.1 request.
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The decoded query string.
    pub query: Vec<(String, String)>,
    /// Lower-cased header names and their values.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `a=1&b=2` (form bodies and query strings).
pub fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Reads one request from a connection.
pub fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Request {
        method,
        path: path.to_string(),
        query: parse_pairs(query),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn respond(stream: &TcpStream, status: u16, body: &Value, limit_info: &str) -> std::io::Result<()> {
    write_response(
        stream,
        status,
        "application/json;charset=UTF-8",
        &format!("Sforce-Limit-Info: {limit_info}\r\n"),
        &body.to_string(),
    )
}

/// Writes one HTTP/1.1 response and closes the exchange; `extra_headers` are complete
/// `Name: value\r\n` lines.
pub fn write_response(
    mut stream: &TcpStream,
    status: u16,
    content_type: &str,
    extra_headers: &str,
    body: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra_headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn sf_error(code: &str, message: &str) -> Value {
    json!([{ "message": message, "errorCode": code }])
}

/// Counts a request in flight and waits [`Options::delay`].
fn begin(org: &Org, state: &Mutex<State>) {
    {
        let mut st = state.lock().expect("state");
        st.in_flight += 1;
        st.peak_in_flight = st.peak_in_flight.max(st.in_flight);
    }
    if let Some(delay) = org.options.delay {
        std::thread::sleep(delay);
    }
}

/// Counts a request out, before its answer is written: the client cannot send the next
/// one before this one is counted out.
fn end(state: &Mutex<State>) {
    state.lock().expect("state").in_flight -= 1;
}

fn serve(stream: TcpStream, org: &Org, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(req) = read_request(&stream) else {
        return Ok(());
    };
    begin(org, state);
    if req.method == "POST" && req.path == format!("/services/Soap/m/{}", org.version) {
        let (status, xml) = metadata_api(&req, org, state);
        end(state);
        return write_response(&stream, status, "text/xml;charset=UTF-8", "", &xml);
    }
    let (status, body) = answer(&req, org, state);
    let used = {
        let mut st = state.lock().expect("state");
        st.served += 1;
        if let Some((_, q)) = req.query.iter().find(|(k, _)| k == "q") {
            st.queries.push(normalize(q));
        }
        org.options.api_used_before + st.served
    };
    let limit = org.options.api_limit.unwrap_or(15000);
    let replacements = [
        ("https://fixture.my.site.com", &org.options.site_base),
        (ORG_ID, &org.options.org_id),
    ];
    let body = if replacements.iter().any(|(_, to)| to.is_some()) {
        let mut text = body.to_string();
        for (from, to) in replacements {
            if let Some(to) = to {
                text = text.replace(from, to);
            }
        }
        serde_json::from_str(&text).unwrap_or(body)
    } else {
        body
    };
    end(state);
    respond(&stream, status, &body, &format!("api-usage={used}/{limit}"))
}

fn answer(req: &Request, org: &Org, state: &Mutex<State>) -> (u16, Value) {
    if req.method == "POST" && req.path == "/services/oauth2/token" {
        return token(req, org, state);
    }
    if req.method == "GET" && req.path == "/services/data/" {
        let text = std::fs::read_to_string(org.dir.join("versions.json")).expect("versions");
        return (200, serde_json::from_str(&text).expect("json"));
    }
    let bearer = req
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.trim_start_matches("Bearer ").to_string())
        .unwrap_or_default();
    if bearer != TOKEN {
        return (
            401,
            sf_error("INVALID_SESSION_ID", "Session expired or invalid"),
        );
    }
    let prefix = format!("/services/data/v{}/", org.version);
    let Some(rest) = req.path.strip_prefix(&prefix) else {
        return unmatched(state, &req.path);
    };
    let (api, rest) = match rest.strip_prefix("tooling/") {
        Some(r) => ("tooling", r),
        None => ("query", rest),
    };
    if let Some(object) = rest
        .strip_prefix("sobjects/")
        .and_then(|r| r.strip_suffix("/describe"))
    {
        return match org.describes.get(&(api.to_string(), object.to_string())) {
            Some(d) => (200, d.clone()),
            None => {
                state
                    .lock()
                    .expect("state")
                    .unmatched
                    .push(format!("describe {object}"));
                (
                    404,
                    sf_error("NOT_FOUND", "The requested resource does not exist"),
                )
            }
        };
    }
    if rest == "query" {
        let soql = req
            .query
            .iter()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| normalize(v))
            .unwrap_or_default();
        return run_query(org, state, api, &soql, &bearer);
    }
    if let Some(locator) = rest.strip_prefix("query/") {
        // `01gFX<index>-<offset>`, as handed out in nextRecordsUrl.
        let parsed = locator
            .strip_prefix("01gFX")
            .and_then(|l| l.split_once('-'))
            .and_then(|(i, o)| Some((i.parse::<usize>().ok()?, o.parse::<usize>().ok()?)));
        if let Some((index, offset)) = parsed
            && let Some(q) = org.queries.get(index)
        {
            let mut body = page(org, index, q, offset);
            if let Some(select) = state.lock().expect("state").selects.get(&index) {
                project(&mut body, select);
            }
            return (200, body);
        }
        return (
            400,
            sf_error("INVALID_QUERY_LOCATOR", "invalid query locator"),
        );
    }
    unmatched(state, &req.path)
}

/// The text of every `<tag>` element in `xml`.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

fn soap(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"#
    )
}

fn soap_fault(code: &str, message: &str) -> String {
    soap(&format!(
        "<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring></soapenv:Fault>"
    ))
}

/// The Metadata API (SOAP) `listMetadata` and `readMetadata`, from
/// `metadata/<Type>/<fullName>.xml` (each file one `<records>` element).
fn metadata_api(req: &Request, org: &Org, state: &Mutex<State>) -> (u16, String) {
    if xml_values(&req.body, "met:sessionId")
        .first()
        .map(String::as_str)
        != Some(TOKEN)
    {
        return (
            500,
            soap_fault(
                "INVALID_SESSION_ID",
                "Invalid Session ID found in SessionHeader: Illegal Session",
            ),
        );
    }
    let kind = xml_values(&req.body, "met:type")
        .into_iter()
        .next()
        .unwrap_or_default();
    if org
        .options
        .deny
        .iter()
        .any(|d| d == &format!("metadata:{kind}"))
    {
        return (
            500,
            soap_fault(
                "INSUFFICIENT_ACCESS",
                "insufficient access rights to read metadata",
            ),
        );
    }
    let dir = org.dir.join("metadata").join(&kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".xml")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if req.body.contains("<met:listMetadata>") {
        let results: String = names
            .iter()
            .map(|n| format!("<result><fullName>{n}</fullName><type>{kind}</type><namespacePrefix xsi:nil=\"true\"/></result>"))
            .collect();
        return (
            200,
            soap(&format!(
                "<listMetadataResponse>{results}</listMetadataResponse>"
            )),
        );
    }
    if req.body.contains("<met:readMetadata>") {
        let wanted = xml_values(&req.body, "met:fullNames");
        if wanted.len() > 10 {
            return (
                500,
                soap_fault("INVALID_FIELD", "readMetadata accepts at most 10 names"),
            );
        }
        let records: String = wanted
            .iter()
            .map(|n| {
                std::fs::read_to_string(dir.join(format!("{n}.xml")))
                    .unwrap_or_else(|_| "<records xsi:nil=\"true\"/>".to_string())
            })
            .collect();
        return (
            200,
            soap(&format!(
                "<readMetadataResponse><result>{records}</result></readMetadataResponse>"
            )),
        );
    }
    state
        .lock()
        .expect("state")
        .unmatched
        .push(format!("metadata: {}", req.body));
    (
        500,
        soap_fault("UNKNOWN_EXCEPTION", "unsupported Metadata API call"),
    )
}

fn unmatched(state: &Mutex<State>, what: &str) -> (u16, Value) {
    state
        .lock()
        .expect("state")
        .unmatched
        .push(what.to_string());
    (
        404,
        sf_error("NOT_FOUND", "The requested resource does not exist"),
    )
}

fn run_query(org: &Org, state: &Mutex<State>, api: &str, soql: &str, bearer: &str) -> (u16, Value) {
    let object = from_object(soql);
    if org.options.deny.contains(&object) {
        return (
            403,
            sf_error(
                "INSUFFICIENT_ACCESS",
                &format!("insufficient access rights on object {object} for session {bearer}"),
            ),
        );
    }
    if org.options.fail_once.contains(&object) {
        let mut st = state.lock().expect("state");
        if st.failed_once.insert(object.clone()) {
            return (
                503,
                sf_error(
                    "SERVER_UNAVAILABLE",
                    "The server is temporarily unavailable",
                ),
            );
        }
    }
    let (select, _, tail) = split_soql(soql);
    if let Some(describe) = org.describes.get(&(api.to_string(), object.clone()))
        && let Some(bad) = select.iter().find(|f| !describe_has(describe, f))
    {
        return (
            400,
            sf_error(
                "INVALID_FIELD",
                &format!(
                    "No such column '{bad}' on entity '{object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name."
                ),
            ),
        );
    }
    let found = org
        .queries
        .iter()
        .enumerate()
        .find(|(_, q)| q.api == api && from_object(&q.soql) == object && q.tail == tail);
    let Some((index, q)) = found else {
        state
            .lock()
            .expect("state")
            .unmatched
            .push(format!("{api}: {soql}"));
        return (
            400,
            sf_error(
                "MALFORMED_QUERY",
                &format!("the fixture org has no answer for: {soql}"),
            ),
        );
    };
    if let Some((status, body)) = &q.error {
        return (*status, body.clone());
    }
    let mut body = page(org, index, q, 0);
    project(&mut body, &select);
    state.lock().expect("state").selects.insert(index, select);
    (200, body)
}

/// Keeps only the selected fields (and `attributes`) of each record of a page.
fn project(body: &mut Value, select: &[String]) {
    let keep: std::collections::HashSet<&str> = select
        .iter()
        .map(|f| f.split('.').next().unwrap_or(f))
        .collect();
    for r in body["records"].as_array_mut().into_iter().flatten() {
        if let Some(obj) = r.as_object_mut() {
            obj.retain(|k, _| k == "attributes" || keep.contains(k.as_str()));
            for k in &keep {
                obj.entry(k.to_string()).or_insert(Value::Null);
            }
        }
    }
}

/// One page of a query's records, shaped as the REST or Tooling API shapes it.
fn page(org: &Org, index: usize, q: &Query, offset: usize) -> Value {
    let total = q.records.len();
    let end = (offset + q.page_size).min(total);
    let base = if q.api == "tooling" {
        format!("/services/data/v{}/tooling", org.version)
    } else {
        format!("/services/data/v{}", org.version)
    };
    let records: Vec<Value> = q.records[offset.min(total)..end]
        .iter()
        .map(|r| with_attributes(r, &q.sobject, &q.relationships, &base))
        .collect();
    let done = end >= total;
    let mut body = json!({ "totalSize": total, "done": done, "records": records });
    if q.api == "tooling" {
        body["size"] = json!(total);
        body["entityTypeName"] = json!(q.sobject);
        body["queryLocator"] = Value::Null;
    }
    if !done {
        let locator = format!("01gFX{index}-{end}");
        body["nextRecordsUrl"] = json!(format!("{base}/query/{locator}"));
        if q.api == "tooling" {
            body["queryLocator"] = json!(locator);
        }
    }
    body
}

/// Adds `attributes {type, url}` to a record and to its nested relationship objects.
fn with_attributes(
    record: &Value,
    sobject: &str,
    relationships: &serde_json::Map<String, Value>,
    base: &str,
) -> Value {
    let Some(obj) = record.as_object() else {
        return record.clone();
    };
    let mut out = serde_json::Map::new();
    let id = obj
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or("000000000000000AAA");
    out.insert(
        "attributes".into(),
        obj.get("attributes").cloned().unwrap_or_else(
            || json!({ "type": sobject, "url": format!("{base}/sobjects/{sobject}/{id}") }),
        ),
    );
    for (k, v) in obj {
        if k == "attributes" {
            continue;
        }
        let nested = match v {
            Value::Object(_) if k != "Metadata" => {
                let ty = relationships
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or(k.as_str());
                with_attributes(v, ty, relationships, base)
            }
            Value::String(s) => relative_date(s).map_or_else(|| v.clone(), Value::String),
            other => other.clone(),
        };
        out.insert(k.clone(), nested);
    }
    Value::Object(out)
}

/// `{{days_ago:N}}` -> that instant in Salesforce's datetime format, so that fixtures
/// stay "recent" or "stale" whenever the tests run.
fn relative_date(s: &str) -> Option<String> {
    let days: i64 = s
        .strip_prefix("{{days_ago:")?
        .strip_suffix("}}")?
        .parse()
        .ok()?;
    let t = chrono::Utc::now() - chrono::Duration::days(days);
    Some(t.format("%Y-%m-%dT%H:%M:%S.000+0000").to_string())
}

fn token(req: &Request, org: &Org, state: &Mutex<State>) -> (u16, Value) {
    let form = parse_pairs(&req.body);
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let invalid = |state: &Mutex<State>, why: String| {
        state.lock().expect("state").jwt_errors.push(why.clone());
        (
            400,
            json!({"error": "invalid_grant", "error_description": why}),
        )
    };
    if get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return invalid(
            state,
            format!("unsupported grant_type {}", get("grant_type")),
        );
    }
    let key = match jsonwebtoken::DecodingKey::from_rsa_pem(&org.public_key) {
        Ok(k) => k,
        Err(e) => return invalid(state, format!("bad test key: {e}")),
    };
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[org.url.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    match jsonwebtoken::decode::<Value>(&get("assertion"), &key, &validation) {
        Ok(data) => {
            state.lock().expect("state").jwt_claims.push(data.claims);
            (
                200,
                json!({
                    "access_token": TOKEN,
                    "scope": "api",
                    "instance_url": org.url,
                    "id": format!("{}/id/00DFIXTURE0000001AAA/005FIXTURE00001AAA", org.url),
                    "token_type": "Bearer"
                }),
            )
        }
        Err(e) => invalid(state, format!("assertion rejected: {e}")),
    }
}
