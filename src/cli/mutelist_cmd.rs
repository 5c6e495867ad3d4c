//! `mamori mutelist check FILE`: validate a mutelist and report entries that are stale —
//! expired, or matching no failing finding of an inventory or findings document — so
//! suppressions get cleaned up instead of silently piling up.
//!
//! Exit codes: 0 every entry is in force and (with data) matches something; 1 an entry
//! is expired or matches nothing; 2 the file (or the data) cannot be used.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{PlainError, exit, report_error};
use crate::baseline::FindingsDoc;
use crate::inventory::Inventory;
use crate::mutelist::{MatchContext, Mutelist};

/// `mamori mutelist`.
#[derive(Debug, Subcommand)]
pub enum MutelistCommand {
    /// Validate FILE; with `--inventory` or `--findings`, list entries matching nothing.
    Check {
        /// The mutelist file.
        file: PathBuf,
        /// Evaluate this saved inventory and match the entries against its failing findings.
        #[arg(long, value_name = "INV", conflicts_with = "findings")]
        inventory: Option<PathBuf>,
        /// Match the entries against the failing and muted findings of this findings JSON
        /// (tags cannot be checked this way: findings do not carry them).
        #[arg(long, value_name = "JSON")]
        findings: Option<PathBuf>,
        /// Also load the checks in DIR (repeatable).
        #[arg(long, value_name = "DIR")]
        checks_dir: Vec<PathBuf>,
    },
}

/// Runs a `mutelist` subcommand; returns the exit code.
pub fn run(cmd: MutelistCommand) -> u8 {
    match cmd {
        MutelistCommand::Check {
            file,
            inventory,
            findings,
            checks_dir,
        } => check(&file, inventory.as_ref(), findings.as_ref(), &checks_dir),
    }
}

fn check(
    file: &Path,
    inventory: Option<&PathBuf>,
    findings: Option<&PathBuf>,
    checks_dir: &[PathBuf],
) -> u8 {
    let mutelist = match Mutelist::load(file) {
        Ok(m) => m,
        Err(e) => {
            report_error(e);
            return exit::USAGE;
        }
    };
    // Per entry: failing findings matched, or None when no data was given.
    let mut hits: Option<Vec<usize>> = None;
    let mut tags_known = true;
    if inventory.is_some() || findings.is_some() {
        let set = match crate::checks::load(checks_dir) {
            Ok(s) => s,
            Err(e) => {
                report_error(e);
                return exit::USAGE;
            }
        };
        if let Some(path) = inventory {
            let inv = match Inventory::load(path) {
                Ok(i) => i,
                Err(e) => {
                    report_error(PlainError::new(e.to_string()));
                    return exit::USAGE;
                }
            };
            let report = crate::pipeline::evaluate_inventory(&inv, &set.checks);
            let ctx = MatchContext::new(Some(&inv), &set.checks);
            hits = Some(mutelist.hits(&report.findings, &ctx));
        } else if let Some(path) = findings {
            let doc = match FindingsDoc::load(path) {
                Ok(d) => d,
                Err(e) => {
                    report_error(e);
                    return exit::USAGE;
                }
            };
            let ctx = MatchContext::new(None, &set.checks);
            hits = Some(mutelist.hits(&doc.findings, &ctx));
            tags_known = false;
        }
    }

    let today = chrono::Utc::now().date_naive();
    let mut out = String::new();
    let mut stale = 0;
    for (i, e) in mutelist.entries.iter().enumerate() {
        let n = hits.as_ref().map(|h| h[i]);
        let (state, note) = if !e.is_active(today) {
            stale += 1;
            (
                "EXPIRED",
                format!(
                    "expired {}; renew or remove",
                    e.expires.map(|d| d.to_string()).unwrap_or_default()
                ),
            )
        } else {
            match n {
                Some(0) if e.uses_tags() && !tags_known => (
                    "UNKNOWN",
                    "matches no finding, but its tags can only be checked with --inventory"
                        .to_string(),
                ),
                Some(0) => {
                    stale += 1;
                    (
                        "UNUSED",
                        "matches no failing finding; remove it".to_string(),
                    )
                }
                Some(n) => ("ok", format!("matches {n} finding(s)")),
                None => ("ok", "valid".to_string()),
            }
        };
        let _ = writeln!(
            out,
            "{state:<8} {}  {}  — {note} (reason: {})",
            mutelist.locate(i),
            e.describe(),
            e.reason
        );
    }
    let _ = writeln!(
        out,
        "\n{} entr{} · {stale} stale",
        mutelist.entries.len(),
        if mutelist.entries.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    print!("{out}");
    if stale > 0 { exit::FINDINGS } else { exit::OK }
}
