//! A local HTTP server replaying recorded Google Cloud REST responses from `fixtures/gcp/`,
//! so the real `mamori` binary can be pointed at it with `MAMORI_GCP_ENDPOINT`.
//!
//! A request maps to a file by its path and query:
//! `{root}{path}/{method}{.name=value...}.json`, query parameters sorted by name, `/` in
//! values written `%2F`, `:` (in the path too) written `%3A` so the tree checks out on
//! Windows, and [`IGNORED_PARAMS`] left out. For example
//! `GET /storage/v1/b?project=p&projection=full&pageToken=t` reads
//! `fixtures/gcp/storage/v1/b/get.pageToken=t.project=p.json`.
//! A file `_all.json` in a directory answers every request below it (a disabled API).
//! A body of the form `{"error": {"code": N, ...}}` is sent with HTTP status N; a request
//! without a file gets a Google-shaped 404 and is remembered as unmatched.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Query parameters that do not select a different response.
pub const IGNORED_PARAMS: &[&str] = &[
    "$alt",
    "alt",
    "prettyPrint",
    "pageSize",
    "maxResults",
    "projection",
    "optionsRequestedPolicyVersion",
    "options.requestedPolicyVersion",
    "returnPartialSuccess",
];

#[derive(Default)]
struct State {
    /// Every request, as `METHOD path?query`.
    requests: Vec<String>,
    /// Requests that had no fixture file.
    unmatched: Vec<String>,
    /// Per request: `(target, authorization header, x-goog-user-project header)`.
    auth: Vec<(String, Option<String>, Option<String>)>,
    /// Path substrings that fail with the given status for their first `n` requests.
    faults: Vec<(String, u16, u32)>,
}

/// A running fixture server; it stops with the test process.
pub struct FixtureServer {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FixtureServer {
    /// Serves `root` on an ephemeral local port.
    pub fn start(root: impl Into<PathBuf>) -> Self {
        let root: PathBuf = root.into();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fixture server");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let root = root.clone();
                let st = Arc::clone(&st);
                std::thread::spawn(move || {
                    let _ = serve(stream, &root, &st);
                });
            }
        });
        FixtureServer { url, state }
    }

    /// Makes the first `times` requests whose path contains `path_part` fail with `status`
    /// (e.g. 429 or 503) before the fixture is served.
    pub fn fail_first(&self, path_part: &str, status: u16, times: u32) {
        self.state
            .lock()
            .expect("state")
            .faults
            .push((path_part.to_string(), status, times));
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("state").requests.clone()
    }

    /// Per request: `(target, Authorization header, x-goog-user-project header)`.
    pub fn auth_headers(&self) -> Vec<(String, Option<String>, Option<String>)> {
        self.state.lock().expect("state").auth.clone()
    }

    /// Requests that had no fixture file.
    pub fn unmatched(&self) -> Vec<String> {
        self.state.lock().expect("state").unmatched.clone()
    }
}

fn serve(stream: TcpStream, root: &Path, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut content_length = 0usize;
    let (mut authorization, mut user_project) = (None, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            match k.to_ascii_lowercase().as_str() {
                "content-length" => content_length = v.parse().unwrap_or(0),
                "authorization" => authorization = Some(v),
                "x-goog-user-project" => user_project = Some(v),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;

    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let path = percent_decode(path);
    state
        .lock()
        .expect("state")
        .auth
        .push((target.clone(), authorization, user_project));
    let (status, text) = respond(root, state, &method, &path, query, &target);
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        403 => "Forbidden",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()
}

fn respond(
    root: &Path,
    state: &Mutex<State>,
    method: &str,
    path: &str,
    query: &str,
    target: &str,
) -> (u16, String) {
    let mut st = state.lock().expect("state");
    st.requests.push(format!("{method} {target}"));
    if let Some(fault) = st
        .faults
        .iter_mut()
        .find(|(part, _, left)| *left > 0 && path.contains(part.as_str()))
    {
        fault.2 -= 1;
        let status = fault.1;
        return (
            status,
            format!(
                r#"{{"error":{{"code":{status},"message":"injected failure","status":"UNAVAILABLE"}}}}"#
            ),
        );
    }
    let file = fixture_file(root, method, path, query);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(_) => match directory_error(root, path) {
            Some(t) => t,
            None => {
                st.unmatched
                    .push(format!("{method} {target} -> {}", file.display()));
                return (
                    404,
                    format!(
                        r#"{{"error":{{"code":404,"message":"no fixture {}","status":"NOT_FOUND"}}}}"#,
                        file.display()
                    ),
                );
            }
        },
    };
    let status = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error")?.get("code")?.as_u64())
        .map_or(200, |c| c as u16);
    (status, text)
}

/// The file answering a request.
pub fn fixture_file(root: &Path, method: &str, path: &str, query: &str) -> PathBuf {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        if !IGNORED_PARAMS.contains(&k.as_str()) {
            params.insert(k, v.replace('/', "%2F").replace(':', "%3A"));
        }
    }
    let mut name = method.to_ascii_lowercase();
    for (k, v) in params {
        name.push_str(&format!(".{k}={v}"));
    }
    name.push_str(".json");
    // `:` (custom methods such as `:getIamPolicy`) is not allowed in Windows file names.
    root.join(path.trim_start_matches('/').replace(':', "%3A"))
        .join(name)
}

/// The nearest `_all.json` above the request path, if any.
fn directory_error(root: &Path, path: &str) -> Option<String> {
    let mut dir = root.join(path.trim_start_matches('/').replace(':', "%3A"));
    loop {
        if let Ok(t) = std::fs::read_to_string(dir.join("_all.json")) {
            return Some(t);
        }
        if dir == root || !dir.pop() {
            return None;
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
