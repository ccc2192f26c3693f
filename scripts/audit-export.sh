#!/usr/bin/env bash
# Audit export benchmark: fills an audit log with ENTRIES synthetic entries (default
# 100,000), serves it with a release build, streams GET /audit-logs/export through curl and
# samples the server's RSS every 100 ms meanwhile. Memory must stay flat: the export reads
# 500 entries per round trip and never holds the whole log.
# Usage: scripts/audit-export.sh [embedded|production]
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-embedded}
ENTRIES=${ENTRIES:-100000}
PG_ADMIN=${CASTELLAN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}

cargo build --release -q -p castellan-server -p castellan-tests --bin castellan --bin castellan-audit-fill

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

workdir=$(mktemp -d)
port=$(free_port)
export CASTELLAN__SERVER__BIND="127.0.0.1:$port"
export CASTELLAN__AUTH__SIGNING_KEY_PATH="$workdir/signing.key"
export CASTELLAN__VAULT__KEK_PATH="$workdir/vault.kek"
export CASTELLAN__API_KEYS__PEPPER_PATH="$workdir/api-key-pepper.key"
export CASTELLAN__LOG__LEVEL=warn
export CASTELLAN__RATE_LIMIT__ENABLED=false
if [[ $MODE == production ]]; then
    db="castellan_t_export_$(date +%s)"
    psql "$PG_ADMIN" -qc "CREATE DATABASE $db"
    trap 'psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$workdir"' EXIT
    export CASTELLAN__DATABASE__URL="${PG_ADMIN%/*}/$db"
else
    trap 'rm -rf "$workdir"' EXIT
    export CASTELLAN__DATABASE__URL="sqlite://$workdir/castellan.db"
fi
export CASTELLAN__REDIS__URL=""

echo "== audit export, $MODE: filling $ENTRIES entries"
(cd "$workdir" && "$OLDPWD/target/release/castellan" seed --demo >/dev/null)
target/release/castellan-audit-fill --entries "$ENTRIES"
(cd "$workdir" && exec "$OLDPWD/target/release/castellan" serve) &
pid=$!
until curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1; do sleep 0.01; done
token=$(curl -fsS "http://127.0.0.1:$port/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"adminpass"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access"])')
sleep 1
idle=$(rss_kb "$pid")
peak=$idle
samples="$workdir/rss"
( while kill -0 "$pid" 2>/dev/null; do rss_kb "$pid" >>"$samples"; sleep 0.1; done ) &
sampler=$!
started=$(date +%s%N)
lines=$(curl -fsSN "http://127.0.0.1:$port/api/v1/audit-logs/export" -H "Authorization: Bearer $token" | wc -l)
finished=$(date +%s%N)
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$samples" | tail -1)
after=$(rss_kb "$pid")
kill -TERM "$pid"
wait "$pid" || true
ms=$(( (finished - started) / 1000000 ))
echo "exported $lines lines in $ms ms ($(( lines * 1000 / (ms + 1) )) lines/s)"
echo "server RSS: idle $((idle / 1024)) MB, peak during export $((peak / 1024)) MB, after $((after / 1024)) MB"
