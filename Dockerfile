# orgdesign: multi-stage build, slim non-root runtime.
#
#   docker build -t orgdesign .
#   export ORGDESIGN_JWT_SECRET="$(openssl rand -base64 48)"   # keep it: it signs tokens
#   docker run -p 8080:8080 -v orgdesign-data:/data -e ORGDESIGN_JWT_SECRET orgdesign
#   docker run --rm -e ORGDESIGN_JWT_SECRET orgdesign token --role admin --subject you
#
# The image runs in production mode, which refuses to start without a key. Development
# mode (a made-up key, introspection and field hints for everyone) is for a developer's
# own machine, not for a container others can reach.

FROM rust:1.95-slim-bookworm AS builder
WORKDIR /build

# Dependencies first, in their own layer: copy only the manifests of the workspace
# members, give each a stub source and build, so editing our code does not rebuild
# every crate of the dependency tree. (The bundled SQLite needs a C compiler, which
# the rust image has.)
COPY Cargo.toml Cargo.lock ./
COPY api/Cargo.toml api/
COPY graphql/Cargo.toml graphql/
COPY domain/Cargo.toml domain/
COPY entity/Cargo.toml entity/
COPY migration/Cargo.toml migration/
RUN mkdir -p src api/src graphql/src domain/src entity/src migration/src benches \
    && echo 'fn main() {}' > src/main.rs \
    && echo 'fn main() {}' > api/src/main.rs \
    && echo 'fn main() {}' > benches/kpis.rs \
    && echo 'fn main() {}' > benches/insights.rs \
    && touch api/src/lib.rs graphql/src/lib.rs domain/src/lib.rs entity/src/lib.rs \
       migration/src/lib.rs \
    && cargo build --release --locked --bin orgdesign \
    && rm -rf src api/src graphql/src domain/src entity/src migration/src benches

# Then the real sources. The stubs were written after the sources' own timestamps, so
# touch each crate root: otherwise cargo may judge the stub builds fresh.
COPY src src
COPY api/src api/src
COPY graphql/src graphql/src
COPY domain/src domain/src
# GraphiQL's manifest (its pins, compiled in); GraphiQL's files themselves are not in
# the repository or the image: see docs/operations.md for offline mode in a container.
COPY api/assets/graphiql/manifest.txt api/assets/graphiql/
COPY entity/src entity/src
COPY migration/src migration/src
COPY benches benches
RUN touch src/main.rs api/src/lib.rs graphql/src/lib.rs domain/src/lib.rs entity/src/lib.rs \
       migration/src/lib.rs \
    && cargo build --release --locked --bin orgdesign

FROM debian:bookworm-slim AS runtime

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 orgdesign \
    && useradd --system --uid 10001 --gid orgdesign --home-dir /data \
       --no-create-home --shell /usr/sbin/nologin orgdesign \
    && install -d -o orgdesign -g orgdesign -m 0750 /data

COPY --from=builder /build/target/release/orgdesign /usr/local/bin/orgdesign

USER orgdesign:orgdesign
# The default database is sqlite://orgdesign.db in the working directory, so the
# SQLite file lives in /data: mount a volume there.
WORKDIR /data
ENV ORGDESIGN_ENV=production \
    ORGDESIGN_BIND=0.0.0.0:8080
EXPOSE 8080

# No curl in the image: bash's /dev/tcp asks /healthz on the port ORGDESIGN_BIND names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${ORGDESIGN_BIND##*:}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["orgdesign"]
CMD ["serve"]
