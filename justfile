# Castellan's developer commands. `just --list` shows them all.

set shell := ["bash", "-euo", "pipefail", "-c"]

pg_admin := env_var_or_default("CASTELLAN_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# List the recipes.
default:
    @just --list

# Build and serve on the embedded default (SQLite under ./data, nothing to install) at
# http://127.0.0.1:8080, with the demo users and articles (idempotent).
run:
    cargo build -p castellan-server
    target/debug/castellan seed --demo
    target/debug/castellan serve

# Apply the demo seed to the configured database (`--reset` first removes its own rows).
seed *args:
    cargo run -p castellan-server -- seed --demo {{args}}

# Run every test: unit, doc, property, conformance suites, black-box HTTP tests, the admin
# console in headless Chromium (installed with axe-core by scripts/browser-deps.sh), and
# schemathesis against the running server's OpenAPI document.
test: _drop-test-databases browser-deps
    cargo test --workspace --all-targets
    cargo test --workspace --doc
    just schemathesis

# Schema-driven API tests (about 2 minutes): schemathesis, pinned, in a venv under target/,
# throws generated requests at every operation of /api/v1/schema on a server it starts;
# any server error or departure from the document fails (policy: scripts/schemathesis.toml).
schemathesis:
    cargo build -p castellan-server
    scripts/schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/castellan"

# Chromium, chromedriver (apt) and axe-core (pinned, sha256-checked, under the target
# directory) for the console's browser tests.
browser-deps:
    scripts/browser-deps.sh

# The console's browser tests alone (`cargo test -p castellan-tests --test browser`).
test-console: browser-deps
    cargo test -p castellan-tests --test browser

# A PNG of every console page into docs/console/ (the browser sweep of every page, as the
# demo admin and a plain user).
console-screenshots: browser-deps
    CASTELLAN_CONSOLE_SCREENSHOTS="$PWD/docs/console" cargo test -p castellan-tests --test browser every_page_is_accessible

# Formatting check and clippy with warnings denied.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Format the code.
fmt:
    cargo fmt --all

# Apply migrations to the configured database.
migrate:
    cargo run -p castellan-server -- migrate

# Print the OpenAPI document.
openapi:
    cargo run -q -p castellan-server -- openapi

# Castellan against its ceiling (bare actix-web + EdDSA check + one Redis EXISTS + one
# indexed diesel-async query, benches/ceiling) in interleaved wrk rounds: req/s, p50/p99 and
# the same-round ratio per workload, RSS, start time, logins, connection and data-size
# sweeps; writes docs/benchmarks.md and its plots (about 15 minutes; installs wrk if missing).
bench-http:
    scripts/bench-http.sh

# A flamegraph of the production hot path (the authenticated article list under wrk,
# sampled by perf): docs/flamegraph.svg.
flamegraph:
    scripts/flamegraph.sh

# Benchmarks: criterion for the RBAC evaluator (against casbin), token verification and the
# rate-limit checks, then the HTTP load script (embedded and production, limits on and off).
bench:
    cargo bench -p castellan-domain --bench rbac --features bench-casbin
    cargo bench -p castellan-adapters-crypto --bench token_verify
    cargo bench -p castellan-server --bench rate_limit
    cargo run --release -q -p castellan-tests --bin castellan-list-bench
    scripts/load.sh
    scripts/audit-export.sh embedded
    scripts/bench-http.sh

# Databases left by earlier test runs (each test creates its own).
_drop-test-databases:
    @psql "{{pg_admin}}" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'castellan\_%t\_%'" \
        | while read -r db; do psql "{{pg_admin}}" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
