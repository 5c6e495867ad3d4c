//! Reading the documents `terraform show -json` writes: a plan (its `resource_changes`,
//! with `after` and `after_unknown`, and its `configuration`) or a state (its `values`).
//!
//! A plan's unknown values are kept apart from its known ones: [`Planned::get`] says
//! whether a value is known, null or known only after apply, and the mappings carry that
//! into [`Resource::unknown`](crate::inventory::Resource::unknown).

use serde_json::{Map, Value};

use crate::collect::CollectError;

/// One resource instance as it will be after apply (plan) or as it is (state).
#[derive(Debug, Clone)]
pub struct Planned {
    /// The instance address, e.g. `module.web.aws_s3_bucket.assets[0]`.
    pub address: String,
    /// The module address (`module.web`), empty in the root module.
    pub module: String,
    /// The resource type, e.g. `aws_s3_bucket`.
    pub rtype: String,
    /// The resource name in the configuration, e.g. `assets`.
    pub name: String,
    /// The `count` or `for_each` key, when there is one.
    pub index: Option<Value>,
    /// Whether apply creates this object (a create or a replacement), rather than
    /// keeping or updating one that exists.
    pub creating: bool,
    after: Value,
    unknown: Value,
}

/// A value read from a planned resource.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    /// Known now.
    Known(&'a Value),
    /// Null or not set.
    Null,
    /// Known only after apply (wholly or in part).
    Unknown,
}

impl<'a> Val<'a> {
    /// The value as a string, when known and a string.
    pub fn str(self) -> Tri<&'a str> {
        self.and_then(Value::as_str)
    }

    /// The value as a bool.
    pub fn bool(self) -> Tri<bool> {
        self.and_then(Value::as_bool)
    }

    /// The value as an integer.
    pub fn int(self) -> Tri<i64> {
        self.and_then(Value::as_i64)
    }

    /// The value as a list (null is an empty list, as Terraform writes unset blocks).
    pub fn list(self) -> Tri<&'a [Value]> {
        match self {
            Val::Known(Value::Array(a)) => Tri::Known(a.as_slice()),
            Val::Known(_) | Val::Null => Tri::Known(&[]),
            Val::Unknown => Tri::Unknown,
        }
    }

    /// The list's strings (a scalar counts as a one-element list).
    pub fn strings(self) -> Tri<Vec<String>> {
        match self {
            Val::Known(Value::String(s)) => Tri::Known(vec![s.clone()]),
            other => other.list().map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            }),
        }
    }

    fn and_then<T>(self, f: impl FnOnce(&'a Value) -> Option<T>) -> Tri<T> {
        match self {
            Val::Known(v) => f(v).map_or(Tri::Null, Tri::Known),
            Val::Null => Tri::Null,
            Val::Unknown => Tri::Unknown,
        }
    }
}

/// A value that may be known, absent, or known only after apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri<T> {
    /// Known.
    Known(T),
    /// Absent or null.
    Null,
    /// Known only after apply.
    Unknown,
}

impl<T> Tri<T> {
    /// Maps a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tri<U> {
        match self {
            Tri::Known(v) => Tri::Known(f(v)),
            Tri::Null => Tri::Null,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// A null value replaced by a default (the provider's default for an unset argument).
    pub fn or(self, default: T) -> Tri<T> {
        match self {
            Tri::Null => Tri::Known(default),
            other => other,
        }
    }

    /// The known value, if any.
    pub fn known(self) -> Option<T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }
}

impl Planned {
    /// A planned resource from its parts (used by tests and by the readers below).
    pub fn new(address: &str, rtype: &str, name: &str, after: Value, unknown: Value) -> Self {
        Planned {
            address: address.to_string(),
            module: String::new(),
            rtype: rtype.to_string(),
            name: name.to_string(),
            index: None,
            creating: true,
            after,
            unknown,
        }
    }

    /// The value at a path of `.`-separated attribute names and list indexes
    /// (`versioning.0.enabled`). A value with anything unknown inside is [`Val::Unknown`].
    pub fn get(&self, path: &str) -> Val<'_> {
        let mut after = Some(&self.after);
        let mut unknown = Some(&self.unknown);
        for seg in path.split('.').filter(|s| !s.is_empty()) {
            if unknown == Some(&Value::Bool(true)) {
                return Val::Unknown;
            }
            after = after.and_then(|v| step(v, seg));
            unknown = unknown.and_then(|v| step(v, seg));
        }
        if unknown.is_some_and(any_unknown) {
            return Val::Unknown;
        }
        match after {
            None | Some(Value::Null) => Val::Null,
            Some(v) => Val::Known(v),
        }
    }

    /// The `address` without its module path: `aws_s3_bucket.assets[0]`.
    pub fn local_address(&self) -> &str {
        self.address
            .strip_prefix(&self.module)
            .map_or(&self.address, |a| a.trim_start_matches('.'))
    }
}

fn step<'v>(v: &'v Value, seg: &str) -> Option<&'v Value> {
    match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

fn any_unknown(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Array(a) => a.iter().any(any_unknown),
        Value::Object(m) => m.values().any(any_unknown),
        _ => false,
    }
}

/// Whether the document is a plan or a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `terraform show -json PLANFILE`.
    Plan,
    /// `terraform show -json` of a state.
    State,
}

/// A parsed plan or state document.
#[derive(Debug)]
pub struct Document {
    /// Plan or state.
    pub kind: DocKind,
    /// `terraform_version`, when given.
    pub terraform_version: Option<String>,
    /// The managed resource instances that exist after apply.
    pub resources: Vec<Planned>,
    /// The plan's `configuration` (absent in states).
    pub configuration: Value,
}

fn input_error(origin: &str, what: impl std::fmt::Display) -> CollectError {
    CollectError::Config(format!("invalid Terraform JSON {origin}: {what}"))
}

/// Parses the output of `terraform show -json`; `origin` names the file in errors.
pub fn parse(text: &str, kind: DocKind, origin: &str) -> Result<Document, CollectError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| input_error(origin, e))?;
    let Some(version) = doc.get("format_version").and_then(Value::as_str) else {
        return Err(input_error(
            origin,
            "no `format_version`; expected the output of `terraform show -json`",
        ));
    };
    // Terraform raises the major version only for incompatible changes: refuse those.
    if version.split('.').next() != Some("1") {
        return Err(input_error(
            origin,
            format!("format_version {version} is not supported (this mamori reads 1.x)"),
        ));
    }
    let resources = match kind {
        DocKind::Plan => {
            if doc.get("resource_changes").is_none() && doc.get("planned_values").is_none() {
                return Err(input_error(
                    origin,
                    "not a plan (no `resource_changes`); for a state use `--state`",
                ));
            }
            plan_resources(&doc)
        }
        DocKind::State => {
            if doc.get("resource_changes").is_some() {
                return Err(input_error(
                    origin,
                    "this is a plan, not a state; use `--plan`",
                ));
            }
            let mut out = Vec::new();
            if let Some(root) = doc.pointer("/values/root_module") {
                state_module(root, &mut out);
            }
            out
        }
    };
    Ok(Document {
        kind,
        terraform_version: doc
            .get("terraform_version")
            .and_then(Value::as_str)
            .map(str::to_string),
        resources,
        configuration: doc.get("configuration").cloned().unwrap_or(Value::Null),
    })
}

fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn plan_resources(doc: &Value) -> Vec<Planned> {
    let changes = doc
        .get("resource_changes")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    changes
        .iter()
        .filter(|rc| rc.get("mode").and_then(Value::as_str) == Some("managed"))
        .filter_map(|rc| {
            let change = rc.get("change")?;
            let actions: Vec<&str> = change
                .get("actions")
                .and_then(Value::as_array)?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            // Deleted (or forgotten) objects are gone after apply.
            let after = change.get("after").filter(|a| !a.is_null())?.clone();
            Some(Planned {
                address: s(rc, "address"),
                module: s(rc, "module_address"),
                rtype: s(rc, "type"),
                name: s(rc, "name"),
                index: rc.get("index").cloned(),
                creating: actions.contains(&"create"),
                after,
                unknown: change
                    .get("after_unknown")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
            })
        })
        .collect()
}

fn state_module(module: &Value, out: &mut Vec<Planned>) {
    let module_address = s(module, "address");
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        out.push(Planned {
            address: s(r, "address"),
            module: module_address.clone(),
            rtype: s(r, "type"),
            name: s(r, "name"),
            index: r.get("index").cloned(),
            creating: false,
            after: r.get("values").cloned().unwrap_or(Value::Null),
            unknown: Value::Null,
        });
    }
    for child in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        state_module(child, out);
    }
}

/// The names of the module calls along a module address: `module.a[0].module.b` gives
/// `["a", "b"]`.
pub fn module_call_names(module: &str) -> Vec<&str> {
    module
        .split("module.")
        .filter(|p| !p.is_empty())
        .map(|p| p.trim_end_matches('.'))
        .map(|p| p.split('[').next().unwrap_or(p))
        .collect()
}

/// The configuration of a module: `configuration.root_module`, then `module_calls.<name>.module`
/// down the address. `None` without a configuration.
pub fn module_config<'c>(configuration: &'c Value, module: &str) -> Option<&'c Value> {
    let mut m = configuration.get("root_module")?;
    for name in module_call_names(module) {
        m = m.get("module_calls")?.get(name)?.get("module")?;
    }
    Some(m)
}

/// The configuration block of a resource (`configuration...resources[]` with its
/// `address`, `expressions`, `provider_config_key`).
pub fn resource_config<'c>(configuration: &'c Value, r: &Planned) -> Option<&'c Value> {
    let config_address = format!("{}.{}", r.rtype, r.name);
    module_config(configuration, &r.module)?
        .get("resources")?
        .as_array()?
        .iter()
        .find(|c| c.get("address").and_then(Value::as_str) == Some(config_address.as_str()))
}

/// The expression of a resource argument in the configuration (`attr` may name a nested
/// block's argument, `metadata_options.http_tokens`); `None` when the configuration does
/// not set it.
pub fn expression<'c>(configuration: &'c Value, r: &Planned, attr: &str) -> Option<&'c Value> {
    attr.split('.')
        .filter(|s| s.parse::<usize>().is_err())
        .try_fold(
            resource_config(configuration, r)?.get("expressions")?,
            |v, seg| match v {
                Value::Array(a) => a.first()?.get(seg),
                other => other.get(seg),
            },
        )
}

/// The references of a resource argument's expression in the configuration
/// (`["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]`); empty when it has none or the
/// document has no configuration.
pub fn references<'c>(configuration: &'c Value, r: &Planned, attr: &str) -> Vec<&'c str> {
    expression(configuration, r, attr)
        .and_then(|e| e.get("references"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// A reference to a resource: `aws_s3_bucket.logs.id` or `aws_s3_bucket.logs[0]` gives
/// (`aws_s3_bucket`, `logs`, the index text `0` if any).
pub fn parse_reference(reference: &str) -> Option<(&str, &str, Option<&str>)> {
    let (rtype, rest) = reference.split_once('.')?;
    if matches!(
        rtype,
        "var" | "local" | "module" | "data" | "each" | "count" | "path"
    ) {
        return None;
    }
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..end];
    let index = rest[end..]
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(i, _)| i);
    Some((rtype, name, index))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_known_null_or_unknown() {
        let r = Planned::new(
            "aws_s3_bucket.b",
            "aws_s3_bucket",
            "b",
            json!({"bucket": "b", "versioning": [{"enabled": true}], "policy": null, "tags": {}}),
            json!({"arn": true, "versioning": [{"mfa_delete": true}], "tags": {}}),
        );
        assert_eq!(r.get("bucket").str(), Tri::Known("b"));
        assert_eq!(r.get("arn"), Val::Unknown);
        assert_eq!(r.get("policy"), Val::Null);
        assert_eq!(r.get("versioning.0.enabled").bool(), Tri::Known(true));
        assert_eq!(r.get("versioning.0.mfa_delete"), Val::Unknown);
        // A block with an unknown value inside is unknown as a whole.
        assert_eq!(r.get("versioning"), Val::Unknown);
        assert_eq!(r.get("tags").list(), Tri::Known(&[][..]));
    }

    #[test]
    fn references_name_a_resource() {
        assert_eq!(
            parse_reference("aws_s3_bucket.logs.id"),
            Some(("aws_s3_bucket", "logs", None))
        );
        assert_eq!(
            parse_reference("aws_s3_bucket.logs[\"a\"].arn"),
            Some(("aws_s3_bucket", "logs", Some("\"a\"")))
        );
        assert_eq!(parse_reference("var.bucket"), None);
        assert_eq!(module_call_names("module.a[0].module.b"), vec!["a", "b"]);
    }
}
