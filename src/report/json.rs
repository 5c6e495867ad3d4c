//! `--format json`: the versioned findings document (see `schemas/findings-v1.schema.json`).
//!
//! The document is serde's pretty JSON of [`ScanReport`], byte for byte. Findings are the
//! bulk of it (a million of them is most of a gigabyte), so [`write_to`] writes them with
//! its own emitter rather than serde's: each check's text fields (id, title, service,
//! remediation) are escaped once per chunk instead of once per finding,
//! and chunks of findings are rendered on every core while the previous ones are written.

use std::collections::HashMap;
use std::io::Write;

use rayon::prelude::*;

use crate::compact::{CompactFindings, MessageView};
use crate::findings::{BaselineState, Finding, ScanReport, Severity, Status};
use crate::inventory::{Provider, SourceLocation};

/// Pretty JSON with a trailing newline.
pub fn render(report: &ScanReport) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and the emitter writes only valid UTF-8.
    let _ = write_to(report, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Findings rendered per parallel task.
const CHUNK: usize = 1024;
/// Chunks rendered before they are handed to the writer (about 3 MB: with the window
/// being written and the one waiting, what the array costs in memory).
const WINDOW: usize = 4;

/// The same document as [`render`], streamed to `out` (no copy of the whole text in
/// memory: a large report is hundreds of megabytes as one string).
pub fn write_to<W: Write + ?Sized>(report: &ScanReport, out: &mut W) -> std::io::Result<()> {
    document(report, out, |out| findings(out, report.findings.as_slice()))
}

/// The document of `report` with the findings of `compact` (`report.findings` is not
/// read): byte for byte what [`write_to`] writes for the same findings as a
/// [`ScanReport`].
pub fn write_compact<W: Write + ?Sized>(
    report: &ScanReport,
    compact: &CompactFindings,
    out: &mut W,
) -> std::io::Result<()> {
    document(report, out, |out| findings(out, compact))
}

fn document<W: Write + ?Sized>(
    report: &ScanReport,
    out: &mut W,
    write_findings: impl FnOnce(&mut W) -> std::io::Result<()>,
) -> std::io::Result<()> {
    out.write_all(b"{\n  \"schema_version\": ")?;
    out.write_all(report.schema_version.to_string().as_bytes())?;
    out.write_all(b",\n  \"tool\": ")?;
    nested(out, &report.tool)?;
    out.write_all(b",\n  \"scan\": ")?;
    nested(out, &report.scan)?;
    out.write_all(b",\n  \"summary\": ")?;
    nested(out, &report.summary)?;
    out.write_all(b",\n  \"findings\": ")?;
    write_findings(out)?;
    if !report.fixed.is_empty() {
        out.write_all(b",\n  \"fixed\": ")?;
        findings(out, report.fixed.as_slice())?;
    }
    out.write_all(b",\n  \"checks\": ")?;
    nested(out, &report.checks)?;
    out.write_all(b"\n}\n")
}

/// A value as serde's pretty printer writes it one level down (two more spaces after
/// every line break; JSON strings never hold a raw line break).
fn nested<W: Write + ?Sized, T: serde::Serialize>(out: &mut W, value: &T) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    let mut start = 0;
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            out.write_all(&text[start..=i])?;
            out.write_all(b"  ")?;
            start = i + 1;
        }
    }
    out.write_all(&text[start..])
}

/// Findings the array is written from: [`Finding`]s, or compact rows.
trait Source: Sync {
    fn count(&self) -> usize;
    /// Appends the findings at `range`, `,\n`-separated, as serde's pretty printer
    /// writes them inside the array.
    fn render(&self, range: std::ops::Range<usize>, out: &mut Vec<u8>);
}

impl Source for [Finding] {
    fn count(&self) -> usize {
        self.len()
    }
    fn render(&self, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
        // Keyed by the shared strings themselves (every finding of a check points at the
        // same ones, and all of them outlive the chunk), so equal keys mean equal text.
        type Key = (*const u8, *const u8, *const u8, *const u8);
        let mut checks: HashMap<Key, CheckBytes> = HashMap::new();
        for (i, f) in self[range].iter().enumerate() {
            let key = (
                f.check_id.as_ptr(),
                f.title.as_ptr(),
                f.service.as_ptr(),
                f.remediation.as_ptr(),
            );
            let c = checks.entry(key).or_insert_with(|| {
                CheckBytes::of(&f.check_id, &f.title, &f.service, &f.remediation)
            });
            let r = &f.resource;
            emit(
                out,
                i > 0,
                c,
                &Head::from(f),
                &Parts {
                    kind: &r.kind,
                    id: &r.id,
                    name: r.name.as_deref(),
                    region: r.region.as_deref(),
                    account: &r.account,
                    location: r.location.as_ref(),
                    message: MessageView::Text(&f.message),
                    fingerprint: &f.fingerprint,
                    muted_reason: f.muted_reason.as_deref(),
                    baseline: f.baseline,
                    confirmed_from_outside: f.confirmed_from_outside.as_deref(),
                },
            );
        }
    }
}

impl Source for CompactFindings {
    fn count(&self) -> usize {
        self.len()
    }
    fn render(&self, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
        let mut checks: Vec<Option<CheckBytes>> = Vec::new();
        checks.resize_with(self.checks().len(), || None);
        for (n, i) in range.enumerate() {
            let (index, v) = self.get_indexed(i);
            let c = v.check;
            let bytes = checks[index].get_or_insert_with(|| {
                let m = &c.shared;
                CheckBytes::of(&m.id, &m.title, &m.service, &m.remediation)
            });
            let r = v.resource;
            let fingerprint =
                crate::findings::fingerprint_of(&c.shared.id, r.account, r.region, r.kind, r.id);
            emit(
                out,
                n > 0,
                bytes,
                &Head {
                    severity: c.severity,
                    status: v.status,
                    provider: c.provider,
                },
                &Parts {
                    kind: r.kind,
                    id: r.id,
                    name: r.name,
                    region: r.region,
                    account: r.account,
                    location: r.location,
                    message: v.message,
                    fingerprint: &fingerprint,
                    muted_reason: None,
                    baseline: None,
                    confirmed_from_outside: v.confirmed_from_outside,
                },
            );
        }
    }
}

/// The findings array, rendered in parallel chunks, written in order.
fn findings<W: Write + ?Sized, S: Source + ?Sized>(out: &mut W, all: &S) -> std::io::Result<()> {
    let n = all.count();
    if n == 0 {
        return out.write_all(b"[]");
    }
    out.write_all(b"[\n")?;
    // Chunk buffers go back to a pool once written: fresh multi-megabyte buffers would
    // each cost the kernel a round of zeroed pages.
    let pool: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
    let take = || {
        pool.lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default()
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(1);
    std::thread::scope(|s| {
        s.spawn(|| {
            for window in (0..n).step_by(CHUNK * WINDOW) {
                let end = (window + CHUNK * WINDOW).min(n);
                let rendered: Vec<Vec<u8>> = (window..end)
                    .step_by(CHUNK)
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(|start| {
                        let mut buf = take();
                        buf.reserve(CHUNK * 768);
                        all.render(start..(start + CHUNK).min(end), &mut buf);
                        buf
                    })
                    .collect();
                if tx.send(rendered).is_err() {
                    return; // the writer stopped on an error
                }
            }
            drop(tx);
        });
        let mut first = true;
        for window in rx {
            for mut chunk in window {
                if !first {
                    out.write_all(b",\n")?;
                }
                first = false;
                out.write_all(&chunk)?;
                chunk.clear();
                if let Ok(mut p) = pool.lock() {
                    p.push(chunk);
                }
            }
        }
        Ok::<(), std::io::Error>(())
    })?;
    out.write_all(b"\n  ]")
}

/// A check's text fields, escaped once: everything before the finding's severity, and
/// the service and the remediation.
struct CheckBytes {
    head: Vec<u8>,
    service: Vec<u8>,
    remediation: Vec<u8>,
}

impl CheckBytes {
    fn of(check_id: &str, title: &str, service: &str, remediation: &str) -> Self {
        let mut head = b"    {\n      \"check_id\": ".to_vec();
        string(&mut head, check_id);
        head.extend_from_slice(b",\n      \"title\": ");
        string(&mut head, title);
        head.extend_from_slice(b",\n      \"severity\": \"");
        let mut service_bytes = b"\",\n      \"service\": ".to_vec();
        string(&mut service_bytes, service);
        let mut remediation_bytes = b",\n      \"remediation\": ".to_vec();
        string(&mut remediation_bytes, remediation);
        CheckBytes {
            head,
            service: service_bytes,
            remediation: remediation_bytes,
        }
    }
}

/// A finding's fields that are not its check's text.
struct Head {
    severity: Severity,
    status: Status,
    provider: Provider,
}

impl From<&Finding> for Head {
    fn from(f: &Finding) -> Self {
        Head {
            severity: f.severity,
            status: f.status,
            provider: f.provider,
        }
    }
}

/// A finding's resource, message and markers.
struct Parts<'a> {
    kind: &'a str,
    id: &'a str,
    name: Option<&'a str>,
    region: Option<&'a str>,
    account: &'a str,
    location: Option<&'a SourceLocation>,
    message: MessageView<'a>,
    fingerprint: &'a str,
    muted_reason: Option<&'a str>,
    baseline: Option<BaselineState>,
    confirmed_from_outside: Option<&'a str>,
}

/// Appends one finding (after `,\n` unless it is the first of the chunk).
fn emit(out: &mut Vec<u8>, separate: bool, c: &CheckBytes, head: &Head, p: &Parts<'_>) {
    if separate {
        out.extend_from_slice(b",\n");
    }
    out.extend_from_slice(&c.head);
    out.extend_from_slice(head.severity.as_str().as_bytes());
    out.extend_from_slice(b"\",\n      \"status\": \"");
    out.extend_from_slice(head.status.as_str().as_bytes());
    out.extend_from_slice(b"\",\n      \"provider\": \"");
    out.extend_from_slice(head.provider.as_str().as_bytes());
    out.extend_from_slice(&c.service);
    out.extend_from_slice(b",\n      \"resource\": {\n        \"kind\": ");
    string(out, p.kind);
    out.extend_from_slice(b",\n        \"id\": ");
    string(out, p.id);
    out.extend_from_slice(b",\n        \"name\": ");
    opt_string(out, p.name);
    out.extend_from_slice(b",\n        \"region\": ");
    opt_string(out, p.region);
    out.extend_from_slice(b",\n        \"account\": ");
    string(out, p.account);
    if let Some(loc) = p.location {
        out.extend_from_slice(b",\n        \"location\": {\n          \"file\": ");
        string(out, &loc.file);
        out.extend_from_slice(b",\n          \"line\": ");
        out.extend_from_slice(loc.line.to_string().as_bytes());
        out.extend_from_slice(b"\n        }");
    }
    out.extend_from_slice(b"\n      },\n      \"message\": ");
    match p.message {
        MessageView::Text(t) => string(out, t),
        MessageView::NoIssue(name) => {
            out.push(b'"');
            string_body(out, name);
            out.extend_from_slice(b": no issue found.\"");
        }
        MessageView::Missing(field) => {
            out.extend_from_slice(b"\"field `");
            string_body(out, field);
            out.extend_from_slice(b"` was not collected for this resource\"");
        }
    }
    out.extend_from_slice(&c.remediation);
    out.extend_from_slice(b",\n      \"fingerprint\": ");
    string(out, p.fingerprint);
    if let Some(m) = p.muted_reason {
        out.extend_from_slice(b",\n      \"muted_reason\": ");
        string(out, m);
    }
    if let Some(b) = p.baseline {
        out.extend_from_slice(b",\n      \"baseline\": \"");
        out.extend_from_slice(b.as_str().as_bytes());
        out.push(b'"');
    }
    if let Some(c) = p.confirmed_from_outside {
        out.extend_from_slice(b",\n      \"confirmed_from_outside\": ");
        string(out, c);
    }
    out.extend_from_slice(b"\n    }");
}

fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string escaped exactly as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    string_body(out, s);
    out.push(b'"');
}

/// The escaped text of a JSON string, without its quotes.
fn string_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = next_escape(bytes, start) {
        out.extend_from_slice(&bytes[start..i]);
        escape(out, bytes[i]);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The index of the first byte at or after `from` that JSON must escape (`"`, `\`, a
/// control character), eight bytes at a time.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut i = from;
    while i + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        let x = u64::from_le_bytes(word);
        // A high bit set in a lane where the byte is below 0x20, or equal to `"` or `\\`
        // (the classic "has a zero byte" test, on x and on x xor the pattern); bytes of
        // 0x80 and above never match.
        let below = x.wrapping_sub(ONES * 0x20) & !x;
        let quote =
            (x ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) & !(x ^ (ONES * u64::from(b'"')));
        let slash =
            (x ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES) & !(x ^ (ONES * u64::from(b'\\')));
        if (below | quote | slash) & HIGHS != 0 {
            // The word holds a candidate (the test can flag a lane after a real match, so
            // confirm byte by byte).
            if let Some(j) = bytes[i..i + 8].iter().position(|&b| needs(b)) {
                return Some(i + j);
            }
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| needs(b)).map(|j| i + j)
}

fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::findings::{BaselineState, ResourceRef, ScanInfo, Severity, Status};
    use crate::inventory::{Provider, SourceLocation};

    fn finding(i: usize) -> Finding {
        Finding {
            check_id: format!("check-{}", i % 3).into(),
            title: "A \"quoted\" title\twith\u{1} controls\\ and ü".into(),
            severity: Severity::High,
            status: [Status::Fail, Status::Pass, Status::Error, Status::Muted][i % 4],
            provider: Provider::Aws,
            service: "s3".into(),
            resource: Arc::new(ResourceRef {
                kind: "aws.s3.bucket".into(),
                id: format!("arn:aws:s3:::b{i}"),
                name: i.is_multiple_of(2).then(|| format!("b{i}\n")),
                region: i.is_multiple_of(3).then(|| "us-east-1".into()),
                account: "123".into(),
                location: i.is_multiple_of(5).then(|| SourceLocation {
                    file: "main.tf".into(),
                    line: 7,
                }),
            }),
            message: format!("message {i} \u{7f} </script>"),
            remediation: "Fix it.\r\n".into(),
            fingerprint: format!("{i:032x}"),
            muted_reason: (i % 4 == 3).then(|| "accepted".into()),
            baseline: (i % 2 == 1).then_some(BaselineState::New),
            confirmed_from_outside: i.is_multiple_of(7).then(|| "probe".into()),
        }
    }

    #[test]
    fn strings_escape_like_serde_json() {
        let all: String = (0u8..=0x7f).map(char::from).chain("ü€".chars()).collect();
        for text in [
            all.as_str(),
            "",
            "plain text that is long enough",
            "x\"",
            "\\abcdefghi\u{1f}",
        ] {
            for skip in 0..text.len().min(9) {
                let Some(t) = text.get(skip..) else { continue };
                let mut out = Vec::new();
                string(&mut out, t);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(t).unwrap()
                );
            }
        }
    }

    #[test]
    fn the_emitter_writes_serdes_pretty_json_byte_for_byte() {
        for n in [0, 1, 5, CHUNK + 3, CHUNK * WINDOW * 2 + 1] {
            let scan = ScanInfo {
                started_at: "2026-01-01T00:00:00Z".into(),
                finished_at: "2026-01-01T00:00:01Z".into(),
                collected_at: "2026-01-01T00:00:00Z".into(),
                scopes: Vec::new(),
                collection_errors: Vec::new(),
            };
            let mut report = ScanReport::new(scan, (0..n).map(finding).collect(), []);
            if n == 5 {
                report.fixed = vec![finding(1)];
            }
            let expected = serde_json::to_string_pretty(&report).unwrap() + "\n";
            assert_eq!(render(&report), expected, "{n} findings");
        }
    }
}
