//! `castellan`, as the black-box tests run it (see `Cargo.toml`).

fn main() -> std::process::ExitCode {
    castellan_server::commands::main()
}
