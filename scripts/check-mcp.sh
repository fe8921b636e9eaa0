#!/usr/bin/env bash
# The MCP door end to end: two official MCP SDK clients (Python and TypeScript) and a real browser
# (headless Debian chromium) against the release binary, offline.
#
#   scripts/check-mcp.sh [path-to-companion-binary]     (default: ${CARGO_TARGET_DIR:-target}/release/companion)
#
# 1. installs what is missing: Debian's chromium (apt-get) when /usr/bin/chromium is missing;
#    @modelcontextprotocol/sdk and playwright-core (npm ci, tests/mcp/package-lock.json) and a
#    venv with tests/mcp/requirements.txt (the Python SDK, `mcp`), both cached outside the
#    repository in ~/.cache/course-companion/clients (COMPANION_CLIENTS_CACHE);
# 2. starts the binary on a fresh temporary SQLite database and content folder on a free loopback
#    port, PUBLIC_URL set to it and rate limits off; starts the client's redirect URI, a callback
#    listener (tests/oauth/callback.py) on another free loopback port that records each query
#    string it receives. No client is created beforehand: the SDK registers itself (RFC 7591);
# 3. runs tests/mcp/flow.py: the unauthenticated 401 and its protected-resource metadata, then the
#    Python SDK's streamable HTTP client with its OAuthClientProvider (discovery, dynamic
#    registration as a public client, PKCE S256, resource) while a new learner registers and
#    clicks Allow in the browser (tests/oauth/browser.mjs, every non-loopback request blocked and
#    fatal); then tools, prompts and resources lists, a chapter verbatim as a tool result and as
#    a resource, search, a quiz passed with the answers of content/quizzes/, upgrade_required for
#    chapter 4, validation refusals, progress through MCP equal to progress through REST. The
#    get_quiz result is saved as JSON to GET_QUIZ_JSON (default: get_quiz.json in the temporary
#    work folder, which KEEP_WORK=1 keeps) for the quiz widget's test. The widget resource must be
#    crates/mcp/assets/quiz-widget.html verbatim (QUIZ_WIDGET_FILE names another file; empty
#    skips the comparison, for a binary built from another tree);
# 4. runs tests/mcp/ts-client.mjs: the TypeScript SDK's Client over StreamableHTTPClientTransport
#    with a password token (POST /api/v1/auth/register) as its bearer: tools/list, search_course.
# Screenshots of the sign-in and consent pages, 1280 and 375 px wide, go to
# ${ARTIFACTS_DIR:-artifacts}/mcp-{signin,consent}-{desktop,375}.png. The server and the listener
# are always stopped. Exits non-zero with a FAIL line naming the failed step.
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
PYTHON="${PYTHON:-python3}"
MCP="$ROOT/tests/mcp"
OAUTH="$ROOT/tests/oauth"
CLIENT_NAME="Course Companion MCP check"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/companion-mcp.XXXXXX")"
GET_QUIZ_JSON="${GET_QUIZ_JSON:-$WORK/get_quiz.json}"
[[ "$GET_QUIZ_JSON" == /* ]] || GET_QUIZ_JSON="$ROOT/$GET_QUIZ_JSON"
trap 'finish_with_listener "$WORK"' EXIT
trap 'exit 130' INT TERM

# --- tools, cached outside the repository ------------------------------------------------------
ensure_chromium

npm_install_cached "$MCP" "$CLIENTS_CACHE/mcp"
mkdir -p "$WORK/node"
cp "$OAUTH/browser.mjs" "$MCP/ts-client.mjs" "$MCP/package.json" "$WORK/node/"
ln -s "$CLIENTS_CACHE/mcp/node_modules" "$WORK/node/node_modules"

VENV="$CLIENTS_CACHE/mcp-venv"
pip_install_cached "$MCP/requirements.txt" "$VENV"

# --- the server and the redirect URI -----------------------------------------------------------
# The flow signs learners in and calls tools many times a minute.
export RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0
start_server "$BIN" "$WORK/server"

start_callback_listener "$WORK"

# --- the Python SDK over OAuth -----------------------------------------------------------------
step "MCP flow (tests/mcp/flow.py: the Python SDK with OAuth + headless chromium)"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/mcp-{signin,consent}-{desktop,375}.png "$ARTIFACTS"/mcp-failure-*.png "$GET_QUIZ_JSON"
BASE_URL="$BASE_URL" CLIENT_NAME="$CLIENT_NAME" REDIRECT_URI="$REDIRECT_URI" \
    CALLBACK_RECORD="$WORK/callback.record" BROWSER_SCRIPT="$WORK/node/browser.mjs" \
    ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM="$CHROMIUM" GET_QUIZ_JSON="$GET_QUIZ_JSON" \
    CONTENT_DIR="$ROOT/content" PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$MCP/flow.py" \
    || fail "MCP flow (Python SDK): the step named in the FAIL line above failed"

for shot in mcp-signin-desktop mcp-signin-375 mcp-consent-desktop mcp-consent-375; do
    [[ -s "$ARTIFACTS/$shot.png" ]] || fail "screenshot $ARTIFACTS/$shot.png is missing"
done
[[ -s "$GET_QUIZ_JSON" ]] || fail "the flow saved no get_quiz result at $GET_QUIZ_JSON"
step "get_quiz result saved to $GET_QUIZ_JSON"

# --- the quiz widget, rendered from the real get_quiz result ------------------------------------
step "quiz widget (tests/mcp-widget/widget.mjs: headless chromium, stub host bridges)"
cp "$ROOT/tests/mcp-widget/widget.mjs" "$WORK/node/"
CHROMIUM="$CHROMIUM" node "$WORK/node/widget.mjs" "$ROOT/crates/mcp/assets/quiz-widget.html" \
    "$GET_QUIZ_JSON" "$ARTIFACTS" \
    || fail "quiz widget: the step named in the FAIL line above failed"
for shot in quiz-widget-desktop quiz-widget-375; do
    [[ -s "$ARTIFACTS/$shot.png" ]] || fail "screenshot $ARTIFACTS/$shot.png is missing"
done

# --- the TypeScript SDK with a password token --------------------------------------------------
step "second client (tests/mcp/ts-client.mjs: @modelcontextprotocol/sdk, password token)"
BASE_URL="$BASE_URL" node "$WORK/node/ts-client.mjs" \
    || fail "MCP client (TypeScript SDK): the step named in the FAIL line above failed"

echo "PASS: MCP door with the Python SDK over OAuth (discovery, dynamic registration, PKCE; a learner registered in headless chromium) and the TypeScript SDK with a password token (tools, prompts, resources, chapter verbatim, search, quiz, upgrade_required, validation, progress = REST), and the quiz widget from the real get_quiz result calling submit_quiz (screenshots: $ARTIFACTS/mcp-*.png, $ARTIFACTS/quiz-widget-*.png)"
