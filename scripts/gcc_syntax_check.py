#!/usr/bin/python3
"""g++ warnings without g++ code generation: re-runs every compile command of a configured g++
tree (compile_commands.json) with -fsyntax-only, two at a time, and fails on the first error.

test.sh builds and tests with clang-14 (one ASan+UBSan+libFuzzer tree); this keeps g++ 12's
front-end warnings (-Wall -Wextra -Werror, e.g. -Wmissing-field-initializers) checked on every
source, since ./scripts/up.sh builds the services with g++.
Usage: gcc_syntax_check.py <build dir> [path regex]
"""
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import sys


def syntax_only(entry):
    arguments = entry.get("arguments") or shlex.split(entry["command"])
    out = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
            continue
        if argument == "-o":
            skip = True
            continue
        out.append(argument)
    out.append("-fsyntax-only")
    result = subprocess.run(out, cwd=entry["directory"], capture_output=True, text=True)
    return entry["file"], result.returncode, result.stderr


def main():
    build = sys.argv[1]
    pattern = re.compile(sys.argv[2] if len(sys.argv) > 2 else ".*")
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as handle:
        entries = [e for e in json.load(handle) if pattern.search(e["file"])]
    jobs = int(os.environ.get("AIOPS_JOBS", "2"))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, code, errors in pool.map(syntax_only, entries):
            if code != 0:
                failed += 1
                sys.stderr.write(f"g++ -fsyntax-only failed: {path}\n{errors}\n")
    print(f"g++ -fsyntax-only: {len(entries) - failed} of {len(entries)} sources clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
