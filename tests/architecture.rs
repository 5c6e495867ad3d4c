//! Dependency directions the code keeps: collectors take plain requests and never reach
//! up into the command line.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn collectors_do_not_import_the_cli() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect"),
        &mut files,
    );
    assert!(files.len() > 10);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, line) in text.lines().enumerate() {
            assert!(
                !line.contains("crate::cli"),
                "{}:{}: collectors must take a request from crate::collect::request, not CLI types: {line}",
                f.display(),
                i + 1
            );
        }
    }
}

/// `use crate::<module>` lines of the files below `rel` (a file or a directory).
fn imports(rel: &str, module: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut files = Vec::new();
    if root.is_dir() {
        rust_files(&root, &mut files);
    } else {
        files.push(root);
    }
    let needle = format!("crate::{module}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, line) in text.lines().enumerate() {
            if line.contains(&needle) && !line.trim_start().starts_with("//") {
                out.push(format!("{}:{}: {line}", f.display(), i + 1));
            }
        }
    }
    out
}

#[test]
fn checks_and_evaluation_point_at_the_findings_model_not_at_each_other() {
    // checks -> findings <- evaluate (evaluate may use checks; not the other way round).
    for (from, to) in [
        ("src/findings.rs", "checks"),
        ("src/findings.rs", "evaluate"),
        ("src/checks", "evaluate"),
    ] {
        let found = imports(from, to);
        assert!(
            found.is_empty(),
            "{from} must not use crate::{to}:\n{}",
            found.join("\n")
        );
    }
}

/// The kind names (`aws.s3.bucket`) written as string literals in the files below `rel`.
fn kind_literals(rel: &str, provider: &str) -> std::collections::BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel), &mut files);
    let re = regex::Regex::new(&format!(r#""({provider}(?:\.[a-z0-9_]+)+)""#)).expect("regex");
    let mut out = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        // Unit tests below `#[cfg(test)]` may name made-up kinds.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for c in re.captures_iter(text) {
            out.insert(c[1].to_string());
        }
    }
    out
}

/// Every kind a provider's `kinds.yaml` declares is produced by its collector, and the
/// collector produces no kind that is not declared (declared kinds without a collector
/// would be checks that can never run; undeclared ones would be data no check can read).
#[test]
fn every_declared_kind_has_a_collector_and_no_collector_emits_an_undeclared_kind() {
    let set = mamori::checks::load(&[]).expect("built-in checks load");
    for provider in ["aws", "gcp", "salesforce"] {
        let declared: std::collections::BTreeSet<String> = set
            .kinds
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k.starts_with(&format!("{provider}.")))
            .collect();
        assert!(!declared.is_empty(), "{provider}: no kinds declared");
        let emitted = kind_literals(&format!("src/collect/{provider}"), provider);
        let no_collector: Vec<_> = declared.difference(&emitted).collect();
        let undeclared: Vec<_> = emitted.difference(&declared).collect();
        assert!(
            no_collector.is_empty(),
            "{provider}: declared in checks/{provider}/kinds.yaml but no collector in src/collect/{provider} emits them: {no_collector:?}"
        );
        assert!(
            undeclared.is_empty(),
            "{provider}: emitted by src/collect/{provider} but not declared in checks/{provider}/kinds.yaml: {undeclared:?}"
        );
    }
}

/// `docs/aws.md` lists, for each AWS collector module, every API operation it calls (the
/// permissions a least-privilege policy needs).
#[test]
fn docs_aws_lists_every_operation_each_collector_calls() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/aws.md")).expect("docs/aws.md");
    let ops = regex::Regex::new(r"\.((?:list|get|describe|batch_get|generate)_[a-z_0-9]+)\(\)")
        .expect("regex");
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("src/collect/aws")).expect("read dir") {
        let path = entry.expect("entry").path();
        let module = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read");
        let called: std::collections::BTreeSet<String> = ops
            .captures_iter(&text)
            .map(|c| c[1].replace('_', ""))
            .collect();
        if called.is_empty() {
            continue;
        }
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{module}` |")))
            .unwrap_or_else(|| panic!("docs/aws.md has no row for src/collect/aws/{module}.rs"))
            .to_lowercase();
        for op in &called {
            assert!(
                row.contains(op.as_str()),
                "docs/aws.md: the `{module}` row does not list the operation it calls ({op})"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} operations found");
}
