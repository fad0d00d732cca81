#!/usr/bin/env bash
# The whole aiops-cache flow on one machine, no Harbor (README "See it work").
#
# Starts a real docker-registry with token auth, a Hugging Face Hub test server with a small
# generated model whose first revision carries a poisoned pickle, and a Harbor REST stand-in
# (all three: build/tests/aiops_demo_stack, from tests/fixtures/), then every service and two
# preheat-agents ("GPU nodes"). Then, step by step:
#   1. replicate the model at its pinned commit from the proxy-adapter into the registry
#      (skopeo copy — what Harbor's pull replication does);
#   2. post the PUSH_ARTIFACT event Harbor would send to the webhook-handler;
#   3. the scan gate finds the poisoned pickle and refuses to promote it;
#   4. Hugging Face publishes a clean revision; replicate it, post its event;
#   5. it is scanned clean, labelled, its report + ML-BOM attached as referrers, copied to the
#      release project, catalogued, and preheated into both agents' model dirs;
#   6. print the catalog query and a summary table.
# Exits non-zero as soon as an expected outcome is not observed (the log dir is kept).
#
#   ./scripts/demo.sh            installs deps, builds (Release, build/), runs the demo
#   ./scripts/demo.sh --keep     leaves everything running afterwards (Ctrl-C stops it)
#   AIOPS_DEMO_BUILD_DIR=dir     use binaries already built there (CTest's e2e label does this)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

if [ -n "${AIOPS_DEMO_BUILD_DIR:-}" ]; then
    BUILD=$AIOPS_DEMO_BUILD_DIR
else
    BUILD=$ROOT/build
    ./scripts/install-deps.sh
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j "$(nproc)" --target catalog-service proxy-adapter scanner-adapter \
        webhook-handler preheat-provider preheat-agent aiops_demo_stack
fi
BIN=$BUILD/bin
STACK=$BUILD/tests/aiops_demo_stack
for binary in "$BIN"/catalog-service "$BIN"/proxy-adapter "$BIN"/scanner-adapter \
    "$BIN"/webhook-handler "$BIN"/preheat-provider "$BIN"/preheat-agent "$STACK"; do
    [ -x "$binary" ] || { echo "demo.sh: $binary is not built" >&2; exit 1; }
done
for tool in skopeo curl python3 docker-registry; do
    command -v "$tool" >/dev/null || { echo "demo.sh: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/aiops-demo.XXXXXX")
PIDS=()
NAMES=()
OK=0
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ "$OK" -eq 1 ]; then
        rm -rf "$WORK"
    else
        echo "demo.sh: logs and state kept in $WORK" >&2
        for log in "$WORK"/*.log; do
            [ -f "$log" ] || continue
            echo "---- last lines of $log" >&2
            tail -n 15 "$log" >&2
        done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STEP=0
BOLD="" GREEN="" RED="" PLAIN=""
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
    BOLD=$'\033[1m' GREEN=$'\033[32m' RED=$'\033[31m' PLAIN=$'\033[0m'
fi
step() { STEP=$((STEP + 1)); printf '\n%s[%d] %s%s\n' "$BOLD" "$STEP" "$*" "$PLAIN"; }
info() { printf '    %s\n' "$*"; }
pass() { printf '    %s✔%s %s\n' "$GREEN" "$PLAIN" "$*"; }
fail() { printf '    %s✘ %s%s\n' "$RED" "$*" "$PLAIN" >&2; exit 1; }

# json <file-or-> <python expression over d>: prints the value (strings bare, the rest as JSON).
json() {
    python3 -c '
import json, sys
d = json.load(sys.stdin if sys.argv[1] == "-" else open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # wait_http <name> <url>: any HTTP answer within 30 s
    for _ in $(seq 300); do
        if curl -s -o /dev/null --max-time 2 "$2"; then return 0; fi
        sleep 0.1
    done
    fail "$1 did not answer at $2 (log: $WORK/$1.log)"
}
start() {  # start <name> <binary> <args...>
    local name=$1
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
    NAMES+=("$name")
}
# Bounded polling: until <seconds> <description> <command...>
until_ok() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "timed out after ${seconds}s waiting for: $what"
        sleep 0.25
    done
}

TOKEN=demo-service-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
AGENT_TOKEN=demo-agent-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
PEER_TOKEN=demo-peer-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
HARBOR_AUTH="Bearer demo-harbor-webhook-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
AUTH=(-H "Authorization: Bearer $TOKEN")

step "Stand-ins for what cannot run here: token-auth docker-registry, Harbor REST, Hugging Face Hub"
start stack "$STACK" "$WORK/stack.json"
until_ok 60 "the demo stack to write $WORK/stack.json" test -f "$WORK/stack.json"
REGISTRY=$(json "$WORK/stack.json" 'd["registry_url"]')
REGISTRY_HOST=$(json "$WORK/stack.json" 'd["registry_host_port"]')
ROBOT=$(json "$WORK/stack.json" 'd["robot_username"]')
ROBOT_SECRET=$(json "$WORK/stack.json" 'd["robot_password"]')
HARBOR=$(json "$WORK/stack.json" 'd["harbor_url"]')
HF=$(json "$WORK/stack.json" 'd["hf_endpoint"]')
MODEL=$(json "$WORK/stack.json" 'd["model"]')
POISONED_COMMIT=$(json "$WORK/stack.json" 'd["poisoned_commit"]')
CONTROL=$(json "$WORK/stack.json" 'd["control_url"]')
status=$(curl -s -o /dev/null -w '%{http_code}' "$REGISTRY/v2/")
[ "$status" = 401 ] || fail "the registry should demand a token (GET /v2/ → $status)"
pass "docker-registry $REGISTRY (auth: token; anonymous GET /v2/ → 401)"
pass "Harbor REST stand-in $HARBOR (robot account $ROBOT, labels aiops-scan:clean|blocked)"
pass "Hugging Face Hub stand-in $HF: $MODEL @ $POISONED_COMMIT (has pytorch_model.bin)"

step "Every service, and two preheat-agents as GPU nodes"
P_CATALOG=$(free_port); P_SCANNER=$(free_port); P_PROXY=$(free_port); P_WEBHOOK=$(free_port)
P_PROVIDER=$(free_port); P_AGENT_A=$(free_port); P_AGENT_B=$(free_port)
service_head() {  # service_head <name> <port>: server + auth sections
    mkdir -p "$WORK/$1"
    cat <<EOF
server:
  listen: 127.0.0.1:$2
  data_dir: $WORK/$1
log:
  level: warn
EOF
}
{ service_head catalog "$P_CATALOG"; cat <<EOF; } >"$WORK/catalog.yaml"
auth:
  tokens:
    - {name: demo, role: writer, token: $TOKEN}
health:
  interval_s: 0
EOF
{ service_head scanner "$P_SCANNER"; cat <<EOF; } >"$WORK/scanner.yaml"
auth:
  tokens:
    - {name: demo, role: writer, token: $TOKEN}
registry:
  url_policy:
    allow_loopback: true
scan:
  workers: 2
EOF
{ service_head proxy "$P_PROXY"; cat <<EOF; } >"$WORK/proxy.yaml"
upstream:
  endpoint: $HF
  url_policy:
    allow_loopback: true
EOF
{ service_head provider "$P_PROVIDER"; cat <<EOF; } >"$WORK/provider.yaml"
auth:
  tokens:
    - {name: demo, role: writer, token: $TOKEN}
    - {name: agents, role: agent, token: $AGENT_TOKEN}
registry:
  url_policy:
    allow_loopback: true
preheat:
  fan_out: 2
  seed_selector: {role: seed}
  pools:
    - {id: 1, selector: {pool: gpu}}
EOF
for agent in a b; do
    port_var=P_AGENT_${agent^^}
    role=$([ "$agent" = a ] && echo seed || echo worker)
    { service_head "agent-$agent" "${!port_var}"; cat <<EOF; } >"$WORK/agent-$agent.yaml"
auth:
  tokens:
    - {name: peers, role: peer, token: $PEER_TOKEN}
agent:
  provider_url: http://127.0.0.1:$P_PROVIDER
  provider_token: $AGENT_TOKEN
  peer_token: $PEER_TOKEN
  node_name: gpu-node-$agent
  labels: {pool: gpu, role: $role}
  models_dir: $WORK/agent-$agent/models
  poll_wait_ms: 2000
transfer:
  url_policy:
    allow_loopback: true
EOF
done
cat >"$WORK/rules.yaml" <<EOF
rules:
  - name: gate-models
    when: {source: harbor, events: [PUSH_ARTIFACT], project: models-staging, artifact: model}
    do:
      - {action: scan_gate, severity: High, release_project: models}
      - {action: catalog, registry_id: demo-harbor}
      - {action: preheat, pools: [1], scope: all_peers}
EOF
{ service_head webhook "$P_WEBHOOK"; cat <<EOF; } >"$WORK/webhook.yaml"
auth:
  tokens:
    - {name: demo, role: writer, token: $TOKEN}
rules_file: $WORK/rules.yaml
harbor:
  url: $HARBOR
  registry_url: $REGISTRY
  username: "$ROBOT"
  password: $ROBOT_SECRET
  auth_header: "$HARBOR_AUTH"
scanner:
  url: http://127.0.0.1:$P_SCANNER
  token: $TOKEN
  timeout_s: 120
catalog:
  url: http://127.0.0.1:$P_CATALOG
  token: $TOKEN
preheat:
  url: http://127.0.0.1:$P_PROVIDER
  token: $TOKEN
queue:
  visibility_ms: 300000
outbound:
  url_policy:
    allow_loopback: true
EOF
start catalog "$BIN/catalog-service" --config "$WORK/catalog.yaml"
start scanner "$BIN/scanner-adapter" --config "$WORK/scanner.yaml"
start proxy "$BIN/proxy-adapter" --config "$WORK/proxy.yaml"
start provider "$BIN/preheat-provider" --config "$WORK/provider.yaml"
start webhook "$BIN/webhook-handler" --config "$WORK/webhook.yaml"
wait_http catalog "http://127.0.0.1:$P_CATALOG/healthz"
wait_http scanner "http://127.0.0.1:$P_SCANNER/healthz"
wait_http proxy "http://127.0.0.1:$P_PROXY/healthz"
wait_http provider "http://127.0.0.1:$P_PROVIDER/healthz"
wait_http webhook "http://127.0.0.1:$P_WEBHOOK/healthz"
start agent-a "$BIN/preheat-agent" --config "$WORK/agent-a.yaml"
start agent-b "$BIN/preheat-agent" --config "$WORK/agent-b.yaml"
wait_http agent-a "http://127.0.0.1:$P_AGENT_A/healthz"
wait_http agent-b "http://127.0.0.1:$P_AGENT_B/healthz"
pass "catalog-service :$P_CATALOG  scanner-adapter :$P_SCANNER  proxy-adapter :$P_PROXY"
pass "webhook-handler :$P_WEBHOOK  preheat-provider :$P_PROVIDER"
pass "preheat-agent gpu-node-a :$P_AGENT_A (seed)  gpu-node-b :$P_AGENT_B"

# replicate <commit> <tag>: what Harbor's pull replication from the proxy-adapter endpoint does.
replicate() {
    mkdir -p "$WORK/skopeo/tmp"
    HOME=$WORK/skopeo TMPDIR=$WORK/skopeo/tmp skopeo --insecure-policy copy --quiet \
        --src-tls-verify=false --dest-tls-verify=false --dest-creds "$ROBOT:$ROBOT_SECRET" \
        --digestfile "$WORK/digest-$2" \
        "docker://127.0.0.1:$P_PROXY/$MODEL:$1" \
        "docker://$REGISTRY_HOST/models-staging/tiny-llm:$2" >>"$WORK/skopeo.log" 2>&1 ||
        fail "skopeo copy of $MODEL:$1 failed (log: $WORK/skopeo.log)"
    cat "$WORK/digest-$2"
}
# push_event <digest> <tag>: Harbor's Default webhook payload for PUSH_ARTIFACT (§3.2).
push_event() {
    local body
    body=$(printf '{"type":"PUSH_ARTIFACT","occur_at":%s,"operator":"%s","event_data":{"resources":[{"digest":"%s","tag":"%s","resource_url":"harbor.demo/models-staging/tiny-llm:%s"}],"repository":{"name":"tiny-llm","namespace":"models-staging","repo_full_name":"models-staging/tiny-llm","repo_type":"private"}}}' \
        "$(date +%s)" "$ROBOT" "$1" "$2" "$2")
    curl -sS -f -H "Authorization: $HARBOR_AUTH" -H 'Content-Type: application/json' \
        --data "$body" "http://127.0.0.1:$P_WEBHOOK/harbor" ||
        fail "the webhook-handler refused the PUSH_ARTIFACT event"
    echo
}
# finished <digest>: the finished event for that digest (JSON) once the handler is done with it.
finished_event() {
    curl -sS -f "${AUTH[@]}" "http://127.0.0.1:$P_WEBHOOK/events?status=done" >"$WORK/events.json" || return 1
    json "$WORK/events.json" "next((e for e in d['events'] if '$1' in json.dumps(e)), None)" >"$WORK/event-$1.json"
    [ "$(cat "$WORK/event-$1.json")" != null ]
}
labels_of() {  # labels_of <digest>: the artifact's label names through Harbor's REST API
    curl -sS -f -u "$ROBOT:$ROBOT_SECRET" \
        "$HARBOR/api/v2.0/projects/models-staging/repositories/tiny-llm/artifacts/$1?with_label=true" |
        json - '",".join(sorted(l["name"] for l in (d.get("labels") or [])))'
}
# registry <repository> <reference> [report]: GET a manifest with a pull token from the token
# service (the Docker token flow Harbor's clients use); prints the HTTP status, or with `report`
# the findings of the scan report attached to the artifact as an OCI referrer (fallback tag).
registry() {
    python3 - "$WORK/stack.json" "$@" <<'PY'
import base64, json, sys, urllib.error, urllib.request
stack, repository, reference = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
credentials = base64.b64encode(f'{stack["robot_username"]}:{stack["robot_password"]}'.encode()).decode()
scope = f"repository:{repository}:pull"
with urllib.request.urlopen(urllib.request.Request(
        f'{stack["token_realm"]}?service=demo-registry&scope={scope}',
        headers={"Authorization": "Basic " + credentials}), timeout=10) as answer:
    token = json.load(answer)["token"]
accept = ", ".join(["application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.oci.image.index.v1+json"])
def get(path, media=accept):
    request = urllib.request.Request(f'{stack["registry_url"]}/v2/{repository}/{path}',
                                     headers={"Authorization": "Bearer " + token, "Accept": media})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()
try:
    body = get(f"manifests/{reference}")
except urllib.error.HTTPError as error:
    print(error.code)
    sys.exit(0)
if len(sys.argv) < 5:
    print(200)
    sys.exit(0)
for entry in json.loads(body)["manifests"]:  # the referrers: scan report and ML-BOM
    manifest = json.loads(get(f'manifests/{entry["digest"]}'))
    report = json.loads(get(f'blobs/{manifest["layers"][0]["digest"]}', "*/*"))
    for finding in report.get("vulnerabilities") or []:
        print(f'{finding.get("severity", "?")}: {finding.get("package", "?")} — '
              f'{finding.get("id", "?")} {finding.get("description", "")[:90]}')
PY
}
manifest_status() { registry "$1" "$2"; }

step "Replicate $MODEL @ ${POISONED_COMMIT:0:12} from the proxy-adapter into models-staging (skopeo copy)"
info "skopeo copy docker://127.0.0.1:$P_PROXY/$MODEL:$POISONED_COMMIT docker://$REGISTRY_HOST/models-staging/tiny-llm:rev1"
POISONED_DIGEST=$(replicate "$POISONED_COMMIT" rev1)
pass "models-staging/tiny-llm:rev1 = $POISONED_DIGEST"
layers=$(curl -sS -f "http://127.0.0.1:$P_PROXY/v2/$MODEL/manifests/$POISONED_COMMIT" \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' |
    json - '" ".join(l.get("annotations", {}).get("org.cncf.model.filepath", "?") for l in d["layers"])')
info "ModelPack layers: $layers"

step "Harbor's PUSH_ARTIFACT event → webhook-handler; the scan gate runs"
answer=$(push_event "$POISONED_DIGEST" rev1)
info "POST /harbor → $answer"
until_ok 180 "the webhook-handler to finish the event for rev1" finished_event "$POISONED_DIGEST"
EV="$WORK/event-$POISONED_DIGEST.json"
[ "$(json "$EV" 'd["status"]')" = rule_failed ] ||
    fail "rev1 should stop at the gate, got: $(cat "$EV")"
json "$EV" 'json.dumps(d)' | grep -q blocked || fail "the gate did not say blocked: $(cat "$EV")"
pass "scan gate: BLOCKED — $(json "$EV" '[s.get("error", "") for r in d["rules"] for s in r["steps"] if s["action"] == "scan_gate"][0]')"
[ "$(labels_of "$POISONED_DIGEST")" = "aiops-scan:blocked" ] || fail "rev1 should be labelled aiops-scan:blocked"
pass "Harbor label: aiops-scan:blocked"
[ "$(manifest_status models/tiny-llm "$POISONED_DIGEST")" = 404 ] || fail "rev1 must not reach the release project"
pass "not copied to models/ (release), not catalogued, not preheated"
[ "$(manifest_status models-staging/tiny-llm "sha256-${POISONED_DIGEST#sha256:}")" = 200 ] ||
    fail "the scan report + ML-BOM referrers of rev1 are missing"
pass "scan report + CycloneDX ML-BOM attached as OCI referrers (fallback tag sha256-…); the report says:"
registry models-staging/tiny-llm "sha256-${POISONED_DIGEST#sha256:}" report >"$WORK/findings.txt"
sed 's/^/        /' "$WORK/findings.txt"
grep -q 'pytorch_model.bin' "$WORK/findings.txt" || fail "the report should name pytorch_model.bin"

step "Hugging Face publishes a clean revision (no pickle); replicate it"
published=$(curl -sS -f --data '' "$CONTROL/publish-clean") || fail "the Hub stand-in did not publish"
CLEAN_COMMIT=$(json - 'd["commit"]' <<<"$published")
info "$MODEL main → $CLEAN_COMMIT"
CLEAN_DIGEST=$(replicate "$CLEAN_COMMIT" rev2)
pass "models-staging/tiny-llm:rev2 = $CLEAN_DIGEST"

step "PUSH_ARTIFACT for rev2 → scan → labels → copy to models/ → catalog → preheat"
answer=$(push_event "$CLEAN_DIGEST" rev2)
info "POST /harbor → $answer"
until_ok 180 "the webhook-handler to finish the event for rev2" finished_event "$CLEAN_DIGEST"
EV="$WORK/event-$CLEAN_DIGEST.json"
[ "$(json "$EV" 'd["status"]')" = "done" ] || fail "rev2 should pass every step, got: $(cat "$EV")"
pass "scan gate: CLEAN"
[ "$(labels_of "$CLEAN_DIGEST")" = "aiops-scan:clean" ] || fail "rev2 should be labelled aiops-scan:clean"
pass "Harbor label: aiops-scan:clean"
[ "$(manifest_status models/tiny-llm "$CLEAN_DIGEST")" = 200 ] || fail "rev2 should be in models/tiny-llm"
pass "copied to models/tiny-llm@$CLEAN_DIGEST (release)"

step "Catalog: POST /models/query {\"scan_status\":\"clean\"}"
curl -sS -f "${AUTH[@]}" -H 'Content-Type: application/json' \
    --data '{"scan_status":"clean"}' "http://127.0.0.1:$P_CATALOG/models/query" >"$WORK/catalog.json" ||
    fail "catalog query failed"
json "$WORK/catalog.json" 'json.dumps(d, indent=2)' | sed 's/^/    /' | head -40
[ "$(json "$WORK/catalog.json" "[m['digest'] for m in d]")" = "[\"$CLEAN_DIGEST\"]" ] ||
    fail "the catalog should list exactly the clean revision"
[ "$(json "$WORK/catalog.json" "d[0]['repository']")" = "models/tiny-llm" ] ||
    fail "the catalog should name the release copy models/tiny-llm, not staging"
pass "catalogued: exactly rev2 at models/tiny-llm (the release copy), scan_status clean"

step "Preheat: both GPU nodes get the model directory"
ready_dirs() {  # ready_dirs <agent>: model dirs completed on that agent
    find "$WORK/agent-$1/models" -name .ready 2>/dev/null | sort
}
both_ready() { [ -n "$(ready_dirs a)" ] && [ -n "$(ready_dirs b)" ]; }
until_ok 120 "both agents to complete the model directory" both_ready
for agent in a b; do
    ready=$(ready_dirs "$agent" | head -1)
    dir=$(dirname "$ready")
    [ "$(cat "$ready")" = "$CLEAN_DIGEST" ] || fail "gpu-node-$agent holds $(cat "$ready"), not rev2"
    case "$dir" in
    "$WORK/agent-$agent/models/models/tiny-llm/"*) ;;
    *) fail "gpu-node-$agent laid the model out at ${dir#"$WORK"/}, not under the release name models/tiny-llm" ;;
    esac
    [ ! -e "$dir/pytorch_model.bin" ] || fail "gpu-node-$agent has a pickle"
    [ -s "$dir/model.safetensors" ] || fail "gpu-node-$agent lacks model.safetensors"
    pass "gpu-node-$agent: ${dir#"$WORK"/} ($(cd "$dir" && echo *))"
done
expected=$(curl -sS -f -L "$HF/$MODEL/resolve/$CLEAN_COMMIT/model.safetensors" | sha256sum | cut -d' ' -f1)
for agent in a b; do
    dir=$(dirname "$(ready_dirs "$agent" | head -1)")
    [ "$(sha256sum "$dir/model.safetensors" | cut -d' ' -f1)" = "$expected" ] ||
        fail "gpu-node-$agent's model.safetensors differs from Hugging Face's"
done
pass "model.safetensors on both nodes = Hugging Face's bytes (sha256 ${expected:0:16}…)"
[ "$(find "$WORK"/agent-?/models -path "*${POISONED_DIGEST#sha256:}*" | wc -l)" = 0 ] ||
    fail "the blocked revision reached a GPU node"

step "Summary"
printf '    %-6s %-14s %-10s %-22s %-9s %-10s %s\n' revision commit scan label release catalog preheated
printf '    %-6s %-14s %-10s %-22s %-9s %-10s %s\n' rev1 "${POISONED_COMMIT:0:12}" blocked aiops-scan:blocked no no "0 of 2 nodes"
printf '    %-6s %-14s %-10s %-22s %-9s %-10s %s\n' rev2 "${CLEAN_COMMIT:0:12}" clean aiops-scan:clean models/ yes "2 of 2 nodes"
OK=1
echo
echo "demo: every expected outcome observed"
if [ "$KEEP" -eq 1 ]; then
    echo "everything keeps running (state in $WORK); Ctrl-C stops it"
    OK=0
    trap 'OK=1; exit 0' INT TERM
    while :; do sleep 3600; done
fi
