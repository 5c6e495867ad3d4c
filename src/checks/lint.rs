//! Check self-tests: every check's fixtures must fail and pass as declared, and their
//! data must use only the fields the kind declares.

use super::{CheckDiagnostic, CheckFile, CheckSet};
use crate::evaluate::{Outcome, run_fixture};

/// The instant fixtures are evaluated at, so that age-based fixtures are stable.
pub const FIXTURE_NOW: &str = "2026-06-01T00:00:00Z";

/// The result of running one fixture.
#[derive(Debug, Clone)]
pub struct FixtureResult {
    /// The check.
    pub check_id: String,
    /// The check file.
    pub path: String,
    /// The fixture's name.
    pub fixture: String,
    /// `fail` or `pass`: what the fixture expects.
    pub expected: &'static str,
    /// What happened.
    pub outcome: Outcome,
}

impl FixtureResult {
    /// Whether the outcome matched the expectation.
    pub fn ok(&self) -> bool {
        matches!(
            (&self.outcome, self.expected),
            (Outcome::Fail(_), "fail") | (Outcome::Pass(_), "pass")
        )
    }
}

/// Runs every fixture of every check.
pub fn run_fixtures(set: &CheckSet) -> Vec<FixtureResult> {
    let mut out = Vec::new();
    for check in &set.checks {
        for (expected, fixtures) in [
            ("fail", &check.fixtures.fail),
            ("pass", &check.fixtures.pass),
        ] {
            for fx in fixtures {
                out.push(FixtureResult {
                    check_id: check.id.clone(),
                    path: check.source.path.clone(),
                    fixture: fx.name.clone(),
                    expected,
                    outcome: run_fixture(check, fx, FIXTURE_NOW),
                });
            }
        }
    }
    out
}

/// Reports fixture data that uses fields the kind does not declare.
pub fn fixture_shapes(set: &CheckSet) -> Vec<CheckDiagnostic> {
    let mut out = Vec::new();
    for check in &set.checks {
        let file = CheckFile {
            path: check.source.path.clone(),
            text: check.source.text.clone(),
            builtin: check.source.builtin,
        };
        for fx in check.fixtures.fail.iter().chain(&check.fixtures.pass) {
            for path in set.kinds.undeclared_paths(&check.resource_kind, &fx.data) {
                out.push(CheckDiagnostic::at_key(
                    &file,
                    "fixtures",
                    format!(
                        "fixture `{}` uses `{path}`, which kind `{}` does not declare",
                        fx.name, check.resource_kind
                    ),
                ));
            }
        }
    }
    out
}
