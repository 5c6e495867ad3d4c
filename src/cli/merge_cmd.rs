//! `mamori merge PART.json... -o ALL.json`: joins the findings JSON of several runs (the
//! shards of one sharded scan, or scans of different accounts, projects and orgs) into one
//! report, as if one run had covered them all: findings unioned (a finding present in two
//! parts, same fingerprint, counted once), scopes and collection errors unioned, the
//! summary recomputed, findings in report order.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;

use super::output::Destination;
use super::{PlainError, exit, report_error};
use crate::findings::ScanReport;
use crate::report::Format;

/// `mamori merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Findings JSON documents (`mamori scan --format json`), or inventories
    /// (`--save-inventory`), two or more.
    #[arg(value_name = "PART", num_args = 1.., required = true)]
    pub parts: Vec<PathBuf>,
    /// Output format of the merged report; repeat (or separate with commas) with `--output-dir`.
    #[arg(long, value_enum, default_value = "json", value_delimiter = ',')]
    pub format: Vec<Format>,
    /// Write the merged report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write each format to DIR/mamori-report.<ext>.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// Joins reports (see the module docs).
pub fn merge(parts: Vec<ScanReport>) -> Option<ScanReport> {
    let mut iter = parts.into_iter();
    let mut all = iter.next()?;
    let mut seen: BTreeSet<String> = all.findings.iter().map(|f| f.fingerprint.clone()).collect();
    for part in iter {
        if part.scan.started_at < all.scan.started_at {
            all.scan.started_at = part.scan.started_at;
        }
        if part.scan.finished_at > all.scan.finished_at {
            all.scan.finished_at = part.scan.finished_at;
        }
        if part.scan.collected_at > all.scan.collected_at {
            all.scan.collected_at = part.scan.collected_at;
        }
        for s in part.scan.scopes {
            if !all
                .scan
                .scopes
                .iter()
                .any(|x| x.provider == s.provider && x.id == s.id)
            {
                all.scan.scopes.push(s);
            }
        }
        for e in part.scan.collection_errors {
            if !all.scan.collection_errors.contains(&e) {
                all.scan.collection_errors.push(e);
            }
        }
        for f in part.findings {
            if seen.insert(f.fingerprint.clone()) {
                all.findings.push(f);
            }
        }
        all.fixed.extend(part.fixed);
        for (id, info) in part.checks {
            all.checks.entry(id).or_insert(info);
        }
        if all.summary.new.is_some() || part.summary.new.is_some() {
            all.summary.new = Some(0);
        }
        if all.summary.fixed.is_some() || part.summary.fixed.is_some() {
            all.summary.fixed = Some(0);
        }
    }
    all.scan
        .scopes
        .sort_by(|a, b| (a.provider, &a.id).cmp(&(b.provider, &b.id)));
    all.refresh();
    Some(all)
}

/// Whether a document is an inventory (top-level `resources`) rather than a findings report.
fn is_inventory(text: &str) -> bool {
    serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
        .is_ok_and(|m| m.contains_key("resources") && !m.contains_key("findings"))
}

/// Joins inventories into one (see the module docs); `first` is the first part's text.
fn merge_inventories(args: &MergeArgs, first: &str) -> u8 {
    let joined =
        crate::inventory::Inventory::from_json(first, &args.parts[0].display().to_string())
            .and_then(|inv| super::scan_cmd::join_inventories(inv, &args.parts[1..]));
    let mut inv = match joined {
        Ok(i) => i,
        Err(e) => {
            report_error(PlainError::with_help(
                e.to_string(),
                "parts must all be inventories (`--save-inventory`) or all findings JSON",
            ));
            return exit::USAGE;
        }
    };
    if args.parts.len() == 1 {
        // Joining normalizes when it adds parts; a lone part is normalized here.
        inv.normalize();
    }
    let written = match &args.output {
        Some(path) => inv.save(path).map_err(|e| e.to_string()),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(inv.to_json().as_bytes())
                .map_err(|e| e.to_string())
        }
    };
    match written {
        Ok(()) => exit::OK,
        Err(e) => {
            report_error(PlainError::new(e));
            exit::USAGE
        }
    }
}

/// Runs `mamori merge`; returns the exit code.
pub fn run(args: &MergeArgs) -> u8 {
    // The first part tells what is merged; it is read once.
    let Some(first_path) = args.parts.first() else {
        return exit::USAGE;
    };
    let first = match std::fs::read_to_string(first_path) {
        Ok(t) => t,
        Err(e) => {
            report_error(PlainError::new(format!(
                "cannot read {}: {e}",
                first_path.display()
            )));
            return exit::USAGE;
        }
    };
    if is_inventory(&first) {
        return merge_inventories(args, &first);
    }
    let mut parts = Vec::new();
    for (i, p) in args.parts.iter().enumerate() {
        let part = if i == 0 {
            super::report_cmd::parse(&first, p)
        } else {
            super::report_cmd::load(p)
        };
        match part {
            Ok(r) => parts.push(r),
            Err(e) => {
                report_error(PlainError::with_help(
                    e,
                    "each part is the findings JSON of a scan (`mamori scan ... --format json --output PART.json`)",
                ));
                return exit::USAGE;
            }
        }
    }
    let Some(merged) = merge(parts) else {
        return exit::USAGE;
    };
    let dest = Destination {
        formats: &args.format,
        output: args.output.as_deref(),
        output_dir: args.output_dir.as_deref(),
        show_passes: false,
        compliance: None,
    };
    match dest.write(&merged) {
        Ok(_) => exit::OK,
        Err(()) => exit::USAGE,
    }
}
