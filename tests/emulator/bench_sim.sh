#!/usr/bin/env bash
# bench_sim.sh: how fast does isload-sim take the loader's workload?
#
# usage: bench_sim.sh [ISLOAD_SIM] [BATCHES] [CONNECTIONS] [ROWS]
#   ISLOAD_SIM   path to the binary (default: build/tests/emulator/isload-sim)
#   BATCHES      number of insertMultiple requests (default 200)
#   CONNECTIONS  concurrent keep-alive connections (default 4)
#   ROWS         records per batch (default 200)
#
# Starts the emulator with an in-memory database and a feed-like staging
# table, then over loopback from CONNECTIONS curl processes, each one
# keep-alive connection sending its share of the batches in turn:
#   1. posts BATCHES insertMultiple batches (asynchronous transform), each
#      row with its own u_isload_row, and waits for the worker;
#   2. reads every batch back the way isload does: GET /api/now/table/
#      <staging>?sysparm_query=u_isload_rowIN<the batch's ids>^ORDERBY
#      sys_created_on&sysparm_fields=... (checking each gets ROWS rows);
#   3. posts the same batches to a synchronous staging table.
# It prints rows/s for each, and the emulator's CPU (user+sys, from
# /proc) per 100k rows for steps 1 and 2 together: the loader's workload.
# The last line is machine-readable:
#   isload-sim rows/s: async=N transformed=N readback=N sync=N cpu_s_per_100k=X
# Use a build without sanitizers for meaningful numbers.
set -eu

SIM=${1:-build/tests/emulator/isload-sim}
BATCHES=${2:-200}
CONN=${3:-4}
ROWS=${4:-200}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/isload-sim-bench.XXXXXX")
SIM_PID=
trap '[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; cat "$TMP"/curl.*.err 2>/dev/null | sort | uniq -c | head -5 >&2; rm -rf "$TMP"' EXIT

for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "bench_sim: needs $tool" >&2; exit 2; }
done
[ -x "$SIM" ] || { echo "bench_sim: no isload-sim at $SIM" >&2; exit 2; }

cat >"$TMP/feed.json" <<'EOF'
{"name": "bench", "staging_table": "u_bench_import", "key": ["u_employee_id"],
 "fields": [{"column": "u_employee_id"}, {"column": "u_first_name"},
            {"column": "u_last_name"}, {"column": "u_email"},
            {"column": "u_department"}, {"column": "u_active"}]}
EOF
cat >"$TMP/cfg.json" <<'EOF'
{"staging_tables": [{"name": "u_bsync_import",
   "insert_multiple": {"transform": "sync", "column_mapping": "name"}}],
 "transform_maps": [{"name": "bsync", "source_table": "u_bsync_import",
   "target_table": "u_bsync",
   "field_maps": [
     {"source": "u_employee_id", "target": "u_employee_id", "coalesce": true},
     {"source": "u_first_name", "target": "u_first_name"},
     {"source": "u_last_name", "target": "u_last_name"},
     {"source": "u_email", "target": "u_email"},
     {"source": "u_department", "target": "u_department"},
     {"source": "u_active", "target": "u_active"}]}]}
EOF

: >"$TMP/out"
"$SIM" --port 0 --config "$TMP/cfg.json" --feed "$TMP/feed.json" \
    --user bench:pw >"$TMP/out" 2>"$TMP/err" &
SIM_PID=$!
for _ in $(seq 1 200); do
    grep -q '^listening on' "$TMP/out" && break
    sleep 0.05
done
PORT=$(sed -n '1s/^listening on //p' "$TMP/out")
[ -n "$PORT" ] || { echo "bench_sim: isload-sim did not start" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"

# one body per batch: distinct keys (every row is an insert) and
# correlation values. Connection c sends batches c, c+CONN, ... one after
# the other on one keep-alive connection: curl config files, where each
# request states all its options (curl resets them at "next")
COMMON='user = "bench:pw"
header = "Accept: application/json"'
FIELDS=u_isload_row,sys_id,sys_import_set,sys_import_state,sys_import_state_comment,sys_target_table,sys_target_sys_id,sys_row_error,sys_created_on
for b in $(seq 1 "$BATCHES"); do
    c=$(((b - 1) % CONN))
    jq -nc --argjson n "$ROWS" --argjson b "$b" '{records: [range($n) | {
        u_employee_id: "E\($b)-\(.)", u_first_name: "First\(.)",
        u_last_name: "Last", u_email: "user\($b).\(.)@example.com",
        u_department: "Dept \(. % 17)", u_active: "true",
        u_isload_row: "bench-\($b)-\(.)"}]}' >"$TMP/b$b.json"
    ids=$(jq -nr --argjson n "$ROWS" --argjson b "$b" \
        '[range($n) | "bench-\($b)-\(.)"] | join("%2C")')
    for t in u_bench_import u_bsync_import; do
        [ -s "$TMP/post_$t.$c.cfg" ] && echo next >>"$TMP/post_$t.$c.cfg"
        printf '%s\nurl = "%s/api/now/import/%s/insertMultiple"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\nwrite-out = "\\n%%{http_code}\\n"\n' \
            "$COMMON" "$BASE" "$t" "$TMP/b$b.json" >>"$TMP/post_$t.$c.cfg"
    done
    [ -s "$TMP/read.$c.cfg" ] && echo next >>"$TMP/read.$c.cfg"
    printf '%s\nurl = "%s/api/now/table/u_bench_import?sysparm_query=u_isload_rowIN%s%%5EORDERBYsys_created_on&sysparm_fields=%s&sysparm_limit=%d&sysparm_exclude_reference_link=true"\nwrite-out = "\\n"\n' \
        "$COMMON" "$BASE" "$ids" "$FIELDS" $((ROWS * 4 + 16)) >>"$TMP/read.$c.cfg"
done

now() { date +%s.%N; }
cpu() { # user+sys seconds of the emulator so far
    awk -v t="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t}' "/proc/$SIM_PID/stat"
}

run_cfg() { # config prefix -> "t0 t1"; answers in $TMP/answers
    local t0 t1 c pids=()
    t0=$(now)
    for c in $(seq 0 $((CONN - 1))); do
        [ -s "$1.$c.cfg" ] || continue
        curl -sS -K "$1.$c.cfg" >"$TMP/answers.$c" 2>"$TMP/curl.$c.err" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    t1=$(now)
    cat "$TMP"/answers.* >"$TMP/answers"
    rm -f "$TMP"/answers.*
    echo "$t0 $t1"
}

post_batches() { # staging -> "t0 t1", checks every 201
    local times ok
    times=$(run_cfg "$TMP/post_$1")
    ok=$(grep -c "^201$" "$TMP/answers" || true)
    if [ "$ok" != "$BATCHES" ]; then
        echo "bench_sim: only $ok of $BATCHES batches answered 201:" \
            "$(grep -E "^[0-9]{3}$" "$TMP/answers" | sort | uniq -c | tr "\n" " ")" >&2
        exit 1
    fi
    echo "$times"
}

pending_sets() {
    curl -s -u bench:pw -o /dev/null -D - -H 'Accept: application/json' \
        "$BASE/api/now/table/sys_import_set?sysparm_query=state!=processed&sysparm_limit=1&sysparm_fields=sys_id" |
        tr -d '\r' | sed -n 's/^X-Total-Count: //Ip'
}

rate() { # rows t0 t1
    awk -v r="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%d", (b > a ? r / (b - a) : 0) }'
}

TOTAL=$((BATCHES * ROWS))
CPU0=$(cpu)
read -r T0 T1 < <(post_batches u_bench_import)
while [ "$(pending_sets)" != 0 ]; do
    sleep 0.02
done
T2=$(now)
read -r R0 R1 < <(run_cfg "$TMP/read")
CPU1=$(cpu)
GOT=$(jq -s '[.[].result | length] | add' "$TMP/answers")
if [ "$GOT" != "$TOTAL" ]; then
    echo "bench_sim: readbacks returned $GOT rows, want $TOTAL" >&2
    exit 1
fi
if [ "$(jq -s '[.[].result[] | select(.sys_import_state != "inserted")] | length' "$TMP/answers")" != 0 ]; then
    echo "bench_sim: some rows read back were not inserted" >&2
    exit 1
fi
ACCEPT=$(rate "$TOTAL" "$T0" "$T1")
DONE=$(rate "$TOTAL" "$T0" "$T2")
READ=$(rate "$TOTAL" "$R0" "$R1")
CPU100=$(awk -v a="$CPU0" -v b="$CPU1" -v n="$TOTAL" 'BEGIN { printf "%.2f", (b - a) * 100000 / n }')

read -r S0 S1 < <(post_batches u_bsync_import)
SYNC=$(rate "$TOTAL" "$S0" "$S1")

echo "$BATCHES batches x $ROWS rows over $CONN connections ($TOTAL rows each run)"
echo "async insertMultiple accepted:   $ACCEPT rows/s"
echo "async, until all transformed:    $DONE rows/s"
echo "readback GETs (u_isload_rowIN):  $READ rows/s"
echo "sync insertMultiple (transform): $SYNC rows/s"
echo "emulator CPU, async posts + transform + readbacks: $CPU100 s per 100k rows"
echo "isload-sim rows/s: async=$ACCEPT transformed=$DONE readback=$READ sync=$SYNC cpu_s_per_100k=$CPU100"

kill "$SIM_PID"
wait "$SIM_PID" || true
SIM_PID=
