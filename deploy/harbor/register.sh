#!/usr/bin/env bash
# Registers the aiops-cache services in Harbor through its REST API v2.0, idempotently:
# scanner-adapter as a scanner (system default and/or per project), preheat-provider as a Dragonfly
# P2P instance plus a preheat policy per project, webhook-handler as a webhook policy per project,
# proxy-adapter as a "Docker Registry" endpoint plus a pull replication rule and/or a proxy-cache
# project. Every step reads first and writes only what differs; --dry-run prints the calls.
# Usage and flags: deploy/harbor/README.md (or --help).
#
# HTTP Basic on every call and no cookie jar (never -b/-c): Harbor checks CSRF only on requests
# that carry its `sid` session cookie (shared/reference/harbor-preheat-webhook-replication.md §5).
set -euo pipefail

PROG=register.sh

usage() {
    cat <<'EOF'
Usage: register.sh [flags]          (secrets only through the environment or *_FILE files)

Harbor:  --harbor-url URL (HARBOR_URL)   --user NAME (HARBOR_USER; admin or robot$name)
         password: HARBOR_PASSWORD or HARBOR_PASSWORD_FILE / --password-file FILE
         --projects p1,p2 (HARBOR_PROJECTS): default project list of every per-project step
         --insecure (HARBOR_INSECURE=1): no TLS verification towards Harbor
         --dry-run  print every call (secrets masked), change nothing   --verbose  print calls
Scanner: --scanner-url URL (AIOPS_SCANNER_URL)  token: AIOPS_SCANNER_TOKEN[_FILE] / --scanner-token-file
         --scanner-name NAME [aiops-model-scanner]  --scanner-default  --scanner-projects p1,p2
         --scanner-skip-verify
Preheat: --preheat-url URL (AIOPS_PREHEAT_URL)  token: AIOPS_PREHEAT_TOKEN[_FILE] / --preheat-token-file
         --preheat-name NAME [aiops-preheat]  --preheat-projects p1,p2  --preheat-policy NAME [aiops-preheat]
         --preheat-trigger event_based|manual|scheduled:<cron> [event_based]  --preheat-scope SCOPE [all_peers]
         --preheat-repositories GLOB [**]  --preheat-tags GLOB [**]  --preheat-insecure
Webhook: --webhook-url URL (AIOPS_WEBHOOK_URL; the handler's base URL, /harbor is appended)
         auth header: AIOPS_WEBHOOK_AUTH_HEADER[_FILE] / --webhook-auth-header-file (e.g. "Bearer …")
         --webhook-name NAME [aiops-webhook-handler]  --webhook-projects p1,p2
         --webhook-events E1,E2 [PUSH_ARTIFACT,DELETE_ARTIFACT,SCANNING_COMPLETED,SCANNING_FAILED,REPLICATION]
         --webhook-format Default|CloudEvents [Default]  --webhook-skip-verify
Proxy:   --proxy-url URL (AIOPS_PROXY_URL)  --registry-name NAME [aiops-proxy-adapter]  --proxy-insecure
         credential (optional): AIOPS_PROXY_ACCESS_KEY + AIOPS_PROXY_ACCESS_SECRET[_FILE] / --proxy-secret-file
         --replicate-models org/a,org/b  --replication-tag GLOB [**]  --replication-namespace PROJECT [models]
         --replication-name NAME [aiops-hf-models]  --replication-cron CRON (scheduled; manual otherwise)
         --replication-flatten N [0]  --no-copy-by-chunk
         --proxy-cache-project NAME   a proxy-cache project whose upstream is the proxy-adapter
EOF
}

die() {  # ONE line on stderr, exit 1
    local message="$*"
    printf '%s: %s\n' "$PROG" "${message//$'\n'/ }" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# JSON (python3, standard library only): build bodies, find by name, compare, mask secrets.

read -r -d '' PY_JSON <<'PY' || true
import json, os, re, sys

SECRET_KEYS = {"access_credential", "auth_header", "access_secret", "password", "token"}
MASKED = (None, "", "*****", "***")

def load(text):
    text = text.strip()
    return json.loads(text) if text else None

def mask(value, key=None):
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    if key in SECRET_KEYS and value not in MASKED:
        return "***"
    if isinstance(value, str):
        return re.sub(r"(token=)[^&\s\"]+", r"\1***", value)
    return value

def put(root, parts, value):
    node = root
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        fresh = value if last else ([] if parts[index + 1].isdigit() else {})
        if isinstance(node, list):
            slot = int(part)
            node.extend([None] * (slot + 1 - len(node)))
            if last or node[slot] is None:
                node[slot] = fresh
            node = node[slot]
        else:
            if last or part not in node:
                node[part] = fresh
            node = node[part]

def build(args):
    body, as_strings = {}, []
    for arg in args:
        key, _, spec = arg.partition("=")
        if key == "@str":  # send body[spec] as a JSON string (Harbor's preheat filters/trigger)
            as_strings.append(spec)
            continue
        kind, _, text = spec.partition(":")
        if kind == "s":
            value = text
        elif kind == "b":
            value = text.lower() in ("1", "true", "yes", "on")
        elif kind == "n":
            value = int(text) if re.fullmatch(r"-?[0-9]+", text) else text  # "<new id>" in dry runs
        elif kind == "j":
            value = json.loads(text)
        elif kind == "l":  # a comma-separated list of strings
            value = [item.strip() for item in text.split(",") if item.strip()]
        elif kind == "env":
            value = os.environ.get(text, "")
        else:
            raise SystemExit("bad build spec " + arg)
        put(body, key.split("."), value)
    for key in as_strings:
        body[key] = json.dumps(body[key], separators=(",", ":"))
    return body

def norm(key, value):
    if key in ("filters", "trigger", "extra_attrs") and isinstance(value, str):
        try:
            value = json.loads(value) if value else None
        except ValueError:
            return value
    if key == "filters" and isinstance(value, list):
        return sorted(json.dumps([f.get("type"), f.get("value"), f.get("decoration") or ""])
                      for f in value if isinstance(f, dict))
    if key == "trigger" and isinstance(value, dict):
        settings = value.get("trigger_settings") or value.get("trigger_setting") or {}
        return [value.get("type"), settings.get("cron") or ""]
    if key == "event_types" and isinstance(value, list):
        return sorted(value)
    if key == "src_registry" and isinstance(value, dict):
        return value.get("id")
    if key in ("url", "endpoint", "address") and isinstance(value, str):
        return value.rstrip("/")
    return value

def differs(key, want, have):
    if key in SECRET_KEYS and have in MASKED:
        return False  # Harbor does not show it (or masks it): nothing to compare
    if isinstance(want, dict) and isinstance(have, dict) and key not in ("trigger", "src_registry"):
        return any(k in have and differs(k, v, have[k]) for k, v in want.items())
    if isinstance(want, list) and isinstance(have, list) and want and isinstance(want[0], dict) \
            and key != "filters":
        return len(want) != len(have) or any(differs(key, w, h) for w, h in zip(want, have))
    return norm(key, want) != norm(key, have)

def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "build":
        print(json.dumps(build(args), separators=(",", ":")))
    elif command == "merge":  # args[0] plus the fields args[1:] of the item on stdin
        want, have = json.loads(args[0]), load(sys.stdin.read()) or {}
        want.update({k: have[k] for k in args[1:] if k in have})
        print(json.dumps(want, separators=(",", ":")))
    elif command == "mask":
        text = sys.stdin.read()
        print(json.dumps(mask(load(text)), separators=(",", ":")) if text.strip() else "")
    elif command == "find":  # the element of a JSON array whose "name" is exactly args[0]
        for item in load(sys.stdin.read()) or []:
            if isinstance(item, dict) and item.get("name") == args[0]:
                print(json.dumps(item, separators=(",", ":")))
                break
    elif command == "field":  # a dotted path; strings raw, booleans true/false, missing ""
        value = load(sys.stdin.read())
        for part in args[0].split("."):
            if isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            elif isinstance(value, dict):
                value = value.get(part)
            else:
                value = None
        if value is not None:
            print(value if isinstance(value, str) else json.dumps(value))
    elif command == "diff":  # keys of want (args[0]) that have (stdin) shows differently
        want, have = json.loads(args[0]), load(sys.stdin.read()) or {}
        print(" ".join(k for k, v in want.items() if k in have and differs(k, v, have[k])))
    elif command == "errmsg":  # Harbor's {"errors":[{"code","message"}]} or any text, one line
        text = sys.stdin.read()
        try:
            body = json.loads(text)
            errors = body.get("errors") if isinstance(body, dict) else None
            text = errors[0].get("message", "") if errors else (body.get("message") or text)
        except (ValueError, AttributeError, IndexError, TypeError):
            pass
        print(" ".join(str(text).split())[:300])
    else:
        raise SystemExit("unknown command " + command)

main()
PY

pyj() { python3 -c "$PY_JSON" "$@"; }

# ---------------------------------------------------------------------------------------------
# Inputs

secret() {  # secret VAR → $VAR, else the trimmed contents of the file named by $VAR_FILE, else ""
    local name=$1 file_var="${1}_FILE" content
    if [[ -n "${!name:-}" ]]; then
        printf '%s' "${!name}"
        return
    fi
    if [[ -n "${!file_var:-}" ]]; then
        [[ -r "${!file_var}" ]] || die "cannot read $file_var (${!file_var})"
        content=$(<"${!file_var}")
        content="${content#"${content%%[![:space:]]*}"}"
        printf '%s' "${content%"${content##*[![:space:]]}"}"
    fi
}

HARBOR_URL=${HARBOR_URL:-}
HARBOR_USER=${HARBOR_USER:-}
PROJECTS=${HARBOR_PROJECTS:-}
INSECURE=${HARBOR_INSECURE:-0}
DRY_RUN=0
VERBOSE=0
SCANNER_URL=${AIOPS_SCANNER_URL:-}
SCANNER_NAME=aiops-model-scanner
SCANNER_DEFAULT=0
SCANNER_PROJECTS=
SCANNER_SKIP_VERIFY=false
PREHEAT_URL=${AIOPS_PREHEAT_URL:-}
PREHEAT_NAME=aiops-preheat
PREHEAT_PROJECTS=
PREHEAT_POLICY=aiops-preheat
PREHEAT_TRIGGER=event_based
PREHEAT_SCOPE=all_peers
PREHEAT_REPOSITORIES='**'
PREHEAT_TAGS='**'
PREHEAT_INSECURE=false
WEBHOOK_URL=${AIOPS_WEBHOOK_URL:-}
WEBHOOK_NAME=aiops-webhook-handler
WEBHOOK_PROJECTS=
WEBHOOK_EVENTS=PUSH_ARTIFACT,DELETE_ARTIFACT,SCANNING_COMPLETED,SCANNING_FAILED,REPLICATION
WEBHOOK_FORMAT=Default
WEBHOOK_SKIP_VERIFY=false
PROXY_URL=${AIOPS_PROXY_URL:-}
PROXY_ACCESS_KEY=${AIOPS_PROXY_ACCESS_KEY:-}
REGISTRY_NAME=aiops-proxy-adapter
PROXY_INSECURE=false
REPLICATE_MODELS=
REPLICATION_TAG='**'
REPLICATION_NAMESPACE=models
REPLICATION_NAME=aiops-hf-models
REPLICATION_CRON=
REPLICATION_FLATTEN=0
COPY_BY_CHUNK=true
PROXY_CACHE_PROJECT=

while (($#)); do
    flag=$1
    case $flag in
        -h | --help) usage; exit 0 ;;
        --dry-run) DRY_RUN=1; shift; continue ;;
        --verbose) VERBOSE=1; shift; continue ;;
        --insecure) INSECURE=1; shift; continue ;;
        --scanner-default) SCANNER_DEFAULT=1; shift; continue ;;
        --scanner-skip-verify) SCANNER_SKIP_VERIFY=true; shift; continue ;;
        --preheat-insecure) PREHEAT_INSECURE=true; shift; continue ;;
        --webhook-skip-verify) WEBHOOK_SKIP_VERIFY=true; shift; continue ;;
        --proxy-insecure) PROXY_INSECURE=true; shift; continue ;;
        --no-copy-by-chunk) COPY_BY_CHUNK=false; shift; continue ;;
    esac
    (($# >= 2)) || die "$flag needs a value (see --help)"
    value=$2
    shift 2
    # shellcheck disable=SC2034  # the *_FILE variables are read indirectly by secret()
    case $flag in
        --harbor-url) HARBOR_URL=$value ;;
        --user) HARBOR_USER=$value ;;
        --password-file) HARBOR_PASSWORD_FILE=$value ;;
        --projects) PROJECTS=$value ;;
        --scanner-url) SCANNER_URL=$value ;;
        --scanner-token-file) AIOPS_SCANNER_TOKEN_FILE=$value ;;
        --scanner-name) SCANNER_NAME=$value ;;
        --scanner-projects) SCANNER_PROJECTS=$value ;;
        --preheat-url) PREHEAT_URL=$value ;;
        --preheat-token-file) AIOPS_PREHEAT_TOKEN_FILE=$value ;;
        --preheat-name) PREHEAT_NAME=$value ;;
        --preheat-projects) PREHEAT_PROJECTS=$value ;;
        --preheat-policy) PREHEAT_POLICY=$value ;;
        --preheat-trigger) PREHEAT_TRIGGER=$value ;;
        --preheat-scope) PREHEAT_SCOPE=$value ;;
        --preheat-repositories) PREHEAT_REPOSITORIES=$value ;;
        --preheat-tags) PREHEAT_TAGS=$value ;;
        --webhook-url) WEBHOOK_URL=$value ;;
        --webhook-auth-header-file) AIOPS_WEBHOOK_AUTH_HEADER_FILE=$value ;;
        --webhook-name) WEBHOOK_NAME=$value ;;
        --webhook-projects) WEBHOOK_PROJECTS=$value ;;
        --webhook-events) WEBHOOK_EVENTS=$value ;;
        --webhook-format) WEBHOOK_FORMAT=$value ;;
        --proxy-url) PROXY_URL=$value ;;
        --proxy-secret-file) AIOPS_PROXY_ACCESS_SECRET_FILE=$value ;;
        --registry-name) REGISTRY_NAME=$value ;;
        --replicate-models) REPLICATE_MODELS=$value ;;
        --replication-tag) REPLICATION_TAG=$value ;;
        --replication-namespace) REPLICATION_NAMESPACE=$value ;;
        --replication-name) REPLICATION_NAME=$value ;;
        --replication-cron) REPLICATION_CRON=$value ;;
        --replication-flatten) REPLICATION_FLATTEN=$value ;;
        --proxy-cache-project) PROXY_CACHE_PROJECT=$value ;;
        *) die "unknown flag $flag (see --help)" ;;
    esac
done

HARBOR_URL=${HARBOR_URL%/}
[[ $HARBOR_URL =~ ^https?://[^/]+ ]] || die "--harbor-url (HARBOR_URL) must be an http(s) URL"
[[ -n $HARBOR_USER ]] || die "--user (HARBOR_USER) is required"
HARBOR_PASSWORD=$(secret HARBOR_PASSWORD)
[[ -n $HARBOR_PASSWORD ]] || die "HARBOR_PASSWORD or HARBOR_PASSWORD_FILE is required"
SCANNER_PROJECTS=${SCANNER_PROJECTS:-$PROJECTS}
PREHEAT_PROJECTS=${PREHEAT_PROJECTS:-$PROJECTS}
WEBHOOK_PROJECTS=${WEBHOOK_PROJECTS:-$PROJECTS}
if [[ -n $SCANNER_URL ]]; then
    SCANNER_TOKEN=$(secret AIOPS_SCANNER_TOKEN)
    [[ -n $SCANNER_TOKEN ]] || die "--scanner-url needs AIOPS_SCANNER_TOKEN or AIOPS_SCANNER_TOKEN_FILE"
fi
if [[ -n $PREHEAT_URL ]]; then
    PREHEAT_TOKEN=$(secret AIOPS_PREHEAT_TOKEN)
    [[ -n $PREHEAT_TOKEN ]] || die "--preheat-url needs AIOPS_PREHEAT_TOKEN or AIOPS_PREHEAT_TOKEN_FILE"
    case $PREHEAT_TRIGGER in
        event_based | manual) PREHEAT_TRIGGER_SPEC=("trigger.type=s:$PREHEAT_TRIGGER" "trigger.trigger_setting=j:{}") ;;
        scheduled:?*)
            PREHEAT_TRIGGER_SPEC=("trigger.type=s:scheduled" "trigger.trigger_setting.cron=s:${PREHEAT_TRIGGER#scheduled:}") ;;
        *) die "--preheat-trigger must be event_based, manual or scheduled:<cron>" ;;
    esac
    case $PREHEAT_SCOPE in
        single_seed_peer | all_seed_peers | all_peers) ;;
        *) die "--preheat-scope must be single_seed_peer, all_seed_peers or all_peers" ;;
    esac
fi
if [[ -n $WEBHOOK_URL ]]; then
    WEBHOOK_AUTH_HEADER=$(secret AIOPS_WEBHOOK_AUTH_HEADER)
    [[ -n $WEBHOOK_AUTH_HEADER ]] || die "--webhook-url needs AIOPS_WEBHOOK_AUTH_HEADER or AIOPS_WEBHOOK_AUTH_HEADER_FILE"
    [[ -n $WEBHOOK_PROJECTS ]] || die "--webhook-url needs --webhook-projects or --projects"
    [[ $WEBHOOK_FORMAT == Default || $WEBHOOK_FORMAT == CloudEvents ]] ||
        die "--webhook-format must be Default or CloudEvents"
fi
if [[ -n $PROXY_URL ]]; then
    PROXY_ACCESS_SECRET=$(secret AIOPS_PROXY_ACCESS_SECRET)
    [[ -z $PROXY_ACCESS_KEY || -n $PROXY_ACCESS_SECRET ]] ||
        die "AIOPS_PROXY_ACCESS_KEY needs AIOPS_PROXY_ACCESS_SECRET or AIOPS_PROXY_ACCESS_SECRET_FILE"
elif [[ -n $REPLICATE_MODELS || -n $PROXY_CACHE_PROJECT ]]; then
    die "--replicate-models and --proxy-cache-project need --proxy-url"
fi
[[ -n $SCANNER_URL || -n $PREHEAT_URL || -n $WEBHOOK_URL || -n $PROXY_URL ]] ||
    die "nothing to register: give --scanner-url, --preheat-url, --webhook-url and/or --proxy-url"
[[ $REPLICATION_FLATTEN =~ ^-?[0-9]+$ ]] || die "--replication-flatten must be an integer"

API=$HARBOR_URL/api/v2.0
WORK=$(umask 077 && mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------
# HTTP: one curl per call, Basic credentials from a config on a pipe (never in argv), no cookies.

urlencode() {
    local LC_ALL=C text=$1 out='' char index
    for ((index = 0; index < ${#text}; index++)); do
        char=${text:index:1}
        case $char in
            [a-zA-Z0-9.~_-]) out+=$char ;;
            *) printf -v char '%%%02X' "'$char"; out+=$char ;;
        esac
    done
    printf '%s' "$out"
}

curl_auth_config() {  # curl config syntax: "\" and "\\" escaped inside double quotes
    local credentials="$HARBOR_USER:$HARBOR_PASSWORD"
    credentials=${credentials//\\/\\\\}
    printf 'user = "%s"\n' "${credentials//\"/\\\"}"
}

print_call() {  # METHOD URL [BODY] [NOTE]
    local body=''
    [[ -z ${3:-} ]] || body=" $(pyj mask <<<"$3")"
    printf '%s %s%s%s\n' "$1" "$2" "$body" "${4:+  # $4}"
}

HTTP_STATUS=0
HTTP_LOCATION=
# api METHOD PATH [BODY]: the answer in HTTP_STATUS, $WORK/body and HTTP_LOCATION. In a dry run
# writes are printed, not sent (HTTP_STATUS=0). Fails with one line when Harbor is unreachable or
# refuses the credentials.
api() {
    local method=$1 path=$2 body=${3:-} code rc=0
    local url=$API$path
    if ((DRY_RUN)) && [[ $method != GET ]]; then
        print_call "$method" "$url" "$body" "dry run: not sent"
        HTTP_STATUS=0 HTTP_LOCATION=
        return 0
    fi
    if ((DRY_RUN || VERBOSE)); then
        print_call "$method" "$url" "$body"
    fi
    local args=(-s -X "$method" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}'
        --connect-timeout 10 --max-time 120
        -H 'Accept: application/json' -H 'X-Is-Resource-Name: true')
    if [[ $INSECURE == 1 || $INSECURE == true ]]; then
        args+=(-k)
    fi
    if [[ -n $body ]]; then
        printf '%s' "$body" >"$WORK/request"
        args+=(-H 'Content-Type: application/json' --data-binary "@$WORK/request")
    fi
    rm -f "$WORK/body"
    code=$(curl "${args[@]}" -K <(curl_auth_config) "$url") || rc=$?
    case $rc in
        0) ;;
        6) die "cannot resolve the host of $HARBOR_URL" ;;
        7) die "cannot connect to Harbor at $HARBOR_URL (connection refused or unreachable)" ;;
        28) die "Harbor at $HARBOR_URL did not answer in time" ;;
        35 | 51 | 58 | 60 | 77 | 83) die "TLS to $HARBOR_URL failed (curl $rc; --insecure skips verification)" ;;
        *) die "request to $HARBOR_URL failed (curl exit $rc)" ;;
    esac
    HTTP_STATUS=$code
    HTTP_LOCATION=$(sed -n 's/^[Ll][Oo][Cc][Aa][Tt][Ii][Oo][Nn]:[[:space:]]*//p' "$WORK/headers" | tr -d '\r' | tail -n 1)
    if [[ $HTTP_STATUS == 401 ]]; then
        die "Harbor at $HARBOR_URL rejected the credentials of user $HARBOR_USER (HTTP 401)"
    fi
}

fail() {  # fail WHAT: the last answer as one line
    local message
    message=$(body | pyj errmsg)
    case $HTTP_STATUS in
        403) die "$1: user $HARBOR_USER lacks the permission (HTTP 403${message:+: $message})" ;;
        409) die "$1: already exists (HTTP 409${message:+: $message}); re-run to reconcile" ;;
        *) die "$1: HTTP $HTTP_STATUS${message:+: $message}" ;;
    esac
}

expect() {  # expect STATUS WHAT — a dry run's unsent writes pass
    [[ $HTTP_STATUS == "$1" || $HTTP_STATUS == 0 ]] || fail "$2"
}

body() { cat "$WORK/body" 2>/dev/null || true; }

report() {  # report WHAT STATE
    if ((DRY_RUN)); then
        printf '%s: %s (dry run)\n' "$1" "$2"
    else
        printf '%s: %s\n' "$1" "$2"
    fi
}

# The id a 201's Location ends with (Harbor: <request path>/<id or name>); a placeholder in dry runs.
created_id() {  # created_id WHAT
    if ((DRY_RUN)); then
        printf '<id of the new %s>' "$1"
        return
    fi
    [[ -n $HTTP_LOCATION ]] || die "$1: Harbor answered 201 without a Location header"
    printf '%s' "${HTTP_LOCATION##*/}"
}

# upsert WHAT LIST_PATH ITEM_PREFIX KEY_FIELD WANT [PUT_BODY [CARRY_FIELD...]]: looks WANT's "name"
# up with GET LIST_PATH?q=name=<name> (exact match kept), then creates it (POST LIST_PATH → 201)
# or, when a field Harbor shows differs, updates it: PUT ITEM_PREFIX/<KEY_FIELD of the item> with
# PUT_BODY, or with WANT plus the CARRY_FIELDs of the item when PUT_BODY is "". Sets UPSERT_KEY
# (the item's KEY_FIELD, or the new id from the Location) and UPSERT_ITEM (the item as listed, ""
# when it was created).
upsert() {
    local what=$1 list_path=$2 item_prefix=$3 key_field=$4 want=$5 put_body=${6:-}
    shift $(($# < 6 ? $# : 6))
    local name changed
    name=$(pyj field name <<<"$want")
    api GET "$list_path?q=$(urlencode "name=$name")"
    expect 200 "list $what"
    UPSERT_ITEM=$(body | pyj find "$name")
    if [[ -z $UPSERT_ITEM ]]; then
        api POST "$list_path" "$want"
        expect 201 "create $what $name"
        UPSERT_KEY=$(created_id "$what")
        report "$what $name" created
        return
    fi
    UPSERT_KEY=$(pyj field "$key_field" <<<"$UPSERT_ITEM")
    changed=$(pyj diff "$want" <<<"$UPSERT_ITEM")
    if [[ -z $changed ]]; then
        report "$what $name" unchanged
        return
    fi
    [[ -n $put_body ]] || put_body=$(pyj merge "$want" "$@" <<<"$UPSERT_ITEM")
    api PUT "$item_prefix/$(urlencode "$UPSERT_KEY")" "$put_body"
    expect 200 "update $what $name"
    report "$what $name" "updated ($changed)"
}

declare -A CHECKED_PROJECTS=()
require_project() {  # require_project NAME: fails with one line unless the project exists
    local project=$1
    [[ -z ${CHECKED_PROJECTS[$project]:-} ]] || return 0
    api GET "/projects/$(urlencode "$project")"
    [[ $HTTP_STATUS != 404 ]] || die "Harbor project $project does not exist (create it first)"
    expect 200 "read project $project"
    CHECKED_PROJECTS[$project]=1
}

split_list() { tr ',' '\n' <<<"$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' || true; }

# ---------------------------------------------------------------------------------------------
# Steps

check_credentials() {  # 401 = wrong credentials (api dies); 412 = a robot account, also fine
    api GET /users/current
    [[ $HTTP_STATUS == 200 || $HTTP_STATUS == 412 ]] || fail "check the credentials"
}

register_scanner() {
    local want uuid project current
    want=$(SECRET="$SCANNER_TOKEN" pyj build "name=s:$SCANNER_NAME" \
        "description=s:aiops-cache scanner-adapter: AI model scanning and ML-BOM" \
        "url=s:$SCANNER_URL" "auth=s:Bearer" "access_credential=env:SECRET" \
        "skip_certVerify=b:$SCANNER_SKIP_VERIFY" "use_internal_addr=b:false" "disabled=b:false")
    upsert scanner /scanners /scanners uuid "$want"
    uuid=$UPSERT_KEY
    if ((SCANNER_DEFAULT)); then
        if [[ $(pyj field is_default <<<"$UPSERT_ITEM") == true ]]; then
            report "system default scanner" unchanged
        else
            api PATCH "/scanners/$(urlencode "$uuid")" '{"is_default":true}'
            expect 200 "set scanner $SCANNER_NAME as the system default"
            report "system default scanner" "set to $SCANNER_NAME"
        fi
    fi
    while read -r project <&3; do
        require_project "$project"
        # Harbor answers the project's scanner, else the system default (null/404 when none).
        api GET "/projects/$(urlencode "$project")/scanner"
        [[ $HTTP_STATUS == 200 || $HTTP_STATUS == 404 ]] || fail "read the scanner of project $project"
        current=''
        [[ $HTTP_STATUS != 200 ]] || current=$(body | pyj field uuid)
        if [[ $current == "$uuid" ]]; then
            report "scanner of project $project" unchanged
            continue
        fi
        api PUT "/projects/$(urlencode "$project")/scanner" "$(pyj build "uuid=s:$uuid")"
        expect 200 "set the scanner of project $project"
        report "scanner of project $project" "set to $SCANNER_NAME"
    done 3< <(split_list "$SCANNER_PROJECTS")
}

register_preheat() {
    local want instance_id project path policy
    want=$(SECRET="$PREHEAT_TOKEN" pyj build "name=s:$PREHEAT_NAME" \
        "description=s:aiops-cache preheat-provider (Dragonfly open API)" "vendor=s:dragonfly" \
        "endpoint=s:$PREHEAT_URL" "auth_mode=s:OAUTH" "auth_info.token=env:SECRET" \
        "enabled=b:true" "default=b:false" "insecure=b:$PREHEAT_INSECURE")
    # PUT /p2p/preheat/instances/{name} updates the instance whose "id" the body carries.
    upsert "preheat instance" /p2p/preheat/instances /p2p/preheat/instances name "$want" "" id
    if [[ -n $UPSERT_ITEM ]]; then
        instance_id=$(pyj field id <<<"$UPSERT_ITEM")
    elif ((DRY_RUN)); then
        instance_id="<id of the new preheat instance>"
    else  # the Location names the instance, the policy needs its id
        api GET "/p2p/preheat/instances/$(urlencode "$PREHEAT_NAME")"
        expect 200 "read preheat instance $PREHEAT_NAME"
        instance_id=$(body | pyj field id)
    fi
    policy=$(pyj build "name=s:$PREHEAT_POLICY" \
        "description=s:preheat pushed artifacts onto the GPU nodes (aiops-cache)" \
        "provider_id=n:$instance_id" "enabled=b:true" \
        "filters.0.type=s:repository" "filters.0.value=s:$PREHEAT_REPOSITORIES" \
        "filters.1.type=s:tag" "filters.1.value=s:$PREHEAT_TAGS" "${PREHEAT_TRIGGER_SPEC[@]}" \
        "extra_attrs.scope=s:$PREHEAT_SCOPE" "@str=filters" "@str=trigger" "@str=extra_attrs")
    while read -r project <&3; do
        require_project "$project"
        path="/projects/$(urlencode "$project")/preheat/policies"
        # Updated by name; Harbor takes the id and project_id from the body (UpdatePolicy).
        upsert "project $project: preheat policy" "$path" "$path" name "$policy" "" id project_id
    done 3< <(split_list "$PREHEAT_PROJECTS")
}

register_webhooks() {
    local want project path
    want=$(SECRET="$WEBHOOK_AUTH_HEADER" pyj build "name=s:$WEBHOOK_NAME" \
        "description=s:aiops-cache webhook-handler" "enabled=b:true" \
        "event_types=l:$WEBHOOK_EVENTS" "targets.0.type=s:http" \
        "targets.0.address=s:${WEBHOOK_URL%/}/harbor" "targets.0.auth_header=env:SECRET" \
        "targets.0.skip_cert_verify=b:$WEBHOOK_SKIP_VERIFY" \
        "targets.0.payload_format=s:$WEBHOOK_FORMAT")
    while read -r project <&3; do
        require_project "$project"
        path="/projects/$(urlencode "$project")/webhook/policies"
        upsert "project $project: webhook policy" "$path" "$path" id "$want"
    done 3< <(split_list "$WEBHOOK_PROJECTS")
}

register_proxy() {
    local want update registry_id
    local credential=() update_credential=()
    if [[ -n $PROXY_ACCESS_KEY ]]; then
        credential=("credential.type=s:basic" "credential.access_key=s:$PROXY_ACCESS_KEY"
            "credential.access_secret=env:SECRET")
        update_credential=("credential_type=s:basic" "access_key=s:$PROXY_ACCESS_KEY"
            "access_secret=env:SECRET")
    fi
    want=$(SECRET="${PROXY_ACCESS_SECRET:-}" pyj build "name=s:$REGISTRY_NAME" \
        "description=s:aiops-cache proxy-adapter: Hugging Face models as OCI artifacts" \
        "type=s:docker-registry" "url=s:$PROXY_URL" "insecure=b:$PROXY_INSECURE" "${credential[@]}")
    # PUT /registries/{id} takes the flat RegistryUpdate shape, not Registry.
    update=$(SECRET="${PROXY_ACCESS_SECRET:-}" pyj build "name=s:$REGISTRY_NAME" \
        "description=s:aiops-cache proxy-adapter: Hugging Face models as OCI artifacts" \
        "url=s:$PROXY_URL" "insecure=b:$PROXY_INSECURE" "${update_credential[@]}")
    upsert registry /registries /registries id "$want" "$update"
    if [[ -n $UPSERT_ITEM && $(pyj field type <<<"$UPSERT_ITEM") != docker-registry ]]; then
        die "registry $REGISTRY_NAME exists with type $(pyj field type <<<"$UPSERT_ITEM"), not docker-registry"
    fi
    registry_id=$UPSERT_KEY
    [[ -z $REPLICATE_MODELS ]] || register_replication "$registry_id"
    [[ -z $PROXY_CACHE_PROJECT ]] || register_proxy_cache_project "$registry_id"
}

register_replication() {
    local registry_id=$1 models want trigger=("trigger.type=s:manual")
    models=$(split_list "$REPLICATE_MODELS" | paste -sd, -)
    # One exact name, or {a,b}: both are "specific paths", so Harbor skips /v2/_catalog.
    [[ $models != *,* ]] || models="{$models}"
    [[ -z $REPLICATION_CRON ]] ||
        trigger=("trigger.type=s:scheduled" "trigger.trigger_settings.cron=s:$REPLICATION_CRON")
    # The handler reads "deletion" (swagger: deprecated for "replicate_deletion"): send both.
    want=$(pyj build "name=s:$REPLICATION_NAME" \
        "description=s:pull Hugging Face models through the aiops-cache proxy-adapter" \
        "src_registry.id=n:$registry_id" "dest_namespace=s:$REPLICATION_NAMESPACE" \
        "dest_namespace_replace_count=n:$REPLICATION_FLATTEN" "${trigger[@]}" \
        "filters.0.type=s:name" "filters.0.value=s:$models" \
        "filters.1.type=s:tag" "filters.1.value=s:$REPLICATION_TAG" \
        "filters.1.decoration=s:matches" "enabled=b:true" "override=b:true" \
        "deletion=b:false" "replicate_deletion=b:false" "speed=n:0" "copy_by_chunk=b:$COPY_BY_CHUNK")
    upsert "replication rule" /replication/policies /replication/policies id "$want"
}

register_proxy_cache_project() {
    local registry_id=$1 project=$PROXY_CACHE_PROJECT current
    api GET "/projects/$(urlencode "$project")"
    if [[ $HTTP_STATUS == 200 ]]; then
        current=$(body | pyj field registry_id)
        [[ $current == "$registry_id" ]] ||
            die "project $project exists and is not a proxy cache of registry $REGISTRY_NAME (registry_id ${current:-none})"
        report "proxy-cache project $project" unchanged
        return
    fi
    [[ $HTTP_STATUS == 404 ]] || fail "read project $project"
    api POST /projects "$(pyj build "project_name=s:$project" "registry_id=n:$registry_id" \
        "metadata.public=s:false")"
    expect 201 "create proxy-cache project $project"
    report "proxy-cache project $project" created
}

check_credentials
[[ -z $SCANNER_URL ]] || register_scanner
[[ -z $PREHEAT_URL ]] || register_preheat
[[ -z $WEBHOOK_URL ]] || register_webhooks
[[ -z $PROXY_URL ]] || register_proxy
