#!/usr/bin/env bash
# HTTP load benchmark: a release build of castellan, driven by castellan-load over loopback
# for a bounded time, in each configuration: `embedded` (SQLite + in-process token store)
# and `production` (a fresh PostgreSQL database + Redis). Prints requests/s, p50 and p99 per
# scenario, the time to the first 200 on /health, and the server's RSS idle and after load.
# Usage: scripts/load.sh [embedded|production|both]
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-both}
SECONDS_PER_SCENARIO=${SECONDS_PER_SCENARIO:-10}
CONNECTIONS=${CONNECTIONS:-16}
PG_ADMIN=${CASTELLAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${CASTELLAN_TEST_REDIS_URL:-redis://127.0.0.1:6379}

cargo build --release -q -p castellan-server -p castellan-tests --bin castellan --bin castellan-load

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {rss=$2} /VmHWM/ {hwm=$2} END {printf "%.1f MB (peak %.1f MB)", rss/1024, hwm/1024}' "/proc/$1/status"; }

# bench NAME: runs one configuration; the caller exports its CASTELLAN__* settings.
bench() {
    local name=$1 port workdir started ready pid
    port=$(free_port)
    workdir=$(mktemp -d)
    export CASTELLAN__SERVER__BIND="127.0.0.1:$port"
    export CASTELLAN__AUTH__SIGNING_KEY_PATH="$workdir/signing.key"
    export CASTELLAN__LOG__LEVEL=warn
    echo "== $name"
    (cd "$workdir" && "$OLDPWD/target/release/castellan" seed --demo >/dev/null)
    started=$(date +%s%N)
    (cd "$workdir" && exec "$OLDPWD/target/release/castellan" serve) &
    pid=$!
    until curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; do sleep 0.002; done
    ready=$(date +%s%N)
    echo "first 200 on /health after $(( (ready - started) / 1000000 )) ms"
    sleep 1
    echo "RSS idle: $(rss "$pid")"
    target/release/castellan-load --base "http://127.0.0.1:$port" --connections "$CONNECTIONS" --seconds "$SECONDS_PER_SCENARIO"
    echo "RSS after load: $(rss "$pid")"
    kill -TERM "$pid"
    wait "$pid" || true
    rm -rf "$workdir"
}

if [[ $MODE == embedded || $MODE == both ]]; then
    (
        export CASTELLAN__DATABASE__URL="sqlite://data/castellan.db"
        export CASTELLAN__REDIS__URL=""
        bench "embedded (SQLite + in-process token store)"
    )
fi

if [[ $MODE == production || $MODE == both ]]; then
    db="castellan_t_bench_$(date +%s)"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
    trap 'psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
    (
        export CASTELLAN__DATABASE__URL="${PG_ADMIN%/*}/$db"
        export CASTELLAN__REDIS__URL="$REDIS_URL"
        export CASTELLAN__REDIS__KEY_PREFIX="bench:$db:"
        bench "production (PostgreSQL + Redis)"
    )
fi
