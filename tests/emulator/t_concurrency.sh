#!/usr/bin/env bash
# Many concurrent keep-alive connections: parallel insertMultiple and
# single-row posts all succeed, rows are neither lost nor duplicated, and
# coalesced keys posted concurrently end up as one target record each.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/feed.json" <<'EOF2'
{"name": "c", "staging_table": "u_c_import", "key": ["u_code"],
 "fields": [{"column": "u_code"}, {"column": "u_val"}]}
EOF2
cat >"$TMP/cfg.json" <<'EOF2'
{"staging_tables": [{"name": "u_c_import",
   "insert_multiple": {"transform": "sync", "column_mapping": "name"}}]}
EOF2
start_sim --config "$TMP/cfg.json" --feed "$TMP/feed.json" --user loader:pw

# 60 batches of 50 rows over 16 connections; keys repeat across batches
jq -nc '{records: [range(50) | {u_code: "K\(.)", u_val: "v"}]}' \
    >"$TMP/batch.json"
curl -s --parallel --parallel-max 16 -u loader:pw \
    -H 'Accept: application/json' -H 'Content-Type: application/json' \
    --data-binary @"$TMP/batch.json" -w '\n%{http_code}\n' \
    "$BASE/api/now/import/u_c_import/insertMultiple?n=[1-60]" \
    >"$TMP/multi.out" 2>/dev/null || fail "curl --parallel"
eq 60 "$(grep -c '^201$' "$TMP/multi.out")" "all batches answered 201"

# 40 single rows in parallel, 10 distinct new keys
curl -s --parallel --parallel-max 16 -u loader:pw \
    -H 'Accept: application/json' -H 'Content-Type: application/json' \
    --data-binary '{"u_code":"S","u_val":"x"}' -w '\n%{http_code}\n' \
    "$BASE/api/now/import/u_c_import?n=[1-40]" \
    >"$TMP/single.out" 2>/dev/null || fail "curl --parallel singles"
eq 40 "$(grep -c '^201$' "$TMP/single.out")" "all single rows answered 201"

req GET "/api/now/table/u_c_import?sysparm_limit=1&sysparm_fields=sys_id"
eq 3040 "$(hdr X-Total-Count)" "every staging row stored once"
req GET "/api/now/table/u_c?sysparm_limit=1&sysparm_fields=sys_id"
eq 51 "$(hdr X-Total-Count)" "one target record per key"
req GET "/api/now/table/sys_import_set_row?sysparm_query=sys_import_state=inserted&sysparm_limit=1"
eq 51 "$(hdr X-Total-Count)" "each key inserted exactly once"
req GET "/api/now/table/sys_import_set?sysparm_query=mode=asynchronous^ORmode=synchronous&sysparm_limit=1"
eq 61 "$(hdr X-Total-Count)" "60 insertMultiple sets and one shared sync set"
stop_sim
done_ok
