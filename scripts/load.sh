#!/usr/bin/env bash
# HTTP load benchmark: a release build of castellan on a fresh database, driven by
# castellan-load over loopback for a bounded time. Prints requests/s, p50 and p99 per
# scenario, time to first 200 on /health, and the server's RSS idle and after the load.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_SCENARIO=${SECONDS_PER_SCENARIO:-10}
CONNECTIONS=${CONNECTIONS:-16}
PG_ADMIN=${CASTELLAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release -q -p castellan-server -p castellan-tests --bin castellan --bin castellan-load

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
db="castellan_t_bench_$(date +%s)"
psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
workdir=$(mktemp -d)
cleanup() {
    [ -n "${server_pid:-}" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap cleanup EXIT

export CASTELLAN__SERVER__BIND="127.0.0.1:$port"
export CASTELLAN__DATABASE__URL="${PG_ADMIN%/*}/$db"
export CASTELLAN__REDIS__KEY_PREFIX="bench:$db:"
export CASTELLAN__AUTH__SIGNING_KEY_PATH="$workdir/signing.key"
export CASTELLAN__LOG__LEVEL=warn

started=$(date +%s%N)
target/release/castellan serve &
server_pid=$!
until curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; do sleep 0.005; done
ready=$(date +%s%N)
rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024} /VmHWM/ {printf " (peak %.1f MB)", $2/1024}' "/proc/$server_pid/status"; }
echo "first 200 on /health after $(( (ready - started) / 1000000 )) ms (includes migrating a fresh database)"
echo "RSS idle: $(rss)"
target/release/castellan-load --base "http://127.0.0.1:$port" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_SCENARIO"
echo "RSS after load: $(rss)"
