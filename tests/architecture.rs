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
