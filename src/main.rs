//! The `mamori` binary: see [`mamori::cli`].

fn main() -> std::process::ExitCode {
    mamori::cli::main()
}
