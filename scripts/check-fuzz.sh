#!/usr/bin/env bash
# Contract fuzzing: schemathesis generates requests from the served /openapi.json, valid and
# invalid, and checks every answer against the document (`--checks all`: no 5xx, declared
# statuses, headers and schemas, valid input accepted, invalid input refused, 405 with `Allow`…).
#
#   scripts/check-fuzz.sh [path-to-companion-binary]     (default: ${CARGO_TARGET_DIR:-target}/release/companion)
#
# 1. installs schemathesis (pinned below) into a venv under ~/.cache/course-companion/tools
#    (COURSE_COMPANION_TOOLS) on first use;
# 2. starts the binary on a fresh temporary SQLite database and content folder on a free loopback
#    port, with the rate limits disabled (RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0):
#    the fuzzer sends thousands of requests a minute, and the 429s that would follow are the
#    limiter working, not the contract failing. BCRYPT_COST=4 for the same reason: the fuzzer
#    registers and logs in constantly, and hashing cost is not what is under test;
# 3. creates a premium and a free learner with `companion user create`;
# 4. runs `schemathesis run` with every check (`--checks all`, said in tests/fuzz/schemathesis.toml
#    so that its per-operation exceptions hold) over every operation, once as each learner, for
#    FUZZ_SECONDS (default 120) each, and fails when either run reports any failure. The last
#    line of each run (its summary) is printed at the end. The narrow exceptions, each with its
#    reason, are in tests/fuzz/schemathesis.toml (a check an operation cannot meet) and
#    tests/fuzz/hooks.py (inputs a JSON Schema cannot describe, left out of generation).
# The server is always stopped; its log and schemathesis's reports stay in a temporary directory
# on failure (KEEP_WORK=1 keeps them on success too).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=tests/clients/lib.sh
source "$ROOT/tests/clients/lib.sh"

BIN="${1:-${CARGO_TARGET_DIR:-target}/release/companion}"
[[ "$BIN" == /* ]] || BIN="$ROOT/$BIN"
SCHEMATHESIS_VERSION=4.32.5
TOOLS="${COURSE_COMPANION_TOOLS:-$HOME/.cache/course-companion/tools}"
VENV="$TOOLS/schemathesis-$SCHEMATHESIS_VERSION"
FUZZ_SECONDS="${FUZZ_SECONDS:-120}"
PASSWORD="fuzzing pass 1"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/companion-fuzz.XXXXXX")"
cleanup() {
    local status=$?
    stop_server
    if ((status != 0)) && [[ -f "$WORK/server/server.log" ]]; then
        echo "--- last lines of the server log ($WORK/server/server.log) ---" >&2
        tail -n 20 "$WORK/server/server.log" >&2
    fi
    if ((status != 0)) || [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ ! -x "$VENV/bin/schemathesis" ]]; then
    step "pip install schemathesis==$SCHEMATHESIS_VERSION (venv: $VENV)"
    mkdir -p "$TOOLS"
    python3 -m venv "$VENV" || fail "cannot create a venv in $VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
        || fail "pip install schemathesis failed"
fi

export RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0 BCRYPT_COST=4
start_server "$BIN" "$WORK/server"

# A learner of `tier`, created as an operator would, then signed in; prints the bearer token.
learner_token() {
    local tier="$1" email="fuzz-$1@example.com"
    APP__DATABASE__URL="sqlite://$WORK/server/companion.db?mode=rwc" \
        APP__STORAGE__LOCAL_DIR="$WORK/server/content" \
        "$BIN" user create --email "$email" --password "$PASSWORD" --tier "$tier" \
        >>"$WORK/cli.log" 2>&1 || fail "companion user create ($tier) failed: see $WORK/cli.log"
    curl -sf "$BASE_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\": \"$email\", \"password\": \"$PASSWORD\"}" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' \
        || fail "login as the $tier learner failed"
}

SUMMARIES=()
FAILED=()
fuzz_as() {
    local tier="$1" token log="$WORK/schemathesis-$1.log"
    token=$(learner_token "$tier")
    step "schemathesis run (all checks), as a $tier learner, for ${FUZZ_SECONDS} s"
    local status=0
    # --no-color keeps the log greppable; the reports show every failing request with curl.
    # Run from $WORK: schemathesis keeps a cache directory in the current one.
    (cd "$WORK" && NO_COLOR=1 PYTHONPATH="$ROOT/tests/fuzz" SCHEMATHESIS_HOOKS=hooks \
        "$VENV/bin/schemathesis" --config-file "$ROOT/tests/fuzz/schemathesis.toml" \
        run "$BASE_URL/openapi.json" \
        --header "Authorization: Bearer $token" \
        --max-time "$FUZZ_SECONDS" \
        --report junit --report-dir "$WORK/reports-$tier") \
        2>&1 | tee "$log" || status=$?
    SUMMARIES+=("$tier: $(grep -E '^=+ .* =+$' "$log" | tail -n 1)")
    ((status == 0)) || FAILED+=("$tier")
}

fuzz_as premium
fuzz_as free

step "summaries"
printf '  %s\n' "${SUMMARIES[@]}"
if ((${#FAILED[@]})); then
    failed=$(printf '%s, ' "${FAILED[@]}")
    fail "schemathesis reported failures as: ${failed%, } (logs and reports in $WORK)"
fi
echo "PASS: schemathesis found no disagreement between /openapi.json and the server"
