# The realtime relay image: our `host` binary and the realtime component, nothing else.
# Build from the repository root (BuildKit reads relay.Dockerfile.dockerignore beside this file):
#   docker build -f deploy/relay.Dockerfile -t ghcr.io/YOUR-ORG/owui-chats-relay:0.1.0 .
# Run: `host realtime ...` (deploy/relay.yaml passes the flags; see `host realtime --help`).

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
# A cold release build of the host takes ~30 min on 2 cores (Wasmtime and libSQL's C).
RUN cargo build --release --locked -p host \
 && cargo build --release --locked --target wasm32-wasip2 -p realtime

FROM debian:bookworm-slim
# CA roots for https:// libSQL servers (Turso) and rediss://.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/host /usr/local/bin/host
COPY --from=build /src/target/wasm32-wasip2/release/realtime.wasm /usr/local/share/owui-chats/realtime.wasm
# Unprivileged; the compiled-component cache goes to a writable volume (relay.yaml).
USER 65532:65532
WORKDIR /tmp
EXPOSE 3001
ENTRYPOINT ["host"]
CMD ["realtime", "--listen=0.0.0.0:3001", \
     "--realtime-component=/usr/local/share/owui-chats/realtime.wasm", \
     "--cache-dir=/tmp/owui-chats-cache"]
