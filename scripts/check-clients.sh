#!/usr/bin/env bash
# Generated clients against the real binary: the OpenAPI document must be valid and good enough
# for generators, and a learner's whole journey must work through what they generate.
#
#   scripts/check-clients.sh [path-to-companion-binary]     (default: ${CARGO_TARGET_DIR:-target}/release/companion)
#
# 1. installs what is missing, cached outside the repository in ~/.cache/course-companion/clients
#    (COMPANION_CLIENTS_CACHE): a venv with tests/clients/python/requirements.txt, and
#    node_modules from tests/clients/typescript/package-lock.json;
# 2. starts the binary on a fresh temporary SQLite database and content folder on a free
#    loopback port, with PUBLIC_URL set to it, and waits for /health;
# 3. fetches /openapi.json, checks `servers` is PUBLIC_URL, validates it with
#    openapi-spec-validator;
# 4. Python: generates a client with openapi-python-client (warnings fail the check unless
#    CLIENTS_ALLOW_WARNINGS=1) and runs tests/clients/python/journey.py with it;
# 5. TypeScript: generates types with openapi-typescript, type-checks
#    tests/clients/typescript/journey.ts against them (tsc --noEmit) and runs it (tsx) with
#    openapi-fetch.
# Generated code lives in a temporary directory, removed on exit (KEEP_WORK=1 keeps it). The
# server is always stopped. Exits non-zero, naming every failed stage, on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/clients/lib.sh
source "$ROOT/tests/clients/lib.sh"

BIN="${1:-${CARGO_TARGET_DIR:-target}/release/companion}"
[[ "$BIN" == /* ]] || BIN="$ROOT/$BIN"
PYTHON="${PYTHON:-python3}"
CLIENTS="$ROOT/tests/clients"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/companion-clients.XXXXXX")"
cleanup() {
    local status=$?
    stop_server
    if ((status != 0)) && [[ -f "$WORK/server/server.log" ]]; then
        echo "--- last lines of the server log ($WORK/server/server.log) ---" >&2
        tail -n 20 "$WORK/server/server.log" >&2
    fi
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools, cached outside the repository ------------------------------------------------------
VENV="$CLIENTS_CACHE/venv"
pip_install_cached "$CLIENTS/python/requirements.txt" "$VENV"
npm_install_cached "$CLIENTS/typescript" "$CLIENTS_CACHE/typescript"

# --- the server and its document ---------------------------------------------------------------
start_server "$BIN" "$WORK/server"
DOC="$WORK/openapi.json"
curl -sf "$BASE_URL/openapi.json" -o "$DOC" || fail "GET /openapi.json failed"
step "fetched /openapi.json ($(wc -c <"$DOC") bytes)"

FAILED=()
"$VENV/bin/python" - "$DOC" "$BASE_URL" <<'EOF' || FAILED+=("servers")
import json, sys
doc = json.load(open(sys.argv[1]))
servers = [s.get("url") for s in doc.get("servers", [])]
if servers[:1] != [sys.argv[2]]:
    sys.exit(f"FAIL: servers is {servers}, expected [{sys.argv[2]!r}] (from PUBLIC_URL)")
print(f"ok  servers = {servers}")
EOF

step "openapi-spec-validator"
"$VENV/bin/openapi-spec-validator" "$DOC" || FAILED+=("openapi-spec-validator")

# --- Python: openapi-python-client -------------------------------------------------------------
step "openapi-python-client generate"
strict=(--fail-on-warning)
[[ "${CLIENTS_ALLOW_WARNINGS:-0}" == 1 ]] && strict=()
if "$VENV/bin/openapi-python-client" generate --path "$DOC" \
    --config "$CLIENTS/python/openapi-python-client.yaml" --meta none \
    --output-path "$WORK/python/companion_client" "${strict[@]}" >"$WORK/python-generate.log" 2>&1; then
    cat "$WORK/python-generate.log"
    step "Python journey"
    BASE_URL="$BASE_URL" PYTHONPATH="$WORK/python" PYTHONDONTWRITEBYTECODE=1 \
        "$VENV/bin/python" "$CLIENTS/python/journey.py" || FAILED+=("python journey")
else
    cat "$WORK/python-generate.log" >&2
    echo "FAIL: openapi-python-client could not generate a client without warnings" \
        "(CLIENTS_ALLOW_WARNINGS=1 tolerates warnings)" >&2
    FAILED+=("openapi-python-client")
fi

# --- TypeScript: openapi-typescript + openapi-fetch --------------------------------------------
TS="$WORK/typescript"
mkdir -p "$TS/generated"
cp "$CLIENTS/typescript/journey.ts" "$CLIENTS/typescript/tsconfig.json" \
    "$CLIENTS/typescript/package.json" "$TS/"
ln -s "$CLIENTS_CACHE/typescript/node_modules" "$TS/node_modules"
step "openapi-typescript"
if (cd "$TS" && ./node_modules/.bin/openapi-typescript "$DOC" -o generated/api.d.ts); then
    step "tsc --noEmit (journey.ts against the generated types)"
    if (cd "$TS" && ./node_modules/.bin/tsc --noEmit -p .); then
        step "TypeScript journey"
        (cd "$TS" && BASE_URL="$BASE_URL" ./node_modules/.bin/tsx journey.ts) \
            || FAILED+=("typescript journey")
    else
        echo "FAIL: journey.ts does not type-check against the document's types" >&2
        FAILED+=("tsc")
    fi
else
    FAILED+=("openapi-typescript")
fi

if ((${#FAILED[@]})); then
    failed=$(printf '%s, ' "${FAILED[@]}")
    fail "generated clients: ${failed%, } failed (details above)"
fi
echo "PASS: document valid; Python and TypeScript generated clients completed the learner journey"
