# syntax=docker/dockerfile:1
# Release image of the Course Companion server (docs/deployment.md).
#   docker build -t course-companion .
#   docker run -e JWT_SECRET="$(openssl rand -hex 32)" -p 8000:8000 course-companion
# Without DATABASE_URL / R2_* it serves the embedded default (SQLite + a folder under /app/data).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and the target dir between builds (BuildKit); the binary
# is copied out of the cached target dir because a cache mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p companion-server --bin companion \
    && install -m 0755 target/release/companion /usr/local/bin/companion

FROM debian:bookworm-slim
# ca-certificates for TLS to Neon and R2; curl only for the HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 companion \
    && useradd --system --uid 10001 --gid companion --home-dir /app --shell /usr/sbin/nologin companion
WORKDIR /app
COPY --from=build /usr/local/bin/companion /usr/local/bin/companion
COPY config ./config
COPY content ./content
RUN mkdir -p data && chown companion:companion data
USER 10001:10001
# production: refuses the development JWT secret, JSON logs; listen on every interface.
ENV APP_ENV=production \
    APP__SERVER__HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "curl -fsS -o /dev/null \"http://127.0.0.1:${PORT:-8000}/health\" || exit 1"]
# SIGTERM drains in-flight requests (server.shutdown_timeout_secs, 30 s by default).
STOPSIGNAL SIGTERM
CMD ["companion", "serve"]
