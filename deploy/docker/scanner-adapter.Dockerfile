# scanner-adapter: the Harbor pluggable scanner for model files.
# Build from the repository root (deploy/docker/compose.yaml does this):
#   docker build -f deploy/docker/scanner-adapter.Dockerfile \
#       -t aiops-cache/scanner-adapter:0.1.0 .
# Runs as uid/gid 10001 with --config /etc/aiops/scanner-adapter.yaml (mount it); state lives in
# /var/lib/aiops/scanner-adapter (a volume). See deploy/README.md.

# ---- build stage: Debian 12 toolchain and the -dev packages of scripts/install-deps.sh ----
FROM debian:bookworm AS build
# Package versions are Debian 12's (stable + security updates), as in scripts/install-deps.sh.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libhiredis-dev \
        libsqlite3-dev libyaml-cpp-dev libspdlog-dev libcli11-dev libarchive-dev zlib1g-dev \
        libzstd-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY common/ common/
COPY catalog-service/ catalog-service/
COPY proxy-adapter/ proxy-adapter/
COPY scanner-adapter/ scanner-adapter/
COPY preheat-provider/ preheat-provider/
COPY webhook-handler/ webhook-handler/
COPY tests/ tests/
COPY bench/ bench/
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DAIOPS_TESTS=OFF \
    && cmake --build /build --target scanner-adapter -j "$(nproc)" \
    && strip /build/bin/scanner-adapter

# ---- runtime stage: only the shared libraries the binary loads ----
# The list below is SERVICE_RUNTIME_PACKAGES of scripts/install-deps.sh, plus curl and
# ca-certificates for the HEALTHCHECK and TLS (tests/deploy/check_packaging.py compares them).
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libarchive13 libc6 libcpp-httplib0.11 libcurl4 libfmt9 libgcc-s1 libhiredis0.14 \
        libspdlog1.10 libsqlite3-0 libssl3 libstdc++6 libyaml-cpp0.7 zlib1g \
        curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 aiops \
    && useradd --system --uid 10001 --gid aiops --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin aiops \
    && install -d -m 0755 /etc/aiops /var/lib/aiops \
    && install -d -o aiops -g aiops -m 0750 /var/lib/aiops/scanner-adapter
COPY --from=build /build/bin/scanner-adapter /usr/local/bin/scanner-adapter
USER 10001:10001
WORKDIR /var/lib/aiops/scanner-adapter
VOLUME ["/var/lib/aiops/scanner-adapter"]
EXPOSE 8083
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8083/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/scanner-adapter", "--config", "/etc/aiops/scanner-adapter.yaml"]
