# shellcheck shell=bash
# Shared by the scripts/check-*.sh that drive the binary with clients (sourced, not run).
#
# Starts the companion binary on a fresh SQLite database and content folder, on a free
# loopback port, and stops it (always) when the calling script exits.

# Where pip/npm installs are kept between runs, outside the repository.
export CLIENTS_CACHE="${COMPANION_CLIENTS_CACHE:-$HOME/.cache/course-companion/clients}"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

step() {
    echo "==> $*"
}

# A TCP port nobody listens on right now, on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# sha256 of the given files, to tell whether a cached install is still current.
stamp_of() {
    cat "$@" | sha256sum | cut -d' ' -f1
}

# npm_install_cached <source dir with package.json + package-lock.json> <cache dir>
# Runs `npm ci` in the cache dir when the lock file changed since the last install.
npm_install_cached() {
    local source="$1" dir="$2" stamp
    command -v npm >/dev/null || fail "npm is not installed (Node 20 is needed)"
    mkdir -p "$dir"
    stamp=$(stamp_of "$source/package.json" "$source/package-lock.json")
    if [[ ! -d "$dir/node_modules" || "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]]; then
        step "npm ci ($source → $dir)"
        cp "$source/package.json" "$source/package-lock.json" "$dir/"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in $dir"
        echo "$stamp" >"$dir/.stamp"
    fi
}

# pip_install_cached <requirements.txt> <venv dir>
# Creates the venv (with ${PYTHON:-python3}) and installs the pinned requirements when they changed
# since the last install.
pip_install_cached() {
    local requirements="$1" venv="$2" stamp
    "${PYTHON:-python3}" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' \
        || fail "${PYTHON:-python3} is older than 3.9 (3.11 is what the pins are tested with)"
    stamp=$(stamp_of "$requirements")
    if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
        step "pip install -r $requirements (venv: $venv)"
        mkdir -p "$(dirname "$venv")"
        [[ -x "$venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$venv" \
            || fail "cannot create a venv in $venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" \
            || fail "pip install -r $requirements failed"
        echo "$stamp" >"$venv/.stamp"
    fi
}

# start_callback_listener <work dir>: an OAuth client's redirect URI on a free loopback port
# (tests/oauth/callback.py, appending each query string it receives to <work dir>/callback.record;
# its log is <work dir>/callback.log). Sets LISTENER_PID and REDIRECT_URI.
start_callback_listener() {
    local work="$1" port deadline
    port=$(free_port)
    REDIRECT_URI="http://127.0.0.1:$port/callback"
    step "starting the callback listener on $REDIRECT_URI"
    "${PYTHON:-python3}" "$(dirname "${BASH_SOURCE[0]}")/../oauth/callback.py" "$port" \
        "$work/callback.record" 2>"$work/callback.log" &
    LISTENER_PID=$!
    deadline=$((SECONDS + 20))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" == 404 ]]; do
        kill -0 "$LISTENER_PID" 2>/dev/null \
            || { LISTENER_PID=""; fail "the callback listener exited on start (its log below)"; }
        ((SECONDS < deadline)) || fail "the callback listener did not answer within 20 s"
        sleep 0.2
    done
}

stop_listener() {
    if [[ -n "${LISTENER_PID:-}" ]] && kill -0 "$LISTENER_PID" 2>/dev/null; then
        kill -TERM "$LISTENER_PID" 2>/dev/null || true
        wait "$LISTENER_PID" 2>/dev/null || true
    fi
    LISTENER_PID=""
}

# finish_with_listener <work dir>: the EXIT trap of a run with a server and a callback listener:
# stops both; on failure prints the end of their logs; removes the work dir unless KEEP_WORK=1.
finish_with_listener() {
    local status=$? work="$1"
    stop_listener
    stop_server
    if ((status != 0)); then
        if [[ -s "$work/callback.log" ]]; then
            echo "--- last lines of the callback listener's log ---" >&2
            tail -n 10 "$work/callback.log" >&2
        fi
        if [[ -f "$work/server/server.log" ]]; then
            echo "--- last lines of the server log ---" >&2
            tail -n 20 "$work/server/server.log" >&2
        fi
    fi
    if [[ "${KEEP_WORK:-0}" == 1 ]]; then
        echo "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}

# start_server <binary> <work dir>: sets SERVER_PID, BASE_URL and SERVER_LOG (callers print
# the log's tail on failure).
# Must be called from the repository root (the binary reads config/ and content/ there).
start_server() {
    local binary="$1" work="$2" port
    [[ -x "$binary" ]] || fail "no companion binary at $binary (build it with: make build)"
    port=$(free_port)
    BASE_URL="http://127.0.0.1:$port"
    SERVER_LOG="$work/server.log"
    mkdir -p "$work/content"
    step "starting $binary on $BASE_URL (log: $SERVER_LOG)"
    APP__DATABASE__URL="sqlite://$work/companion.db?mode=rwc" \
        APP__STORAGE__LOCAL_DIR="$work/content" \
        PORT="$port" PUBLIC_URL="$BASE_URL" \
        "$binary" serve >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 90)) status
    while :; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            SERVER_PID=""
            fail "the server exited before answering /health (see its log)"
        fi
        status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/health" || true)
        [[ "$status" == 200 ]] && break
        if ((SECONDS > deadline)); then
            fail "GET /health did not answer 200 within 90 s (last: $status)"
        fi
        sleep 0.3
    done
    step "server ready (pid $SERVER_PID)"
}

stop_server() {
    if [[ -n "${SERVER_PID:-}" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local deadline=$((SECONDS + 35))
        while kill -0 "$SERVER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# Debian's chromium at $CHROMIUM, installed with apt-get when missing (the browser checks).
ensure_chromium() {
    if [[ ! -x "$CHROMIUM" ]]; then
        step "installing chromium (apt-get)"
        local sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        $sudo apt-get update -qq || fail "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium \
            || fail "apt-get install chromium failed"
        [[ -x "$CHROMIUM" ]] || fail "chromium is still missing at $CHROMIUM"
    fi
    "$CHROMIUM" --version 2>/dev/null || fail "$CHROMIUM does not run"
}
