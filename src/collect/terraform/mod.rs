//! `mamori scan terraform`: a Terraform plan (or state) as an inventory.
//!
//! The planned values of the resource types mamori's AWS and GCP kinds cover are mapped
//! onto the same kinds and `data` fields the live collectors produce, so the same checks
//! run unchanged. Split-out sub-resources (`aws_s3_bucket_versioning`,
//! `aws_security_group_rule`, `google_storage_bucket_iam_member`, ...) are folded into the
//! resource they configure, found by value or through the plan's configuration
//! references. A value known only after apply is left out of `data` and listed in
//! [`Resource::unknown`]: the checks reading it report `error`, never `pass`. Each
//! resource's id and name are its Terraform address; with `--config-dir` it also carries
//! the file and line of its `resource` block. docs/terraform.md lists every mapping.

mod aws;
mod gcp;
pub mod plan;
pub mod source;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::collect::CollectError;
use crate::collect::request::TerraformRequest;
use crate::inventory::{Inventory, Provider, Resource, Scope};

pub use plan::{DocKind, Document, Planned, Tri, Val};

/// The scope id of every resource read from a plan or state: a plan names no account.
pub const SCOPE: &str = "terraform";

/// Reads the plan or state named on the command line and maps it to an inventory.
pub fn load(args: &TerraformRequest) -> Result<Inventory, CollectError> {
    let (path, kind) = match (&args.plan, &args.state) {
        (Some(p), None) => (p, DocKind::Plan),
        (None, Some(s)) => (s, DocKind::State),
        _ => {
            return Err(CollectError::Config(
                "name one of `--plan FILE` (terraform show -json tfplan) or `--state FILE` (terraform show -json)".into(),
            ));
        }
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| CollectError::Config(format!("cannot read {}: {e}", path.display())))?;
    let doc = plan::parse(&text, kind, &path.display().to_string())?;
    let mut inv = inventory(&doc, &file_name(path));
    if let Some(dir) = &args.config_dir {
        source::locate(dir, &doc, &mut inv.resources)?;
    }
    inv.normalize();
    Ok(inv)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Maps a parsed document to an inventory; `name` names the scopes (the file name).
pub fn inventory(doc: &Document, name: &str) -> Inventory {
    let ctx = Ctx { doc };
    let mut inv = Inventory::new();
    inv.resources.extend(aws::map(&ctx));
    inv.resources.extend(gcp::map(&ctx));
    for (provider, prefix) in [(Provider::Aws, "aws_"), (Provider::Gcp, "google_")] {
        let total = doc
            .resources
            .iter()
            .filter(|r| r.rtype.starts_with(prefix))
            .count();
        if total == 0 {
            continue;
        }
        let mapped = inv
            .resources
            .iter()
            .filter(|r| r.provider == provider)
            .count();
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "source".to_string(),
            match doc.kind {
                DocKind::Plan => "terraform plan",
                DocKind::State => "terraform state",
            }
            .to_string(),
        );
        if let Some(v) = &doc.terraform_version {
            attributes.insert("terraform_version".to_string(), v.clone());
        }
        attributes.insert("resources".to_string(), total.to_string());
        attributes.insert("resources_mapped".to_string(), mapped.to_string());
        inv.scopes.push(Scope {
            provider,
            id: SCOPE.to_string(),
            name: Some(name.to_string()),
            regions: Vec::new(),
            attributes,
        });
    }
    inv
}

/// The document being mapped, with the look-ups the mappings share.
pub(crate) struct Ctx<'d> {
    doc: &'d Document,
}

/// What an argument pointing at other resources resolved to.
pub(crate) struct Targets<'d> {
    /// The resources of the plan it names.
    pub found: Vec<&'d Planned>,
    /// Whether everything it names was found (false when it names something outside the
    /// plan or its value cannot be traced).
    pub complete: bool,
}

impl<'d> Ctx<'d> {
    /// The planned resources of a type.
    pub fn of_type<'a>(&'a self, rtype: &'a str) -> impl Iterator<Item = &'d Planned> + 'a {
        self.doc.resources.iter().filter(move |r| r.rtype == rtype)
    }

    /// The resources of `target_type` that `from.attr` names: by value, matched against
    /// any of the target's `keys` (e.g. `id`, `bucket`), or, when the value is known only
    /// after apply, through the configuration's references (`aws_s3_bucket.logs.id`).
    pub fn targets(
        &self,
        from: &Planned,
        attr: &str,
        target_type: &str,
        keys: &[&str],
    ) -> Targets<'d> {
        let mut found: Vec<&'d Planned> = Vec::new();
        let mut complete = true;
        match from.get(attr) {
            Val::Null => {}
            Val::Known(_) => {
                for value in from.get(attr).strings().known().unwrap_or_default() {
                    let hits: Vec<&'d Planned> = self
                        .of_type(target_type)
                        .filter(|t| {
                            keys.iter()
                                .any(|k| t.get(k).str().known() == Some(value.as_str()))
                        })
                        .collect();
                    complete &= !hits.is_empty();
                    found.extend(hits);
                }
            }
            Val::Unknown => {
                let refs = plan::references(&self.doc.configuration, from, attr);
                complete = !refs.is_empty();
                for reference in refs {
                    match plan::parse_reference(reference) {
                        Some((t, name, index)) if t == target_type => {
                            let hits = self.instances(from, t, name, index);
                            complete &= !hits.is_empty();
                            found.extend(hits);
                        }
                        Some((t, _, _)) if t.contains('_') => {} // e.g. an attribute of another resource type
                        _ => complete = false,
                    }
                }
            }
        }
        found.sort_by(|a, b| a.address.cmp(&b.address));
        found.dedup_by(|a, b| a.address == b.address);
        Targets { found, complete }
    }

    /// The instances of `rtype.name` in `from`'s module that a reference means: the one
    /// with the index given, else the one with `from`'s own index, else all.
    fn instances(
        &self,
        from: &Planned,
        rtype: &str,
        name: &str,
        index: Option<&str>,
    ) -> Vec<&'d Planned> {
        let all: Vec<&'d Planned> = self
            .of_type(rtype)
            .filter(|r| r.module == from.module && r.name == name)
            .collect();
        let text = |r: &Planned| r.index.as_ref().map(Value::to_string);
        if let Some(i) = index {
            return all
                .into_iter()
                .filter(|r| text(r).as_deref() == Some(i))
                .collect();
        }
        let same: Vec<&'d Planned> = all
            .iter()
            .copied()
            .filter(|r| from.index.is_some() && r.index == from.index)
            .collect();
        if same.is_empty() { all } else { same }
    }

    /// The resources of `from_type` whose `attr` names `target`.
    pub fn pointing_at(
        &self,
        target: &Planned,
        from_type: &str,
        attr: &str,
        keys: &[&str],
    ) -> Vec<&'d Planned> {
        self.of_type(from_type)
            .filter(|f| {
                self.targets(f, attr, &target.rtype, keys)
                    .found
                    .iter()
                    .any(|t| t.address == target.address)
            })
            .collect()
    }

    /// An optional argument the provider fills in when it is not set: when apply creates
    /// the resource and the configuration does not set the argument, its unknown planned
    /// value is the API's default for a new object, read as not set ([`Val::Null`]) so
    /// the mapping can apply that documented default. Otherwise as [`Planned::get`].
    pub fn arg<'p>(&self, r: &'p Planned, attr: &str) -> Val<'p> {
        match r.get(attr) {
            Val::Unknown if r.creating && self.unset(r, attr) => Val::Null,
            v => v,
        }
    }

    /// Whether the configuration (present in the plan) leaves an argument unset.
    fn unset(&self, r: &Planned, attr: &str) -> bool {
        plan::resource_config(&self.doc.configuration, r).is_some()
            && plan::expression(&self.doc.configuration, r, attr).is_none()
    }

    /// The region of an AWS resource: its own `region` when known, else the constant
    /// `region` of the provider configuration it uses (or of the default `aws` provider).
    pub fn aws_region(&self, r: &Planned) -> Option<String> {
        if let Some(region) = r.get("region").str().known() {
            return Some(region.to_string());
        }
        let configs = self.doc.configuration.get("provider_config")?;
        let key = plan::resource_config(&self.doc.configuration, r)
            .and_then(|c| c.get("provider_config_key"))
            .and_then(Value::as_str)
            .unwrap_or("aws");
        configs
            .get(key)
            .or_else(|| configs.get("aws"))
            .and_then(|p| p.pointer("/expressions/region/constant_value"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// A resource's `data` under construction: known values set, unknown ones recorded.
#[derive(Debug, Default)]
pub(crate) struct Data {
    map: Map<String, Value>,
    unknown: Vec<String>,
}

impl Data {
    /// Sets a known value.
    pub fn set(&mut self, field: &str, v: impl Into<Value>) {
        self.map.insert(field.to_string(), v.into());
    }

    /// Sets a known value, leaves out a null one, records an unknown one.
    pub fn put<T: Into<Value>>(&mut self, field: &str, v: Tri<T>) {
        match v {
            Tri::Known(v) => self.set(field, v),
            Tri::Null => {}
            Tri::Unknown => self.unknown(field),
        }
    }

    /// Records a field as known only after apply.
    pub fn unknown(&mut self, field: &str) {
        self.map.remove(field);
        if !self.unknown.iter().any(|u| u == field) {
            self.unknown.push(field.to_string());
        }
    }

    /// Builds the resource: id and name are the address.
    pub fn into_resource(self, provider: Provider, kind: &str, r: &Planned) -> Resource {
        let mut res = Resource::new(
            provider,
            kind,
            SCOPE,
            r.address.clone(),
            &Value::Object(self.map),
        )
        .named(r.address.clone());
        res.unknown = self.unknown;
        res.tags = tags(r);
        res
    }
}

/// The resource's `tags` (AWS) or `labels` (Google) with string values; `tags_all`
/// (provider default tags included) when known.
fn tags(r: &Planned) -> BTreeMap<String, String> {
    ["tags_all", "tags", "labels"]
        .iter()
        .find_map(|k| match r.get(k) {
            Val::Known(Value::Object(m)) => Some(
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

/// A normalized policy document from a policy JSON string argument.
pub(crate) fn policy_doc(v: Val<'_>) -> Tri<Value> {
    match v.str() {
        Tri::Known(text) => crate::collect::aws_policy::parse(text).map_or(Tri::Null, Tri::Known),
        Tri::Null => Tri::Null,
        Tri::Unknown => Tri::Unknown,
    }
}

/// `json!` for a list of strings.
pub(crate) fn strings(v: &[String]) -> Value {
    json!(v)
}
