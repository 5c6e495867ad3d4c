//! Compiled conditions (`checks::compiled`) answer exactly as cel's interpreter does:
//! every check runs on the fixtures of every check of its kind (so fields are missing,
//! present, of other shapes), named or not, tagged or not, in a region or not, and each
//! resource's verdicts are compared, status and message, with the interpreter's.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use mamori::checks;
use mamori::evaluate::{Evaluator, judge};
use mamori::inventory::{Provider, Resource};

#[test]
fn compiled_and_interpreted_verdicts_are_the_same() {
    let set = checks::load(&[]).unwrap();
    let compiled = Evaluator::new(&set.checks, "2026-06-01T00:00:00Z");
    let interpreted = Evaluator::new(&set.checks, "2026-06-01T00:00:00Z").interpreted();
    let mut by_kind: BTreeMap<&str, Vec<(Provider, &checks::Fixture)>> = BTreeMap::new();
    for c in &set.checks {
        for fx in c.fixtures.fail.iter().chain(&c.fixtures.pass) {
            by_kind
                .entry(c.resource_kind.as_str())
                .or_default()
                .push((c.provider, fx));
        }
    }
    let mut compared = 0;
    for (kind, fixtures) in &by_kind {
        for (i, (provider, fx)) in fixtures.iter().enumerate() {
            let mut r = Resource::new(*provider, *kind, "scope-1", format!("{kind}/{i}"), &fx.data)
                .with_tags(fx.tags.clone());
            if i % 2 == 0 {
                r = r.named(fx.name.clone());
            }
            r.region.clone_from(&fx.region);
            let want = judge(&interpreted, &[], &r);
            let got = judge(&compiled, &[], &r);
            assert_eq!(got, want, "{kind} fixture {} ({i})", fx.name);
            compared += want.len();
        }
    }
    assert!(compared > 5_000, "{compared} verdicts compared");
}

#[test]
fn most_conditions_compile() {
    let set = checks::load(&[]).unwrap();
    let total = set.checks.len();
    let compiled = set.checks.iter().filter(|c| c.compiled.is_some()).count();
    let left: Vec<&str> = set
        .checks
        .iter()
        .filter(|c| c.compiled.is_none())
        .map(|c| c.id.as_str())
        .collect();
    assert!(
        compiled == total,
        "{compiled} of {total} conditions compile; left to cel: {left:?}"
    );
}
