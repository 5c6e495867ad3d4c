//! `mamori checks list|show|lint|test|docs`.

use std::path::PathBuf;

use super::{ChecksCommand, PlainError, exit, report_error};
use crate::checks::{self, CheckErrors, CheckSet, lint};
use crate::evaluate::Outcome;

/// Runs a `checks` subcommand; returns the exit code.
pub fn run(cmd: ChecksCommand) -> u8 {
    match cmd {
        ChecksCommand::List {
            provider,
            checks_dir,
            json,
            compliance: Some(fw),
        } => list_compliance(&fw, provider, &checks_dir, json),
        ChecksCommand::List {
            provider,
            checks_dir,
            json,
            compliance: None,
        } => list(provider, &checks_dir, json),
        ChecksCommand::Show { id, checks_dir } => show(&id, &checks_dir),
        ChecksCommand::Lint { dir } => lint_cmd(dir),
        ChecksCommand::Test { dir } => test_cmd(dir),
        ChecksCommand::Docs { out } => docs(&out),
    }
}

fn load_or_report(dirs: &[PathBuf]) -> Option<CheckSet> {
    match checks::load(dirs) {
        Ok(s) => Some(s),
        Err(e) => {
            report_error(e);
            None
        }
    }
}

/// Loads only a user directory (plus the built-in kinds, so it can use built-in kinds).
fn load_dir(dir: Option<PathBuf>) -> Result<CheckSet, CheckErrors> {
    match dir {
        None => checks::load(&[]),
        Some(d) => {
            let (files, mut kinds) = checks::read_dir(&d).map_err(|e| CheckErrors {
                diagnostics: vec![checks::CheckDiagnostic::plain(
                    &d.display().to_string(),
                    format!("cannot read checks directory: {e}"),
                )],
            })?;
            let mut all_kinds = checks::builtin_kind_files();
            all_kinds.append(&mut kinds);
            checks::load_files(&files, &all_kinds)
        }
    }
}

fn list(provider: Option<String>, dirs: &[PathBuf], json: bool) -> u8 {
    let Some(set) = load_or_report(dirs) else {
        return exit::USAGE;
    };
    let rows: Vec<_> = set
        .checks
        .iter()
        .filter(|c| provider.as_deref().is_none_or(|p| c.provider.as_str() == p))
        .collect();
    if json {
        let infos: Vec<crate::findings::CheckInfo> = rows
            .iter()
            .map(|c| crate::findings::CheckInfo::from(c.as_ref()))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&infos).unwrap_or_default()
        );
    } else {
        for c in rows {
            println!(
                "{:<48} {:<8} {:<10} {}",
                c.id,
                c.severity.as_str(),
                c.provider.as_str(),
                c.title
            );
        }
    }
    exit::OK
}

fn show(id: &str, dirs: &[PathBuf]) -> u8 {
    let Some(set) = load_or_report(dirs) else {
        return exit::USAGE;
    };
    let Some(c) = set.checks.iter().find(|c| c.answers_to(id)) else {
        report_error(PlainError::with_help(
            format!("no check named `{id}`"),
            "`mamori checks list` shows every check id",
        ));
        return exit::USAGE;
    };
    print!("{}", crate::checks::docs::page(c));
    exit::OK
}

fn lint_cmd(dir: Option<PathBuf>) -> u8 {
    let set = match load_dir(dir) {
        Ok(s) => s,
        Err(e) => {
            report_error(e);
            return exit::USAGE;
        }
    };
    let shapes = lint::fixture_shapes(&set);
    let shapes_ok = shapes.is_empty();
    let failures: Vec<_> = crate::evaluate::fixtures::run_fixtures(&set)
        .into_iter()
        .filter(|r| !r.ok())
        .collect();
    if !shapes.is_empty() {
        report_error(CheckErrors {
            diagnostics: shapes,
        });
    }
    for f in &failures {
        eprintln!("{}", describe_fixture_failure(f));
    }
    if failures.is_empty() && shapes_ok {
        println!("{} checks OK", set.checks.len());
        exit::OK
    } else {
        exit::USAGE
    }
}

fn describe_fixture_failure(f: &crate::evaluate::fixtures::FixtureResult) -> String {
    let got = match &f.outcome {
        Outcome::Fail(m) => format!("failed ({m})"),
        Outcome::Pass(_) => "passed".to_string(),
        Outcome::Error(_) | Outcome::Missing(_) => format!("errored: {}", f.outcome.message()),
    };
    format!(
        "{}: check {} fixture `{}` should {} but {got}",
        f.path, f.check_id, f.fixture, f.expected
    )
}

fn test_cmd(dir: Option<PathBuf>) -> u8 {
    let set = match load_dir(dir) {
        Ok(s) => s,
        Err(e) => {
            report_error(e);
            return exit::USAGE;
        }
    };
    let results = crate::evaluate::fixtures::run_fixtures(&set);
    let mut failed = 0;
    for r in &results {
        if r.ok() {
            println!("ok   {} {} `{}`", r.check_id, r.expected, r.fixture);
        } else {
            failed += 1;
            println!("FAIL {}", describe_fixture_failure(r));
        }
    }
    println!("{} passed, {} failed", results.len() - failed, failed);
    if failed == 0 {
        exit::OK
    } else {
        exit::FINDINGS
    }
}

fn docs(out: &std::path::Path) -> u8 {
    let Some(set) = load_or_report(&[]) else {
        return exit::USAGE;
    };
    match crate::checks::docs::write_all(&set, out) {
        Ok(n) => {
            println!("wrote {n} pages to {}", out.display());
            exit::OK
        }
        Err(e) => {
            report_error(PlainError::new(format!("cannot write docs: {e}")));
            exit::USAGE
        }
    }
}

/// `checks list --compliance FRAMEWORK`: every control with the checks that cover it.
fn list_compliance(fw_id: &str, provider: Option<String>, dirs: &[PathBuf], json: bool) -> u8 {
    let Some(fw) = super::output::framework(fw_id) else {
        return exit::USAGE;
    };
    let Some(set) = load_or_report(dirs) else {
        return exit::USAGE;
    };
    let checks: Vec<_> = set
        .checks
        .iter()
        .filter(|c| provider.as_deref().is_none_or(|p| c.provider.as_str() == p))
        .collect();
    let mut ids: Vec<String> = fw.controls.keys().cloned().collect();
    for c in &checks {
        for id in c.compliance.get(&fw.id).into_iter().flatten() {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    ids.sort_by_key(|id| crate::report::view::control_order(id));
    let rows: Vec<(String, String, Vec<String>)> = ids
        .into_iter()
        .map(|id| {
            let covering = checks
                .iter()
                .filter(|c| c.compliance.get(&fw.id).is_some_and(|v| v.contains(&id)))
                .map(|c| c.id.clone())
                .collect();
            let title = fw.controls.get(&id).cloned().unwrap_or_default();
            (id, title, covering)
        })
        .collect();
    let covered = rows.iter().filter(|r| !r.2.is_empty()).count();
    if json {
        let doc = serde_json::json!({
            "framework": fw.id,
            "title": fw.title,
            "controls": rows.iter().map(|(id, title, checks)| serde_json::json!({
                "id": id, "title": title, "covered": !checks.is_empty(), "checks": checks,
            })).collect::<Vec<_>>(),
            "covered": covered,
            "total": rows.len(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!(
            "{} ({}): {covered} of {} controls covered",
            fw.title,
            fw.id,
            rows.len()
        );
        for (id, title, checks) in &rows {
            let state = if checks.is_empty() {
                "not covered"
            } else {
                "covered"
            };
            println!("{id:<12} {state:<12} {title}");
            for c in checks {
                println!("{:<12} {:<12}   - {c}", "", "");
            }
        }
    }
    exit::OK
}
