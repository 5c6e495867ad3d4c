//! `mamori report FILE.json`: re-render a saved findings JSON in any format, so a report
//! can be regenerated (or produced in another format) without rescanning.

use super::output::{Destination, framework};
use super::{PlainError, ReportArgs, exit, report_error};
use crate::findings::{FINDINGS_SCHEMA_VERSION, ScanReport};

/// Loads a findings JSON document.
pub fn load(path: &std::path::Path) -> Result<ScanReport, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text, path)
}

/// Parses a findings JSON document read from `path`.
pub fn parse(text: &str, path: &std::path::Path) -> Result<ScanReport, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let report: ScanReport = serde_path_to_error::deserialize(de).map_err(|e| {
        format!(
            "{} is not a mamori findings JSON: at `{}`: {}",
            path.display(),
            e.path(),
            e.inner()
        )
    })?;
    if report.schema_version > FINDINGS_SCHEMA_VERSION {
        return Err(format!(
            "{} uses findings schema version {}; this mamori reads up to {FINDINGS_SCHEMA_VERSION}",
            path.display(),
            report.schema_version
        ));
    }
    Ok(report)
}

/// Runs `mamori report`; returns the exit code.
pub fn run(args: ReportArgs) -> u8 {
    let fw = match &args.compliance {
        Some(id) => match framework(id) {
            Some(f) => Some(f),
            None => return exit::USAGE,
        },
        None => None,
    };
    let report = match load(&args.file) {
        Ok(r) => r,
        Err(e) => {
            report_error(PlainError::with_help(
                e,
                "write one with `mamori scan ... --format json --output FILE`",
            ));
            return exit::USAGE;
        }
    };
    let dest = Destination {
        formats: &args.format,
        output: args.output.as_deref(),
        output_dir: args.output_dir.as_deref(),
        show_passes: args.show_passes,
        compliance: fw.as_ref(),
    };
    match dest.write(&report) {
        Ok(written) => {
            if !args.quiet {
                for p in written {
                    eprintln!("wrote {}", p.display());
                }
            }
            exit::OK
        }
        Err(()) => exit::USAGE,
    }
}
