#!/usr/bin/env bash
# A flamegraph of the production hot path (`just flamegraph`): a release castellan on a fresh
# PostgreSQL database and Redis, the authenticated article list driven by wrk for a bounded
# time while `perf` samples the server (DWARF call graphs from the release binary's unwind
# tables); folded by inferno into docs/flamegraph.svg. Installs wrk (apt-get) and inferno
# (cargo install) when missing; perf must be there (linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_SAMPLE=${SECONDS_TO_SAMPLE:-8}
PG_ADMIN=${CASTELLAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${CASTELLAN_TEST_REDIS_URL:-redis://127.0.0.1:6379}
OUT=${OUT:-docs/flamegraph.svg}

command -v perf >/dev/null || { echo "perf is required (apt-get install linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
command -v inferno-flamegraph >/dev/null || cargo install -q inferno --locked
cargo build --release -q -p castellan-server --bin castellan

workdir=$(mktemp -d)
db="castellan_t_flame_$(date +%s)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
cleanup() {
    [[ -n ${pid:-} ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap cleanup EXIT
export CASTELLAN__SERVER__BIND="127.0.0.1:$port"
export CASTELLAN__DATABASE__URL="${PG_ADMIN%/*}/$db"
export CASTELLAN__REDIS__URL="$REDIS_URL"
export CASTELLAN__REDIS__KEY_PREFIX="flame:$db:"
export CASTELLAN__AUTH__SIGNING_KEY_PATH="$workdir/signing.key"
export CASTELLAN__VAULT__KEK_PATH="$workdir/vault.kek"
export CASTELLAN__API_KEYS__PEPPER_PATH="$workdir/pepper.key"
export CASTELLAN__RATE_LIMIT__AUTHENTICATED_PER_MINUTE=1000000000
export CASTELLAN__LOG__LEVEL=warn
target/release/castellan seed --demo >/dev/null
target/release/castellan serve &
pid=$!
until curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; do sleep 0.05; done
token=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"adminpass"}' \
    "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access"])')
wrk -t1 -c16 -d"$((SECONDS_TO_SAMPLE + 2))s" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/v1/articles" >/dev/null &
sleep 1
perf record -q -F 499 --call-graph dwarf,16384 -p "$pid" -o "$workdir/perf.data" -- sleep "$SECONDS_TO_SAMPLE" 2>/dev/null
wait %2 2>/dev/null || true
perf script -i "$workdir/perf.data" 2>/dev/null | inferno-collapse-perf | \
    inferno-flamegraph --title "castellan: GET /api/v1/articles (PostgreSQL + Redis)" > "$OUT"
echo "wrote $OUT"
