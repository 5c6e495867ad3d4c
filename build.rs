//! Rebuild when the embedded check, kind or compliance files change
//! (`include_dir!` alone does not tell cargo to watch them).

fn main() {
    println!("cargo:rerun-if-changed=checks");
    println!("cargo:rerun-if-changed=compliance");
}
