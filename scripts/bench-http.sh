#!/usr/bin/env bash
# Castellan against its ceiling in interleaved rounds (see scripts/bench_http.py): installs
# wrk with the system package manager when missing, builds the release binaries, makes a venv
# with matplotlib for the plots (under target/), then writes docs/benchmarks.md and
# docs/benchmarks/*.png. About 15 minutes with the defaults (ROUNDS=3, SECONDS_PER_RUN=10).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "installing wrk (apt-get)"
    sudo_if_needed=""
    [[ $(id -u) -eq 0 ]] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get install -y -q wrk >/dev/null
fi

cargo build --release -q -p castellan-server -p castellan-ceiling --bin castellan --bin castellan-ceiling

venv="${CARGO_TARGET_DIR:-target}/bench-venv"
if [[ ! -x $venv/bin/python ]]; then
    echo "creating $venv (matplotlib, for the plots)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'matplotlib==3.9.*'
fi
exec "$venv/bin/python" scripts/bench_http.py
