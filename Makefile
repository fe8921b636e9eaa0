# Course Companion API. The README documents `make run` and `make test`; the rest are helpers.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BIN := $(TARGET_DIR)/release/companion

.PHONY: run build test lint fmt check-layers migrate import up down services services-stop bench

## Start the server on the embedded default (SQLite + ./data/content + the bundled course).
run: build
	$(BIN) serve

## Build the release binary.
build:
	$(CARGO) build --release --locked -p companion-server --bin companion

## Run every test. PostgreSQL/S3 tests run when TEST_DATABASE_URL / TEST_S3_ENDPOINT are set
## and say SKIPPED otherwise; the end-to-end tests drive the release binary.
test: build
	@mkdir -p $(TARGET_DIR)
	COMPANION_BIN=$(BIN) $(CARGO) test --locked --workspace 2>&1 | tee $(TARGET_DIR)/test-output.log
	@echo "Real-service tests: $$(grep -c '^RAN-AGAINST postgres' $(TARGET_DIR)/test-output.log || true) ran on PostgreSQL, $$(grep -c '^RAN-AGAINST s3' $(TARGET_DIR)/test-output.log || true) ran on S3, $$(grep -c '^SKIPPED' $(TARGET_DIR)/test-output.log || true) skipped:"
	@grep '^SKIPPED' $(TARGET_DIR)/test-output.log | sed 's/^/  /' || true

## Formatting, clippy and the layering rule.
lint: check-layers
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## The domain crate must not depend on the database, HTTP or storage stacks.
check-layers:
	@for banned in sea-orm actix-web rust-s3 tokio; do \
	  if [ -n "$$($(CARGO) tree --locked -p companion-domain -e normal -i $$banned 2>/dev/null)" ]; then \
	    echo "layering violation: companion-domain depends on $$banned"; exit 1; fi; \
	done; echo "layering ok: companion-domain depends on none of sea-orm, actix-web, rust-s3, tokio"

migrate: build
	$(BIN) migrate

## Import a course package: make import DIR=path/to/course
import: build
	$(BIN) import $(DIR)

## PostgreSQL + MinIO + the server in containers (needs a Docker engine).
up:
	docker compose up --build -d

down:
	docker compose down

## The same services without Docker: the `companion` database on the local PostgreSQL, and
## s3s-fs on :9000 with docker-compose.yml's bucket and keys. Prints the variables to export.
services:
	command -v s3s-fs >/dev/null || cargo install s3s-fs@0.14.1 --locked --features binary
	psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'companion'" | grep -q 1 \
	  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE companion"
	mkdir -p data/s3/course-content
	s3s-fs --host 127.0.0.1 --port 9000 --access-key companion --secret-key companion-secret data/s3 \
	  > data/s3s-fs.log 2>&1 & echo $$! > data/s3s-fs.pid
	@echo "export DATABASE_URL=postgres://postgres@127.0.0.1:5432/companion R2_ENDPOINT_URL=http://127.0.0.1:9000 R2_ACCESS_KEY_ID=companion R2_SECRET_ACCESS_KEY=companion-secret R2_BUCKET=course-content"

services-stop:
	kill $$(cat data/s3s-fs.pid) && rm data/s3s-fs.pid

## Load benchmark against a same-run baseline (wrk): SQLite, and PostgreSQL when
## BENCH_DATABASE_URL is set. Prints a table and keeps bench/results/<time>/.
bench:
	bash bench/run.sh
