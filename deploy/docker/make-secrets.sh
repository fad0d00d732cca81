#!/usr/bin/env bash
# Creates the secret files compose.yaml mounts (default: deploy/docker/secrets/). Service-to-service
# tokens get random values; the secrets that come from elsewhere (Harbor's robot account, DevPI's
# promotion user, a Hugging Face token, Harbor's Redis password) are created empty for you to fill
# in. Existing files are never overwritten. Run as root so the files can be handed to the
# containers' user (uid 10001, mode 0400).
#
#   ./make-secrets.sh [DIR]
set -euo pipefail

DIR=${1:-"$(cd "$(dirname "$0")" && pwd)/secrets"}
CONTAINER_UID=10001

# name: random | empty (see compose.yaml `secrets:` and deploy/README.md for who uses which)
RANDOM_TOKENS=(
    catalog-writer-token catalog-reader-token scanner-harbor-token scanner-webhook-token
    webhook-admin-token devpi-hook-token harbor-preheat-token preheat-writer-token
    preheat-agent-token preheat-peer-token preheat-mirror-token
)
FILL_IN=(redis-password hf-token harbor-robot-password devpi-password)

umask 077
mkdir -p "$DIR"
created=()
for name in "${RANDOM_TOKENS[@]}"; do
    if [ ! -e "$DIR/$name" ]; then
        openssl rand -hex 24 >"$DIR/$name"
        created+=("$name")
    fi
done
# Harbor sends its webhook policy's "Auth Header" verbatim; the handler compares the whole value.
if [ ! -e "$DIR/harbor-webhook-auth" ]; then
    echo "Bearer $(openssl rand -hex 24)" >"$DIR/harbor-webhook-auth"
    created+=(harbor-webhook-auth)
fi
for name in "${FILL_IN[@]}"; do
    if [ ! -e "$DIR/$name" ]; then
        : >"$DIR/$name"
        created+=("$name")
    fi
done

if [ "$(id -u)" -eq 0 ]; then
    chown "$CONTAINER_UID:$CONTAINER_UID" "$DIR"/*
    chmod 0400 "$DIR"/*
else
    echo "make-secrets: not root; before 'docker compose up' run:" \
        "sudo chown $CONTAINER_UID:$CONTAINER_UID $DIR/* && sudo chmod 0400 $DIR/*"
fi
echo "make-secrets: ${#created[@]} created in $DIR${created[*]:+: ${created[*]}}"
echo "make-secrets: fill in (empty means none): ${FILL_IN[*]}"
