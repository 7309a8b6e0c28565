#!/usr/bin/env bash
# bench_sim.sh: how fast does isload-sim take insertMultiple batches?
#
# usage: bench_sim.sh [ISLOAD_SIM] [BATCHES] [CONNECTIONS] [ROWS]
#   ISLOAD_SIM   path to the binary (default: build/tests/emulator/isload-sim)
#   BATCHES      number of insertMultiple requests (default 200)
#   CONNECTIONS  concurrent keep-alive connections (default 4)
#   ROWS         records per batch (default 200)
#
# Starts the emulator with an in-memory database and a feed-like staging
# table, posts BATCHES batches over loopback with curl --parallel, and
# prints two figures: rows/s accepted (asynchronous insertMultiple, the
# loader's default path) and rows/s until the async worker has transformed
# every row; then the same for a synchronous staging table. The last line
# is machine-readable:
#   isload-sim insertMultiple rows/s: async=N transformed=N sync=N
# Use a build without sanitizers for meaningful numbers.
set -eu

SIM=${1:-build/tests/emulator/isload-sim}
BATCHES=${2:-200}
CONN=${3:-4}
ROWS=${4:-200}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/isload-sim-bench.XXXXXX")
SIM_PID=
trap '[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

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

# distinct keys per batch so that every row is an insert
jq -nc --argjson n "$ROWS" '{records: [range($n) | {
    u_employee_id: "E\(.)", u_first_name: "First\(.)", u_last_name: "Last",
    u_email: "user\(.)@example.com", u_department: "Dept \(. % 17)",
    u_active: "true", u_isload_row: "\(.)"}]}' >"$TMP/body.json"

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

now() { date +%s.%N; }

post_batches() { # staging -> prints elapsed seconds, checks every 201
    local t0 t1 ok
    t0=$(now)
    curl -s --parallel --parallel-max "$CONN" -u bench:pw \
        -H 'Accept: application/json' -H 'Content-Type: application/json' \
        --data-binary @"$TMP/body.json" -w '\n%{http_code}\n' \
        "$BASE/api/now/import/$1/insertMultiple?batch=[1-$BATCHES]" \
        >"$TMP/posted" 2>/dev/null
    t1=$(now)
    ok=$(grep -c '^201$' "$TMP/posted" || true)
    if [ "$ok" != "$BATCHES" ]; then
        echo "bench_sim: only $ok of $BATCHES batches answered 201" >&2
        exit 1
    fi
    echo "$t0 $t1"
}

pending_sets() {
    curl -s -u bench:pw -o /dev/null -D - \
        "$BASE/api/now/table/sys_import_set?sysparm_query=state!=processed&sysparm_limit=1&sysparm_fields=sys_id" |
        tr -d '\r' | sed -n 's/^X-Total-Count: //Ip'
}

rate() { # rows seconds
    awk -v r="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0 ? r / s : 0) }'
}

TOTAL=$((BATCHES * ROWS))

read -r T0 T1 < <(post_batches u_bench_import)
while [ "$(pending_sets)" != 0 ]; do
    sleep 0.02
done
T2=$(now)
ACCEPT=$(rate "$TOTAL" "$(awk -v a="$T0" -v b="$T1" 'BEGIN{print b-a}')")
DONE=$(rate "$TOTAL" "$(awk -v a="$T0" -v b="$T2" 'BEGIN{print b-a}')")

read -r S0 S1 < <(post_batches u_bsync_import)
SYNC=$(rate "$TOTAL" "$(awk -v a="$S0" -v b="$S1" 'BEGIN{print b-a}')")

echo "$BATCHES batches x $ROWS rows over $CONN connections ($TOTAL rows each run)"
echo "async insertMultiple accepted:   $ACCEPT rows/s"
echo "async, until all transformed:    $DONE rows/s"
echo "sync insertMultiple (transform): $SYNC rows/s"
echo "isload-sim insertMultiple rows/s: async=$ACCEPT transformed=$DONE sync=$SYNC"

kill "$SIM_PID"
wait "$SIM_PID" || true
SIM_PID=
