//! Where each resource is declared: the file and line of its `resource "TYPE" "NAME"`
//! block under `--config-dir`, following local module calls (`source = "./modules/web"`)
//! for resources in modules. Locations let SARIF annotate the pull request's lines.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::{Document, plan};
use crate::collect::CollectError;
use crate::inventory::{Resource, SourceLocation};

/// Sets [`Resource::location`] on every resource whose block is found below `dir`.
pub fn locate(dir: &Path, doc: &Document, resources: &mut [Resource]) -> Result<(), CollectError> {
    if !dir.is_dir() {
        return Err(CollectError::Config(format!(
            "--config-dir {}: not a directory",
            dir.display()
        )));
    }
    let mut blocks: HashMap<PathBuf, HashMap<(String, String), SourceLocation>> = HashMap::new();
    for r in resources.iter_mut() {
        let Some(planned) = doc.resources.iter().find(|p| p.address == r.id) else {
            continue;
        };
        let Some(module_dir) = module_dir(dir, &doc.configuration, &planned.module) else {
            continue;
        };
        let found = blocks
            .entry(module_dir.clone())
            .or_insert_with(|| scan_dir(&module_dir));
        r.location = found
            .get(&(planned.rtype.clone(), planned.name.clone()))
            .cloned();
    }
    Ok(())
}

/// The directory of a module: `dir` for the root module, else each module call's local
/// `source` in turn. `None` for a module from a registry or a remote source.
fn module_dir(dir: &Path, configuration: &Value, module: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    let mut m = configuration.get("root_module");
    for name in plan::module_call_names(module) {
        let call = m?.get("module_calls")?.get(name)?;
        let source = call.get("source")?.as_str()?;
        if !(source.starts_with("./") || source.starts_with("../")) {
            return None;
        }
        path = normalize(&path.join(source));
        m = call.get("module");
    }
    Some(path)
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Every `resource "TYPE" "NAME"` block of the `.tf` files directly in `module_dir`,
/// with files named as `--config-dir` was given (so that, run from the repository root,
/// they are the repository paths code scanning expects).
fn scan_dir(module_dir: &Path) -> HashMap<(String, String), SourceLocation> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(module_dir) else {
        return out;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = display_path(&file);
        for (i, line) in text.lines().enumerate() {
            if let Some(key) = resource_header(line) {
                out.entry(key).or_insert(SourceLocation {
                    file: shown.clone(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                });
            }
        }
    }
    out
}

/// A path with `/` separators, as SARIF artifact URIs want them.
fn display_path(file: &Path) -> String {
    normalize(file)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `resource "aws_s3_bucket" "assets" {` gives (`aws_s3_bucket`, `assets`).
fn resource_header(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix("resource")?;
    if !rest.starts_with([' ', '\t', '"']) {
        return None;
    }
    let mut labels = rest.split('"').skip(1).step_by(2);
    let rtype = labels.next()?.trim();
    let name = labels.next()?.trim();
    (!rtype.is_empty() && !name.is_empty()).then(|| (rtype.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognized() {
        assert_eq!(
            resource_header(r#"resource "aws_s3_bucket" "assets" {"#),
            Some(("aws_s3_bucket".into(), "assets".into()))
        );
        assert_eq!(
            resource_header(r#"  resource  "google_compute_firewall"   "ssh"{"#),
            Some(("google_compute_firewall".into(), "ssh".into()))
        );
        assert_eq!(resource_header(r#"resources = ["a"]"#), None);
        assert_eq!(resource_header(r#"# resource "x" "y""#), None);
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(
            normalize(Path::new("infra/./modules/web/../db")),
            PathBuf::from("infra/modules/db")
        );
    }
}
