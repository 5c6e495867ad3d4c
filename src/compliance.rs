//! Compliance frameworks: one data file per framework under `compliance/`, naming its
//! controls; checks map to control ids in their `compliance` field.

use std::collections::BTreeMap;

use include_dir::{Dir, include_dir};
use serde::{Deserialize, Serialize};

static FRAMEWORKS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/compliance");

/// A compliance framework and its controls.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// The id used in check files, e.g. `cis-aws-5.0`.
    pub id: String,
    /// The full title.
    pub title: String,
    /// Where the framework is published.
    #[serde(default)]
    pub url: Option<String>,
    /// Control id to control title.
    #[serde(default)]
    pub controls: BTreeMap<String, String>,
}

/// Every built-in framework, sorted by id.
pub fn frameworks() -> Vec<Framework> {
    let mut out: Vec<Framework> = FRAMEWORKS
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "yaml"))
        .filter_map(|f| f.contents_utf8())
        .filter_map(|t| serde_yaml_ng::from_str(t).ok())
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The ids of the built-in frameworks.
pub fn known_frameworks() -> Vec<String> {
    frameworks().into_iter().map(|f| f.id).collect()
}

/// Whether a framework id is known.
pub fn is_known_framework(id: &str) -> bool {
    FRAMEWORKS
        .files()
        .any(|f| f.path().file_stem().is_some_and(|s| s == id))
}

/// Looks a framework up by id.
pub fn framework(id: &str) -> Option<Framework> {
    frameworks().into_iter().find(|f| f.id == id)
}
