#!/usr/bin/env bash
# Starts the whole stack locally on embedded defaults: installs deps, builds, starts a local
# docker-registry (the OCI store) and every service that has been built, each with SQLite in
# .run/<service>/ and JSON logs in .run/<service>.log. Prints their URLs.
#
#   ./scripts/up.sh         start (restarts anything already running)
#   ./scripts/up.sh stop    stop everything started here
#   ./scripts/up.sh status  show what is running
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$ROOT/.run
mkdir -p "$RUN"

# name:port — a service is started only if build/bin/<name> exists.
SERVICES=(
    "catalog-service:8081"
    "proxy-adapter:8082"
    "scanner-adapter:8083"
    "webhook-handler:8084"
    "preheat-provider:8085"
    "preheat-agent:8086"
)
REGISTRY_PORT=${AIOPS_REGISTRY_PORT:-5000}

stop_one() {  # stop_one <name>
    local pidfile=$RUN/$1.pid
    if [ -f "$pidfile" ]; then
        local pid
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    fi
}

stop_all() {
    for entry in "${SERVICES[@]}"; do
        stop_one "${entry%%:*}"
    done
    stop_one docker-registry
}

status() {
    for name in docker-registry "${SERVICES[@]%%:*}"; do
        if [ -f "$RUN/$name.pid" ] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then
            echo "$name: running (pid $(cat "$RUN/$name.pid"))"
        fi
    done
}

wait_http() {  # wait_http <url> <name>
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "up: $2 did not answer $1; see $RUN/$2.log" >&2
    return 1
}

case "${1:-start}" in
    stop) stop_all; echo "stopped"; exit 0 ;;
    status) status; exit 0 ;;
    start) ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target aiops_services
stop_all

# The OCI store: distribution v2 with filesystem storage under .run/registry.
mkdir -p "$RUN/registry"
cat > "$RUN/registry.yml" <<YAML
version: 0.1
log: {level: info, formatter: json}
storage:
  filesystem: {rootdirectory: $RUN/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$REGISTRY_PORT
YAML
docker-registry serve "$RUN/registry.yml" >"$RUN/docker-registry.log" 2>&1 &
echo $! >"$RUN/docker-registry.pid"
wait_http "http://127.0.0.1:$REGISTRY_PORT/v2/" docker-registry
echo "docker-registry   http://127.0.0.1:$REGISTRY_PORT/v2/"

# A writer token for the local services, and the preheat agent's provider and peer tokens
# (config/local/*.yaml read them from these files).
for token in local-token local-agent-token local-peer-token; do
    if [ ! -s "$RUN/$token" ]; then
        (umask 077 && openssl rand -hex 24 >"$RUN/$token")
    fi
done
if [ ! -s "$RUN/local-harbor-auth" ]; then  # what a Harbor webhook policy would send verbatim
    (umask 077 && echo "Bearer $(openssl rand -hex 24)" >"$RUN/local-harbor-auth")
fi

for entry in "${SERVICES[@]}"; do
    name=${entry%%:*}
    port=${entry##*:}
    [ -x "build/bin/$name" ] || continue
    mkdir -p "$RUN/$name"
    args=(--listen "127.0.0.1:$port" --data-dir "$RUN/$name")
    if [ -f "config/local/$name.yaml" ]; then
        args+=(--config "config/local/$name.yaml")
    fi
    AIOPS_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT" "build/bin/$name" "${args[@]}" \
        >"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    wait_http "http://127.0.0.1:$port/healthz" "$name"
    printf '%-17s http://127.0.0.1:%s/\n' "$name" "$port"
done
echo "writer token: .run/local-token (curl -H \"Authorization: Bearer \$(cat .run/local-token)\" ...)"
echo "logs in $RUN/*.log; stop with ./scripts/up.sh stop"
