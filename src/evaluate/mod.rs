//! Evaluation: every check against every resource of its kind, in parallel.
//!
//! Each resource's `data` is parsed and converted to a CEL value once, then every check
//! of that kind runs against it. Checks read three variables: `resource` (kind, id,
//! name, region, scope, tags, data), `params` (the check's parameters) and `now` (the
//! inventory's `collected_at`, so saved inventories re-evaluate identically).
//!
//! A check never reports `pass` on incomplete data: when a collection error covers the
//! resource's kind, scope and region (or the resource itself), a pass becomes `error`,
//! and one `error` finding per check names what could not be collected.

pub mod fixtures;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cel::common::types::{CelMap, CelMapKey, CelNull, CelString, CelTimestamp};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, ExecutionError, Value};
use rayon::prelude::*;

pub mod value;

use crate::checks::Check;
use crate::checks::kinds::path_within;
use crate::findings::{Finding, ResourceRef, Status};
use crate::inventory::{CollectionError, Inventory, Resource};

pub use crate::checks::json_to_val;

fn opt_str(s: Option<&str>) -> Box<dyn Val + '_> {
    match s {
        Some(s) => Box::new(CelString::from(s)),
        None => Box::new(CelNull),
    }
}

/// Builds the `resource` variable, borrowing from the resource.
fn resource_val<'a>(r: &'a Resource, data: Box<dyn Val + 'a>) -> Box<dyn Val + 'a> {
    let mut m: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::with_capacity(7);
    m.insert("kind".into(), Box::new(CelString::from(r.kind.as_str())));
    m.insert("id".into(), Box::new(CelString::from(r.id.as_str())));
    m.insert("name".into(), Box::new(CelString::from(r.display_name())));
    m.insert("region".into(), opt_str(r.region.as_deref()));
    m.insert("scope".into(), Box::new(CelString::from(r.scope.as_str())));
    let tags: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = r
        .tags
        .iter()
        .map(|(k, v)| {
            (
                CelMapKey::from(k.as_str()),
                Box::new(CelString::from(v.as_str())) as Box<dyn Val + 'a>,
            )
        })
        .collect();
    m.insert("tags".into(), Box::new(CelMap::from(tags)));
    m.insert("data".into(), data);
    Box::new(CelMap::from(m))
}

/// The variables one evaluation sees.
struct Vars<'a> {
    resource: &'a (dyn Val + 'a),
    params: &'a dyn Val,
    now: &'a dyn Val,
}

impl VariableResolver for Vars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "resource" => Some(CowVal::Borrowed(self.resource)),
            "params" => Some(CowVal::Borrowed(self.params)),
            "now" => Some(CowVal::Borrowed(self.now)),
            _ => None,
        }
    }
}

/// The result of running one check's condition on one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The condition was true.
    Fail(String),
    /// The condition was false.
    Pass(String),
    /// The condition could not be evaluated.
    Error(String),
    /// The condition read a field the resource's data does not have (its name).
    Missing(String),
}

impl Outcome {
    /// The message of a failed, passed or errored outcome.
    pub fn message(&self) -> String {
        match self {
            Outcome::Fail(m) | Outcome::Pass(m) | Outcome::Error(m) => m.clone(),
            Outcome::Missing(field) => missing_message(field),
        }
    }
}

/// "field `x` was not collected for this resource".
pub fn missing_message(field: &str) -> String {
    format!("field `{field}` was not collected for this resource")
}

/// Evaluates a set of checks against prepared resource values.
pub struct Evaluator<'a> {
    checks_by_kind: HashMap<&'a str, Vec<&'a Check>>,
    now: Box<dyn Val>,
}

impl<'a> Evaluator<'a> {
    /// Prepares an evaluator; `now` is the instant ages are measured against (RFC 3339).
    pub fn new(checks: &'a [Arc<Check>], now: &str) -> Self {
        let mut checks_by_kind: HashMap<&str, Vec<&Check>> = HashMap::new();
        for c in checks {
            checks_by_kind
                .entry(c.resource_kind.as_str())
                .or_default()
                .push(c);
        }
        let now: Box<dyn Val> = match chrono::DateTime::parse_from_rfc3339(now) {
            Ok(t) => Box::new(CelTimestamp::from(t)),
            Err(_) => Box::new(CelTimestamp::from(chrono::Utc::now().fixed_offset())),
        };
        Evaluator {
            checks_by_kind,
            now,
        }
    }

    /// The checks that apply to a kind.
    pub fn checks_for(&self, kind: &str) -> &[&'a Check] {
        self.checks_by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Runs one check on one resource value.
    pub fn run(&self, check: &Check, resource: &(dyn Val + '_), display_name: &str) -> Outcome {
        self.run_in(&root_context(), check, resource, display_name)
    }

    /// Runs one check on one resource value in a prepared root context
    /// (see [`root_context`]), so a resource's checks share one.
    pub fn run_in(
        &self,
        root: &Context<'_, '_>,
        check: &Check,
        resource: &(dyn Val + '_),
        display_name: &str,
    ) -> Outcome {
        let vars = Vars {
            resource,
            params: check.params_value.as_ref(),
            now: self.now.as_ref(),
        };
        let mut ctx = root.new_inner_scope();
        ctx.set_variable_resolver(&vars);
        match check.program.execute(&ctx) {
            Ok(Value::Bool(true)) => Outcome::Fail(check.message_template.render(&ctx)),
            Ok(Value::Bool(false)) => Outcome::Pass(match &check.pass_template {
                Some(t) => t.render(&ctx),
                None => format!("{display_name}: no issue found."),
            }),
            Ok(other) => Outcome::Error(format!(
                "condition returned {}, not a bool",
                other.type_of()
            )),
            Err(ExecutionError::NoSuchKey(k)) => Outcome::Missing(k.to_string()),
            Err(e) => Outcome::Error(describe_error(&e)),
        }
    }
}

/// The root CEL context checks run in: the shared environment plus `matches`, whose
/// regular expressions are compiled once per process rather than once per call.
pub fn root_context() -> Context<'static, 'static> {
    let mut root = Context::with_env(crate::checks::cel_env());
    // `matches` is not an overload of the environment (cel's `regex` feature is off), so
    // registering it cannot conflict.
    let _ = root.add_function("matches", regex_matches);
    root
}

fn regex_matches(
    cel::extractors::This(this): cel::extractors::This<Arc<String>>,
    re: Arc<String>,
) -> Result<bool, ExecutionError> {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<HashMap<String, regex::Regex>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(r) = cache.get(re.as_str()) {
            return Ok(r.is_match(&this));
        }
        let compiled = regex::Regex::new(&re).map_err(|err| ExecutionError::FunctionError {
            function: "matches".to_string(),
            message: format!("'{re}' not a valid regex: {err}"),
        })?;
        let hit = compiled.is_match(&this);
        cache.insert(re.to_string(), compiled);
        Ok(hit)
    })
}

/// A readable explanation of an evaluation error.
pub fn describe_error(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => missing_message(k),
        other => format!("evaluation failed: {other}"),
    }
}

/// Evaluates every check against the inventory. Findings are unsorted; see
/// [`crate::findings::ScanReport::new`].
pub fn evaluate(inv: &Inventory, checks: &[Arc<Check>]) -> Vec<Finding> {
    let ev = Evaluator::new(checks, &inv.collected_at);
    let mut findings: Vec<Finding> = inv
        .resources
        .par_iter()
        .with_min_len(64)
        .flat_map_iter(|r| evaluate_resource(&ev, inv, r))
        .collect();
    findings.extend(scope_errors(inv, &ev));
    findings
}

fn evaluate_resource(ev: &Evaluator<'_>, inv: &Inventory, r: &Resource) -> Vec<Finding> {
    let checks = ev.checks_for(&r.kind);
    if checks.is_empty() {
        return Vec::new();
    }
    let rref = Arc::new(ResourceRef {
        kind: r.kind.clone(),
        id: r.id.clone(),
        name: r.name.clone(),
        region: r.region.clone(),
        account: r.scope.clone(),
        location: r.location.clone(),
    });
    // Pass results are not trusted when a collection error covers this resource.
    let blocking: Vec<&CollectionError> = inv
        .errors
        .iter()
        .filter(|e| e.affects(&r.kind, &r.scope, r.region.as_deref(), Some(&r.id)))
        .collect();
    // Errors about this very resource explain fields that are missing from its data,
    // even when they do not cover the whole kind.
    let explaining: Vec<&CollectionError> = inv
        .errors
        .iter()
        .filter(|e| e.scope == r.scope && e.resource_id.as_deref() == Some(r.id.as_str()))
        .collect();
    // Field gaps of this resource's kind and scope, found once for all its checks.
    let gaps_here: Vec<&CollectionError> = inv
        .errors
        .iter()
        .filter(|e| e.is_gap_for(&r.kind, &r.scope))
        .collect();
    let value = match value::parse(r.data.get()) {
        Ok(d) => resource_val(r, d),
        Err(e) => {
            let msg = format!("resource data is not valid JSON: {e}");
            return checks
                .iter()
                .map(|c| Finding::new(c, rref.clone(), Status::Error, msg.clone()))
                .collect();
        }
    };
    let root = root_context();
    checks
        .iter()
        .map(|c| {
            if let Some(field) = unknown_read(c, r) {
                let msg = format!("Not evaluated: value unknown until apply: `{field}`");
                return Finding::new(c, rref.clone(), Status::Error, msg);
            }
            let outcome = ev.run_in(&root, c, value.as_ref(), r.display_name());
            // Field gaps: a missing field they explain, or a pass of a condition that reads
            // a gap field (`has(x) && ...` would otherwise pass silently), is not evaluated.
            let gaps: Vec<&str> = match &outcome {
                Outcome::Missing(field) => gaps_here
                    .iter()
                    .filter(|e| e.fields.iter().any(|f| f == field))
                    .map(|e| e.message.as_str())
                    .collect(),
                Outcome::Pass(_) => gaps_here
                    .iter()
                    .filter(|e| e.fields.iter().any(|f| reads_key(&c.data_reads, f)))
                    .map(|e| e.message.as_str())
                    .collect(),
                _ => Vec::new(),
            };
            if !gaps.is_empty() {
                let msg = format!("Not evaluated: {}", gaps.join("; "));
                return Finding::new(c, rref.clone(), Status::Error, msg);
            }
            let outcome = match outcome {
                Outcome::Missing(field) => Outcome::Error(missing_message(&field)),
                other => other,
            };
            let (status, message) = match outcome {
                Outcome::Fail(m) => (Status::Fail, m),
                Outcome::Pass(_) if !blocking.is_empty() => {
                    (Status::Error, not_evaluated_message(&blocking))
                }
                Outcome::Pass(m) => (Status::Pass, m),
                Outcome::Error(m) if !blocking.is_empty() => (
                    Status::Error,
                    format!("{}; {m}", not_evaluated_message(&blocking)),
                ),
                Outcome::Error(m) if !explaining.is_empty() => (
                    Status::Error,
                    format!("{}; {m}", not_evaluated_message(&explaining)),
                ),
                Outcome::Error(m) => (Status::Error, m),
                // Mapped to `Error` above; kept for exhaustiveness.
                Outcome::Missing(field) => (Status::Error, missing_message(&field)),
            };
            Finding::new(c, rref.clone(), status, message)
        })
        .collect()
}

/// Whether one of the data paths a check reads ([`Check::data_reads`]) passes through the
/// data key `key` (`created` in `setup_audit_trail[].created`).
fn reads_key(reads: &[String], key: &str) -> bool {
    reads
        .iter()
        .any(|p| p.split('.').any(|seg| seg.trim_end_matches("[]") == key))
}

/// The first field of `r` whose value is unknown (see [`Resource::unknown`]) that the
/// check's condition reads: at it, at a field below it, or at a container holding it.
/// Decided from the condition's text rather than by evaluating, because CEL equality
/// with a stand-in value would quietly be `false` and could turn into a pass.
fn unknown_read<'r>(check: &Check, r: &'r Resource) -> Option<&'r str> {
    r.unknown
        .iter()
        .find(|u| {
            check
                .data_reads
                .iter()
                .any(|p| path_within(p, u) || path_within(u, p))
        })
        .map(String::as_str)
}

/// "Not evaluated: ..." naming the failed calls.
pub fn not_evaluated_message(errors: &[&CollectionError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let region = e
                .region
                .as_deref()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default();
            format!(
                "{}:{}{} failed with {}: {}",
                e.service, e.operation, region, e.code, e.message
            )
        })
        .collect();
    format!("Not evaluated: {}", parts.join("; "))
}

/// One `error` finding per (check, scope, region) whose kind could not be fully
/// collected, so that a kind with no collected resources never looks clean.
fn scope_errors(inv: &Inventory, ev: &Evaluator<'_>) -> Vec<Finding> {
    let mut grouped: BTreeMap<(&str, &str, Option<&str>), Vec<&CollectionError>> = BTreeMap::new();
    for e in inv
        .errors
        .iter()
        .filter(|e| e.resource_id.is_none() && e.fields.is_empty())
    {
        for k in &e.kinds {
            grouped
                .entry((k.as_str(), e.scope.as_str(), e.region.as_deref()))
                .or_default()
                .push(e);
        }
    }
    let mut out = Vec::new();
    for ((kind, scope, region), errors) in grouped {
        let checks = ev.checks_for(kind);
        if checks.is_empty() {
            continue;
        }
        let rref = Arc::new(ResourceRef {
            kind: kind.to_string(),
            id: format!("{scope}/{}/{kind}", region.unwrap_or("global")),
            name: None,
            region: region.map(str::to_string),
            account: scope.to_string(),
            location: None,
        });
        let msg = not_evaluated_message(&errors);
        for c in checks {
            out.push(Finding::new(c, rref.clone(), Status::Error, msg.clone()));
        }
    }
    out
}

/// Runs a check on a fixture and reports whether the outcome matched.
pub fn run_fixture(check: &Check, fixture: &crate::checks::Fixture, now: &str) -> Outcome {
    let ev = Evaluator::new(&[], now);
    let mut r = Resource::new(
        check.provider,
        check.resource_kind.clone(),
        "fixture-scope",
        format!("fixture/{}", fixture.name),
        &fixture.data,
    )
    .named(fixture.name.clone())
    .with_tags(fixture.tags.clone());
    r.region.clone_from(&fixture.region);
    let value = resource_val(&r, json_to_val(&fixture.data));
    ev.run(check, value.as_ref(), r.display_name())
}
