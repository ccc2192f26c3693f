#!/usr/bin/env bash
# HTTP load benchmark: a release build of castellan, driven by castellan-load over loopback
# for a bounded time, in each configuration: `embedded` (SQLite + in-process token store)
# and `production` (a fresh PostgreSQL database + Redis), each with the rate limits on (every
# check made, none refusing), off, and on with the metrics off. Prints requests/s, p50 and p99 per scenario, the time
# to the first 200 on /health, and the server's RSS idle and after load.
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
    export CASTELLAN__VAULT__KEK_PATH="$workdir/vault.kek"
    export CASTELLAN__API_KEYS__PEPPER_PATH="$workdir/api-key-pepper.key"
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

# limits on|off|metrics-off: every rate limit checked but too high to refuse (what the checks
# cost), or switched off (rate_limit.enabled = false), or on with the Prometheus metrics off
# (metrics.enabled = false: what recording costs). Exported for the bench that follows.
limits() {
    export CASTELLAN__METRICS__ENABLED=true
    if [[ $1 == off ]]; then
        export CASTELLAN__RATE_LIMIT__ENABLED=false
        return
    fi
    if [[ $1 == metrics-off ]]; then
        export CASTELLAN__METRICS__ENABLED=false
    fi
    export CASTELLAN__RATE_LIMIT__ENABLED=true
    local key
    for key in LOGIN_PER_IP_EMAIL_PER_MINUTE LOGIN_PER_IP_PER_MINUTE REGISTER_PER_HOUR \
        TENANTS_PER_HOUR INVITATION_ACCEPTS_PER_HOUR PASSWORD_RESET_PER_HOUR \
        AUTHENTICATED_PER_MINUTE ANONYMOUS_PER_MINUTE LOCKOUT_FAILURES_PER_IP \
        LOCKOUT_FAILURES_PER_EMAIL; do
        export "CASTELLAN__RATE_LIMIT__$key=1000000000"
    done
}

if [[ $MODE == embedded || $MODE == both ]]; then
    for switch in on off metrics-off; do
        (
            export CASTELLAN__DATABASE__URL="sqlite://data/castellan.db"
            export CASTELLAN__REDIS__URL=""
            limits "$switch"
            bench "embedded (SQLite + in-process token store), rate limits $switch"
        )
    done
fi

if [[ $MODE == production || $MODE == both ]]; then
    db="castellan_t_bench_$(date +%s)"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
    trap 'psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
    for switch in on off metrics-off; do
        (
            export CASTELLAN__DATABASE__URL="${PG_ADMIN%/*}/$db"
            export CASTELLAN__REDIS__URL="$REDIS_URL"
            export CASTELLAN__REDIS__KEY_PREFIX="bench:$db:$switch:"
            limits "$switch"
            bench "production (PostgreSQL + Redis), rate limits $switch"
        )
    done
fi
