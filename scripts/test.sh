#!/usr/bin/env bash
# The one test command (README, .ci/run): installs dependencies, checks formatting, runs
# clang-tidy and g++ 12's warnings (-fsyntax-only) on the library and service sources of the
# configured g++ Release tree, then builds ONE clang-14 tree with ASan+UBSan and libFuzzer
# instrumentation and runs every CTest label there: unit, integration, fuzz (each libFuzzer
# target replays its corpus and fuzzes for a few seconds) and e2e (./scripts/demo.sh). One compile of everything keeps CI
# inside 30 minutes on 2 cores (a g++ sanitizer tree plus a clang fuzz tree took ~27 minutes
# with five services' worth of code); the Release binaries are what ./scripts/up.sh builds.
#
#   ./scripts/test.sh                      everything
#   AIOPS_TEST_QUICK=1 ./scripts/test.sh   Release tree only, all labels (for local iteration)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${AIOPS_JOBS:-$(nproc)}

./scripts/install-deps.sh

passed=0
failed=0
run_ctest() {  # run_ctest <build dir> <label>
    local dir=$1 label=$2 log jobs=$JOBS
    # Fuzz targets run for a fixed time each (AIOPS_FUZZ_SECONDS), not a fixed amount of work:
    # twice as many at once halves the label's wall time at fewer executions per target.
    if [ "$label" = fuzz ]; then
        jobs=$((JOBS * 2))
    fi
    log=$(mktemp)
    echo "== ctest -L $label ($dir) (at ${SECONDS}s)"
    set +e
    (cd "$dir" && ctest -L "^${label}\$" --output-on-failure -j "$jobs" --timeout 600) | tee "$log"
    local rc=${PIPESTATUS[0]}
    set -e
    local total fails
    total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log" | tail -1)
    fails=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
    rm -f "$log"
    total=${total:-0}
    fails=${fails:-0}
    if [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
        fails=1  # ctest itself failed (e.g. no tests with this label)
    fi
    passed=$((passed + total - fails))
    failed=$((failed + fails))
}

echo "== format check (clang-format-14) (at ${SECONDS}s)"
mapfile -t sources < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find common tests bench -name '*.cpp' -o -name '*.h')
if [ ${#sources[@]} -gt 0 ]; then
    clang-format-14 --dry-run --Werror "${sources[@]}"
fi

# The lint tree: a configured (never built) g++ Release tree whose compile database clang-tidy and
# the g++ -fsyntax-only check read; without precompiled headers, so each source is checked with
# exactly the headers it includes.
echo "== configure (lint tree, Release) (at ${SECONDS}s)"
cmake -S . -B build-lint -DCMAKE_BUILD_TYPE=Release -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON >/dev/null
if [ -n "${AIOPS_TEST_QUICK:-}" ]; then
    echo "== build (Release) (at ${SECONDS}s)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j "$JOBS"
fi

echo "== clang-tidy-14 (library and service sources) (at ${SECONDS}s)"
run-clang-tidy-14 -p build-lint -quiet -j "$JOBS" -extra-arg=-Wno-unknown-warning-option \
    "$ROOT/(common|catalog-service|proxy-adapter|scanner-adapter|webhook-handler|preheat-provider)/src/.*\.cpp" \
    >build-lint/clang-tidy.log 2>&1 || { grep -E 'error:|warning:' build-lint/clang-tidy.log | head -50; exit 1; }

if [ -z "${AIOPS_TEST_QUICK:-}" ]; then
    echo "== g++ 12 warnings, -fsyntax-only (library and service sources) (at ${SECONDS}s)"
    AIOPS_JOBS=$JOBS python3 scripts/gcc_syntax_check.py build-lint \
        "$ROOT/(common|catalog-service|proxy-adapter|scanner-adapter|webhook-handler|preheat-provider)/src/.*\.cpp"
fi

if [ -n "${AIOPS_TEST_QUICK:-}" ]; then
    for label in unit integration fuzz e2e; do
        run_ctest build "$label"
    done
else
    echo "== build (clang-14, ASan+UBSan, libFuzzer) (at ${SECONDS}s)"
    # -O1 -g0: sanitizer builds compile much faster than -O2 -g; reports still name functions.
    if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build-asan/CMakeCache.txt; then
        rm -rf build-asan  # a g++ tree from an older test.sh
    fi
    CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g0" -DAIOPS_SANITIZE=ON -DAIOPS_FUZZ=ON >/dev/null
    cmake --build build-asan -j "$JOBS"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    for label in unit integration fuzz e2e; do
        run_ctest build-asan "$label"
    done
fi

echo
echo "all labels: ${passed} passed, ${failed} failed (${SECONDS}s)"
[ "$failed" -eq 0 ]
