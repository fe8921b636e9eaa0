#!/usr/bin/env bash
# The services the tests need, without Docker: a fresh database on the local PostgreSQL and an
# s3s-fs server (a real S3 API that checks request signatures) with the bucket `course-content`.
# Exports what the tests read, runs the command, and cleans up on exit.
#
#   scripts/local-services.sh make test         run a command with the services (the usual use)
#   scripts/local-services.sh --install-tools   install s3s-fs if missing, nothing else
#   scripts/local-services.sh --pg-start        start the local PostgreSQL; returns once it accepts
#   scripts/local-services.sh --pg-stop         stop it (fast: open connections are ended)
#
# Exported for the command: TEST_DATABASE_URL (a fresh database; tests create theirs with its name
# as prefix), TEST_S3_ENDPOINT, TEST_S3_BUCKET, TEST_S3_ACCESS_KEY_ID, TEST_S3_SECRET_ACCESS_KEY,
# and E2E_DB_STOP_CMD / E2E_DB_START_CMD (shell commands for the PostgreSQL outage tests).
# On exit: s3s-fs is stopped, and the run's database and every database named with it as prefix
# are dropped WITH (FORCE). The command's exit status is the script's.
set -euo pipefail

SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER="${PGUSER:-postgres}"
S3S_FS_VERSION=0.14.1
BUCKET=course-content
export PATH="$HOME/.cargo/bin:$PATH"

log() { echo "local-services: $*" >&2; }

install_tools() {
  if ! command -v s3s-fs >/dev/null 2>&1; then
    log "installing s3s-fs@$S3S_FS_VERSION (once per machine)"
    cargo install "s3s-fs@$S3S_FS_VERSION" --locked --features binary
  fi
}

# "VERSION NAME" of the local cluster on $PG_PORT (Debian's postgresql-common layout).
pg_cluster() {
  local cluster
  cluster="$(pg_lsclusters --no-header 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; exit }')"
  if [ -z "$cluster" ]; then
    # No cluster claims the port in its config: fall back to the newest installed version's `main`.
    cluster="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1) main"
  fi
  [ "$cluster" != " main" ] || { log "no PostgreSQL cluster found under /etc/postgresql"; return 1; }
  echo "$cluster"
}

pg_ready() { pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; }

pg_start() {
  if ! pg_ready; then
    # shellcheck disable=SC2046 # "VERSION NAME" is two arguments
    pg_ctlcluster --skip-systemctl-redirect $(pg_cluster) start || pg_ready
  fi
  for _ in $(seq 1 120); do
    pg_ready && return 0
    sleep 0.5
  done
  log "PostgreSQL on $PG_HOST:$PG_PORT is not ready after 60 s"
  return 1
}

pg_stop() {
  # shellcheck disable=SC2046
  pg_ctlcluster --skip-systemctl-redirect $(pg_cluster) stop -m fast
}

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -Atq "$@"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

run_with_services() {
  install_tools
  pg_start

  RUN_DB="companion_run_$(date +%s)_$$"
  S3_ROOT="$(mktemp -d)"
  S3_PID=""
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  psql_admin -c "CREATE DATABASE \"$RUN_DB\""

  mkdir -p "$S3_ROOT/data/$BUCKET"
  local port key secret
  port="$(free_port)"
  key="test-$(random_hex 6)"
  secret="$(random_hex 24)"
  s3s-fs --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" "$S3_ROOT/data" \
    >"$S3_ROOT/s3s-fs.log" 2>&1 &
  S3_PID=$!
  local up=""
  for _ in $(seq 1 100); do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$up" ]; then
    log "s3s-fs did not start on 127.0.0.1:$port; its log:"
    cat "$S3_ROOT/s3s-fs.log" >&2
    exit 1
  fi

  export TEST_DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$RUN_DB"
  export TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export TEST_S3_BUCKET="$BUCKET"
  export TEST_S3_ACCESS_KEY_ID="$key"
  export TEST_S3_SECRET_ACCESS_KEY="$secret"
  E2E_DB_STOP_CMD="$(printf '%q --pg-stop' "$SELF")"
  E2E_DB_START_CMD="$(printf '%q --pg-start' "$SELF")"
  export E2E_DB_STOP_CMD E2E_DB_START_CMD
  log "PostgreSQL database $RUN_DB, s3s-fs on $TEST_S3_ENDPOINT (bucket $BUCKET)"

  local status=0
  "$@" || status=$?
  exit "$status"
}

cleanup() {
  local status=$?
  if [ -n "${S3_PID:-}" ]; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
  fi
  rm -rf "${S3_ROOT:?}"
  # A command that stopped PostgreSQL and failed before starting it again leaves it down.
  if ! pg_ready; then
    log "PostgreSQL is down after the run; starting it again"
    pg_start || true
  fi
  local db
  psql_admin -c "SELECT datname FROM pg_database WHERE left(datname, length('$RUN_DB')) = '$RUN_DB'" \
    2>/dev/null | while read -r db; do
    psql_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || log "could not drop $db"
  done || true
  return "$status"
}

case "${1:-}" in
  --install-tools) install_tools ;;
  --pg-start) pg_start ;;
  --pg-stop) pg_stop ;;
  "" | -h | --help) sed -n '2,16p' "$SELF" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ] ;;
  -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  *) run_with_services "$@" ;;
esac
