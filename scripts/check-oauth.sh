#!/usr/bin/env bash
# The OAuth 2 authorization server (GPT Actions sign-in) end to end: a real OAuth client library
# (authlib) and a real browser (headless Debian chromium) against the release binary, offline.
#
#   scripts/check-oauth.sh [path-to-companion-binary]     (default: ${CARGO_TARGET_DIR:-target}/release/companion)
#
# 1. installs what is missing: Debian's chromium (apt-get) when /usr/bin/chromium is missing;
#    playwright-core (npm ci, tests/oauth/package-lock.json) and a venv with
#    tests/oauth/requirements.txt (authlib), both cached outside the repository in
#    ~/.cache/course-companion/clients (COMPANION_CLIENTS_CACHE);
# 2. starts the binary on a fresh temporary SQLite database and content folder on a free loopback
#    port, PUBLIC_URL set to it and rate limits off; starts the client's redirect URI, a callback
#    listener (tests/oauth/callback.py) on another free loopback port that records each query
#    string it receives; registers a client for it with `companion client create`;
# 3. runs tests/oauth/flow.py: the RFC 8414 metadata, then one authorization-code run with
#    client_secret_basic + PKCE S256 and one with client_secret_post, each with a new learner who
#    registers and clicks Allow in the browser (tests/oauth/browser.mjs, every non-loopback request
#    blocked and fatal); authlib exchanges the code, the token reads chapter 1 and marks it
#    complete, authlib refreshes (the refresh token must rotate) and revokes; the used code and the
#    rotated-out refresh token must be refused; then the first learner signs in again with the
#    sign-in form, and a new learner clicks Deny (error=access_denied).
# Screenshots of the sign-in and consent pages, 1280 and 375 px wide, go to
# ${ARTIFACTS_DIR:-artifacts}/oauth-{signin,consent}-{desktop,375}.png. The server and the listener
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
OAUTH="$ROOT/tests/oauth"
CLIENT_NAME="Course Companion OAuth check"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/companion-oauth.XXXXXX")"
trap 'finish_with_listener "$WORK"' EXIT
trap 'exit 130' INT TERM

# --- tools, cached outside the repository ------------------------------------------------------
ensure_chromium

npm_install_cached "$OAUTH" "$CLIENTS_CACHE/oauth"
mkdir -p "$WORK/browser"
cp "$OAUTH/browser.mjs" "$OAUTH/package.json" "$WORK/browser/"
ln -s "$CLIENTS_CACHE/oauth/node_modules" "$WORK/browser/node_modules"

VENV="$CLIENTS_CACHE/oauth-venv"
pip_install_cached "$OAUTH/requirements.txt" "$VENV"

# --- the server, the redirect URI, the client --------------------------------------------------
# The flow signs learners in many times a minute.
export RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0
start_server "$BIN" "$WORK/server"

start_callback_listener "$WORK"

step "companion client create --name '$CLIENT_NAME' --redirect-uri $REDIRECT_URI"
# The same database and storage as the running server (see start_server in tests/clients/lib.sh).
if ! APP__DATABASE__URL="sqlite://$WORK/server/companion.db?mode=rwc" \
    APP__STORAGE__LOCAL_DIR="$WORK/server/content" PUBLIC_URL="$BASE_URL" \
    "$BIN" client create --name "$CLIENT_NAME" --redirect-uri "$REDIRECT_URI" \
    >"$WORK/client.txt" 2>"$WORK/client.err"; then
    cat "$WORK/client.err" >&2
    fail "companion client create failed (its stderr above)"
fi
CLIENT_ID=$(awk '$1 == "client_id:" { print $2; exit }' "$WORK/client.txt")
CLIENT_SECRET=$(awk '$1 == "client_secret:" { print $2; exit }' "$WORK/client.txt")
[[ -n "$CLIENT_ID" && -n "$CLIENT_SECRET" ]] \
    || fail "companion client create printed no 'client_id: …' and 'client_secret: …' lines (stdout: $(grep -v secret "$WORK/client.txt" | head -c 300))"
step "client $CLIENT_ID registered"

# --- the flow ----------------------------------------------------------------------------------
step "OAuth flow (tests/oauth/flow.py: authlib + headless chromium)"
mkdir -p "$ARTIFACTS"
rm -f "$ARTIFACTS"/oauth-{signin,consent}-{desktop,375}.png "$ARTIFACTS"/oauth-failure-*.png
BASE_URL="$BASE_URL" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$CLIENT_SECRET" CLIENT_NAME="$CLIENT_NAME" \
    REDIRECT_URI="$REDIRECT_URI" CALLBACK_RECORD="$WORK/callback.record" \
    BROWSER_SCRIPT="$WORK/browser/browser.mjs" ARTIFACTS_DIR="$ARTIFACTS" CHROMIUM="$CHROMIUM" \
    PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" "$OAUTH/flow.py" \
    || fail "OAuth flow: the step named in the FAIL line above failed"

for shot in oauth-signin-desktop oauth-signin-375 oauth-consent-desktop oauth-consent-375; do
    [[ -s "$ARTIFACTS/$shot.png" ]] || fail "screenshot $ARTIFACTS/$shot.png is missing"
done
echo "PASS: OAuth sign-in with authlib and headless chromium (client_secret_basic + PKCE, client_secret_post, refresh rotation, revocation, sign-in, Deny; screenshots: $ARTIFACTS/oauth-*.png)"
