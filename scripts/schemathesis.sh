#!/usr/bin/env bash
# Schema-driven API tests: schemathesis reads the OpenAPI document the server itself serves
# (/api/v1/schema) and throws generated requests at every operation, checking each response
# against that document (status codes, content types, headers, bodies) and for server errors,
# accepted invalid input, rejected valid input, ignored authentication, 405s without `Allow`,
# use after delete, and so on (`--checks all`).
#
# The server is started here, on the embedded default (SQLite + in-process token store) in a
# throwaway directory, on a free loopback port, seeded with the demo data; requests carry the
# demo superuser's access token. Only 127.0.0.1 is ever contacted; the run is bounded by
# schemathesis's own time budget and by `timeout`; the server is stopped on exit.
#
# Usage: scripts/schemathesis.sh [path/to/castellan]      (default: target/debug/castellan)
# Environment (all optional):
#   SCHEMATHESIS_MAX_TIME      time budget of the run in seconds (default 100)
#   SCHEMATHESIS_MAX_EXAMPLES  generated cases per operation and phase (default 30)
#   SCHEMATHESIS_WORKERS       concurrent workers (default 1: CPython 3.11 before 3.11.8 can
#                              fail "AST constructor recursion depth mismatch" with several)
#   SCHEMATHESIS_SEED          random seed, to replay a run
#   SCHEMATHESIS_OUT           where the reports go (default target/schemathesis)
# Exit status: 0 when every check passed, non-zero on any failure, server error or crash.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BIN=${1:-${CASTELLAN_BIN:-target/debug/castellan}}
[[ $BIN == /* ]] || BIN="$ROOT/$BIN"
if [[ ! -x $BIN ]]; then
    echo "schemathesis.sh: no castellan binary at $BIN (cargo build -p castellan-server)" >&2
    exit 2
fi

MAX_TIME=${SCHEMATHESIS_MAX_TIME:-100}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-30}
WORKERS=${SCHEMATHESIS_WORKERS:-1}
OUT=${SCHEMATHESIS_OUT:-target/schemathesis}
[[ $OUT == /* ]] || OUT="$ROOT/$OUT"

# --- schemathesis, pinned, in a venv under target/ (gitignored) ------------------------------
# 4.x: the current line (`--max-time`, the coverage/stateful phases and the
# negative_data_rejection, positive_data_acceptance, ignored_auth, allow_header_conformance
# checks exist only there). Its dependencies are pinned too, so a run means the same thing
# from one day to the next; bump them together (pip freeze of a fresh venv).
SCHEMATHESIS_VERSION=4.32.5
VENV="$ROOT/target/schemathesis-venv"
CONSTRAINTS=$(
    cat <<EOF
schemathesis==$SCHEMATHESIS_VERSION
anyio==4.16.0
certifi==2026.10.19.post1
charset-normalizer==3.5.3
click==8.5.1
graphql-core==3.3.2
harfile==0.6.0
hypothesis==6.170.17
hypothesis-graphql==0.13.5
idna==3.20
iniconfig==2.3.1
jsonschema_rs==0.60.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
packaging==26.4
pluggy==1.7.0
Pygments==2.21.0
pyrate-limiter==4.5.1
pytest==9.2.0
PyYAML==6.0.4
requests==2.34.2
rich==15.0.0
sortedcontainers==2.4.0
typing_extensions==4.16.0
urllib3==2.8.0
Werkzeug==3.1.9
EOF
)
if [[ ! -x $VENV/bin/schemathesis || "$(cat "$VENV/.castellan-pins" 2>/dev/null)" != "$CONSTRAINTS" ]]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into ${VENV#"$ROOT"/}"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if python3 -m venv "$VENV" 2>/dev/null; then
        pip=("$VENV/bin/python" -m pip)
    else
        # Debian without python3-venv (no ensurepip): a bare venv, filled by the system pip.
        rm -rf "$VENV"
        python3 -m venv --without-pip "$VENV"
        pip=(python3 -m pip --python "$VENV/bin/python")
    fi
    printf '%s\n' "$CONSTRAINTS" >"$VENV/constraints.txt"
    "${pip[@]}" install --quiet --disable-pip-version-check --no-input \
        -c "$VENV/constraints.txt" "schemathesis==$SCHEMATHESIS_VERSION"
    printf '%s' "$CONSTRAINTS" >"$VENV/.castellan-pins"
fi
"$VENV/bin/schemathesis" --version

# --- the server under test -------------------------------------------------------------------
# Loopback only, whatever proxy the environment names.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy CASTELLAN_CONFIG

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/castellan-schemathesis.XXXXXX")
SERVER_PID=

cleanup() {
    local status=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -s $WORKDIR/server.log ]]; then
        mkdir -p "$OUT"
        cp "$WORKDIR/server.log" "$OUT/server.log"
        echo "server log: ${OUT#"$ROOT"/}/server.log" >&2
    fi
    rm -rf "$WORKDIR"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CASTELLAN__SERVER__BIND="127.0.0.1:$PORT"
export CASTELLAN__DATABASE__URL="sqlite://$WORKDIR/castellan.db"
export CASTELLAN__REDIS__URL=""
export CASTELLAN__AUTH__SIGNING_KEY_PATH="$WORKDIR/signing.key"
export CASTELLAN__VAULT__KEK_PATH="$WORKDIR/vault.kek"
export CASTELLAN__API_KEYS__PEPPER_PATH="$WORKDIR/api-key-pepper.key"
export CASTELLAN__AUTH__SIGNING_KEY_PEM=""
export CASTELLAN__RATE_LIMIT__ENABLED=false
export CASTELLAN__MAIL__SMTP_URL=""
export CASTELLAN__MAIL__DEV_OUTBOX_ROUTE=true
export CASTELLAN__LOG__FORMAT=pretty
export CASTELLAN__LOG__LEVEL=${CASTELLAN__LOG__LEVEL:-warn}

echo "== castellan ($BIN) on $BASE, data in $WORKDIR"
(cd "$WORKDIR" && "$BIN" seed --demo >"$WORKDIR/seed.log" 2>&1) || { cat "$WORKDIR/seed.log" >&2; exit 1; }
(cd "$WORKDIR" && exec "$BIN" serve >"$WORKDIR/server.log" 2>&1) &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -fsS --noproxy '*' -o /dev/null "$BASE/api/v1/health" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "castellan exited at start:" >&2; cat "$WORKDIR/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS --noproxy '*' -o /dev/null "$BASE/api/v1/health" || { echo "castellan did not answer /health in 30 s" >&2; exit 1; }

# The demo superuser's access token (900 s: longer than the run, so no re-login is needed).
login() {
    curl -fsS --noproxy '*' -X POST "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d '{"email":"admin@example.com","password":"adminpass"}' |
        "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["data"]["access"])'
}
TOKEN=$(login)
me() { curl -fsS --noproxy '*' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/auth/me"; }
SELF_ID=$(me | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')

# The superuser can also end its own session through /users/{id} (soft delete, deactivation),
# and schemathesis finds its id in responses. A hook turns exactly those requests harmless:
# DELETE /users/<self> goes to an unknown id instead (404), PATCH /users/<self> keeps
# is_active true. Every such rewrite is counted in the summary.
cat >"$WORKDIR/hooks.py" <<'PY'
import os
import uuid

import schemathesis

SELF = uuid.UUID(os.environ["CASTELLAN_SELF_ID"])
LOG = os.environ["CASTELLAN_HOOK_LOG"]


def _is_self(value):
    try:
        return uuid.UUID(str(value).strip()) == SELF
    except ValueError:
        return False


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/api/v1/users/{id}" or not _is_self((case.path_parameters or {}).get("id")):
        return
    method = case.method.upper()
    if method == "DELETE":
        case.path_parameters["id"] = str(uuid.uuid4())
    elif method == "PATCH" and isinstance(case.body, dict) and case.body.get("is_active") is False:
        case.body["is_active"] = True
    else:
        return
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(f"{method} /api/v1/users/<self>\n")
PY
export SCHEMATHESIS_HOOKS="$WORKDIR/hooks.py" CASTELLAN_SELF_ID="$SELF_ID" CASTELLAN_HOOK_LOG="$WORKDIR/hook.log"
: >"$WORKDIR/hook.log"

# --- the run ---------------------------------------------------------------------------------
rm -rf "$OUT/reports"
mkdir -p "$OUT"
# Our own configuration: the policy in scripts/schemathesis.toml plus where the caches go
# (with HYPOTHESIS_STORAGE_DIRECTORY, under $OUT instead of ./.schemathesis and
# ./.hypothesis), so that no schemathesis.toml lying around applies.
export HYPOTHESIS_STORAGE_DIRECTORY="$OUT/hypothesis"
{
    cat "$ROOT/scripts/schemathesis.toml"
    printf '\n[cache]\ndirectory = "%s"\n' "$OUT/cache"
} >"$WORKDIR/schemathesis.toml"
# Left out: only the operations that end the caller's own session (the token must stay valid).
args=(
    --config-file "$WORKDIR/schemathesis.toml"
    run "$BASE/api/v1/schema"
    --url "$BASE"
    --header "Authorization: Bearer $TOKEN"
    --checks all
    --max-examples "$MAX_EXAMPLES"
    --max-time "$MAX_TIME"
    --workers "$WORKERS"
    --request-timeout 10
    --exclude-name "POST /api/v1/auth/logout"
    --exclude-name "POST /api/v1/auth/logout-all"
    --exclude-name "DELETE /api/v1/auth/me"
    --exclude-name "POST /api/v1/auth/password/change"
    --exclude-name "DELETE /api/v1/auth/sessions/{id}"
    --generation-database "$OUT/examples"
    --report junit,ndjson
    --report-dir "$OUT/reports"
    --no-color
)
[[ -z ${SCHEMATHESIS_SEED:-} ]] || args+=(--seed "$SCHEMATHESIS_SEED")

echo "== schemathesis (budget ${MAX_TIME} s, ${MAX_EXAMPLES} cases per operation, ${WORKERS} workers)"
started=$(date +%s)
status=0
timeout --kill-after=15 $((MAX_TIME + 60)) "$VENV/bin/schemathesis" "${args[@]}" || status=$?
elapsed=$(($(date +%s) - started))

# --- summary ---------------------------------------------------------------------------------
token_note="the token was still valid at the end"
if ! me >/dev/null; then
    token_note="THE TOKEN WAS NO LONGER VALID AT THE END (the 401s after that point are artefacts)"
    [[ $status -ne 0 ]] || status=1
fi
rewrites=$(wc -l <"$WORKDIR/hook.log")
token_note="$token_note; $rewrites self-targeting request(s) on /users/{id} defused"
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "castellan died during the run" >&2
    [[ $status -ne 0 ]] || status=1
fi
[[ $status -ne 124 && $status -ne 137 ]] || echo "schemathesis overran its budget and was stopped by timeout" >&2
"$VENV/bin/python" - "$OUT/reports" "$elapsed" "$status" "$token_note" <<'PY' || true
import glob, json, sys
from collections import Counter, defaultdict

reports, elapsed, status, note = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
codes, failing = Counter(), defaultdict(set)
for path in glob.glob(f"{reports}/*.ndjson"):
    with open(path, encoding="utf-8") as events:
        for line in events:
            scenario = json.loads(line).get("ScenarioFinished")
            if not scenario:
                continue
            recorder = scenario["recorder"]
            for interaction in recorder.get("interactions", {}).values():
                if interaction.get("response"):
                    codes[interaction["response"]["status_code"]] += 1
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if check.get("status") == "failure":
                        failure = check["failure_info"]["failure"]
                        failing[f"{failure['code']} {failure['title']} ({check['name']})"].add(failure["operation"])
print("== summary")
print(f"schemathesis exit status {status} after {elapsed} s; {note}")
print(f"{sum(codes.values())} responses: " + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())))
for title, operations in sorted(failing.items()):
    print(f"{title}: {len(operations)} operation(s)")
    for operation in sorted(operations, key=lambda o: (o.split()[1], o.split()[0])):
        print(f"    {operation}")
print("result: " + ("PASSED" if status == 0 else "FAILED"))
PY
exit "$status"
