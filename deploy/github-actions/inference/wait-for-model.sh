#!/bin/sh
# aiops-wait-for-model MODEL_DIR [TIMEOUT_S] -- COMMAND [ARG...]
# Waits until the preheat-agent has completed MODEL_DIR (it writes MODEL_DIR/.ready last), then
# replaces itself with COMMAND. Exits 1 after TIMEOUT_S seconds (default 1800; 0 = forever).
# Example: aiops-wait-for-model /var/lib/models/acme/llm/main -- vllm serve /var/lib/models/acme/llm/main
set -eu

usage() {
    echo "usage: aiops-wait-for-model MODEL_DIR [TIMEOUT_S] -- COMMAND [ARG...]" >&2
    exit 2
}

[ $# -ge 3 ] || usage
model_dir=$1
shift
timeout_s=1800
if [ "$1" != "--" ]; then
    timeout_s=$1
    shift
fi
[ "${1:-}" = "--" ] || usage
shift
[ $# -ge 1 ] || usage
case $timeout_s in
    '' | *[!0-9]*) usage ;;
esac

waited_s=0
until [ -f "$model_dir/.ready" ]; do
    if [ "$timeout_s" -ne 0 ] && [ "$waited_s" -ge "$timeout_s" ]; then
        echo "aiops-wait-for-model: $model_dir/.ready did not appear within ${timeout_s}s" >&2
        exit 1
    fi
    sleep 5
    waited_s=$((waited_s + 5))
done
exec "$@"
