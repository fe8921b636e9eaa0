#!/usr/bin/env bash
# Checks the interactive docs page in a real headless browser, offline.
#
#   scripts/check-docs.sh [path-to-companion-binary]
#
# Installs Debian's chromium (apt-get) when /usr/bin/chromium is missing and playwright-core
# (npm, pinned in tests/clients/docs/package-lock.json, cached under
# ~/.cache/course-companion/clients), starts the binary on a fresh temporary SQLite database and
# content folder on a free loopback port, opens /docs with every non-loopback request blocked,
# and asserts every operationId of /openapi.json renders exactly once. The full-page screenshot
# goes to ${ARTIFACTS_DIR:-artifacts}/docs.png. Also asks for unknown paths under /docs and fails
# on any 5xx. The server is always stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/clients/lib.sh
source "$ROOT/tests/clients/lib.sh"

BIN="${1:-${CARGO_TARGET_DIR:-target}/release/companion}"
[[ "$BIN" == /* ]] || BIN="$ROOT/$BIN"
ARTIFACTS="${ARTIFACTS_DIR:-artifacts}"
[[ "$ARTIFACTS" == /* ]] || ARTIFACTS="$ROOT/$ARTIFACTS"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/companion-docs.XXXXXX")"
cleanup() {
    local status=$?
    stop_server
    if ((status != 0)) && [[ -f "$WORK/server.log" ]]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 20 "$WORK/server.log" >&2
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_chromium

npm_install_cached "$ROOT/tests/clients/docs" "$CLIENTS_CACHE/docs"
ln -s "$CLIENTS_CACHE/docs/node_modules" "$WORK/node_modules"
cp "$ROOT/tests/clients/docs/check-docs.mjs" "$ROOT/tests/clients/docs/package.json" "$WORK/"

start_server "$BIN" "$WORK/server"

step "checking $BASE_URL/docs in headless chromium"
mkdir -p "$ARTIFACTS"
BASE_URL="$BASE_URL" SCREENSHOT="$ARTIFACTS/docs.png" CHROMIUM="$CHROMIUM" \
    node "$WORK/check-docs.mjs" || fail "/docs check failed (see above)"
echo "PASS: /docs (screenshot: $ARTIFACTS/docs.png)"
