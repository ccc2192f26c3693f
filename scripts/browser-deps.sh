#!/usr/bin/env bash
# What the console's browser tests need: Chromium and chromedriver (Debian packages), and
# axe-core (pinned, checked against its sha256) for the accessibility check, cached under
# the target directory.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.10.3
AXE_SHA256=0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292
target="${CARGO_TARGET_DIR:-target}"
axe="$target/axe-core-$AXE_VERSION/axe.min.js"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

if [ ! -s "$axe" ]; then
    echo "fetching axe-core $AXE_VERSION"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    curl -fsSL "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz" -o "$tmp/axe.tgz"
    echo "$AXE_SHA256  $tmp/axe.tgz" | sha256sum -c --quiet -
    tar -xzf "$tmp/axe.tgz" -C "$tmp" package/axe.min.js
    mkdir -p "$(dirname "$axe")"
    mv "$tmp/package/axe.min.js" "$axe"
fi
echo "browser test dependencies ready: $(chromium --version 2>/dev/null | head -n1), axe-core $AXE_VERSION"
