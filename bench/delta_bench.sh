#!/usr/bin/env bash
# bench/delta_bench.sh: a nightly reload where 0.5% of the rows changed,
# sent with --delta next to the same reload sent in full, in one run
# against the local emulator (see docs/benchmarks.md, "Delta loads"). Not a
# test: it prints time, requests and rows sent side by side, and fails
# loudly when a load is wrong.
#
#   BENCH_DELTA_ROWS   rows (default 1000000)
#   BENCH_DELTA_EVERY  every Nth row changes (default 200: 0.5%)
#   BENCH_DELTA_DIR    scratch folder (default /tmp/isload-delta-bench)
#
# 1. seed: `isload load --full data.csv` fills the instance and the store;
# 2. delta: `isload load --delta changed.csv`;
# 3. full: `isload load changed.csv` (what a nightly job without --delta
#    sends), into the same instance.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_DELTA_ROWS:-1000000}
EVERY=${BENCH_DELTA_EVERY:-200}
W=${BENCH_DELTA_DIR:-/tmp/isload-delta-bench}
FEED=$ROOT/bench/hr_feed.json
mkdir -p "$W"
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export ISLOAD_USER=bench ISLOAD_PASSWORD=pw
die() { echo "delta_bench: FAILED: $*" >&2; exit 1; }

echo "== building (Release) =="
cmake -S "$ROOT" -B "$W/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$W/build" -j"$(nproc)" >/dev/null
ISLOAD=$W/build/pipeline/isload
SIM=$W/build/tests/emulator/isload-sim
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$W/gen" bench/gen.c

echo "== generating $N rows, every ${EVERY}th changed =="
[ -s "$W/data.csv" ] && [ "$(cat "$W/data.rows" 2>/dev/null)" = "$N" ] ||
  { "$W/gen" csv "$N" >"$W/data.csv"; echo "$N" >"$W/data.rows"; }
# the job title of every EVERY-th data row gets a suffix (a job change)
python3 - "$W/data.csv" "$W/changed.csv" "$EVERY" <<'PY'
import csv, sys
src, dst, every = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="") as f, open(dst, "w", newline="") as g:
    r, w = csv.reader(f), csv.writer(g, lineterminator="\n")
    head = next(r)
    w.writerow(head)
    jt = head.index("job_title")
    for i, row in enumerate(r, 1):
        if i % every == 0:
            row[jt] = (row[jt] + " II")[:40]
        w.writerow(row)
PY

SIM_PID=""
stop_sim() { [ -n "$SIM_PID" ] && { kill -TERM "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; }; SIM_PID=""; }
trap stop_sim EXIT
rm -rf "$W/state" "$W/sim.db" "$W/sim.db-wal" "$W/sim.db-shm"
: >"$W/sim.out"
"$SIM" --port 0 --feed "$FEED" --user bench:pw --db "$W/sim.db" >"$W/sim.out" 2>"$W/sim.err" &
SIM_PID=$!
for _ in $(seq 1 200); do PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$W/sim.out"); [ -n "$PORT" ] && break; sleep 0.05; done
[ -n "${PORT:-}" ] || die "isload-sim did not start"
URL="http://127.0.0.1:$PORT"

load() { # NAME args...: a load, its wall time and report figures into $W/NAME.*
  local name=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  set +e
  "$ISLOAD" load -q "$FEED" --instance "$URL" --state-dir "$W/state" --report "$W/$name.json" "$@" \
    >"$W/$name.out" 2>"$W/$name.err"
  local rc=$?
  set -e
  t1=$(date +%s.%N)
  [ "$rc" -le 1 ] || die "$name: exit $rc: $(tail -3 "$W/$name.err")"
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}' >"$W/$name.time"
}
fig() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$W/$1.json" "$2"; }

echo "== seed: --full load of $N rows =="
load seed "$W/data.csv" --full
[ "$(fig seed 'd["results"]["inserted"]')" = "$N" ] || die "seed did not insert $N rows"
echo "== reload with 0.5% changed: --delta =="
load delta "$W/changed.csv" --delta
echo "== reload with 0.5% changed: full =="
load full "$W/changed.csv"
CHANGED=$((N / EVERY))
[ "$(fig delta 'd["results"]["updated"]')" = "$CHANGED" ] || die "--delta did not update $CHANGED rows: $(fig delta 'd["results"]')"
[ "$(fig delta 'd["rows_unchanged"]')" = "$((N - CHANGED))" ] || die "--delta: unchanged count wrong"

printf '\n%-32s %10s %12s %12s %10s %10s\n' "reload ($N rows, $CHANGED changed)" "seconds" "rows sent" "requests" "updated" "ignored"
for name in full delta; do
  printf '%-32s %10s %12s %12s %10s %10s\n' \
    "$( [ $name = delta ] && echo 'isload load --delta' || echo 'isload load (full)')" \
    "$(cat "$W/$name.time")" "$(fig $name 'd["rows_sent"]')" "$(fig $name 'd["requests"]["count"]')" \
    "$(fig $name 'd["results"]["updated"]')" "$(fig $name 'd["results"]["ignored"]')"
done
awk -v a="$(cat "$W/full.time")" -v b="$(cat "$W/delta.time")" \
  -v ra="$(fig full 'd["requests"]["count"]')" -v rb="$(fig delta 'd["requests"]["count"]')" \
  'BEGIN{printf "--delta: %.1fx faster, %.1f%% of the requests\n", a / b, 100 * rb / ra}'
echo "(seed --full load: $(cat "$W/seed.time") s, $(fig seed 'd["requests"]["count"]') requests; the full reload runs after"
echo " the --delta one, so the changed rows are on the instance already and come back ignored)"
