#!/usr/bin/env bash
# bench/load_bench.sh: `isload load` throughput against the local emulator
# (isload-sim), next to a plain Python loader measured in the same run (see
# docs/benchmarks.md, "Loading"). Not a test: it prints figures and the
# targets they are compared with, and fails loudly when a load is wrong.
#
#   BENCH_LOAD_ROWS        rows for the 0 ms loads (default 1000000)
#   BENCH_LOAD_ROWS_50     rows for the 50 ms loads (default 40000)
#   BENCH_LOAD_SMALL_ROWS  rows of the small load for the RSS check (10000)
#   BENCH_LOAD_MID_ROWS    rows of the middle load for the RSS check (100000)
#   BENCH_LOAD_LATENCY     the slow latency in ms (default 50)
#   BENCH_LOAD_BUILD       Release build tree (default $BENCH_LOAD_DIR/build;
#                          configured and built if needed)
#   BENCH_LOAD_DIR         scratch folder (default /tmp/isload-load-bench)
#
# Each load goes into a fresh emulator (in-memory database, as shipped;
# --user bench:pw) on 127.0.0.1 only:
#   isload load bench/hr_feed.json data.csv --instance http://127.0.0.1:PORT
#     --mode multiple --batch 200 --concurrency C --state-dir DIR
# and must exit 0 with rows_sent == inserted == N in its report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${BENCH_LOAD_ROWS:-1000000}
N50=${BENCH_LOAD_ROWS_50:-40000}
NS=${BENCH_LOAD_SMALL_ROWS:-10000}
NM=${BENCH_LOAD_MID_ROWS:-100000}
LAT=${BENCH_LOAD_LATENCY:-50}
W=${BENCH_LOAD_DIR:-/tmp/isload-load-bench}
B=${BENCH_LOAD_BUILD:-$W/build}
FEED=$ROOT/bench/hr_feed.json
STAGING=u_hr_employee_import
mkdir -p "$W"
# loopback only: no proxy may see the traffic
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export ISLOAD_USER=bench ISLOAD_PASSWORD=pw

SIM_PID=""
stop_sim() {
  if [ -n "$SIM_PID" ]; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
  fi
}
trap stop_sim EXIT
die() { echo "load_bench: FAILED: $*" >&2; exit 1; }
for tool in cmake cc curl python3; do
  command -v "$tool" >/dev/null || die "needs $tool"
done

echo "== building (Release) in $B =="
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B" -j"$(nproc)" >/dev/null
ISLOAD=$B/pipeline/isload
SIM=$B/tests/emulator/isload-sim
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$W/gen" bench/gen.c

# rusage.py CMD...: run CMD (stdout -> $W/cmd.out, stderr -> $W/cmd.err),
# print "WALL_S CPU_S MAXRSS_KIB EXIT": user+sys and peak RSS of that
# process only, from wait4.
cat >"$W/rusage.py" <<'PY'
import os, subprocess, sys, time
out, err = sys.argv[1], sys.argv[2]
with open(out, "wb") as o, open(err, "wb") as e:
    t0 = time.monotonic()
    p = subprocess.Popen(sys.argv[3:], stdout=o, stderr=e)
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.monotonic() - t0
print(f"{dt:.3f} {ru.ru_utime + ru.ru_stime:.3f} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
PY
measure() { # CMD... -> WALL CPU RSS RC
  read -r WALL CPU RSS RC < <(python3 "$W/rusage.py" "$W/cmd.out" "$W/cmd.err" "$@")
}

echo "== generating data =="
gen_if() { # rows -> $W/data_ROWS.csv
  local f="$W/data_$1.csv"
  [ -s "$f" ] || "$W/gen" csv "$1" >"$f"
}
for n in "$N" "$N50" "$NS" "$NM"; do gen_if "$n"; done

start_sim() { # latency_ms
  local lat=$1
  stop_sim
  : >"$W/sim.out"
  "$SIM" --port 0 --feed "$FEED" --user bench:pw --latency-ms "$lat" \
    >"$W/sim.out" 2>"$W/sim.err" &
  SIM_PID=$!
  PORT=""
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$W/sim.out")
    [ -n "$PORT" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || die "isload-sim did not start: $(tail -3 "$W/sim.err")"
    sleep 0.05
  done
  [ -n "$PORT" ] || die "isload-sim printed no port"
  URL="http://127.0.0.1:$PORT"
}

sim_cpu() { # user+sys seconds of the running emulator so far
  awk -v t="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t}' "/proc/$SIM_PID/stat"
}
staged_rows() { # rows in the staging table of the running emulator
  curl -s -u bench:pw -o /dev/null -D - -H 'Accept: application/json' \
    "$URL/api/now/table/$STAGING?sysparm_limit=1&sysparm_fields=sys_id" |
    tr -d '\r' | sed -n 's/^X-Total-Count: //Ip'
}

# isload_run latency concurrency rows -> RPS_I CPU100_I RSS_I (and checks)
isload_run() {
  local lat=$1 c=$2 n=$3 sd="$W/state-$1-$2-$3"
  rm -rf "$sd"
  start_sim "$lat"
  measure "$ISLOAD" load -q "$FEED" "$W/data_$n.csv" --instance "$URL" \
    --mode multiple --batch 200 --concurrency "$c" --state-dir "$sd" \
    --report "$sd/report.json"
  SIMCPU=$(sim_cpu)
  stop_sim
  [ "$RC" = 0 ] || die "isload load ($n rows, ${lat} ms, c$c) exited $RC: $(tail -3 "$W/cmd.err")"
  local check
  check=$(python3 - "$sd/report.json" "$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
ins = d["results"].get("inserted", 0)
if d["rows_sent"] != n or ins != n:
    print(f"rows_sent={d['rows_sent']} inserted={ins} results={d['results']} (want {n})")
else:
    print("ok")
PY
)
  [ "$check" = ok ] || die "isload load ($n rows, ${lat} ms, c$c): report: $check"
  RPS_I=$(awk -v n="$n" -v s="$WALL" 'BEGIN{printf "%.0f", n/s}')
  CPU100_I=$(awk -v n="$n" -v c="$CPU" 'BEGIN{printf "%.2f", c*100000/n}')
  RSS_I=$RSS
  SIM100_I=$(awk -v n="$n" -v c="$SIMCPU" 'BEGIN{printf "%.2f", c*100000/n}')
}

# py_run latency rows -> RPS_P CPU100_P
py_run() {
  local lat=$1 n=$2 got
  start_sim "$lat"
  measure python3 bench/py_loader.py "$FEED" "$W/data_$n.csv" --instance "$URL" --batch 200
  got=$(staged_rows)
  SIMCPU_P=$(sim_cpu)
  stop_sim
  [ "$RC" = 0 ] || die "py_loader ($n rows, ${lat} ms) exited $RC: $(tail -3 "$W/cmd.err")"
  [ "$got" = "$n" ] || die "py_loader ($n rows, ${lat} ms): $got rows staged, want $n"
  RPS_P=$(awk -v n="$n" -v s="$WALL" 'BEGIN{printf "%.0f", n/s}')
  CPU100_P=$(awk -v n="$n" -v c="$CPU" 'BEGIN{printf "%.2f", c*100000/n}')
  SIM100_P=$(awk -v n="$n" -v c="$SIMCPU_P" 'BEGIN{printf "%.2f", c*100000/n}')
}

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
echo "== loads (emulator: in-memory db; feed bench/hr_feed.json; --batch 200) =="
printf '\n%-8s %-5s %9s | %-38s | %-24s\n' "" "" "" "isload load --mode multiple" "py_loader.py (sequential)"
printf '%-8s %-5s %9s | %8s %9s %8s %9s | %8s %9s %9s\n' latency conc rows "rows/s" "CPU/100k" "peakRSS" "sim/100k" "rows/s" "CPU/100k" "sim/100k"
row() { # lat c n [py rps, py cpu, py sim]
  printf '%-8s %-5s %9s | %8s %8ss %7sM %8ss | %8s %9s %9s\n' "$1 ms" "c$2" "$3" "$RPS_I" "$CPU100_I" "$(mib "$RSS_I")" "$SIM100_I" \
    "${4:--}" "${5:+${5}s}" "${6:+${6}s}"
}
isload_run 0 1 "$N";    R0C1=$RPS_I; RSS_BIG1=$RSS_I
py_run 0 "$N";          P0=$RPS_P; PC0=$CPU100_P; PS0=$SIM100_P
row 0 1 "$N" "$P0" "$PC0" "$PS0"
isload_run 0 8 "$N";    R0C8=$RPS_I; RSS_BIG8=$RSS_I
row 0 8 "$N"
isload_run "$LAT" 1 "$N50"; R50C1=$RPS_I
py_run "$LAT" "$N50";   P50=$RPS_P; PC50=$CPU100_P; PS50=$SIM100_P
row "$LAT" 1 "$N50" "$P50" "$PC50" "$PS50"
isload_run "$LAT" 8 "$N50"; R50C8=$RPS_I
row "$LAT" 8 "$N50"
echo "  py_loader does less work: no stages, no correlation column, no readback,"
echo "  so it never learns the outcome of a row; it runs one request at a time."
echo "  CPU/100k: user+sys seconds of that process only (wait4), per 100k rows;"
echo "  sim/100k: the same for the emulator (/proc/PID/stat), same run."
awk -v a="$R50C8" -v b="$R50C1" -v l="$LAT" \
  'BEGIN{r=a/b; printf "  c8/c1 at %s ms: %.1fx (target >= 6x: latency hidden)%s\n", l, r, (r>=6?"":"  BELOW TARGET")}'
awk -v a="$R50C8" -v b="$P50" -v l="$LAT" 'BEGIN{printf "  isload c8 / py_loader at %s ms: %.1fx\n", l, a/b}'

echo
echo "== memory: peak RSS of isload, $N rows vs $NS rows (0 ms) =="
# and a middle size: a short run ends before all C connections have been
# busy at once, so where the growth stops shows whether it is warm-up
for c in 1 8; do
  isload_run 0 "$c" "$NS"; small=$RSS_I
  isload_run 0 "$c" "$NM"; mid=$RSS_I
  big=$([ "$c" = 1 ] && echo "$RSS_BIG1" || echo "$RSS_BIG8")
  printf '  c%-2s %7s rows %5s MiB  %7s rows %5s MiB  %7s rows %5s MiB  (%s on %s rows: target within 10%%; %s on %s rows)\n' \
    "$c" "$NS" "$(mib "$small")" "$NM" "$(mib "$mid")" "$N" "$(mib "$big")" \
    "$(awk -v a="$big" -v b="$small" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}')" "$NS" \
    "$(awk -v a="$big" -v b="$mid" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}')" "$NM"
done

echo
echo "== emulator alone (tests/emulator/bench_sim.sh, Release isload-sim, in-memory) =="
bash tests/emulator/bench_sim.sh "$SIM" 200 8 200 | tail -1
echo "  (200-row async posts, transform and the loader's readback GETs; sync posts)"
stop_sim
