#!/usr/bin/env bash
# `make bench`: load-tests the release binary with wrk against a same-run baseline.
# SQLite always; PostgreSQL too when BENCH_DATABASE_URL is set (a fresh database is created
# on that server and dropped afterwards). Results: bench/results/<time>/ and a printed table.
# The review scenario is a learner's review session: half queue reads, half answers.
# Knobs: BENCH_CHAPTERS (1000), BENCH_DURATION seconds per run (8), BENCH_CONNECTIONS ("50 500"),
# BENCH_SCENARIOS (all; e.g. "chapter submit" to iterate on a few).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/companion
BASELINE=$TARGET/release/bench-baseline
DURATION=${BENCH_DURATION:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-"50 500"}
CHAPTERS=${BENCH_CHAPTERS:-1000}
PORT=${BENCH_PORT:-8181}
BASELINE_PORT=$((PORT + 1))
SCENARIOS=${BENCH_SCENARIOS:-"chapter outline quiz submit review progress checkin search search-cold chapter-during-logins sample"}
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
export BENCH_SCRIPTS=$ROOT/bench/scripts

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
cargo build --release --locked -p companion-server -p bench-baseline

WORK=$(mktemp -d /tmp/companion-bench.XXXXXX)
RESULTS=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "${BASELINE_PID:-}" ] && kill "$BASELINE_PID" 2>/dev/null || true
  [ -n "${PG_DB:-}" ] && psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "generating the synthetic course: $CHAPTERS chapters of ~30 KB, 5-question quizzes"
python3 bench/generate_course.py "$WORK/course" "$CHAPTERS"

ms_now() { date +%s%3N; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

wait_ready() { # url pid -> ms until 200
  local start; start=$(ms_now)
  until curl -sf -o /dev/null "$1"; do
    kill -0 "$2" 2>/dev/null || { echo "server died"; exit 1; }
    sleep 0.005
  done
  echo $(( $(ms_now) - start ))
}

# run_wrk LABEL CONNECTIONS SCRIPT [extra wrk args]: writes $RESULTS/$DB-LABEL-cN.txt with the
# wrk output plus the server's peak RSS.
run_wrk() {
  local label=$1 conns=$2 script=$3 out="$RESULTS/$DB-$1-c$2.txt"
  wanted "$label" || [ "$DB" = sample ] || return 0
  sleep 1 # let the previous scenario's in-flight requests drain
  wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s --latency -s "$script" "http://127.0.0.1:$PORT" > "$out" 2>&1 || true
  echo "peak_rss_mb: $(peak_rss_mb "$SERVER_PID")" >> "$out"
  echo "  $label at $conns connections: $(grep 'Requests/sec' "$out" | awk '{print $2}') req/s"
}

# submissions OUTCOME: the server's count of quiz submissions with that outcome so far.
submissions() {
  curl -sf "http://127.0.0.1:$PORT/metrics" |
    awk -v want="quiz_submissions_total{outcome=\"$1\"}" '$1 == want { n = $2 } END { print n + 0 }'
}

bench_database() { # DB label, DATABASE_URL
  DB=$1
  export DATABASE_URL=$2 PORT APP__STORAGE__LOCAL_DIR=$WORK/store-$DB APP__CONTENT__IMPORT_ON_FIRST_START=false
  export APP__LOG__LEVEL=warn RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0 BCRYPT_COST=12
  echo "== $DB: import"
  local started; started=$(ms_now)
  "$BIN" import "$WORK/course" 2>"$RESULTS/$DB-import.log"
  echo "import_ms: $(( $(ms_now) - started ))" > "$RESULTS/$DB-setup.txt"
  "$BIN" user create --email bench@example.com --password 'bench pass 1' --tier premium 2>/dev/null
  # Premium learners, so that the write scenarios may touch any chapter.
  for i in $(seq 1 64); do
    BCRYPT_COST=4 "$BIN" user create --email "learner$i@example.com" --password 'bench pass 1' --tier premium 2>/dev/null
  done

  echo "== $DB: start-up on an up-to-date database"
  "$BIN" serve > "$RESULTS/$DB-server.log" 2>&1 & SERVER_PID=$!
  echo "startup_ms: $(wait_ready "http://127.0.0.1:$PORT/health" "$SERVER_PID")" >> "$RESULTS/$DB-setup.txt"
  sleep 1
  echo "idle_rss_mb: $(rss_mb "$SERVER_PID")" >> "$RESULTS/$DB-setup.txt"

  local login='{"email":"bench@example.com","password":"bench pass 1"}'
  export BENCH_TOKEN; BENCH_TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' -d "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  for i in $(seq 1 64); do
    curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"email\":\"learner$i@example.com\",\"password\":\"bench pass 1\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
  done > "$WORK/tokens.txt"
  local auth="Authorization: Bearer $BENCH_TOKEN"
  curl -sf -H "$auth" "http://127.0.0.1:$PORT/api/v1/chapters" > "$WORK/outline.json"
  curl -sf -H "$auth" "http://127.0.0.1:$PORT/api/v1/quizzes" > "$WORK/quizzes.json"
  python3 - "$WORK" <<'PY'
import json, sys, urllib.parse
work = sys.argv[1]
quizzes = json.load(open(f"{work}/quizzes.json"))["items"]
open(f"{work}/quizzes.txt", "w").write("".join(f"/api/v1/quizzes/{q['id']}\n" for q in quizzes))
items = json.load(open(f"{work}/outline.json"))["items"]
open(f"{work}/chapters.txt", "w").write("".join(f"/api/v1/chapters/{c['id']}\n" for c in items))
open(f"{work}/slugs.txt", "w").write("".join(f"{c['slug']}\n" for c in items))
open(f"{work}/outline.txt", "w").write("/api/v1/chapters\n")
queries = ["tool call", "retrieval ranking", "\"vector embedding\"", "guardrail approval", "orchestratr",
           "step_42", "memory summary", "latency budget", "incident rollback", "citation grounding"]
open(f"{work}/search.txt", "w").write("".join(f"/api/v1/search?q={urllib.parse.quote(q)}\n" for q in queries))
# 20,000 distinct learner searches (terms of a chapter, questions in plain words): almost
# every request misses the result cache, so this measures the index itself.
sys.path.insert(0, "bench")
from generate_course import queries
cold = queries(20000, len(items))
open(f"{work}/search-cold.txt", "w").write("".join(f"/api/v1/search?q={urllib.parse.quote(q)}\n" for q in cold))
PY
  # The outline of 1,000 chapters is far larger than the 30 KB baseline body, so it is also
  # compared with the bare actix-web baseline serving a body of the outline's own size
  # (measured once, while the server idles).
  if wanted outline && [ ! -e "$RESULTS/baseline-outline-c50.txt" ]; then
    local size; size=$(stat -c %s "$WORK/outline.json")
    "$BASELINE" "$BASELINE_PORT" "$size" & BASELINE_PID=$!
    wait_ready "http://127.0.0.1:$BASELINE_PORT/" "$BASELINE_PID" >/dev/null
    for conns in $CONNECTIONS; do
      wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "http://127.0.0.1:$BASELINE_PORT/" > "$RESULTS/baseline-outline-c$conns.txt" 2>&1
      echo "body_bytes: $size" >> "$RESULTS/baseline-outline-c$conns.txt"
    done
    kill "$BASELINE_PID"; wait "$BASELINE_PID" 2>/dev/null || true; BASELINE_PID=""
  fi
  local quiz; quiz=$(head -1 "$WORK/quizzes.txt")
  export BENCH_SUBMIT_PATH=$quiz/submit
  export BENCH_SUBMIT_ANSWERS; BENCH_SUBMIT_ANSWERS=$(curl -sf -H "$auth" "http://127.0.0.1:$PORT$quiz" | python3 -c '
import json, sys
q = json.load(sys.stdin)["questions"]
print(json.dumps({x["id"]: (["A"] if x["kind"] == "multiple_choice" else ("true" if x["kind"] == "true_false" else "A")) for x in q}))')
  # The review scenario answers the first quiz's questions as the submit scenario does.
  python3 -c 'import json, os, sys; [print(q, json.dumps(a)) for q, a in json.loads(os.environ["BENCH_SUBMIT_ANSWERS"]).items()]' > "$WORK/review-cards.txt"
  export BENCH_TOKENS=$WORK/tokens.txt BENCH_LOGIN_BODY=$login BENCH_REVIEW_CARDS=$WORK/review-cards.txt

  for conns in $CONNECTIONS; do
    echo "== $DB: $conns connections"
    BENCH_PATHS=$WORK/chapters.txt run_wrk chapter "$conns" bench/scripts/get.lua
    BENCH_PATHS=$WORK/outline.txt run_wrk outline "$conns" bench/scripts/get.lua
    BENCH_PATHS=$WORK/quizzes.txt run_wrk quiz "$conns" bench/scripts/get.lua
    # Replays (a submission_id seen before, answered 200) counted by the server itself.
    local replays_before; replays_before=$(submissions replayed)
    BENCH_RUN_ID="$DB-c$conns-$(date +%s%N)" run_wrk submit "$conns" bench/scripts/submit.lua
    if wanted submit; then
      echo "replays: $(( $(submissions replayed) - replays_before ))" >> "$RESULTS/$DB-submit-c$conns.txt"
    fi
    BENCH_RUN_ID="$DB-review-c$conns-$(date +%s%N)" run_wrk review "$conns" bench/scripts/review.lua
    BENCH_PATHS=$WORK/slugs.txt run_wrk progress "$conns" bench/scripts/progress.lua
    run_wrk checkin "$conns" bench/scripts/checkin.lua
    BENCH_PATHS=$WORK/search.txt run_wrk search "$conns" bench/scripts/get.lua
    BENCH_PATHS=$WORK/search-cold.txt run_wrk search-cold "$conns" bench/scripts/get.lua
  done
  if wanted chapter-during-logins; then
  echo "== $DB: chapter reads while 20 connections log in (bcrypt cost 12)"
  wrk -t1 -c20 -d"${DURATION}s" --timeout 10s --latency -s bench/scripts/login.lua "http://127.0.0.1:$PORT/api/v1/auth/login" > "$RESULTS/$DB-login-c20.txt" 2>&1 &
  local login_pid=$!
  BENCH_PATHS=$WORK/chapters.txt run_wrk chapter-during-logins 50 bench/scripts/get.lua
  wait "$login_pid" || true
  echo "peak_rss_mb: $(peak_rss_mb "$SERVER_PID")" >> "$RESULTS/$DB-login-c20.txt"
  fi

  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

echo "== baseline: bare actix-web, same 30 KB body"
"$BASELINE" "$BASELINE_PORT" & BASELINE_PID=$!
wait_ready "http://127.0.0.1:$BASELINE_PORT/" "$BASELINE_PID" >/dev/null
for conns in $CONNECTIONS; do
  wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "http://127.0.0.1:$BASELINE_PORT/" > "$RESULTS/baseline-c$conns.txt" 2>&1
  echo "peak_rss_mb: $(peak_rss_mb "$BASELINE_PID")" >> "$RESULTS/baseline-c$conns.txt"
done
kill "$BASELINE_PID"; BASELINE_PID=""

# The bundled 10-chapter sample course on the zero-configuration default (SQLite, imported on
# first start): chapter reads at 500 connections, for the small-course memory target.
bench_sample() {
  DB=sample
  export DATABASE_URL="sqlite://$WORK/sample.db?mode=rwc" PORT APP__STORAGE__LOCAL_DIR=$WORK/store-sample
  export APP__CONTENT__IMPORT_ON_FIRST_START=true APP__LOG__LEVEL=warn RATE_LIMIT_PER_MINUTE=0 AUTH_RATE_LIMIT_PER_MINUTE=0
  echo "== sample course: chapter reads at 500 connections"
  "$BIN" serve > "$RESULTS/sample-server.log" 2>&1 & SERVER_PID=$!
  echo "startup_ms: $(wait_ready "http://127.0.0.1:$PORT/health" "$SERVER_PID")" > "$RESULTS/sample-setup.txt"
  sleep 1
  echo "idle_rss_mb: $(rss_mb "$SERVER_PID")" >> "$RESULTS/sample-setup.txt"
  local body='{"email":"sample@example.com","password":"bench pass 1"}'
  curl -sf "http://127.0.0.1:$PORT/api/v1/auth/register" -H 'content-type: application/json' -d "$body" >/dev/null
  export BENCH_TOKEN; BENCH_TOKEN=$(curl -sf "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' -d "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  # A free learner: the chapters the free tier opens.
  curl -sf -H "Authorization: Bearer $BENCH_TOKEN" "http://127.0.0.1:$PORT/api/v1/chapters" |
    python3 -c 'import json,sys; [print("/api/v1/chapters/" + c["id"]) for c in json.load(sys.stdin)["items"] if not c["locked"]]' > "$WORK/sample-chapters.txt"
  BENCH_PATHS=$WORK/sample-chapters.txt run_wrk chapter 500 bench/scripts/get.lua
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}
if wanted sample; then bench_sample; fi

bench_database sqlite "sqlite://$WORK/bench.db?mode=rwc"
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  PG_ADMIN=$BENCH_DATABASE_URL
  PG_DB="companion_bench_$(date +%s)"
  psql "$PG_ADMIN" -qc "CREATE DATABASE \"$PG_DB\""
  # Keep the URL's query (e.g. ?sslmode=disable) on the fresh database's URL.
  PG_BASE=${BENCH_DATABASE_URL%%\?*}
  bench_database postgres "${PG_BASE%/*}/$PG_DB${BENCH_DATABASE_URL#"$PG_BASE"}"
fi

python3 bench/report.py "$RESULTS" | tee "$RESULTS/report.md"
cp "$RESULTS/results.json" "$RESULTS.json"
echo "results: $RESULTS.json (raw wrk outputs in $RESULTS/)"
