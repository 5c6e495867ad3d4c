//! The CI examples in `docs/examples/` are real files: the GitHub workflow validates
//! against the SchemaStore workflow schema (vendored in `tests/data/`), the GitLab job
//! and the example mutelist parse.

use std::path::Path;

use serde_json::Value;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn yaml(rel: &str) -> Value {
    serde_yaml_ng::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: invalid YAML: {e}"))
}

/// A GitHub workflow file, asserted valid against the SchemaStore workflow schema.
fn valid_workflow(rel: &str) -> Value {
    let schema: Value =
        serde_json::from_str(&read("tests/data/github-workflow.schema.json")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let workflow = yaml(rel);
    let errors: Vec<String> = validator
        .iter_errors(&workflow)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{rel}: workflow schema errors:\n{}",
        errors.join("\n")
    );
    workflow
}

#[test]
fn github_workflow_matches_the_workflow_schema() {
    let workflow = valid_workflow("docs/examples/github-actions.yml");

    // The schema is permissive about step contents; check what the docs promise.
    let steps = workflow["jobs"]["scan"]["steps"].as_array().expect("steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    for action in [
        "aws-actions/configure-aws-credentials@",
        "github/codeql-action/upload-sarif@",
        "actions/upload-artifact@",
    ] {
        assert!(
            uses.iter().any(|u| u.starts_with(action)),
            "missing {action}"
        );
    }
    assert_eq!(workflow["permissions"]["id-token"], "write");
    assert_eq!(workflow["permissions"]["security-events"], "write");
    let scan = steps
        .iter()
        .find(|s| s["id"] == "scan")
        .and_then(|s| s["run"].as_str())
        .expect("scan step");
    for flag in [
        "--baseline",
        "--mutelist",
        "--fail-on",
        "--format sarif",
        "--format html",
    ] {
        assert!(scan.contains(flag), "scan step lacks {flag}");
    }
}

#[test]
fn a_broken_workflow_is_rejected_by_the_schema() {
    // Guards against a schema that accepts anything.
    let schema: Value =
        serde_json::from_str(&read("tests/data/github-workflow.schema.json")).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut workflow = yaml("docs/examples/github-actions.yml");
    workflow["jobs"]["scan"]["runs-on"] = Value::Null;
    workflow["jobs"]["scan"]["stepz"] = Value::Array(Vec::new());
    assert!(!validator.is_valid(&workflow));
}

#[test]
fn gitlab_job_and_example_mutelist_parse() {
    let job = yaml("docs/examples/gitlab-ci.yml");
    let mamori = &job["mamori"];
    assert_eq!(
        mamori["id_tokens"]["AWS_ID_TOKEN"]["aud"],
        "sts.amazonaws.com"
    );
    let script: Vec<&str> = mamori["script"]
        .as_array()
        .expect("script")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(script.iter().any(|l| l.starts_with("mamori scan aws")));
    assert!(
        script
            .iter()
            .any(|l| l.contains("AWS_WEB_IDENTITY_TOKEN_FILE"))
    );

    let m = mamori::mutelist::Mutelist::parse(
        &read("docs/examples/mutelist.yaml"),
        "docs/examples/mutelist.yaml",
    )
    .expect("the example mutelist is valid");
    assert_eq!(m.entries.len(), 3);
    assert!(m.entries.iter().all(|e| e.line.is_some()));
}

#[test]
fn release_workflow_matches_the_workflow_schema_and_packages_every_target() {
    let workflow = valid_workflow(".github/workflows/release.yml");

    let targets: Vec<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("build matrix")
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "{t} is not built");
    }
    // The image copies the musl binaries the image job downloads.
    let dockerfile = read("Dockerfile.release");
    assert!(dockerfile.contains("COPY dist/linux-${TARGETARCH}/mamori"));
    let image = serde_json::to_string(&workflow["jobs"]["image"]).expect("json");
    for arch in ["dist/linux-amd64", "dist/linux-arm64", "Dockerfile.release"] {
        assert!(image.contains(arch), "image job lacks {arch}");
    }
    // Every file the package step copies exists in the repository.
    let build = serde_json::to_string(&workflow["jobs"]["build"]).expect("json");
    assert!(build.contains("cp \\\"$bin\\\" README.md"));
    assert!(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("README.md")
            .exists()
    );
    assert!(read("docs/release.md").contains("SHA256SUMS"));
}

#[test]
fn sharding_recipes_are_valid_and_consistent() {
    for (workflow, job) in [
        (
            "docs/examples/github-sharded.yml",
            "docs/examples/k8s-indexed-job.yaml",
        ),
        (
            "docs/examples/github-sharded-aws-org.yml",
            "docs/examples/k8s-indexed-job-aws-org.yaml",
        ),
    ] {
        sharding_recipe(workflow, job);
    }
}

/// The scan arguments parse as a mamori command line.
fn parses(args: &[&str]) {
    use clap::Parser;
    let argv = std::iter::once("mamori").chain(args.iter().copied());
    if let Err(e) = mamori::cli::Cli::try_parse_from(argv) {
        panic!("{args:?} does not parse: {e}");
    }
}

fn sharding_recipe(workflow: &str, k8s: &str) {
    let workflow = valid_workflow(workflow);
    let shards = workflow["jobs"]["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .expect("shard matrix")
        .len();
    let scan = serde_json::to_string(&workflow["jobs"]["scan"]).expect("json");
    assert!(
        scan.contains(&format!("--shard ${{{{ matrix.shard }}}}/{shards}")),
        "{scan}"
    );
    let merge = serde_json::to_string(&workflow["jobs"]["merge"]).expect("json");
    assert!(merge.contains("mamori merge part-*.json"));

    // The Kubernetes recipe: an Indexed Job whose index becomes the shard, and a merge
    // of exactly its completions.
    let text = read(k8s);
    let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML document"))
        .collect();
    assert_eq!(docs.len(), 2);
    let job = &docs[0]["spec"];
    assert_eq!(job["completionMode"], "Indexed");
    let n = job["completions"].as_u64().expect("completions");
    let args: Vec<&str> = job["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let shard = args[args.iter().position(|a| *a == "--shard").expect("--shard") + 1];
    assert_eq!(shard, format!("$(JOB_COMPLETION_INDEX)+1/{n}"));
    for k in 0..n {
        // What Kubernetes expands it to parses as shard k+1 of n.
        let expanded = shard.replace("$(JOB_COMPLETION_INDEX)", &k.to_string());
        let s = mamori::shard::Shard::parse(&expanded).expect("valid shard");
        assert_eq!((s.index, s.count), (k + 1, n));
        let expanded_args: Vec<String> = args
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &k.to_string()))
            .collect();
        parses(&expanded_args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let merge_args =
        serde_json::to_string(&docs[1]["spec"]["template"]["spec"]["containers"][0]["args"])
            .expect("json");
    for k in 0..n {
        assert!(
            merge_args.contains(&format!("/reports/part-{k}.json")),
            "{merge_args}"
        );
    }
}
