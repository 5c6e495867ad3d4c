//! Resource kinds and their declared fields (`checks/<provider>/kinds.yaml`).
//!
//! The declarations are the normalized model collectors produce and checks read. They
//! let `checks lint` reject a condition that reads an undeclared field (a typo would
//! otherwise evaluate to an error on every resource, or worse, go unnoticed), and let
//! collector tests verify that what they emit is declared.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cel::common::ast::{Expr, IdedExpr};
use serde::{Deserialize, Serialize};

use super::{CheckDiagnostic, CheckFile, CheckSpec};

/// The type of a declared field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A string.
    String,
    /// An integer.
    Int,
    /// A floating-point number.
    Double,
    /// A boolean.
    Bool,
    /// An RFC 3339 timestamp, as a string.
    Timestamp,
    /// A list; its elements are declared as `path[]` (scalars) or `path[].field`.
    List,
    /// An object whose fields are declared individually.
    Object,
    /// An object with arbitrary keys (e.g. tags, parameters); not checked below.
    Map,
    /// Anything (a raw policy document, say); not checked below.
    Any,
}

impl FieldType {
    fn is_open(self) -> bool {
        matches!(self, FieldType::Map | FieldType::Any)
    }
}

/// One kind's declaration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindDecl {
    /// What one resource of this kind is.
    pub description: String,
    /// Field path (`a.b`, `list[].field`) to type; descriptions may follow after `#` in YAML.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldType>,
}

/// All declared kinds.
#[derive(Debug, Clone, Default)]
pub struct KindRegistry {
    kinds: BTreeMap<String, KindDecl>,
}

impl KindRegistry {
    /// Adds the kinds of one `kinds.yaml` file.
    #[allow(
        clippy::result_large_err,
        reason = "a diagnostic is built once, on the error path"
    )]
    pub fn add_file(&mut self, file: &CheckFile) -> Result<(), CheckDiagnostic> {
        let decls: BTreeMap<String, KindDecl> =
            serde_yaml_ng::from_str(&file.text).map_err(|e| CheckDiagnostic::yaml(file, &e))?;
        for (k, v) in decls {
            self.kinds.insert(k, v);
        }
        Ok(())
    }

    /// The declaration of a kind.
    pub fn get(&self, kind: &str) -> Option<&KindDecl> {
        self.kinds.get(kind)
    }

    /// Every declared kind, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &KindDecl)> {
        self.kinds.iter()
    }

    /// The type of a field path of `data` (e.g. `acl.grants[].uri`), or `None` when not
    /// declared. A path below a `map` or `any` field is accepted as `any`.
    pub fn field_type(&self, kind: &str, path: &str) -> Option<FieldType> {
        let decl = self.kinds.get(kind)?;
        if let Some(t) = decl.fields.get(path) {
            return Some(*t);
        }
        // An element of a declared list (`list[]`, from indexing or iteration).
        if let Some(parent) = path.strip_suffix("[]")
            && self.field_type(kind, parent) == Some(FieldType::List)
        {
            return Some(FieldType::Any);
        }
        // Accept anything below an open (map/any) ancestor.
        let mut cut = path.len();
        while let Some(i) = path[..cut].rfind(['.', '[']) {
            cut = i;
            if let Some(t) = decl.fields.get(&path[..cut]) {
                return t.is_open().then_some(FieldType::Any);
            }
        }
        None
    }

    /// Checks a JSON value (a fixture's or collected resource's `data`) against the
    /// declaration; returns the undeclared paths found.
    pub fn undeclared_paths(&self, kind: &str, data: &serde_json::Value) -> Vec<String> {
        let mut out = Vec::new();
        if let serde_json::Value::Object(m) = data {
            for (k, v) in m {
                self.walk_value(kind, k.clone(), v, &mut out);
            }
        }
        out
    }

    fn walk_value(&self, kind: &str, path: String, v: &serde_json::Value, out: &mut Vec<String>) {
        match self.field_type(kind, &path) {
            None => out.push(path),
            Some(t) if t.is_open() => {}
            Some(_) => match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        self.walk_value(kind, format!("{path}.{k}"), v, out);
                    }
                }
                serde_json::Value::Array(items) => {
                    for item in items {
                        match item {
                            serde_json::Value::Object(m) => {
                                for (k, v) in m {
                                    self.walk_value(kind, format!("{path}[].{k}"), v, out);
                                }
                            }
                            serde_json::Value::Array(_) => {
                                self.walk_value(kind, format!("{path}[]"), item, out);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            },
        }
    }
}

/// Fields of the `resource` variable itself.
const RESOURCE_FIELDS: &[&str] = &["kind", "id", "name", "region", "scope", "tags", "data"];

/// A symbolic path while walking a CEL expression.
#[derive(Debug, Clone, PartialEq)]
enum Sym {
    /// `resource` or below it: the segments after `resource`.
    Resource(Vec<String>),
    /// Something we do not track (a literal, `params`, a function result).
    Other,
}

/// What a condition reads of `data`, and what is wrong with the paths it reads.
#[derive(Debug, Default)]
pub struct PathAnalysis {
    /// Undeclared fields and nonexistent `resource` fields, with spans.
    pub problems: Vec<CheckDiagnostic>,
    /// The `data` paths read (`a.b`, `list[].field`, a map key as `map.key`), longest
    /// forms only: `acl` is left out when `acl.grants` is read. Sorted.
    pub reads: Vec<String>,
}

/// Validates the field paths a condition reads against the kind's declaration and
/// lists them.
pub fn analyze_paths(
    file: &CheckFile,
    spec: &CheckSpec,
    program: &cel::Program,
    kinds: &KindRegistry,
) -> PathAnalysis {
    let Some(_) = kinds.get(&spec.resource_kind) else {
        return PathAnalysis::default(); // reported by metadata validation
    };
    let mut walker = Walker {
        kinds,
        kind: &spec.resource_kind,
        bindings: HashMap::new(),
        problems: Vec::new(),
        reads: BTreeSet::new(),
    };
    walker.sym(program.expression());
    let info = program.source_info();
    let problems = walker
        .problems
        .into_iter()
        .map(|(id, msg)| {
            let range = info
                .offset_for(id)
                .map_or((0, 1), |(s, e)| (s as usize, e as usize));
            CheckDiagnostic::in_expr(file, "condition", &spec.condition, range, msg)
        })
        .collect();
    let reads = walker
        .reads
        .iter()
        .filter(|p| !walker.reads.iter().any(|q| path_within(q, p) && q != *p))
        .cloned()
        .collect();
    PathAnalysis { problems, reads }
}

/// Whether field path `inner` is `outer` or lies below it (`outer.x`, `outer[]...`).
pub fn path_within(inner: &str, outer: &str) -> bool {
    inner
        .strip_prefix(outer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

struct Walker<'a> {
    kinds: &'a KindRegistry,
    kind: &'a str,
    bindings: HashMap<String, Sym>,
    problems: Vec<(u64, String)>,
    reads: BTreeSet<String>,
}

impl Walker<'_> {
    /// Returns the symbolic path of `e`, recording problems in sub-expressions.
    fn sym(&mut self, e: &IdedExpr) -> Sym {
        match &e.expr {
            Expr::Ident(name) => match self.bindings.get(name) {
                Some(s) => s.clone(),
                None if name == "resource" => Sym::Resource(Vec::new()),
                None => Sym::Other,
            },
            Expr::Select(sel) => {
                let base = self.sym(&sel.operand);
                match base {
                    Sym::Resource(mut segs) => {
                        segs.push(sel.field.clone());
                        self.validate(e.id, &segs);
                        Sym::Resource(segs)
                    }
                    Sym::Other => Sym::Other,
                }
            }
            Expr::Call(call) => {
                if call.func_name == "_[_]" && call.args.len() == 2 {
                    let base = self.sym(&call.args[0]);
                    let _ = self.sym(&call.args[1]);
                    return match base {
                        Sym::Resource(mut segs) => {
                            match &call.args[1].expr {
                                Expr::Literal(cel::common::ast::LiteralValue::String(s)) => {
                                    segs.push(s.to_string());
                                }
                                _ => segs.push("[]".to_string()),
                            }
                            self.validate(e.id, &segs);
                            Sym::Resource(segs)
                        }
                        Sym::Other => Sym::Other,
                    };
                }
                if let Some(t) = &call.target {
                    self.sym(t);
                }
                for a in &call.args {
                    self.sym(a);
                }
                Sym::Other
            }
            Expr::Comprehension(c) => {
                let range = self.sym(&c.iter_range);
                let elem = match range {
                    Sym::Resource(segs) => {
                        let is_map = self
                            .segs_type(&segs)
                            .is_some_and(|t| matches!(t, FieldType::Map | FieldType::Object));
                        if is_map {
                            Sym::Other
                        } else {
                            let mut s = segs;
                            s.push("[]".to_string());
                            Sym::Resource(s)
                        }
                    }
                    Sym::Other => Sym::Other,
                };
                let saved_iter = self.bindings.insert(c.iter_var.clone(), elem);
                let saved_accu = self.bindings.insert(c.accu_var.clone(), Sym::Other);
                self.sym(&c.accu_init);
                self.sym(&c.loop_cond);
                self.sym(&c.loop_step);
                self.sym(&c.result);
                restore(&mut self.bindings, &c.iter_var, saved_iter);
                restore(&mut self.bindings, &c.accu_var, saved_accu);
                Sym::Other
            }
            Expr::List(l) => {
                for el in &l.elements {
                    self.sym(el);
                }
                Sym::Other
            }
            Expr::Map(m) => {
                for entry in &m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        self.sym(&me.key);
                        self.sym(&me.value);
                    }
                }
                Sym::Other
            }
            _ => Sym::Other,
        }
    }

    fn segs_type(&self, segs: &[String]) -> Option<FieldType> {
        match segs.split_first() {
            Some((first, rest)) if first == "data" && !rest.is_empty() => {
                self.kinds.field_type(self.kind, &join_path(rest))
            }
            Some((first, rest)) if first == "tags" && rest.is_empty() => Some(FieldType::Map),
            _ => None,
        }
    }

    fn validate(&mut self, id: u64, segs: &[String]) {
        let Some((first, rest)) = segs.split_first() else {
            return;
        };
        if !RESOURCE_FIELDS.contains(&first.as_str()) {
            self.problems.push((
                id,
                format!(
                    "`resource.{first}` does not exist; a resource has {}",
                    RESOURCE_FIELDS.join(", ")
                ),
            ));
            return;
        }
        if first != "data" || rest.is_empty() {
            return;
        }
        let path = join_path(rest);
        self.reads.insert(path.clone());
        if self.kinds.field_type(self.kind, &path).is_none() {
            self.problems.push((
                id,
                format!(
                    "`{path}` is not a declared field of kind `{}` (see kinds.yaml)",
                    self.kind
                ),
            ));
        }
    }
}

fn restore(b: &mut HashMap<String, Sym>, key: &str, saved: Option<Sym>) {
    match saved {
        Some(s) => {
            b.insert(key.to_string(), s);
        }
        None => {
            b.remove(key);
        }
    }
}

/// Joins segments into `a.b[].c` form.
fn join_path(segs: &[String]) -> String {
    let mut out = String::new();
    for s in segs {
        if s == "[]" {
            out.push_str("[]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn registry() -> KindRegistry {
        let mut r = KindRegistry::default();
        let yaml = "t.x.y:\n  description: d\n  fields:\n    a: object\n    a.b: bool\n    l: list\n    l[].v: string\n    m: map\n";
        r.add_file(&CheckFile {
            path: "kinds.yaml".into(),
            text: yaml.into(),
            builtin: false,
        })
        .unwrap();
        r
    }

    #[test]
    fn field_types_resolve_through_lists_and_maps() {
        let r = registry();
        assert_eq!(r.field_type("t.x.y", "a.b"), Some(FieldType::Bool));
        assert_eq!(r.field_type("t.x.y", "l[].v"), Some(FieldType::String));
        assert_eq!(
            r.field_type("t.x.y", "m.anything.deep"),
            Some(FieldType::Any)
        );
        assert_eq!(r.field_type("t.x.y", "a.c"), None);
        assert_eq!(r.field_type("t.x.y", "l[]"), Some(FieldType::Any));
    }

    #[test]
    fn undeclared_paths_are_listed() {
        let r = registry();
        let data = serde_json::json!({"a": {"b": true, "zz": 1}, "l": [{"v": "x", "w": 2}], "m": {"q": 1}});
        assert_eq!(r.undeclared_paths("t.x.y", &data), vec!["a.zz", "l[].w"]);
    }
}
