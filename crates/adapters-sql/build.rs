//! Rebuild when a migration is added or edited: `embed_migrations!` reads
//! `migrations/postgres` and `migrations/sqlite` at compile time, which cargo does not
//! track by itself.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations/postgres");
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
}
