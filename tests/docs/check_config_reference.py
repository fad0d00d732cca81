#!/usr/bin/env python3
"""docs/configuration.md against what the service binaries really read.

  check_config_reference.py --doc docs/configuration.md [--write] [--configs DIR]... NAME=BINARY...

Each BINARY is run with --print-config-reference: it loads an empty config, runs its own
config-loading code and prints every key a getter asked for (common/src/config.cpp,
Config::reference_json) as JSON: path, type, default, min, max, env (+ file_env for secrets,
service_default when the service picks its own value for an unset key).

The doc has one section per service, `## NAME`, holding one table whose header is
`| key | type | default | range | env | meaning |`. The check fails when
  - a key the binary reads is missing from that table,
  - the table lists a key the binary does not read,
  - a generated cell (type, default, range, env) differs from what the binary prints,
  - a meaning is empty or TODO, or a NAME has no section (or a section no binary).

--write regenerates the key/type/default/range/env columns of every table from the binaries and
keeps the hand-written meaning of each key (a new key takes the meaning the same key has in
another service's table, else TODO); a missing section is appended. Only the tables change.

--configs DIR (repeatable) also checks every NAME.yaml in those directories (the deploy configs) against
NAME's keys: unknown keys, and int/bool values of the wrong type or out of range, which the
service refuses at start. Keys under a subtree the service reads whole (type node: auth.tokens,
preheat.pools, ...) and the *_file form of secrets are accepted as they are.

Defaults equal to this machine's host name (preheat-agent's agent.node_name) are written
`<hostname>`, so the doc does not depend on where it is generated.
Exit 0: the doc matches (or was written); 1: it does not; 2: usage or a binary failed.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys

HEADER = "| key | type | default | range | env | meaning |"
SEPARATOR = "|---|---|---|---|---|---|"
GENERATED = ["type", "default", "range", "env"]
UNITS = [(1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
SERVICE_DEFAULT_NOTE = " (unset: see meaning)"
TODO = "TODO"


def read_reference(binary):
    # The binary ignores the environment in this mode; AIOPS_* are dropped all the same.
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIOPS_")}
    try:
        run = subprocess.run([binary, "--print-config-reference"], capture_output=True,
                             text=True, timeout=60, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        fail(f"cannot run {binary}: {error}")
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        fail(f"{binary} --print-config-reference exited {run.returncode}")
    try:
        return json.loads(run.stdout)
    except json.JSONDecodeError as error:
        fail(f"{binary} --print-config-reference printed no JSON: {error}")


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(2)


def format_int(path, value):
    if "bytes" in path and value >= 1024:
        for size, unit in UNITS:
            if value % size == 0:
                return f"{value // size} {unit}"
    return str(value)


def code(text):
    return "`" + text.replace("|", "\\|") + "`"


def render_default(entry, hostname):
    value = entry["default"]
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = code("true" if value else "false")
    elif isinstance(value, int):
        text = code(format_int(entry["path"], value))
    elif isinstance(value, list):
        text = code(json.dumps(value))
    elif value == "":
        text = '`""`'
    elif hostname is not None and value == hostname:
        text = code("<hostname>")
    else:
        text = code(value)
    return text + (SERVICE_DEFAULT_NOTE if entry.get("service_default") else "")


def render_range(entry):
    if entry["min"] is None and entry["max"] is None:
        return ""
    path = entry["path"]
    return f"{format_int(path, entry['min'])} … {format_int(path, entry['max'])}"


def render_env(entry):
    names = [entry["env"]] + ([entry["file_env"]] if "file_env" in entry else [])
    return ", ".join(code(name) for name in names)


def render(entry, hostname):
    return {"type": entry["type"], "default": render_default(entry, hostname),
            "range": render_range(entry), "env": render_env(entry)}


def split_row(line):
    cells = re.split(r"(?<!\\)\|", line.strip())
    return [cell.strip() for cell in cells[1:-1]]


def row_line(path, cells, meaning):
    return "| " + " | ".join([code(path)] + [cells[name] for name in GENERATED] + [meaning]) + " |"


class Doc:
    """The doc's lines, and per service section the line span of its table."""

    def __init__(self, text):
        self.lines = text.split("\n")
        self.tables = {}  # service -> (first row index, end index), header/separator excluded
        section = None
        index = 0
        while index < len(self.lines):
            line = self.lines[index]
            if line.startswith("## "):
                section = line[3:].strip()
            if line.strip() == HEADER and section is not None and section not in self.tables:
                start = index + 2
                end = start
                while end < len(self.lines) and self.lines[end].startswith("|"):
                    end += 1
                self.tables[section] = (start, end)
                index = end
                continue
            index += 1

    def rows(self, service):
        start, end = self.tables[service]
        rows = {}
        for line in self.lines[start:end]:
            cells = split_row(line)
            if len(cells) != 6:
                rows.setdefault("<malformed>", []).append(line)
                continue
            path = cells[0].strip("`")
            rows[path] = dict(zip(GENERATED, cells[1:5]), meaning=cells[5])
        return rows

    def meanings(self):
        found = {}
        for service in self.tables:
            for path, cells in self.rows(service).items():
                if cells.get("meaning") and cells["meaning"] != TODO:
                    found.setdefault(path, cells["meaning"])
        return found


def check(doc, references, hostname):
    problems = []
    for service in sorted(set(doc.tables) - set(references)):
        problems.append(f"{service}: the doc has a table but no binary was given")
    for service, reference in references.items():
        if service not in doc.tables:
            problems.append(f"{service}: no '## {service}' section with the table header")
            continue
        rows = doc.rows(service)
        for line in rows.pop("<malformed>", []):
            problems.append(f"{service}: malformed table row: {line}")
        read = {entry["path"]: entry for entry in reference}
        for path in sorted(set(read) - set(rows)):
            problems.append(f"{service}: {path} is read by the binary but missing from the doc")
        for path in sorted(set(rows) - set(read)):
            problems.append(f"{service}: {path} is in the doc but the binary does not read it")
        for path in sorted(set(rows) & set(read)):
            expected = render(read[path], hostname)
            literal = render(read[path], None)  # a host named like a default (e.g. "data")
            for name in GENERATED:
                if rows[path][name] not in (expected[name], literal[name]):
                    problems.append(f"{service}: {path}: documented {name} {rows[path][name]!r}, "
                                    f"the binary says {expected[name]!r}")
            if rows[path]["meaning"] in ("", TODO):
                problems.append(f"{service}: {path}: no meaning written")
    return problems


def write(doc, references, hostname):
    meanings = doc.meanings()
    for service, reference in sorted(references.items(), key=lambda item: -_start(doc, item[0])):
        old = doc.rows(service) if service in doc.tables else {}
        lines = []
        for entry in reference:
            path = entry["path"]
            meaning = old.get(path, {}).get("meaning") or meanings.get(path, TODO)
            lines.append(row_line(path, render(entry, hostname), meaning))
        if service in doc.tables:
            start, end = doc.tables[service]
            doc.lines[start:end] = lines
        else:
            while doc.lines and doc.lines[-1] == "":
                doc.lines.pop()
            doc.lines += ["", f"## {service}", "", HEADER, SEPARATOR] + lines + [""]
    return "\n".join(doc.lines)


def _start(doc, service):
    # Tables are rewritten bottom-up so earlier spans stay valid; new sections go last.
    return doc.tables[service][0] if service in doc.tables else -1


def yaml_leaves(node, prefix=""):
    """(dotted path, value) of every non-mapping value under a YAML mapping."""
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from yaml_leaves(value, path)
        else:
            yield path, value


def check_value(entry, value):
    """Why `value` cannot be what the service reads for `entry`, or None."""
    kind = entry["type"]
    if isinstance(value, str) and kind in ("int", "bool"):
        # yaml-cpp converts a quoted scalar as readily as a plain one.
        if kind == "int" and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            value = int(value)
        elif kind == "bool" and value.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
            return None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"an int, got {value!r}"
        low, high = entry.get("min"), entry.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{low} … {high}, got {value}"
    elif kind == "bool" and not isinstance(value, bool):
        return f"true or false, got {value!r}"
    elif kind in ("string", "secret") and isinstance(value, (dict, list)):
        return f"a scalar, got {type(value).__name__}"
    return None


def check_config_file(path, reference):
    """Problems of one service config file against the keys its binary reads (unknown keys,
    values of the wrong type or out of range): the service refuses to start on either."""
    import yaml  # python3-yaml: only this mode needs it

    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    if not isinstance(config, dict):
        return [f"{path}: not a YAML mapping"]
    by_path = {entry["path"]: entry for entry in reference}
    file_keys = {entry["file_key"] for entry in reference if entry.get("file_key")}
    subtrees = [entry["path"] for entry in reference if entry["type"] == "node"]
    problems = []
    for key, value in yaml_leaves(config):
        if any(key == tree or key.startswith(tree + ".") for tree in subtrees) or key in file_keys:
            continue
        entry = by_path.get(key)
        if entry is None:
            problems.append(f"{path}: unknown key {key}")
            continue
        why = check_value(entry, value)
        if why:
            problems.append(f"{path}: {key} must be {why}")
    return problems


def check_configs(directories, references):
    """Every <service>.yaml in `directories` whose service is among `references`."""
    problems, checked = [], 0
    for directory in directories:
        for name in sorted(os.listdir(directory)):
            service, extension = os.path.splitext(name)
            if extension == ".yaml" and service in references:
                checked += 1
                problems += check_config_file(os.path.join(directory, name), references[service])
    return problems, checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--doc", required=True)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--configs", action="append", default=[], metavar="DIR",
                        help="also check every <NAME>.yaml in DIR against NAME's keys (repeatable)")
    parser.add_argument("binaries", nargs="+", metavar="NAME=BINARY")
    args = parser.parse_args()
    references = {}
    for item in args.binaries:
        name, sep, binary = item.partition("=")
        if not sep:
            parser.error(f"expected NAME=BINARY, got {item}")
        references[name] = read_reference(binary)
    hostname = socket.gethostname()
    with open(args.doc, encoding="utf-8") as handle:
        doc = Doc(handle.read())
    if args.write:
        text = write(doc, references, hostname)
        with open(args.doc, "w", encoding="utf-8") as handle:
            handle.write(text)
        doc = Doc(text)
    problems = check(doc, references, hostname)
    config_problems, configs = check_configs(args.configs, references)
    for problem in problems + config_problems:
        print(problem)
    keys = sum(len(reference) for reference in references.values())
    if problems:
        print(f"{args.doc}: {len(problems)} problem(s); regenerate the generated columns with "
              f"--write and write the missing meanings", file=sys.stderr)
    if config_problems:
        print(f"{len(config_problems)} problem(s) in the {configs} config file(s): each service "
              f"would refuse to start with them", file=sys.stderr)
    if problems or config_problems:
        return 1
    print(f"{args.doc}: {len(references)} services, {keys} keys, all documented; "
          f"{configs} config file(s) use only keys their service reads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
