//! The inventory: everything a scan collected, as one versioned JSON document.
//!
//! Collectors produce an [`Inventory`]; the evaluator reads it. It can be saved with
//! `--save-inventory` and evaluated later, offline, with `mamori scan --inventory FILE`.
//! The JSON Schema of this document lives in `schemas/inventory-v1.schema.json`.

pub mod stream;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Version of the inventory document format written by this build.
pub const INVENTORY_SCHEMA_VERSION: u32 = 1;

/// A cloud or SaaS provider mamori knows how to collect from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// A Salesforce org.
    Salesforce,
}

impl Provider {
    /// All providers, in display order.
    pub const ALL: [Provider; 3] = [Provider::Aws, Provider::Gcp, Provider::Salesforce];

    /// The lowercase identifier used in check ids, directories and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Salesforce => "salesforce",
        }
    }

    /// Parses the lowercase identifier.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What a scope of this provider is called (account, project, org).
    pub fn scope_noun(self) -> &'static str {
        match self {
            Provider::Aws => "account",
            Provider::Gcp => "project",
            Provider::Salesforce => "org",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The producing tool, recorded in every document mamori writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `mamori`.
    pub name: String,
    /// The version that wrote the document.
    pub version: String,
}

impl Tool {
    /// This build of mamori.
    pub fn current() -> Self {
        Tool {
            name: "mamori".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One unit a scan covered: an AWS account, a GCP project or a Salesforce org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The provider of this scope.
    pub provider: Provider,
    /// Account id, project id or org id.
    pub id: String,
    /// A human name (account alias, project name, org name), where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The regions that were collected; empty for providers without regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Provider-specific facts about the scope (e.g. the API version used).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// A normalized resource. Collectors fill it; checks read it; nobody judges here.
#[derive(Debug, Serialize, Deserialize)]
pub struct Resource {
    /// The provider this resource belongs to.
    pub provider: Provider,
    /// The resource kind, `<provider>.<service>.<type>`, e.g. `aws.s3.bucket`.
    pub kind: String,
    /// A unique, stable identifier (ARN, self link, Salesforce id).
    pub id: String,
    /// The human name (bucket name, user name, Name tag, KMS alias, profile name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The region, or `None` for global resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The id of the [`Scope`] this resource was collected in.
    pub scope: String,
    /// Tags or labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The kind-specific configuration, as documented in `checks/<provider>/kinds.yaml`.
    ///
    /// Kept as raw JSON text: the evaluator parses it once per resource, so an inventory
    /// costs about its own size in memory.
    pub data: Box<RawValue>,
    /// Paths of `data` fields whose value is not known yet (`versioning`,
    /// `ingress`), left out of `data`: a Terraform plan's values that are known only
    /// after apply. A check whose condition reads one of them reports `error`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// Where the resource is declared in source (a Terraform resource block), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// A place in a source file: the file (relative to the directory scanned, `/`-separated)
/// and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The file, relative to the configuration directory given.
    pub file: String,
    /// The 1-based line where the declaration starts.
    pub line: u32,
}

impl Resource {
    /// Builds a resource from a JSON value for `data`.
    pub fn new(
        provider: Provider,
        kind: impl Into<String>,
        scope: impl Into<String>,
        id: impl Into<String>,
        data: &serde_json::Value,
    ) -> Self {
        Resource {
            provider,
            kind: kind.into(),
            id: id.into(),
            name: None,
            region: None,
            scope: scope.into(),
            tags: BTreeMap::new(),
            data: to_raw(data),
            unknown: Vec::new(),
            location: None,
        }
    }

    /// Sets the human name.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the region.
    #[must_use]
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the tags.
    #[must_use]
    pub fn with_tags(mut self, tags: BTreeMap<String, String>) -> Self {
        self.tags = tags;
        self
    }

    /// The human name if there is one, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

impl Clone for Resource {
    fn clone(&self) -> Self {
        Resource {
            provider: self.provider,
            kind: self.kind.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            region: self.region.clone(),
            scope: self.scope.clone(),
            tags: self.tags.clone(),
            data: self.data.clone(),
            unknown: self.unknown.clone(),
            location: self.location.clone(),
        }
    }
}

/// Converts a JSON value into the raw form stored in [`Resource::data`].
pub fn to_raw(value: &serde_json::Value) -> Box<RawValue> {
    // Serializing a `serde_json::Value` cannot fail: its keys are always strings.
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| empty_object())
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_string()).unwrap_or_else(|_| unreachable!("'{{}}' is valid JSON"))
}

/// A call that failed during collection. The checks of the affected kinds report
/// `error` (not evaluated) for the scope, region and resource it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionError {
    /// The provider of the failed call.
    pub provider: Provider,
    /// The scope (account, project, org) the call was made for.
    pub scope: String,
    /// The service, e.g. `s3`, `iam`, `compute`, `tooling`.
    pub service: String,
    /// The region, or `None` for global calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The API operation, e.g. `GetBucketPolicy`.
    pub operation: String,
    /// The provider's error code, e.g. `AccessDenied`, `SERVICE_DISABLED`.
    pub code: String,
    /// The provider's message (never contains credentials).
    pub message: String,
    /// The resource kinds left incomplete by this failure.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// When the failure concerns one resource only, its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// A *field gap*: the data fields of `kinds` this error leaves absent (a Salesforce
    /// field this org's edition lacks, or a call that feeds only these fields). A gap does
    /// not make the rest of the data incomplete: only checks that read one of these
    /// fields report `error`, with this error's message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl CollectionError {
    /// Whether this error makes the given resource's data incomplete (field gaps never
    /// do; see [`CollectionError::is_gap_for`]).
    pub fn affects(&self, kind: &str, scope: &str, region: Option<&str>, id: Option<&str>) -> bool {
        self.fields.is_empty()
            && self.scope == scope
            && self.kinds.iter().any(|k| k == kind)
            && (self.region.is_none() || region.is_none() || self.region.as_deref() == region)
            && (self.resource_id.is_none() || self.resource_id.as_deref() == id)
    }

    /// Whether this is a field gap of resources of `kind` in `scope`: their fields in
    /// [`CollectionError::fields`] are absent, the rest of their data is complete.
    pub fn is_gap_for(&self, kind: &str, scope: &str) -> bool {
        !self.fields.is_empty() && self.scope == scope && self.kinds.iter().any(|k| k == kind)
    }
}

/// The whole inventory document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inventory {
    /// The document format version; see [`INVENTORY_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that collected it.
    pub tool: Tool,
    /// When collection finished (RFC 3339, UTC). Checks measure ages against this instant,
    /// so re-evaluating a saved inventory gives the same answer.
    pub collected_at: String,
    /// The scopes covered.
    pub scopes: Vec<Scope>,
    /// Every failed collection call. Written before the resources, so that a reader
    /// streaming a large inventory knows them before the first resource
    /// ([`stream::head`]); older inventories list them after, and are read in two passes.
    #[serde(default)]
    pub errors: Vec<CollectionError>,
    /// Every collected resource.
    pub resources: Vec<Resource>,
}

/// Why an inventory file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The file could not be read.
    #[error("cannot read inventory {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON did not match the inventory format.
    #[error("invalid inventory {path}: at `{field}`: {message} (line {line}, column {column})")]
    Invalid {
        /// The file.
        path: String,
        /// The JSON path of the offending field, e.g. `resources[3].kind`.
        field: String,
        /// What was wrong.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The document is of a version this build cannot read.
    #[error(
        "inventory {path} has schema_version {found}; this mamori reads version {INVENTORY_SCHEMA_VERSION}"
    )]
    Version {
        /// The file.
        path: String,
        /// The version found.
        found: u32,
    },
    /// A resource names a scope the document does not declare.
    #[error("invalid inventory {path}: at `resources[{index}].scope`: unknown scope `{scope}`")]
    UnknownScope {
        /// The file.
        path: String,
        /// Index of the resource.
        index: usize,
        /// The scope named.
        scope: String,
    },
    /// Writing the inventory failed.
    #[error("cannot write inventory {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Inventory {
    /// An empty inventory stamped with this tool and the current time.
    pub fn new() -> Self {
        Inventory {
            schema_version: INVENTORY_SCHEMA_VERSION,
            tool: Tool::current(),
            collected_at: now_rfc3339(),
            scopes: Vec::new(),
            resources: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Parses an inventory from JSON text; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Self, InventoryError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let inv: Inventory = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            InventoryError::Invalid {
                path: origin.to_string(),
                field,
                message: crate::diagnostics::strip_position(&inner.to_string()),
                line: inner.line(),
                column: inner.column(),
            }
        })?;
        if inv.schema_version != INVENTORY_SCHEMA_VERSION {
            return Err(InventoryError::Version {
                path: origin.to_string(),
                found: inv.schema_version,
            });
        }
        for (index, r) in inv.resources.iter().enumerate() {
            if !inv.scopes.iter().any(|s| s.id == r.scope) {
                return Err(InventoryError::UnknownScope {
                    path: origin.to_string(),
                    index,
                    scope: r.scope.clone(),
                });
            }
        }
        Ok(inv)
    }

    /// Reads an inventory file.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Writes the inventory as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), InventoryError> {
        let text = self.to_json();
        std::fs::write(path, text).map_err(|source| InventoryError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// The inventory as pretty-printed JSON text.
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Appends another inventory's scopes, resources and errors (used when several
    /// providers or scopes are collected in one run).
    pub fn merge(&mut self, other: Inventory) {
        self.scopes.extend(other.scopes);
        self.resources.extend(other.resources);
        self.errors.extend(other.errors);
    }

    /// Sorts resources and errors into a stable order, so that saved inventories and
    /// outputs are byte-for-byte reproducible.
    pub fn normalize(&mut self) {
        self.scopes
            .sort_by(|a, b| (a.provider, &a.id).cmp(&(b.provider, &b.id)));
        self.resources.sort_by(|a, b| {
            (a.provider, &a.scope, &a.kind, &a.region, &a.id)
                .cmp(&(b.provider, &b.scope, &b.kind, &b.region, &b.id))
        });
        self.errors.sort_by(|a, b| {
            (
                a.provider,
                &a.scope,
                &a.service,
                &a.region,
                &a.operation,
                &a.resource_id,
            )
                .cmp(&(
                    b.provider,
                    &b.scope,
                    &b.service,
                    &b.region,
                    &b.operation,
                    &b.resource_id,
                ))
        });
        // The same scope, resource or error collected by two parts (e.g. the organization
        // itself, read by every shard of an organization scan) is kept once.
        self.scopes
            .dedup_by(|a, b| a.provider == b.provider && a.id == b.id);
        self.resources.dedup_by(|a, b| {
            (a.provider, &a.scope, &a.kind, &a.region, &a.id)
                == (b.provider, &b.scope, &b.kind, &b.region, &b.id)
        });
        self.errors.dedup();
    }
}

impl Default for Inventory {
    fn default() -> Self {
        Self::new()
    }
}

/// The current UTC time as RFC 3339 with second precision.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn error_names_the_field() {
        let text = r#"{"schema_version":1,"tool":{"name":"mamori","version":"0"},
            "collected_at":"2026-01-01T00:00:00Z","scopes":[],
            "resources":[{"provider":"aws","kind":7}]}"#;
        let err = Inventory::from_json(text, "inv.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("resources[0].kind"), "{err}");
    }

    #[test]
    fn wrong_version_is_refused() {
        let text = r#"{"schema_version":9,"tool":{"name":"mamori","version":"0"},
            "collected_at":"2026-01-01T00:00:00Z","scopes":[],"resources":[]}"#;
        let err = Inventory::from_json(text, "inv.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("schema_version 9"), "{err}");
    }
}
