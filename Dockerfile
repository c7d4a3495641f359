# Moisson: build stage with the Rust toolchain (RocksDB is C++: g++ and libclang-dev),
# runtime stage on Debian slim with a non-root user and the data folder as a volume.
#
#   docker build -t moisson .
#   docker run -p 8080:8080 -v moisson-data:/data -v ./moisson.toml:/etc/moisson/moisson.toml:ro moisson
#
# The configuration is read from /etc/moisson/moisson.toml; MOISSON_* variables override
# any key (MOISSON_SERVER_PUBLIC_URL, MOISSON_ADMIN_TOKEN…).

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make libclang-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not rebuild RocksDB.
COPY Cargo.toml Cargo.lock ./
COPY catalog/Cargo.toml catalog/
COPY harvester/Cargo.toml harvester/
COPY search/Cargo.toml search/
COPY demo/Cargo.toml demo/
COPY web/Cargo.toml web/
COPY tests/Cargo.toml tests/
RUN for crate in catalog harvester search demo; do mkdir -p $crate/src && echo '' > $crate/src/lib.rs; done \
 && mkdir -p web/src tests/src tests/tests \
 && echo '' > web/src/lib.rs && echo 'fn main() {}' > web/src/main.rs \
 && echo '' > tests/src/lib.rs && echo '' > tests/tests/integration.rs \
 && cargo build --release --locked -p moisson-web \
 && rm -rf catalog/src harvester/src search/src demo/src web/src tests/src tests/tests
COPY . .
# The placeholder crates were built with older timestamps than the real sources.
RUN touch catalog/src/lib.rs harvester/src/lib.rs search/src/lib.rs demo/src/lib.rs web/src/lib.rs web/src/main.rs \
 && cargo build --release --locked -p moisson-web \
 && strip target/release/moisson

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system moisson \
 && useradd --system --gid moisson --home-dir /data --no-create-home --shell /usr/sbin/nologin moisson \
 && mkdir -p /data /etc/moisson \
 && chown moisson:moisson /data
COPY --from=build /src/target/release/moisson /usr/local/bin/moisson
COPY moisson.example.toml /etc/moisson/moisson.example.toml
ENV MOISSON_DATA_DIR=/data \
    MOISSON_SERVER_BIND=0.0.0.0:8080 \
    RUST_LOG=moisson=info,moisson_web=info,tower_http=warn
USER moisson
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# SIGTERM stops scheduling, lets running harvests finish within the grace delay, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/moisson"]
CMD ["serve", "--config", "/etc/moisson/moisson.toml"]
