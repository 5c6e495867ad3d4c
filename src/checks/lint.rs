//! Check self-tests: fixture data must use only the fields the kind declares (running
//! the fixtures is evaluation: [`crate::evaluate::fixtures`]).

use super::{CheckDiagnostic, CheckFile, CheckSet};

/// The instant fixtures are evaluated at, so that age-based fixtures are stable.
pub const FIXTURE_NOW: &str = "2026-06-01T00:00:00Z";

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
