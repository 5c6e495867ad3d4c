//! Checks: declarative YAML files, one per check, under `checks/<provider>/<service>/`.
//!
//! A check names a resource kind and a CEL `condition` over one resource of that kind;
//! when the condition is `true` the resource **fails**. The built-in checks are embedded
//! in the binary at build time; `--checks-dir DIR` adds a user's own.
//!
//! Loading compiles every condition and message template once and validates the field
//! paths a condition reads against the kind's declared fields (`checks/<provider>/kinds.yaml`),
//! so a typo is a load error with a span, never a silent pass.

pub mod compiled;
pub mod diagnostic;
pub mod docs;
pub mod kinds;
pub mod lint;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

pub use diagnostic::CheckDiagnostic;
use kinds::KindRegistry;
use template::Template;

use crate::findings::{CheckInfo, Finding, ResourceRef, Severity, Status};
use crate::inventory::Provider;

/// The built-in checks, embedded at build time.
static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks");

/// Where the documentation of a check is published.
pub const DOCS_BASE: &str = "https://github.com/mamori-sec/mamori/blob/main/docs/checks";

pub use crate::findings::Remediation;

/// A resource used as a check fixture: the check must fail on every `fail` fixture and
/// pass on every `pass` fixture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The resource's human name (also names the fixture in test output).
    pub name: String,
    /// The region, if the kind is regional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Tags or labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The resource's `data`, shaped as the kind declares.
    pub data: serde_json::Value,
}

/// The fixtures of a check.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Resources the check must fail.
    #[serde(default)]
    pub fail: Vec<Fixture>,
    /// Resources the check must pass.
    #[serde(default)]
    pub pass: Vec<Fixture>,
}

/// A check file as written (before compilation).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Stable, unique id: `<provider>-<service>-<what>`, lowercase, dash-separated.
    pub id: String,
    /// Names the risky state ("S3 bucket is public"), not the wish ("Ensure ...").
    pub title: String,
    /// How bad the failing state is.
    pub severity: Severity,
    /// The provider.
    pub provider: Provider,
    /// The service or area, e.g. `s3`, `iam`, `guest-access`.
    pub service: String,
    /// The resource kind the condition reads, e.g. `aws.s3.bucket`.
    pub resource_kind: String,
    /// What the check looks at.
    pub description: String,
    /// Why the failing state is risky, and what an attacker needs.
    pub risk: String,
    /// How to fix it.
    pub remediation: Remediation,
    /// Further reading (provider documentation, benchmark sections).
    #[serde(default)]
    pub references: Vec<String>,
    /// Compliance mappings: framework id (e.g. `cis-aws-5.0`) to control ids.
    #[serde(default)]
    pub compliance: BTreeMap<String, Vec<String>>,
    /// CEL over `resource`, `params` and `now`: `true` means the resource fails.
    pub condition: String,
    /// The failure message; `{{ cel }}` parts are evaluated against the same variables.
    pub message: String,
    /// The message for a pass; a generic one is used when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_message: Option<String>,
    /// Tunable values the condition reads as `params.<name>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
    /// Resources the check must fail and pass.
    #[serde(default)]
    pub fixtures: Fixtures,
    /// Set (to the reason) when the check is retired; it no longer runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// Former ids of this check, still accepted in mutelists and `--check`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// Where a check was loaded from, kept for diagnostics.
#[derive(Debug, Clone)]
pub struct CheckSource {
    /// The path shown in diagnostics (`checks/aws/s3/public-acl.yaml`).
    pub path: String,
    /// The file's text.
    pub text: Arc<str>,
    /// Whether the check is built in.
    pub builtin: bool,
}

/// Metadata shared by every finding of a check (cheap to clone into findings).
#[derive(Debug, Clone)]
pub struct SharedMeta {
    /// The id.
    pub id: Arc<str>,
    /// The title.
    pub title: Arc<str>,
    /// The service.
    pub service: Arc<str>,
    /// The remediation text, trimmed.
    pub remediation: Arc<str>,
}

/// A loaded, compiled check.
#[derive(Debug)]
pub struct Check {
    spec: CheckSpec,
    /// Metadata copied into findings.
    pub shared: SharedMeta,
    /// Where it came from.
    pub source: CheckSource,
    /// The compiled condition.
    pub program: cel::Program,
    /// The compiled failure message.
    pub message_template: Template,
    /// The compiled pass message, when the check has one.
    pub pass_template: Option<Template>,
    /// `params` as a CEL value.
    pub params_value: Box<dyn cel::common::value::Val>,
    /// The condition compiled for [`compiled`] evaluation, when it can be.
    pub compiled: Option<compiled::Compiled>,
    /// `params` as JSON, for [`compiled`] evaluation.
    pub params_json: compiled::Json<'static>,
    /// The `data` field paths the condition reads (see [`kinds::PathAnalysis::reads`]):
    /// a resource whose value at one of them is unknown is not evaluated.
    pub data_reads: Vec<String>,
}

impl std::ops::Deref for Check {
    type Target = CheckSpec;
    fn deref(&self) -> &CheckSpec {
        &self.spec
    }
}

impl Check {
    /// The written form of the check.
    pub fn spec(&self) -> &CheckSpec {
        &self.spec
    }

    /// The URL of the check's documentation page.
    pub fn help_uri(&self) -> String {
        format!("{DOCS_BASE}/{}/{}.md", self.provider, self.id)
    }

    /// Whether `pattern` (an id or alias) names this check.
    pub fn answers_to(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }
}

/// A file to load: its display path and text.
#[derive(Debug, Clone)]
pub struct CheckFile {
    /// Display path.
    pub path: String,
    /// Text.
    pub text: Arc<str>,
    /// Whether the file is built in.
    pub builtin: bool,
}

/// The loaded checks and the kind registry they were validated against.
#[derive(Debug, Default)]
pub struct CheckSet {
    /// Every check, sorted by id. Deprecated checks are kept out.
    pub checks: Vec<Arc<Check>>,
    /// The resource kinds and their fields.
    pub kinds: KindRegistry,
}

/// Everything wrong with a set of check files; each entry is a full diagnostic.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{} check file problem(s)", diagnostics.len())]
pub struct CheckErrors {
    /// The diagnostics, in file order.
    #[related]
    pub diagnostics: Vec<CheckDiagnostic>,
}

/// Lists the built-in check files (`checks/**/*.yaml`, except `kinds.yaml`).
pub fn builtin_files() -> Vec<CheckFile> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<CheckFile>) {
    for f in dir.files() {
        let p = f.path();
        if is_check_file(p)
            && let Some(text) = f.contents_utf8()
        {
            out.push(CheckFile {
                path: format!("checks/{}", p.display()),
                text: Arc::from(text),
                builtin: true,
            });
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// The built-in kind declaration files (`checks/<provider>/kinds.yaml`).
pub fn builtin_kind_files() -> Vec<CheckFile> {
    let mut out = Vec::new();
    for d in BUILTIN.dirs() {
        for f in d.files() {
            if f.path().file_name().is_some_and(|n| n == "kinds.yaml")
                && let Some(text) = f.contents_utf8()
            {
                out.push(CheckFile {
                    path: format!("checks/{}", f.path().display()),
                    text: Arc::from(text),
                    builtin: true,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn is_check_file(p: &Path) -> bool {
    let yaml = p.extension().is_some_and(|e| e == "yaml" || e == "yml");
    yaml && p
        .file_name()
        .is_some_and(|n| n != "kinds.yaml" && n != "kinds.yml")
}

/// Reads every check file (and `kinds.yaml`) below a user directory.
pub fn read_dir(dir: &Path) -> Result<(Vec<CheckFile>, Vec<CheckFile>), std::io::Error> {
    let mut checks = Vec::new();
    let mut kinds = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not a directory", dir.display()),
        ));
    }
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "kinds.yaml") {
                kinds.push(read_file(&p)?);
            } else if is_check_file(&p) {
                checks.push(read_file(&p)?);
            }
        }
    }
    checks.sort_by(|a, b| a.path.cmp(&b.path));
    kinds.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((checks, kinds))
}

fn read_file(p: &Path) -> Result<CheckFile, std::io::Error> {
    Ok(CheckFile {
        path: p.display().to_string(),
        text: Arc::from(std::fs::read_to_string(p)?),
        builtin: false,
    })
}

/// The CEL environment every check is compiled in: the standard library plus the
/// strings and lists extensions.
pub fn cel_env() -> Arc<cel::Env> {
    static ENV: std::sync::OnceLock<Arc<cel::Env>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = cel::Env::stdlib();
        // Extensions only fail to register when registered twice.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_extension(cel::extensions::lists);
        Arc::new(env)
    })
    .clone()
}

/// Loads the built-in checks plus those of `extra_dirs`, returning every problem found.
pub fn load(extra_dirs: &[PathBuf]) -> Result<CheckSet, CheckErrors> {
    let mut files = builtin_files();
    let mut kind_files = builtin_kind_files();
    let mut diagnostics = Vec::new();
    for dir in extra_dirs {
        match read_dir(dir) {
            Ok((c, k)) => {
                files.extend(c);
                kind_files.extend(k);
            }
            Err(e) => diagnostics.push(CheckDiagnostic::plain(
                &dir.display().to_string(),
                format!("cannot read checks directory: {e}"),
            )),
        }
    }
    if !diagnostics.is_empty() {
        return Err(CheckErrors { diagnostics });
    }
    load_files(&files, &kind_files)
}

/// Parses, compiles and validates the given files.
pub fn load_files(files: &[CheckFile], kind_files: &[CheckFile]) -> Result<CheckSet, CheckErrors> {
    let mut diagnostics = Vec::new();
    let mut kinds = KindRegistry::default();
    for kf in kind_files {
        if let Err(d) = kinds.add_file(kf) {
            diagnostics.push(d);
        }
    }
    let mut checks: Vec<Arc<Check>> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    // Compiled on every core (parsing and compiling two hundred conditions is most of
    // a short scan's start-up), then taken in file order.
    let compiled: Vec<_> = {
        use rayon::prelude::*;
        files.par_iter().map(|file| compile(file, &kinds)).collect()
    };
    for (file, result) in files.iter().zip(compiled) {
        match result {
            Ok(check) => {
                for name in std::iter::once(&check.id).chain(check.aliases.iter()) {
                    if let Some(other) = seen.insert(name.clone(), file.path.clone()) {
                        diagnostics.push(CheckDiagnostic::at_key(
                            file,
                            "id",
                            format!("check id `{name}` is already used by {other}"),
                        ));
                    }
                }
                if check.deprecated.is_none() {
                    checks.push(Arc::new(check));
                }
            }
            Err(mut d) => diagnostics.append(&mut d),
        }
    }
    if !diagnostics.is_empty() {
        return Err(CheckErrors { diagnostics });
    }
    checks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(CheckSet { checks, kinds })
}

/// Parses and compiles one check file.
pub fn compile(file: &CheckFile, kinds: &KindRegistry) -> Result<Check, Vec<CheckDiagnostic>> {
    let spec: CheckSpec =
        serde_yaml_ng::from_str(&file.text).map_err(|e| vec![CheckDiagnostic::yaml(file, &e)])?;
    let mut diags = Vec::new();
    validate_metadata(file, &spec, kinds, &mut diags);
    let env = cel_env();
    let program = match env.compile(&spec.condition) {
        Ok(p) => Some(p),
        Err(e) => {
            diags.push(CheckDiagnostic::cel_parse(file, "condition", &e));
            None
        }
    };
    let mut data_reads = Vec::new();
    if let Some(p) = &program {
        let analysis = kinds::analyze_paths(file, &spec, p, kinds);
        diags.extend(analysis.problems);
        data_reads = analysis.reads;
    }
    let message_template = Template::compile(&spec.message)
        .map_err(|e| CheckDiagnostic::cel_parse(file, "message", &e));
    let pass_template = match &spec.pass_message {
        Some(text) => Template::compile(text)
            .map(Some)
            .map_err(|e| CheckDiagnostic::cel_parse(file, "pass_message", &e)),
        None => Ok(None),
    };
    let params_json = serde_json::to_value(&spec.params).unwrap_or(serde_json::Value::Null);
    let params_value = json_to_val(&params_json);
    let condition = program
        .as_ref()
        .and_then(|p| compiled::compile(p.expression()));
    match (program, message_template, pass_template) {
        (Some(program), Ok(message_template), Ok(pass_template)) if diags.is_empty() => Ok(Check {
            shared: SharedMeta {
                id: Arc::from(spec.id.as_str()),
                title: Arc::from(spec.title.as_str()),
                service: Arc::from(spec.service.as_str()),
                remediation: Arc::from(spec.remediation.text.trim()),
            },
            spec,
            source: CheckSource {
                path: file.path.clone(),
                text: file.text.clone(),
                builtin: file.builtin,
            },
            program,
            message_template,
            pass_template,
            params_value,
            compiled: condition,
            params_json: compiled::Json::from_value(&params_json),
            data_reads,
        }),
        (_, m, p) => {
            if let Err(d) = m {
                diags.push(d);
            }
            if let Err(d) = p {
                diags.push(d);
            }
            Err(diags)
        }
    }
}

fn validate_metadata(
    file: &CheckFile,
    spec: &CheckSpec,
    kinds: &KindRegistry,
    diags: &mut Vec<CheckDiagnostic>,
) {
    let id_ok = spec.id.starts_with(&format!("{}-", spec.provider))
        && spec
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        diags.push(CheckDiagnostic::at_key(
            file,
            "id",
            format!(
                "check id `{}` must be lowercase, dash-separated and start with `{}-`",
                spec.id, spec.provider
            ),
        ));
    }
    if !spec
        .resource_kind
        .starts_with(&format!("{}.", spec.provider))
    {
        diags.push(CheckDiagnostic::at_key(
            file,
            "resource_kind",
            format!(
                "resource kind `{}` does not belong to provider `{}`",
                spec.resource_kind, spec.provider
            ),
        ));
    } else if kinds.get(&spec.resource_kind).is_none() {
        diags.push(CheckDiagnostic::at_key(
            file,
            "resource_kind",
            format!(
                "unknown resource kind `{}`; declare it in checks/{}/kinds.yaml",
                spec.resource_kind, spec.provider
            ),
        ));
    }
    if spec.title.trim().is_empty() || spec.title.starts_with("Ensure ") {
        diags.push(CheckDiagnostic::at_key(
            file,
            "title",
            "the title names the risky state (\"S3 bucket is public\"), not a wish (\"Ensure ...\")",
        ));
    }
    if spec.remediation.text.trim().is_empty() {
        diags.push(CheckDiagnostic::at_key(
            file,
            "remediation",
            "remediation.text is empty",
        ));
    }
    if spec.deprecated.is_none() && (spec.fixtures.fail.is_empty() || spec.fixtures.pass.is_empty())
    {
        diags.push(CheckDiagnostic::at_key(
            file,
            if file.text.contains("\nfixtures:") {
                "fixtures"
            } else {
                "id"
            },
            "a check needs at least one `fail` and one `pass` fixture",
        ));
    }
    for r in &spec.references {
        if !r.starts_with("https://") {
            diags.push(CheckDiagnostic::at_key(
                file,
                "references",
                format!("reference `{r}` is not an https URL"),
            ));
        }
    }
    for framework in spec.compliance.keys() {
        if !crate::compliance::is_known_framework(framework) {
            diags.push(CheckDiagnostic::at_key(
                file,
                "compliance",
                format!(
                    "unknown compliance framework `{framework}` (known: {})",
                    crate::compliance::known_frameworks().join(", ")
                ),
            ));
        }
    }
}

impl Finding {
    /// Builds a finding for a check and a resource reference.
    pub fn new(check: &Check, resource: Arc<ResourceRef>, status: Status, message: String) -> Self {
        Finding {
            check_id: check.shared.id.clone(),
            title: check.shared.title.clone(),
            severity: check.severity,
            status,
            provider: check.provider,
            service: check.shared.service.clone(),
            resource,
            message,
            remediation: check.shared.remediation.clone(),
            fingerprint: String::new(),
            muted_reason: None,
            confirmed_from_outside: None,
            baseline: None,
        }
    }
}

impl From<&Check> for CheckInfo {
    fn from(c: &Check) -> Self {
        CheckInfo {
            id: c.id.clone(),
            title: c.title.clone(),
            severity: c.severity,
            provider: c.provider,
            service: c.service.clone(),
            resource_kind: c.resource_kind.clone(),
            description: c.description.trim().to_string(),
            risk: c.risk.trim().to_string(),
            remediation: c.remediation.clone(),
            references: c.references.clone(),
            compliance: c.compliance.clone(),
            help_uri: c.help_uri(),
        }
    }
}

/// Converts JSON into an owned CEL value.
pub fn json_to_val(v: &serde_json::Value) -> Box<dyn cel::common::value::Val> {
    match v {
        serde_json::Value::Null => Box::new(cel::common::types::CelNull),
        serde_json::Value::Bool(b) => Box::new(cel::common::types::CelBool::from(*b)),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Box::new(cel::common::types::CelInt::from(i))
            } else if let Some(u) = n.as_u64() {
                Box::new(cel::common::types::CelUInt::from(u))
            } else {
                Box::new(cel::common::types::CelDouble::from(
                    n.as_f64().unwrap_or(f64::NAN),
                ))
            }
        }
        serde_json::Value::String(s) => Box::new(cel::common::types::CelString::from(s.clone())),
        serde_json::Value::Array(items) => {
            let list: Vec<Box<dyn cel::common::value::Val>> =
                items.iter().map(json_to_val).collect();
            Box::new(cel::common::types::CelList::from(list))
        }
        serde_json::Value::Object(m) => {
            let map: std::collections::HashMap<
                cel::common::types::CelMapKey<'static>,
                Box<dyn cel::common::value::Val>,
            > = m
                .iter()
                .map(|(k, v)| {
                    (
                        cel::common::types::CelMapKey::from(k.clone()),
                        json_to_val(v),
                    )
                })
                .collect();
            Box::new(cel::common::types::CelMap::from(map))
        }
    }
}
