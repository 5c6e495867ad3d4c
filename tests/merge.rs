//! `mamori merge`: the parts of a split scan join into the report one run gives.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn mamori() -> Command {
    let mut cmd = Command::cargo_bin("mamori").expect("the mamori binary");
    cmd.env("NO_COLOR", "1");
    cmd
}

fn scan(inventory: &Path, out: &Path) {
    let o = mamori()
        .args(["scan", "--inventory"])
        .arg(inventory)
        .args(["--format", "json", "--output"])
        .arg(out)
        .output()
        .expect("run mamori");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("JSON")
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["fingerprint"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn merged_parts_equal_the_single_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/inventory.json");
    let whole = dir.path().join("whole.json");
    scan(&demo, &whole);

    // One part per provider, as three shards would collect them.
    let inv = read(&demo);
    let mut parts = Vec::new();
    for provider in ["aws", "gcp", "salesforce"] {
        let mut part = inv.clone();
        for key in ["scopes", "resources", "errors"] {
            let kept: Vec<Value> = inv[key]
                .as_array()
                .expect("array")
                .iter()
                .filter(|v| v["provider"] == provider)
                .cloned()
                .collect();
            part[key] = Value::Array(kept);
        }
        let inv_path = dir.path().join(format!("{provider}-inventory.json"));
        std::fs::write(&inv_path, part.to_string()).expect("write part");
        let out = dir.path().join(format!("{provider}.json"));
        scan(&inv_path, &out);
        parts.push(out);
    }
    // The salesforce part twice: overlapping shards count a finding once.
    parts.push(parts[2].clone());
    let merged = dir.path().join("merged.json");
    let o = mamori()
        .arg("merge")
        .args(&parts)
        .arg("-o")
        .arg(&merged)
        .output()
        .expect("run mamori");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let (a, b) = (read(&whole), read(&merged));
    assert_eq!(findings(&a), findings(&b), "same findings, same order");
    assert_eq!(a["summary"], b["summary"]);
    // Each part covers one scope (no per-scope counts); the merge recomputes them.
    assert!(read(&parts[0])["summary"].get("by_scope").is_none());
    let by_scope = b["summary"]["by_scope"].as_array().expect("by_scope");
    assert_eq!(by_scope.len(), 3);
    let scopes = |r: &Value| -> BTreeSet<String> {
        r["scan"]["scopes"]
            .as_array()
            .expect("scopes")
            .iter()
            .map(|s| format!("{}/{}", s["provider"], s["id"]))
            .collect()
    };
    assert_eq!(scopes(&a), scopes(&b));
    assert_eq!(
        a["scan"]["collection_errors"].as_array().map(Vec::len),
        b["scan"]["collection_errors"].as_array().map(Vec::len)
    );
    assert_eq!(
        a["checks"].as_object().map(|m| m.len()),
        b["checks"].as_object().map(|m| m.len())
    );
}

#[test]
fn merge_rejects_what_is_not_a_findings_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").expect("write");
    let o = mamori()
        .arg("merge")
        .arg(&bad)
        .output()
        .expect("run mamori");
    assert_eq!(o.status.code(), Some(2));
}
