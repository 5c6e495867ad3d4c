//! Helpers for the AWS integration tests: a moto server on a free port (seeded by
//! `tests/aws/seed.py`, with moto's request recorder on), and a tiny HTTP server that
//! stands in for one AWS service (fixed answers, `AccessDenied`) or forwards to moto.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The moto server binary from `MAMORI_MOTO_SERVER`. Without it the test fails when `CI`
/// is set and is skipped (with a notice) otherwise.
pub fn moto_server_path() -> Option<PathBuf> {
    match std::env::var_os("MAMORI_MOTO_SERVER") {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        other => {
            let why = match other {
                Some(p) => format!("MAMORI_MOTO_SERVER={} does not exist", p.to_string_lossy()),
                None => "MAMORI_MOTO_SERVER is not set".to_string(),
            };
            if std::env::var_os("CI").is_some() {
                panic!("{why}: the AWS tests need moto server (scripts/test installs it)");
            }
            eprintln!(
                "SKIPPED: {why}; run scripts/test to install moto server and run the AWS tests"
            );
            None
        }
    }
}

/// The mamori binary with only test credentials and `endpoint` in its AWS environment
/// (no profile, role, region or metadata service from the machine running the tests).
pub fn mamori_against(bin: &str, endpoint: &str) -> Command {
    let mut cmd = Command::new(bin);
    for k in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/mamori-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/mamori-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", endpoint);
    cmd
}

/// A free local TCP port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running moto server, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    recording: PathBuf,
    bin: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts moto server with AWS managed policies loaded, no default AMIs, and the
    /// request recorder writing to a temporary file.
    pub fn start(bin: &Path) -> Moto {
        Moto::start_with(bin, true)
    }

    /// Starts moto server; with `managed_policies` false, AWS managed policies are not
    /// loaded (each account's IAM backend then starts empty, which keeps a many-account
    /// organization fast to seed and scan).
    pub fn start_with(bin: &Path, managed_policies: bool) -> Moto {
        let dir = tempfile::tempdir().expect("temp dir");
        let recording = dir.path().join("recording.jsonl");
        let port = free_port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env(
                "MOTO_IAM_LOAD_MANAGED_POLICIES",
                if managed_policies { "true" } else { "false" },
            )
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .env("MOTO_ENABLE_RECORDING", "true")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
            recording,
            bin: bin.to_path_buf(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http("GET", port, "/moto-api/", b"").is_none() {
            assert!(Instant::now() < deadline, "moto server did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Seeds the test account (`tests/aws/seed.py`, run with moto's own Python).
    pub fn seed(&self) {
        self.run_seed("seed.py");
    }

    /// Runs `tests/aws/SCRIPT ENDPOINT` with moto's own Python; returns its standard output.
    pub fn run_seed(&self, script: &str) -> Vec<u8> {
        let python = self.bin.with_file_name("python");
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/aws")
            .join(script);
        let out = Command::new(&python)
            .arg(&script)
            .arg(&self.url)
            .output()
            .expect("run the seeding script");
        assert!(
            out.status.success(),
            "seeding failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Forgets the requests recorded so far.
    pub fn reset_recording(&self) {
        http("POST", self.port, "/moto-api/recorder/reset-recording", b"")
            .expect("reset moto's recording");
    }

    /// The requests recorded since the last reset: (method, path, action) where action is
    /// the Query `Action`, the JSON `X-Amz-Target` operation, or empty for REST calls.
    pub fn recorded(&self) -> Vec<(String, String, String)> {
        let text = std::fs::read_to_string(&self.recording).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|e| {
                let method = e["method"].as_str().unwrap_or_default().to_string();
                let url = e["url"].as_str().unwrap_or_default();
                let path = url
                    .splitn(4, '/')
                    .nth(3)
                    .map(|p| format!("/{p}"))
                    .unwrap_or_else(|| "/".to_string());
                let headers = e["headers"].as_object().cloned().unwrap_or_default();
                let target = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
                    .and_then(|(_, v)| v.as_str())
                    .map(|t| t.rsplit('.').next().unwrap_or(t).to_string());
                let body = match (e["body"].as_str(), e["body_encoded"].as_bool()) {
                    (Some(b), Some(true)) => decode_base64(b),
                    (Some(b), _) => b.to_string(),
                    _ => String::new(),
                };
                let action = target.unwrap_or_else(|| {
                    body.split('&')
                        .chain(path.split(['?', '&']))
                        .find_map(|kv| kv.strip_prefix("Action="))
                        .unwrap_or_default()
                        .to_string()
                });
                (method, path, action)
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn decode_base64(s: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            continue;
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One plain HTTP/1.1 request to 127.0.0.1:port; `None` when nothing answers.
pub fn http(method: &str, port: u16, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let resp = read_message(&mut BufReader::new(s), true)?;
    Some((resp.status, resp.body))
}

/// A parsed HTTP message (request or response).
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// Request method (requests only).
    pub method: String,
    /// Request target (requests only).
    pub path: String,
    /// Status (responses only).
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: BTreeMap<String, String>,
    /// Body (chunked encoding removed).
    pub body: Vec<u8>,
}

impl Message {
    /// The signing region from the SigV4 `Authorization` header.
    pub fn region(&self) -> Option<&str> {
        let auth = self.headers.get("authorization")?;
        let cred = auth.split("Credential=").nth(1)?;
        cred.split('/').nth(2)
    }
}

fn read_message<R: BufRead>(r: &mut R, response: bool) -> Option<Message> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut m = Message::default();
    let mut parts = line.trim_end().splitn(3, ' ');
    if response {
        parts.next();
        m.status = parts.next()?.parse().ok()?;
    } else {
        m.method = parts.next()?.to_string();
        m.path = parts.next()?.to_string();
    }
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            m.headers
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if m.headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            m.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = m.headers.get("content-length").and_then(|v| v.parse().ok()) {
        let mut body = vec![0; n];
        r.read_exact(&mut body).ok()?;
        m.body = body;
    } else if response {
        r.read_to_end(&mut m.body).ok()?;
    }
    Some(m)
}

/// A response from a [`Stub`] handler.
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }
}

type Handler = dyn Fn(&Message) -> Reply + Send + Sync;

/// A local HTTP server answering every request through a handler (one thread per
/// connection, one request per connection).
pub struct Stub {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Stub {
    /// Starts the server.
    pub fn start(handler: impl Fn(&Message) -> Reply + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a stub port");
        let port = listener.local_addr().expect("stub address").port();
        let handler: Arc<Handler> = Arc::new(handler);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let handler = handler.clone();
                std::thread::spawn(move || serve(conn, &*handler));
            }
        });
        Stub {
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A stub that forwards to moto and rewrites moto's GetBucketVersioning reply, whose
    /// root element (`GetBucketVersioningResponse`) differs from S3's
    /// (`VersioningConfiguration`) and is refused by strict XML clients.
    pub fn s3_fixing_proxy(moto_port: u16) -> Stub {
        Stub::moto_proxy(moto_port, None)
    }

    /// Like [`Stub::s3_fixing_proxy`], for every service; with `throttle_every = Some(n)`
    /// every n-th request (except STS) is answered with the throttling error of its
    /// protocol instead of being forwarded. The count of throttled replies is in the
    /// returned counter.
    pub fn moto_proxy(moto_port: u16, throttle_every: Option<usize>) -> Stub {
        Stub::moto_proxy_counted(moto_port, throttle_every, Arc::new(AtomicUsize::new(0)))
    }

    /// [`Stub::moto_proxy`] counting throttled replies in `throttled`.
    pub fn moto_proxy_counted(
        moto_port: u16,
        throttle_every: Option<usize>,
        throttled: Arc<AtomicUsize>,
    ) -> Stub {
        let seen = AtomicUsize::new(0);
        Stub::start(move |req| {
            if let Some(n) = throttle_every {
                let body = String::from_utf8_lossy(&req.body);
                let sts = body.contains("Action=GetCallerIdentity");
                if !sts && seen.fetch_add(1, Ordering::SeqCst).is_multiple_of(n) {
                    throttled.fetch_add(1, Ordering::SeqCst);
                    return throttle_reply(req, &body);
                }
            }
            let mut resp = forward(moto_port, req);
            let body = String::from_utf8_lossy(&resp.body);
            if body.contains("<GetBucketVersioningResponse") {
                resp.body = body
                    .replace("<GetBucketVersioningResponse", "<VersioningConfiguration")
                    .replace(
                        "</GetBucketVersioningResponse>",
                        "</VersioningConfiguration>",
                    )
                    .into_bytes();
            }
            resp
        })
    }
}

impl Stub {
    /// Forwards to moto (as [`Stub::s3_fixing_proxy`]) but refuses `sts:AssumeRole` of
    /// any role in `account` with the AccessDenied AWS answers when the role's trust
    /// policy does not allow the caller.
    pub fn moto_proxy_refusing_roles_in(moto_port: u16, account: String) -> Stub {
        let forwarder = Stub::moto_proxy(moto_port, None);
        let port: u16 = forwarder
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("proxy port");
        let denied = format!("iam%3A%3A{account}%3Arole");
        Stub::start(move |req| {
            let body = String::from_utf8_lossy(&req.body);
            if body.contains("Action=AssumeRole") && body.contains(&denied) {
                return Reply {
                    status: 403,
                    headers: vec![("Content-Type".into(), "text/xml".into())],
                    body: format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role/OrganizationAccountAccessRole</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                    )
                    .into_bytes(),
                };
            }
            forward(port, req)
        })
    }
}

/// The throttling error each protocol answers with (see the API notes).
fn throttle_reply(req: &Message, body: &str) -> Reply {
    let xml = |status: u16, text: &str| Reply {
        status,
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: text.as_bytes().to_vec(),
    };
    if req.headers.contains_key("x-amz-target") {
        // JSON protocols (KMS, CloudTrail, Config).
        Reply::json(
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
    } else if body.contains("Version=2016-11-15") {
        xml(
            503,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>1</RequestID></Response>",
        )
    } else if body.contains("Action=") {
        // Query protocols (IAM, RDS).
        xml(
            400,
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>",
        )
    } else if req.path.starts_with("/detector") || req.path.starts_with("/analyzer") {
        // REST-JSON (GuardDuty, Access Analyzer).
        let mut r = Reply::json(429, r#"{"message":"Rate exceeded"}"#);
        r.headers
            .push(("x-amzn-ErrorType".into(), "ThrottlingException".into()));
        r
    } else {
        // S3 and s3control.
        xml(
            503,
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
        )
    }
}

fn serve(conn: TcpStream, handler: &Handler) {
    let Ok(write) = conn.try_clone() else { return };
    let mut reader = BufReader::new(conn);
    let Some(req) = read_message(&mut reader, false) else {
        return;
    };
    let reply = handler(&req);
    let mut w = write;
    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let _ = w.write_all(head.as_bytes());
    let _ = w.write_all(&reply.body);
    let _ = w.flush();
}

/// Sends a request on to 127.0.0.1:port and returns its reply.
pub fn forward(port: u16, req: &Message) -> Reply {
    let fail = || Reply::json(502, "{}");
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return fail();
    };
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.path);
    for (k, v) in &req.headers {
        if matches!(
            k.as_str(),
            "host" | "connection" | "transfer-encoding" | "content-length"
        ) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Host: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        req.body.len()
    ));
    if s.write_all(head.as_bytes()).is_err() || s.write_all(&req.body).is_err() {
        return fail();
    }
    let Some(resp) = read_message(&mut BufReader::new(s), true) else {
        return fail();
    };
    let headers = resp
        .headers
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "content-length" | "connection" | "transfer-encoding"
            )
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Reply {
        status: resp.status,
        headers,
        body: resp.body,
    }
}
