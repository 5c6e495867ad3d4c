//! Rebuild when the embedded check, kind or compliance files change
//! (`include_dir!` alone does not tell cargo to watch them), and list the AWS service
//! modules: every `src/collect/aws/<service>.rs` declaring `pub(crate) const SERVICE`
//! is declared as a module and run by every account scan, so adding a service edits no
//! other file.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=checks");
    println!("cargo:rerun-if-changed=compliance");
    println!("cargo:rerun-if-changed=src/collect/aws");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect/aws");
    let mut services: Vec<String> = std::fs::read_dir(&dir)
        .expect("src/collect/aws is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|text| text.contains("\npub(crate) const SERVICE: Service"))
        })
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
        .collect();
    services.sort();
    // Names only: the modules are declared in src/collect/aws/mod.rs, so the output is the
    // same whichever checkout runs this (a path here would outlive a moved checkout that
    // shares the build directory).
    let out = format!(
        "macro_rules! with_aws_services {{\n    ($then:ident) => {{\n        $then!({});\n    }};\n}}\n",
        services.join(", ")
    );
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR is set")).join("aws_services.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
