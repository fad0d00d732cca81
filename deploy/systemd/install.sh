#!/usr/bin/env bash
# Installs aiops-cache services as systemd units on this host:
#   build/bin/<service>              → <prefix>/usr/local/bin/<service>
#   deploy/systemd/<service>.service → <prefix>/etc/systemd/system/<service>.service
#   deploy/systemd/config/*.yaml     → <prefix>/etc/aiops/ (only if absent: your edits are kept)
#   <prefix>/etc/aiops/secrets/      → one file per LoadCredential= of the units (only if absent):
#                                      empty, or random tokens with --generate-secrets
#   preheat-agent only: the system user aiops, and <prefix>/etc/aiops/preheat-agent.env (node IP)
# then `systemctl daemon-reload`. It never enables or starts a unit.
#
#   deploy/systemd/install.sh [--dry-run] [--prefix DIR] [--build-dir DIR] [--generate-secrets]
#                             [SERVICE...]
#
# --dry-run prints every step and changes nothing. --prefix installs below DIR (packaging, tests):
# no user is created and systemctl is not called. SERVICE... installs only those (default: all;
# e.g. only preheat-agent on a GPU node). See deploy/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
ALL_SERVICES=(catalog-service proxy-adapter scanner-adapter webhook-handler preheat-provider
    preheat-agent)
# Secrets that come from elsewhere (Harbor, DevPI, Hugging Face, Redis): never generated.
EXTERNAL_SECRETS=(harbor-robot-password devpi-password hf-token redis-password)

DRY_RUN=0
PREFIX=/
BUILD_DIR=$ROOT/build
GENERATE=0
SERVICES=()

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
        --prefix=*) PREFIX=${1#--prefix=} ;;
        --build-dir) BUILD_DIR=${2:?--build-dir needs a directory}; shift ;;
        --build-dir=*) BUILD_DIR=${1#--build-dir=} ;;
        --generate-secrets) GENERATE=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) SERVICES+=("$1") ;;
    esac
    shift
done
if [ ${#SERVICES[@]} -eq 0 ]; then
    SERVICES=("${ALL_SERVICES[@]}")
fi
for service in "${SERVICES[@]}"; do
    if [ ! -f "$SCRIPT_DIR/$service.service" ]; then
        echo "install.sh: unknown service $service (one of: ${ALL_SERVICES[*]})" >&2
        exit 2
    fi
done
PREFIX=${PREFIX%/}
SYSTEM_ROOT=0
if [ -z "$PREFIX" ]; then
    SYSTEM_ROOT=1
fi
if [ "$DRY_RUN" -eq 0 ] && [ "$SYSTEM_ROOT" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: installing into / needs root (or use --prefix DIR, --dry-run)" >&2
    exit 1
fi

BIN_DIR=$PREFIX/usr/local/bin
UNIT_DIR=$PREFIX/etc/systemd/system
CONFIG_DIR=$PREFIX/etc/aiops
SECRET_DIR=$CONFIG_DIR/secrets

# step <description> <command...>: print it; run it unless --dry-run.
step() {
    local description=$1
    shift
    if [ "$DRY_RUN" -eq 1 ]; then
        echo "would $description"
    else
        echo "$description"
        "$@"
    fi
}

is_external() {
    local name
    for name in "${EXTERNAL_SECRETS[@]}"; do
        [ "$name" = "$1" ] && return 0
    done
    return 1
}

write_secret() {  # write_secret <path> <kind>: kind = empty | token | bearer
    (
        umask 077
        case "$2" in
            empty) : >"$1" ;;
            token) openssl rand -hex 24 >"$1" ;;
            bearer) echo "Bearer $(openssl rand -hex 24)" >"$1" ;;
        esac
    )
}

write_agent_env() {  # write_agent_env <ip> <path>
    printf 'AIOPS_AGENT_IP=%s\nAIOPS_AGENT_PEER_URL=http://%s:8086\n' "$1" "$1" >"$2"
}

# The node's first address, for the agent's peer URL (edit preheat-agent.env if it is wrong).
node_ip() {
    local ip=""
    if command -v hostname >/dev/null 2>&1; then
        ip=$(hostname -I 2>/dev/null | awk '{print $1}') || ip=""
    fi
    echo "${ip:-127.0.0.1}"
}

missing_binaries=()
for service in "${SERVICES[@]}"; do
    if [ ! -x "$BUILD_DIR/bin/$service" ]; then
        missing_binaries+=("$service")
    fi
done
if [ ${#missing_binaries[@]} -gt 0 ] && [ "$DRY_RUN" -eq 0 ]; then
    echo "install.sh: not built: ${missing_binaries[*]} (run: cmake --build build)" >&2
    exit 1
fi

step "create $BIN_DIR $UNIT_DIR $CONFIG_DIR" install -d -m 0755 "$BIN_DIR" "$UNIT_DIR" "$CONFIG_DIR"
step "create $SECRET_DIR (mode 0700)" install -d -m 0700 "$SECRET_DIR"

for service in "${SERVICES[@]}"; do
    step "install $BUILD_DIR/bin/$service -> $BIN_DIR/$service" \
        install -m 0755 "$BUILD_DIR/bin/$service" "$BIN_DIR/$service"
    step "install $SCRIPT_DIR/$service.service -> $UNIT_DIR/$service.service" \
        install -m 0644 "$SCRIPT_DIR/$service.service" "$UNIT_DIR/$service.service"
    configs=("$service.yaml")
    if [ "$service" = webhook-handler ]; then
        configs+=(webhook-rules.yaml)
    fi
    for config in "${configs[@]}"; do
        if [ -e "$CONFIG_DIR/$config" ]; then
            echo "keep $CONFIG_DIR/$config (exists)"
        else
            step "install $SCRIPT_DIR/config/$config -> $CONFIG_DIR/$config" \
                install -m 0644 "$SCRIPT_DIR/config/$config" "$CONFIG_DIR/$config"
        fi
    done
done

# One secret file per LoadCredential=<name>:/etc/aiops/secrets/<name> of the selected units.
secrets=()
for service in "${SERVICES[@]}"; do
    while IFS= read -r name; do
        secrets+=("$name")
    done < <(sed -n 's|^LoadCredential=\([^:]*\):.*|\1|p' "$SCRIPT_DIR/$service.service")
done
to_fill=()
for name in $(printf '%s\n' "${secrets[@]}" | sort -u); do
    path=$SECRET_DIR/$name
    if [ -e "$path" ]; then
        echo "keep $path (exists)"
        continue
    fi
    kind=empty
    if [ "$GENERATE" -eq 1 ] && ! is_external "$name"; then
        kind=token
        [ "$name" = harbor-webhook-auth ] && kind=bearer
    fi
    [ "$kind" = empty ] && to_fill+=("$name")
    step "create $path ($kind, mode 0600)" write_secret "$path" "$kind"
done

if printf '%s\n' "${SERVICES[@]}" | grep -qx preheat-agent; then
    if [ "$SYSTEM_ROOT" -eq 1 ]; then
        if id aiops >/dev/null 2>&1; then
            echo "keep user aiops (exists)"
        else
            step "create system user aiops" useradd --system --no-create-home \
                --home-dir /nonexistent --shell /usr/sbin/nologin aiops
        fi
    else
        echo "skip user aiops (--prefix): create it on the target host"
    fi
    env_file=$CONFIG_DIR/preheat-agent.env
    if [ -e "$env_file" ]; then
        echo "keep $env_file (exists)"
    else
        ip=$(node_ip)
        step "create $env_file (AIOPS_AGENT_IP=$ip)" write_agent_env "$ip" "$env_file"
    fi
fi

if [ "$SYSTEM_ROOT" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
    step "run systemctl daemon-reload" systemctl daemon-reload
else
    echo "skip systemctl daemon-reload (--prefix or no systemctl)"
fi

if [ ${#missing_binaries[@]} -gt 0 ]; then
    echo "note: not built yet: ${missing_binaries[*]} (run: cmake --build build)"
fi
if [ ${#to_fill[@]} -gt 0 ]; then
    echo "next: fill in (deploy/README.md says what each is) in $SECRET_DIR: ${to_fill[*]}"
    if [ "$GENERATE" -eq 0 ]; then
        echo "      (--generate-secrets creates random service-to-service tokens for the others)"
    fi
fi
echo "next: edit $CONFIG_DIR/*.yaml, then: systemctl enable --now ${SERVICES[*]}"
