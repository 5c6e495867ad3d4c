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
use crate::checks::compiled::{Compiled, Fault, Json, Scope, Scratch};
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
    now_time: chrono::DateTime<chrono::FixedOffset>,
    /// Whether [`judge`] runs compiled conditions (see [`crate::checks::compiled`]).
    compiled: bool,
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
        let now_time = chrono::DateTime::parse_from_rfc3339(now)
            .unwrap_or_else(|_| chrono::Utc::now().fixed_offset());
        Evaluator {
            checks_by_kind,
            now: Box::new(CelTimestamp::from(now_time)),
            now_time,
            compiled: true,
        }
    }

    /// The same evaluator, running every condition and message through cel's
    /// interpreter only (what compiled evaluation is compared with).
    pub fn interpreted(mut self) -> Self {
        self.compiled = false;
        self
    }

    /// The checks that apply to a kind.
    pub fn checks_for(&self, kind: &str) -> &[&'a Check] {
        self.checks_by_kind.get(kind).map_or(&[], Vec::as_slice)
    }

    /// Runs one check on one resource value through cel's interpreter.
    pub fn run(&self, check: &Check, resource: &(dyn Val + '_), display_name: &str) -> Outcome {
        match self.run_lazy(&root_context(), check, resource) {
            Lazy::Fail(m) => Outcome::Fail(m),
            Lazy::Pass(m) => Outcome::Pass(m.render(display_name)),
            Lazy::Error(m) => Outcome::Error(m),
            Lazy::Missing(field) => Outcome::Missing(field.to_string()),
        }
    }
}

/// [`Outcome`] with the pass message left unrendered where it is the stock one.
enum Lazy {
    Fail(String),
    Pass(Message),
    Error(String),
    Missing(Arc<String>),
}

impl Evaluator<'_> {
    fn run_lazy(&self, root: &Context<'_, '_>, check: &Check, resource: &(dyn Val + '_)) -> Lazy {
        let vars = Vars {
            resource,
            params: check.params_value.as_ref(),
            now: self.now.as_ref(),
        };
        let mut ctx = root.new_inner_scope();
        ctx.set_variable_resolver(&vars);
        match check.program.execute(&ctx) {
            Ok(Value::Bool(true)) => Lazy::Fail(check.message_template.render(&ctx)),
            Ok(Value::Bool(false)) => Lazy::Pass(match &check.pass_template {
                Some(t) => Message::Text(t.render(&ctx)),
                None => Message::NoIssue,
            }),
            Ok(other) => Lazy::Error(format!(
                "condition returned {}, not a bool",
                other.type_of()
            )),
            Err(ExecutionError::NoSuchKey(k)) => Lazy::Missing(k),
            Err(e) => Lazy::Error(describe_error(&e)),
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
    crate::checks::compiled::is_match(&this, &re).map_err(|err| ExecutionError::FunctionError {
        function: "matches".to_string(),
        message: format!("'{re}' not a valid regex: {err}"),
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
        .flat_map_iter(|r| {
            let verdicts = judge(&ev, &inv.errors, r);
            let rref = Arc::new(ResourceRef::of(r));
            let checks = ev.checks_for(&r.kind);
            verdicts.into_iter().map(move |v| {
                let message = v.message.render(r.display_name());
                Finding::new(checks[v.check], rref.clone(), v.status, message)
            })
        })
        .collect();
    for group in scope_errors(&inv.errors, &ev) {
        let rref = Arc::new(group.resource);
        for c in group.checks {
            findings.push(Finding::new(
                c,
                rref.clone(),
                Status::Error,
                group.message.clone(),
            ));
        }
    }
    findings
}

/// A finding's message as evaluation leaves it: text, or a stock message that a report
/// renders only when it prints it (most findings of a large scan are passes and
/// fields not collected, and their messages are never read in memory).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The rendered message.
    Text(String),
    /// "<resource>: no issue found." (a pass of a check without a pass message).
    NoIssue,
    /// "field `<field>` was not collected for this resource" ([`missing_message`]).
    Missing(Arc<String>),
}

impl Message {
    /// The text, for a resource whose display name is `display_name`.
    pub fn render(self, display_name: &str) -> String {
        match self {
            Message::Text(t) => t,
            Message::NoIssue => no_issue_message(display_name),
            Message::Missing(field) => missing_message(&field),
        }
    }
}

/// "<resource>: no issue found."
pub fn no_issue_message(display_name: &str) -> String {
    format!("{display_name}: no issue found.")
}

/// One check's verdict on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The check: its index in [`Evaluator::checks_for`] the resource's kind.
    pub check: usize,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub message: Message,
}

/// Every check of the resource's kind on one resource, in [`Evaluator::checks_for`]
/// order, with the collection errors `errors` of its inventory taken into account.
pub fn judge(ev: &Evaluator<'_>, errors: &[CollectionError], r: &Resource) -> Vec<Verdict> {
    let checks = ev.checks_for(&r.kind);
    if checks.is_empty() {
        return Vec::new();
    }
    let verdict = |check: usize, status: Status, message: Message| Verdict {
        check,
        status,
        message,
    };
    // Pass results are not trusted when a collection error covers this resource.
    let blocking: Vec<&CollectionError> = errors
        .iter()
        .filter(|e| e.affects(&r.kind, &r.scope, r.region.as_deref(), Some(&r.id)))
        .collect();
    // Errors about this very resource explain fields that are missing from its data,
    // even when they do not cover the whole kind.
    let explaining: Vec<&CollectionError> = errors
        .iter()
        .filter(|e| e.scope == r.scope && e.resource_id.as_deref() == Some(r.id.as_str()))
        .collect();
    // Field gaps of this resource's kind and scope, found once for all its checks.
    let gaps_here: Vec<&CollectionError> = errors
        .iter()
        .filter(|e| e.is_gap_for(&r.kind, &r.scope))
        .collect();
    // The data is parsed once: compiled conditions read it as it is, and cel's value of
    // the resource is built from it only for what is left to cel.
    let json = match Json::parse(r.data.get()) {
        Ok(j) => j,
        Err(e) => {
            let msg = format!("resource data is not valid JSON: {e}");
            return (0..checks.len())
                .map(|i| verdict(i, Status::Error, Message::Text(msg.clone())))
                .collect();
        }
    };
    let mut value: Option<Box<dyn Val + '_>> = None;
    let mut root: Option<Context<'static, 'static>> = None;
    let mut scratch = Scratch::default();
    // An evaluation error, prefixed with the failed calls that cover the resource (or,
    // failing those, that name it).
    let explained = |m: String| {
        let context = if blocking.is_empty() {
            &explaining
        } else {
            &blocking
        };
        Message::Text(if context.is_empty() {
            m
        } else {
            format!("{}; {m}", not_evaluated_message(context))
        })
    };
    checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if let Some(field) = unknown_read(c, r) {
                let msg = format!("Not evaluated: value unknown until apply: `{field}`");
                return verdict(i, Status::Error, Message::Text(msg));
            }
            let fast = match &c.compiled {
                Some(condition) if ev.compiled => {
                    run_compiled(ev, r, c, condition, &json, &mut scratch)
                }
                _ => None,
            };
            let outcome = match fast {
                Some(outcome) => outcome,
                None => {
                    let value = value.get_or_insert_with(|| resource_val(r, value::of(&json)));
                    let root = root.get_or_insert_with(root_context);
                    ev.run_lazy(root, c, value.as_ref())
                }
            };
            // Field gaps: a missing field they explain, or a pass of a condition that reads
            // a gap field (`has(x) && ...` would otherwise pass silently), is not evaluated.
            let gaps: Vec<&str> = match &outcome {
                Lazy::Missing(field) => gaps_here
                    .iter()
                    .filter(|e| e.fields.iter().any(|f| f == field.as_str()))
                    .map(|e| e.message.as_str())
                    .collect(),
                Lazy::Pass(_) => gaps_here
                    .iter()
                    .filter(|e| e.fields.iter().any(|f| reads_key(&c.data_reads, f)))
                    .map(|e| e.message.as_str())
                    .collect(),
                _ => Vec::new(),
            };
            if !gaps.is_empty() {
                let msg = format!("Not evaluated: {}", gaps.join("; "));
                return verdict(i, Status::Error, Message::Text(msg));
            }
            let (status, message) = match outcome {
                Lazy::Fail(m) => (Status::Fail, Message::Text(m)),
                Lazy::Pass(_) if !blocking.is_empty() => (
                    Status::Error,
                    Message::Text(not_evaluated_message(&blocking)),
                ),
                Lazy::Pass(m) => (Status::Pass, m),
                // A field not found keeps its stock message unless failed calls explain it.
                Lazy::Missing(field) if blocking.is_empty() && explaining.is_empty() => {
                    (Status::Error, Message::Missing(field))
                }
                Lazy::Missing(field) => (Status::Error, explained(missing_message(&field))),
                Lazy::Error(m) => (Status::Error, explained(m)),
            };
            verdict(i, status, message)
        })
        .collect()
}

/// A check's compiled condition (and messages) on one resource; `None` when some part
/// of it is left to cel.
fn run_compiled<'a>(
    ev: &Evaluator<'_>,
    r: &'a Resource,
    c: &'a Check,
    condition: &'a Compiled,
    data: &'a Json<'a>,
    scratch: &mut Scratch<'a>,
) -> Option<Lazy> {
    let scope = Scope {
        resource: r,
        data,
        params: &c.params_json,
        now: ev.now_time,
    };
    match condition.condition(&scope, scratch) {
        Ok(true) => c.message_template.render_compiled(&scope).map(Lazy::Fail),
        Ok(false) => match &c.pass_template {
            None => Some(Lazy::Pass(Message::NoIssue)),
            Some(t) => t
                .render_compiled(&scope)
                .map(|m| Lazy::Pass(Message::Text(m))),
        },
        Err(Fault::NoSuchKey(field)) => Some(Lazy::Missing(field)),
        Err(Fault::Other | Fault::GiveUp) => None,
    }
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

/// The checks of one kind that a collection error left without input in one scope
/// and region: each reports one `error` finding on a stand-in resource.
pub struct ScopeError<'a> {
    /// The stand-in resource (`<scope>/<region or global>/<kind>`).
    pub resource: ResourceRef,
    /// The checks of the kind.
    pub checks: &'a [&'a Check],
    /// "Not evaluated: ..." naming the failed calls.
    pub message: String,
}

/// One group per (kind, scope, region) that a collection error left uncollected and
/// that has checks, so that a kind with no collected resources never looks clean.
pub fn scope_errors<'a>(errors: &[CollectionError], ev: &'a Evaluator<'_>) -> Vec<ScopeError<'a>> {
    let mut grouped: BTreeMap<(&str, &str, Option<&str>), Vec<&CollectionError>> = BTreeMap::new();
    for e in errors
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
        out.push(ScopeError {
            resource: ResourceRef {
                kind: kind.to_string(),
                id: format!("{scope}/{}/{kind}", region.unwrap_or("global")),
                name: None,
                region: region.map(str::to_string),
                account: scope.to_string(),
                location: None,
            },
            checks,
            message: not_evaluated_message(&errors),
        });
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
