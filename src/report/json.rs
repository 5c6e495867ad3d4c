//! `--format json`: the versioned findings document (see `schemas/findings-v1.schema.json`).

use crate::findings::ScanReport;

/// Pretty JSON with a trailing newline.
pub fn render(report: &ScanReport) -> String {
    // Plain data with string keys always serializes.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// The same document as [`render`], streamed to `out` (no copy of the whole text in
/// memory: a large report is hundreds of megabytes as one string).
pub fn write_to<W: std::io::Write + ?Sized>(
    report: &ScanReport,
    out: &mut W,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}
