#!/usr/bin/env bash
# Entry point of every benchmark (not part of ./scripts/test.sh or CI: too slow, and timing on
# shared CI machines is noise). Builds the Release tree's benchmark targets if needed, then runs
# each benchmark program; each prints its baseline, our numbers, the ratio and PASS/MISS against
# the issue's targets. Exits non-zero only when a benchmark could not measure.
#
#   ./bench/run.sh                          all benchmarks, default sizes
#   ./bench/run.sh --bytes 256M             arguments are passed to every benchmark
#   AIOPS_BUILD_DIR=build-rel ./bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${AIOPS_BUILD_DIR:-build}
JOBS=${AIOPS_JOBS:-2}
BENCHMARKS=(bench_registry_blob_download bench_catalog bench_proxy bench_scanner bench_preheat
            bench_webhook)

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DAIOPS_TESTS=ON >/dev/null
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
if [ "$build_type" != "Release" ]; then
    echo "bench/run.sh: $BUILD is a $build_type tree; benchmarks need Release" >&2
    exit 2
fi
cmake --build "$BUILD" -j"$JOBS" --target "${BENCHMARKS[@]}"

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
status=0
for name in "${BENCHMARKS[@]}"; do
    echo "== $name"
    "$BUILD/bench/$name" "$@" || status=$?
done
exit "$status"
