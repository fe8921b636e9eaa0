# Release image of the companion server. Build: docker build -t course-companion .
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p companion-server --bin companion

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app companion
WORKDIR /app
COPY --from=build /src/target/release/companion /usr/local/bin/companion
COPY config ./config
COPY content ./content
RUN mkdir -p data && chown companion data
USER companion
ENV APP_ENV=production PORT=8000
EXPOSE 8000
CMD ["companion", "serve"]
