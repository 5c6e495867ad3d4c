//! Running every check's own fixtures: each must fail and pass as declared.

use super::{Outcome, run_fixture};
use crate::checks::CheckSet;
use crate::checks::lint::FIXTURE_NOW;

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
