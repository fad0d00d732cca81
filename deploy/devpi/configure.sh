#!/usr/bin/env bash
# Configures devpi-server for aiops-cache wheel promotion, idempotently: the promotion user, a PyPI
# mirror index, the volatile `staging` index (mirror as base, uploadtrigger_jenkins → the
# webhook-handler) and the non-volatile `release` index (promotion user in acl_upload).
# Every step reads first and writes only what differs; --dry-run prints the calls.
# Contract: shared/reference/devpi-api.md. Usage and flags: deploy/devpi/README.md (or --help).
set -euo pipefail

PROG=configure.sh

usage() {
    cat <<'EOF'
Usage: configure.sh [flags]          (secrets only through the environment or *_FILE files)

  --devpi-url URL (DEVPI_URL)       --user NAME (DEVPI_USER): logs in with POST /+login
  password: DEVPI_PASSWORD or DEVPI_PASSWORD_FILE / --password-file FILE
  --index-user NAME (DEVPI_INDEX_USER) [--user]: owner of the staging and release indexes
  --staging NAME [staging]   --release NAME [release]
  --mirror-index USER/NAME [<index-user>/pypi]   --mirror-url URL [https://pypi.org/simple/]
  --no-mirror                no mirror index, staging gets no base
  --promotion-user NAME (DEVPI_PROMOTION_USER): put in release's acl_upload; created when missing
      with DEVPI_PROMOTION_PASSWORD or DEVPI_PROMOTION_PASSWORD_FILE / --promotion-password-file
  --webhook-url URL (AIOPS_WEBHOOK_URL): the webhook-handler's base URL; staging gets
      uploadtrigger_jenkins=<url>/devpi/<index-user>/<staging>/{pkgname}/{pkgversion}?token=<token>
      token: AIOPS_DEVPI_HOOK_TOKEN or AIOPS_DEVPI_HOOK_TOKEN_FILE / --hook-token-file FILE
  --insecure (DEVPI_INSECURE=1)   no TLS verification
  --dry-run   print every call (secrets masked), change nothing   --verbose   print every call
EOF
}

die() {  # ONE line on stderr, exit 1
    local message="$*"
    printf '%s: %s\n' "$PROG" "${message//$'\n'/ }" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# JSON (python3, standard library only): bodies, index config differences as PATCH operations,
# masking.

read -r -d '' PY_JSON <<'PY' || true
import json, os, re, sys

def load(text):
    text = text.strip()
    return json.loads(text) if text else None

def mask(value, key=None):
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    if key == "password" and value:
        return "***"
    if isinstance(value, str):
        return re.sub(r"(token=)[^&\s\"]+", r"\1***", value)
    return value

def as_text(value):  # how devpi's key=value operations spell a value
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)

def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "object":  # key=value pairs; value "env:NAME" reads $NAME, "true"/"false" bool,
        body = {}            # "[a,b]" a list of strings
        for arg in args:
            key, _, value = arg.partition("=")
            if value.startswith("env:"):
                value = os.environ.get(value[4:], "")
            elif value in ("true", "false"):
                value = value == "true"
            elif value.startswith("[") and value.endswith("]"):
                value = [item for item in value[1:-1].split(",") if item]
            body[key] = value
        print(json.dumps(body, separators=(",", ":")))
    elif command == "ops":  # args: key=value (set) or key+=value (list add); stdin: indexconfig
        config = (load(sys.stdin.read()) or {}).get("result") or {}
        ops = []
        for arg in args:
            if "+=" in arg:
                key, _, item = arg.partition("+=")
                if item not in (config.get(key) or []):
                    ops.append(arg)
                continue
            key, _, value = arg.partition("=")
            if value.startswith("env:"):
                value = os.environ.get(value[4:], "")
            current = config.get(key)
            want = {"true": True, "false": False}.get(value, value) if isinstance(current, bool) \
                else value
            if current != want:
                ops.append(key + "=" + as_text(want))
        print(json.dumps(ops, separators=(",", ":")) if ops else "")
    elif command in ("field", "key"):  # field: result.<key> of a devpi answer; key: <key>
        value = load(sys.stdin.read()) or {}
        value = ((value.get("result") or {}) if command == "field" else value).get(args[0])
        if value is not None:
            print(value if isinstance(value, str) else json.dumps(value))
    elif command == "mask":
        text = sys.stdin.read()
        print(json.dumps(mask(load(text)), separators=(",", ":")) if text.strip() else "")
    elif command == "errmsg":  # devpi's {"message"}, a pyramid page's <title>, or the text
        text = sys.stdin.read()
        try:
            text = json.loads(text).get("message") or text
        except (ValueError, AttributeError):
            title = re.search(r"<title>(.*?)</title>", text, re.S)
            text = title.group(1) if title else text
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

DEVPI_URL=${DEVPI_URL:-}
DEVPI_USER=${DEVPI_USER:-}
INDEX_USER=${DEVPI_INDEX_USER:-}
STAGING=staging
RELEASE=release
MIRROR_INDEX=
MIRROR_URL=https://pypi.org/simple/
NO_MIRROR=0
PROMOTION_USER=${DEVPI_PROMOTION_USER:-}
WEBHOOK_URL=${AIOPS_WEBHOOK_URL:-}
INSECURE=${DEVPI_INSECURE:-0}
DRY_RUN=0
VERBOSE=0

while (($#)); do
    flag=$1
    case $flag in
        -h | --help) usage; exit 0 ;;
        --dry-run) DRY_RUN=1; shift; continue ;;
        --verbose) VERBOSE=1; shift; continue ;;
        --insecure) INSECURE=1; shift; continue ;;
        --no-mirror) NO_MIRROR=1; shift; continue ;;
    esac
    (($# >= 2)) || die "$flag needs a value (see --help)"
    value=$2
    shift 2
    # shellcheck disable=SC2034  # the *_FILE variables are read indirectly by secret()
    case $flag in
        --devpi-url) DEVPI_URL=$value ;;
        --user) DEVPI_USER=$value ;;
        --password-file) DEVPI_PASSWORD_FILE=$value ;;
        --index-user) INDEX_USER=$value ;;
        --staging) STAGING=$value ;;
        --release) RELEASE=$value ;;
        --mirror-index) MIRROR_INDEX=$value ;;
        --mirror-url) MIRROR_URL=$value ;;
        --promotion-user) PROMOTION_USER=$value ;;
        --promotion-password-file) DEVPI_PROMOTION_PASSWORD_FILE=$value ;;
        --webhook-url) WEBHOOK_URL=$value ;;
        --hook-token-file) AIOPS_DEVPI_HOOK_TOKEN_FILE=$value ;;
        *) die "unknown flag $flag (see --help)" ;;
    esac
done

DEVPI_URL=${DEVPI_URL%/}
[[ $DEVPI_URL =~ ^https?://[^/]+ ]] || die "--devpi-url (DEVPI_URL) must be an http(s) URL"
[[ -n $DEVPI_USER ]] || die "--user (DEVPI_USER) is required"
DEVPI_PASSWORD=$(secret DEVPI_PASSWORD)
[[ -n $DEVPI_PASSWORD ]] || die "DEVPI_PASSWORD or DEVPI_PASSWORD_FILE is required"
INDEX_USER=${INDEX_USER:-$DEVPI_USER}
MIRROR_INDEX=${MIRROR_INDEX:-$INDEX_USER/pypi}
for name in "$INDEX_USER" "$STAGING" "$RELEASE"; do
    [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "invalid devpi user or index name: $name"
done
[[ $MIRROR_INDEX =~ ^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$ ]] ||
    die "--mirror-index must be USER/NAME"
[[ $MIRROR_URL =~ ^https?:// ]] || die "--mirror-url must be an http(s) URL"
PROMOTION_PASSWORD=$(secret DEVPI_PROMOTION_PASSWORD)
TRIGGER_URL=
if [[ -n $WEBHOOK_URL ]]; then
    [[ $WEBHOOK_URL =~ ^https?://[^/]+ ]] || die "--webhook-url must be an http(s) URL"
    HOOK_TOKEN=$(secret AIOPS_DEVPI_HOOK_TOKEN)
    [[ -n $HOOK_TOKEN ]] || die "--webhook-url needs AIOPS_DEVPI_HOOK_TOKEN or AIOPS_DEVPI_HOOK_TOKEN_FILE"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------------------------------------
# HTTP: one curl per call, the X-Devpi-Auth header from a config on a pipe (never in argv), no
# cookies.

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

if [[ -n $WEBHOOK_URL ]]; then
    TRIGGER_URL="${WEBHOOK_URL%/}/devpi/$INDEX_USER/$STAGING/{pkgname}/{pkgversion}?token=$(urlencode "$HOOK_TOKEN")"
fi

DEVPI_AUTH=''  # base64("user:token") after login
curl_auth_config() {
    [[ -z $DEVPI_AUTH ]] || printf 'header = "X-Devpi-Auth: %s"\n' "$DEVPI_AUTH"
}

print_call() {  # METHOD URL [BODY] [NOTE]
    local body=''
    [[ -z ${3:-} ]] || body=" $(pyj mask <<<"$3")"
    printf '%s %s%s%s\n' "$1" "$2" "$body" "${4:+  # $4}"
}

HTTP_STATUS=0
# api METHOD PATH [BODY [read-only]]: the answer in HTTP_STATUS and $WORK/body. In a dry run writes
# are printed, not sent (HTTP_STATUS=0), unless marked read-only. Fails with one line when devpi is
# unreachable.
api() {
    local method=$1 path=$2 body=${3:-} read_only=${4:-} code rc=0
    local url=$DEVPI_URL$path
    if ((DRY_RUN)) && [[ $method != GET && -z $read_only ]]; then
        print_call "$method" "$url" "$body" "dry run: not sent"
        HTTP_STATUS=0
        return 0
    fi
    if ((DRY_RUN || VERBOSE)); then
        print_call "$method" "$url" "$body" "$read_only"
    fi
    local args=(-s -X "$method" -o "$WORK/body" -w '%{http_code}' --connect-timeout 10
        --max-time 120 -H 'Accept: application/json')
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
        6) die "cannot resolve the host of $DEVPI_URL" ;;
        7) die "cannot connect to devpi at $DEVPI_URL (connection refused or unreachable)" ;;
        28) die "devpi at $DEVPI_URL did not answer in time" ;;
        35 | 51 | 58 | 60 | 77 | 83) die "TLS to $DEVPI_URL failed (curl $rc; --insecure skips verification)" ;;
        *) die "request to $DEVPI_URL failed (curl exit $rc)" ;;
    esac
    HTTP_STATUS=$code
}

body() { cat "$WORK/body" 2>/dev/null || true; }

fail() {  # fail WHAT: the last answer as one line
    local message
    message=$(body | pyj errmsg)
    case $HTTP_STATUS in
        401 | 403) die "$1: user $DEVPI_USER is not allowed (HTTP $HTTP_STATUS${message:+: $message})" ;;
        *) die "$1: HTTP $HTTP_STATUS${message:+: $message}" ;;
    esac
}

expect() {  # expect STATUS WHAT — a dry run's unsent writes pass
    [[ $HTTP_STATUS == "$1" || $HTTP_STATUS == 0 ]] || fail "$2"
}

report() {  # report WHAT STATE
    if ((DRY_RUN)); then
        printf '%s: %s (dry run)\n' "$1" "$2"
    else
        printf '%s: %s\n' "$1" "$2"
    fi
}

# ---------------------------------------------------------------------------------------------
# Steps

login() {  # POST /+login stores nothing on the server, so dry runs send it too
    api POST /+login "$(SECRET="$DEVPI_PASSWORD" pyj object "user=$DEVPI_USER" "password=env:SECRET")" \
        "read-only: checks the password, devpi stores nothing"
    if [[ $HTTP_STATUS == 401 ]]; then
        die "devpi at $DEVPI_URL rejected the password of user $DEVPI_USER (HTTP 401)"
    fi
    [[ $HTTP_STATUS == 200 ]] || fail "log in as $DEVPI_USER"
    local token
    token=$(body | pyj field password)
    [[ -n $token ]] || die "devpi's login answer carries no token"
    DEVPI_AUTH=$(printf '%s:%s' "$DEVPI_USER" "$token" | base64 -w 0)
}

ensure_promotion_user() {
    local user=$PROMOTION_USER
    api GET "/$(urlencode "$user")"
    if [[ $HTTP_STATUS == 200 ]]; then
        report "user $user" unchanged
        return
    fi
    [[ $HTTP_STATUS == 404 ]] || fail "read user $user"
    [[ -n $PROMOTION_PASSWORD ]] ||
        die "user $user does not exist: set DEVPI_PROMOTION_PASSWORD or DEVPI_PROMOTION_PASSWORD_FILE to create it"
    api PUT "/$(urlencode "$user")" "$(SECRET="$PROMOTION_PASSWORD" pyj object "password=env:SECRET")"
    [[ $HTTP_STATUS != 409 ]] || { report "user $user" unchanged; return; }
    expect 201 "create user $user"
    report "user $user" created
}

# ensure_index USER/NAME CREATE_BODY OP...: creates the index (PUT → 200, devpi answers 200 not
# 201) or PATCHes the operations (key=value, key+=item) whose effect is not there yet.
ensure_index() {
    local index=$1 create=$2 type ops current path
    shift 2
    path="/$(urlencode "${index%%/*}")/$(urlencode "${index#*/}")"
    api GET "$path"
    if [[ $HTTP_STATUS == 404 ]]; then
        api PUT "$path" "$create"
        if [[ $HTTP_STATUS == 400 && $(body | pyj errmsg) == *uploadtrigger_jenkins* ]]; then
            die "create index $index: devpi does not know uploadtrigger_jenkins: install the devpi-jenkins plugin"
        fi
        expect 200 "create index $index"
        report "index $index" created
        return
    fi
    [[ $HTTP_STATUS == 200 ]] || fail "read index $index"
    type=$(pyj key type <<<"$create")
    current=$(body | pyj field type)
    [[ $current == "$type" ]] || die "index $index exists with type $current, not $type"
    ops=$(body | SECRET="${TRIGGER_URL}" pyj ops "$@")
    if [[ -z $ops ]]; then
        report "index $index" unchanged
        return
    fi
    api PATCH "$path" "$ops"
    expect 200 "update index $index"
    report "index $index" "updated $(pyj mask <<<"$ops")"
}

login
[[ -z $PROMOTION_USER ]] || ensure_promotion_user
bases="[]"
if ((!NO_MIRROR)); then
    ensure_index "$MIRROR_INDEX" \
        "$(pyj object "type=mirror" "mirror_url=$MIRROR_URL" "title=PyPI mirror (aiops-cache)")" \
        "mirror_url=$MIRROR_URL"
    bases="[$MIRROR_INDEX]"
fi
staging_create=(type=stage "bases=$bases" volatile=true)
staging_ops=(volatile=true)
if ((!NO_MIRROR)); then
    staging_ops+=("bases+=$MIRROR_INDEX")
fi
if [[ -n $TRIGGER_URL ]]; then
    staging_create+=("uploadtrigger_jenkins=env:SECRET")
    staging_ops+=("uploadtrigger_jenkins=env:SECRET")
fi
ensure_index "$INDEX_USER/$STAGING" "$(SECRET="$TRIGGER_URL" pyj object "${staging_create[@]}")" \
    "${staging_ops[@]}"
acl="[$INDEX_USER${PROMOTION_USER:+,$PROMOTION_USER}]"
release_ops=(volatile=false)
[[ -z $PROMOTION_USER ]] || release_ops+=("acl_upload+=$PROMOTION_USER")
ensure_index "$INDEX_USER/$RELEASE" \
    "$(pyj object type=stage "bases=[]" volatile=false "acl_upload=$acl")" "${release_ops[@]}"
