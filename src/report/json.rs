//! `--format json`: the versioned findings document (see `schemas/findings-v1.schema.json`).

use crate::findings::ScanReport;

/// Pretty JSON with a trailing newline.
pub fn render(report: &ScanReport) -> String {
    // Plain data with string keys always serializes.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}
