#!/usr/bin/env bash
# bench/run.sh: isload's speed and memory next to baselines measured in the
# same run on the same files (see docs/benchmarks.md). Not a test: it prints
# figures and the targets they are compared with.
#
#   BENCH_ROWS   rows per generated file (default 1000000, ~180 MB of CSV)
#   BENCH_RUNS   runs per measurement, median taken (default 3)
#   BENCH_BIG_MB size of the big CSV for the memory check (default 1024)
#   BENCH_DIR    scratch folder (default /tmp/isload-bench)
#   BENCH_COMPARE another isload binary (e.g. a build of main) whose reader
#                figures are printed next to this one's, measured in the
#                same run: before/after figures for a change
#
# CSV, CSV.gz and XML run the baseline, isload (and BENCH_COMPARE) in turns,
# BENCH_RUNS rounds: times are medians, and "vs base" is the median of the
# rounds' baseline/isload time ratios, so that load from other processes
# on a shared machine falls on both alike.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
BIG_MB=${BENCH_BIG_MB:-1024}
W=${BENCH_DIR:-/tmp/isload-bench}
mkdir -p "$W"

echo "== building (Release) =="
cmake -S . -B "$W/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$W/build" -j"$(nproc)" >/dev/null
ISLOAD="$W/build/pipeline/isload"
CFLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L"
cc $CFLAGS -o "$W/gen" bench/gen.c
cc $CFLAGS -o "$W/csv_count" bench/csv_count.c -lcsv
cc $CFLAGS -o "$W/csv_gz_count" bench/csv_gz_count.c -lcsv -lz
if [ -f bench/xml_walk.c ]; then
  cc $CFLAGS -o "$W/xml_walk" bench/xml_walk.c $(pkg-config --cflags --libs libxml-2.0)
fi

echo "== generating $ROWS rows in each format =="
gen_if() { [ -s "$W/$2" ] && [ "$(cat "$W/$2.rows" 2>/dev/null)" = "$ROWS" ] || { "$W/gen" "$1" "$ROWS" >"$W/$2"; echo "$ROWS" >"$W/$2.rows"; }; }
gen_if csv data.csv
gen_if ndjson data.ndjson
gen_if jsonarr data.json
gen_if xml data.xml
if [ ! -s "$W/data.csv.gz" ] || [ "$W/data.csv.gz" -ot "$W/data.csv" ]; then gzip -1 -c "$W/data.csv" >"$W/data.csv.gz"; fi

M="python3 bench/measure.py"
printf '\n%-11s %-34s %9s %11s %10s %8s\n' "input" "tool" "MB/s" "rows/s" "peak RSS" "vs base"
line() { # input tool bytes secs rss [base_mbs [ratio_percent]]
  local mbs rps
  mbs=$(awk -v b="$3" -v s="$4" 'BEGIN{printf "%.1f", b/1e6/s}')
  rps=$(awk -v r="$ROWS" -v s="$4" 'BEGIN{printf "%.0f", r/s}')
  local ratio="-"
  [ -n "${6:-}" ] && ratio=$(awk -v a="$mbs" -v b="$6" 'BEGIN{printf "%.0f%%", 100*a/b}')
  [ -n "${7:-}" ] && ratio=$(awk -v p="$7" 'BEGIN{printf "%.0f%%", p}')
  printf '%-11s %-34s %9s %11s %8.1fM %8s\n' "$1" "$2" "$mbs" "$rps" "$(awk -v k="$5" 'BEGIN{print k/1024}')" "$ratio"
  LAST_MBS=$mbs
}
measure() { # runs cmd... -> sets S R C (wall s, peak RSS KiB, CPU s)
  read -r S R C < <($M "$@")
}
size() { stat -c %s "$1"; }
compare() { # input file bytes: the BENCH_COMPARE binary on the same file
  [ -n "${BENCH_COMPARE:-}" ] || return 0
  measure "$RUNS" "$BENCH_COMPARE" inspect --emit /dev/null "$2"
  line "$1" "compare: BENCH_COMPARE" "$3" "$S" "$R" "$BASE"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# interleaved RUNS CMD0... -- CMD1... [-- CMD2...]: RUNS rounds of each
# command in turn. Sets TS[k] (median seconds), TR[k] (peak RSS) and
# TP[k] (median of the rounds' CMD0 time / CMDk time, in percent).
interleaved() {
  local runs=$1 n=0 i k s r s0; shift
  local -a from=(0) len=() times=() pct=() words=("$@")
  for ((i = 0; i < ${#words[@]}; i++)); do
    if [ "${words[i]}" = "--" ]; then len[n]=$((i - from[n])); n=$((n + 1)); from[n]=$((i + 1)); fi
  done
  len[n]=$(( ${#words[@]} - from[n] )); n=$((n + 1))
  TS=(); TR=(); TP=()
  for ((i = 0; i < runs; i++)); do
    for ((k = 0; k < n; k++)); do
      read -r s r _ < <($M 1 "${words[@]:${from[k]}:${len[k]}}")
      [ "$k" -eq 0 ] && s0=$s
      times[k]+="$s "; pct[k]+="$(awk -v a="$s0" -v b="$s" 'BEGIN{print 100*a/b}') "
      [ "$r" -gt "${TR[k]:-0}" ] && TR[k]=$r
    done
  done
  for ((k = 0; k < n; k++)); do
    TS[k]=$(median ${times[k]}); TP[k]=$(median ${pct[k]})
  done
}
# readers INPUT BASE_LABEL FILE BYTES BASECMD...: the baseline, isload and
# BENCH_COMPARE on FILE, interleaved
readers() {
  local input=$1 label=$2 file=$3 bytes=$4; shift 4
  local -a args=("$@" -- "$ISLOAD" inspect --emit /dev/null "$file")
  [ -n "${BENCH_COMPARE:-}" ] && args+=(-- "$BENCH_COMPARE" inspect --emit /dev/null "$file")
  interleaved "$RUNS" "${args[@]}"
  line "$input" "$label" "$bytes" "${TS[0]}" "${TR[0]}"; BASE=$LAST_MBS
  line "$input" "isload inspect --emit /dev/null" "$bytes" "${TS[1]}" "${TR[1]}" "$BASE" "${TP[1]}"
  if [ -n "${BENCH_COMPARE:-}" ]; then
    line "$input" "compare: BENCH_COMPARE" "$bytes" "${TS[2]}" "${TR[2]}" "$BASE" "${TP[2]}"
  fi
}

CSV="$W/data.csv"; B=$(size "$CSV")
readers CSV "bare libcsv loop (baseline)" "$CSV" "$B" "$W/csv_count" "$CSV"
if command -v mlr >/dev/null; then
  measure 1 sh -c "mlr --icsv --ojson cat '$CSV' >/dev/null";  line CSV "mlr --icsv --ojson cat" "$B" "$S" "$R" "$BASE"
else
  echo "  (mlr not installed: apt-get install miller for Miller's figure)"
fi
measure "$RUNS" sh -c "cat '$CSV' >/dev/null";                line CSV "cat" "$B" "$S" "$R" "$BASE"
echo "  target: isload >= 55% of the bare libcsv loop"

GZ="$W/data.csv.gz"
readers CSV.gz "libcsv over gzread (baseline)" "$GZ" "$B" "$W/csv_gz_count" "$GZ"
echo "  target: isload >= 100% of libcsv over gzread (uncompressed MB/s)"

ND="$W/data.ndjson"; B=$(size "$ND")
measure 1 python3 bench/py_json_loads.py "$ND";               line NDJSON "python json.loads per line (base)" "$B" "$S" "$R"; BASE=$LAST_MBS
measure "$RUNS" "$ISLOAD" inspect --emit /dev/null "$ND";     line NDJSON "isload inspect --emit /dev/null" "$B" "$S" "$R" "$BASE"
compare NDJSON "$ND" "$B"
JA="$W/data.json"; BJ=$(size "$JA")
measure "$RUNS" "$ISLOAD" inspect --emit /dev/null "$JA";     line "JSON array" "isload inspect --emit /dev/null" "$BJ" "$S" "$R" "$BASE"
echo "  target: NDJSON and JSON array >= 100% of python json.loads"

XML="$W/data.xml"; B=$(size "$XML")
if [ -x "$W/xml_walk" ]; then
  readers XML "bare xmlTextReader walk (baseline)" "$XML" "$B" "$W/xml_walk" "$XML"
else
  measure "$RUNS" "$ISLOAD" inspect --emit /dev/null "$XML";  line XML "isload inspect --emit /dev/null" "$B" "$S" "$R"
fi
echo "  target: isload >= 70% of the bare walk"

echo
echo "== memory: peak RSS does not grow with the input =="
SMALL="$W/small.csv"; BIG="$W/big.csv"
head -c 10000000 "$CSV" | awk 'NR==1 || /^E[0-9]/' >"$SMALL"
if [ ! -s "$BIG" ] || [ "$(( $(size "$BIG") / 1048576 ))" -lt "$BIG_MB" ]; then
  "$W/gen" csv $(( BIG_MB * 1048576 / 180 )) >"$BIG"
  echo $(( BIG_MB * 1048576 / 180 )) >"$BIG.rows"
fi
measure 1 "$ISLOAD" inspect --emit /dev/null "$SMALL"; RS=$R
measure 1 "$ISLOAD" inspect --emit /dev/null "$BIG";   RB=$R
printf '  %-30s %8.1f MiB\n' "$(( $(size "$SMALL") / 1000000 )) MB CSV" "$(awk -v k="$RS" 'BEGIN{print k/1024}')"
printf '  %-30s %8.1f MiB  (%s of the small file; target within 10%%)\n' "$(( $(size "$BIG") / 1000000 )) MB CSV" \
  "$(awk -v k="$RB" 'BEGIN{print k/1024}')" "$(awk -v a="$RB" -v b="$RS" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}')"

if [ -f bench/hr_feed.json ] && "$ISLOAD" help validate >/dev/null 2>&1; then
  echo
  echo "== validate: the HR feed's stages against the bare reader =="
  B=$(size "$CSV")
  # interleaved, the fastest of each: other processes on the two cores
  # then slow both alike instead of whichever ran during a burst
  RT=""; VT=""
  for _ in $(seq "$(( RUNS < 5 ? 5 : RUNS ))"); do
    measure 1 "$ISLOAD" inspect --emit /dev/null "$CSV"
    { [ -z "$RT" ] || awk -v a="$S" -v b="$RT" 'BEGIN{exit !(a<b)}'; } && { RT=$S; RR=$R; RC=$C; }
    measure 1 "$ISLOAD" validate -q bench/hr_feed.json "$CSV" --emit /dev/null
    { [ -z "$VT" ] || awk -v a="$S" -v b="$VT" 'BEGIN{exit !(a<b)}'; } && { VT=$S; VR=$R; VC=$C; }
  done
  line CSV "reader: isload inspect --emit" "$B" "$RT" "$RR"
  line CSV "isload validate (HR feed stages)" "$B" "$VT" "$VR"
  awk -v a="$VT" -v b="$RT" 'BEGIN{printf "  stages cost %.0f%% of the reader time (wall, fastest of interleaved runs; target: at most 50%%)\n", 100*(a-b)/b}'
  # validate reads on a second thread (pipeline/isl_prefetch.c): its CPU
  # is the work of both threads, printed so the overlap is not mistaken
  # for less work
  awk -v a="$VC" -v b="$RC" 'BEGIN{printf "  CPU (user+sys, all threads): validate %.2f s, reader %.2f s: the stages and the hand-over cost %.0f%% of the reader CPU\n", a, b, 100*(a-b)/b}'

  echo
  echo "== validate memory: the unique-key index does not grow with the keys =="
  # the same feed keyed on u_email too: emails do not arrive in key order,
  # so that run takes the index's hash path, not its ascending log
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); f["key"]=["u_email"]; json.dump(f,open(sys.argv[2],"w"))' \
    bench/hr_feed.json "$W/hr_feed_email.json"
  for f in bench/hr_feed.json "$W/hr_feed_email.json"; do
    measure 1 "$ISLOAD" validate -q "$f" "$SMALL" --emit /dev/null; RS=$R
    measure 1 "$ISLOAD" validate -q "$f" "$BIG" --emit /dev/null; RB=$R; SB=$S
    printf '  %-22s %6.1f MiB for %s keys, %6.1f MiB for %s keys (%s; target within 10%%), %.1f MB/s\n' \
      "$(basename "$f" .json)" "$(awk -v k="$RS" 'BEGIN{print k/1024}')" "$(( $(wc -l <"$SMALL") - 1 ))" \
      "$(awk -v k="$RB" 'BEGIN{print k/1024}')" "$(cat "$BIG.rows" 2>/dev/null || echo "~$(( $(size "$BIG") / 180 ))")" \
      "$(awk -v a="$RB" -v b="$RS" 'BEGIN{printf "%+.1f%%", 100*(a-b)/b}')" \
      "$(awk -v b="$(size "$BIG")" -v s="$SB" 'BEGIN{printf "%.1f", b/1e6/s}')"
  done
fi
