# The xero-sync binary in a small image: built in a Rust image, run in Debian slim.
#   docker build -t xero-sync .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p xero-sync-workers --bin xero-sync \
 && cp target/release/xero-sync /usr/local/bin/xero-sync

FROM debian:bookworm-slim
# curl answers the health checks; ca-certificates lets the binary reach Xero over TLS.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 xero-sync
COPY --from=build /usr/local/bin/xero-sync /usr/local/bin/xero-sync
USER xero-sync
# A worker's /healthz, /readyz and /metrics.
EXPOSE 9464
ENTRYPOINT ["xero-sync"]
CMD ["worker"]
