//! The `castellan` binary.

fn main() -> std::process::ExitCode {
    castellan_server::commands::main()
}
