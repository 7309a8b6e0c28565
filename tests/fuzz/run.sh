#!/usr/bin/env bash
# run.sh BUILD_DIR: build the fuzz targets with clang and run each for
# FUZZ_SECONDS (default 20) on a seed corpus copied from testdata/.
# Crashes are saved in BUILD_DIR/crashes/ and fail the run; a crash found
# becomes a regression file under testdata/ and a unit test.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-fuzz}
SECS=${FUZZ_SECONDS:-20}
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DISLOAD_FUZZ=ON \
  -DISLOAD_SANITIZE=ON >/dev/null
cmake --build "$B" -j"$(nproc)" --target $(sed -n 's/^set(FUZZ_TARGETS \(.*\))/\1/p' tests/fuzz/CMakeLists.txt) >/dev/null
mkdir -p "$B/crashes"
status=0
for t in $(sed -n 's/^set(FUZZ_TARGETS \(.*\))/\1/p' tests/fuzz/CMakeLists.txt); do
  fmt=${t#fuzz_in_}
  fmt=${fmt%%_*}
  corpus="$B/corpus-${t#fuzz_in_}"
  mkdir -p "$corpus"
  find testdata -path "*/$fmt/*" -type f -exec cp {} "$corpus/" \; 2>/dev/null || true
  echo "fuzz: $t for ${SECS}s"
  if ! "$B/tests/fuzz/$t" -max_total_time="$SECS" -max_len=65536 \
       -artifact_prefix="$B/crashes/$t-" "$corpus" >"$B/$t.log" 2>&1; then
    echo "fuzz: $t FAILED (see $B/$t.log, artifacts in $B/crashes)"
    tail -30 "$B/$t.log"
    status=1
  else
    grep -E '^Done|stat::number_of_executed_units' "$B/$t.log" | tail -1 || true
  fi
done
exit $status
