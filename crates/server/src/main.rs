//! The `castellan` binary.

/// jemalloc rather than glibc's malloc: it returns freed memory to the system (a large
/// allocation, such as argon2's memory, at once; the rest within seconds), where glibc's
/// per-thread arenas kept a login storm's peak for good. It serves C's `malloc` too
/// (SQLite's memory), by the crate's `unprefixed_malloc_on_supported_platforms` feature.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    castellan_server::commands::main()
}
