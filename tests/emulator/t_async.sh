#!/usr/bin/env bash
# Asynchronous insertMultiple: rows stay pending until the worker runs
# (after --async-delay-ms), the import set goes loaded -> processed, the
# GET row lookup shows the asynchronous shape meanwhile, and run_after
# orders sets even though the worker picks eligible sets in random order.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/feed.json" <<'EOF'
{"name": "items", "staging_table": "u_item_import", "key": ["u_code"],
 "fields": [{"column": "u_code"}, {"column": "u_val"}]}
EOF
# a long delay keeps the rows pending while we look (even on a loaded
# machine); the worker polls every 20 ms after that
start_sim --feed "$TMP/feed.json" --user loader:pw --async-delay-ms 3000

req POST /api/now/import/u_item_import/insertMultiple \
    '{"records":[{"u_code":"A","u_val":"1"},{"u_code":"B","u_val":"2"},{"u_val":"3"}]}'
eq 201 "$STATUS" "post"
SET=$(j .import_set_id)

# before the worker: pending rows, loaded set, asynchronous GET shape
req GET "/api/now/table/sys_import_set_row?sysparm_query=sys_import_set=$SET^ORDERBYsys_import_row&sysparm_fields=sys_id,sys_import_state,sys_import_row"
eq "pending pending pending" "$(j '[.result[].sys_import_state]|join(" ")')" \
    "pending before the transform"
R0=$(j '.result[0].sys_id')
req GET "/api/now/table/sys_import_set/$SET?sysparm_fields=state,mode"
eq "loaded asynchronous" "$(j '.result|[.state,.mode]|join(" ")')" \
    "set loaded"
req GET "/api/now/import/u_item_import/$R0"
eq 200 "$STATUS" "GET pending row"
eq pending "$(j '.result[0].status')" "GET pending status"
eq u_item_import "$(j '.result[0].table')" "async result table is staging"
eq "$R0" "$(j '.result[0].sys_id')" "async result sys_id is the row"
req GET "/api/now/table/u_item?sysparm_query=u_code=A"
eq 0 "$(j '.result|length')" "no target yet"

processed() {
    req GET "/api/now/table/sys_import_set/$1?sysparm_fields=state"
    [ "$(j .result.state)" = processed ]
}
wait_until processed "$SET" || fail "set not processed"
req GET "/api/now/table/sys_import_set_row?sysparm_query=sys_import_set=$SET^ORDERBYsys_import_row&sysparm_fields=sys_import_state,sys_target_table"
eq "inserted inserted skipped" "$(j '[.result[].sys_import_state]|join(" ")')" \
    "transformed"
eq u_item "$(j '.result[0].sys_target_table')" "target table"
req GET "/api/now/import/u_item_import/$R0"
eq inserted "$(j '.result[0].status')" "GET after transform"
eq u_item "$(j '.result[0].table')" "GET table after transform"
req GET "/api/now/table/sys_import_set_run?sysparm_query=set=$SET"
eq "complete 3 2 1" "$(j '.result[0]|[.state,.total,.inserts,.skipped]|join(" ")')" \
    "transform history"

stop_sim

# run_after: poll rarely so that several sets become eligible together and
# the seeded random pick really reorders them; a chain of sets updating
# the same key must still end with the last value
echo '{"options": {"async_poll_ms": 300}}' >"$TMP/cfg.json"
start_sim --config "$TMP/cfg.json" --feed "$TMP/feed.json" --user loader:pw \
    --async-delay-ms 1
PREV=
SETS=()
for v in 1 2 3 4 5 6; do
    q=
    [ -n "$PREV" ] && q="?run_after=$PREV"
    req POST "/api/now/import/u_item_import/insertMultiple$q" \
        "{\"records\":[{\"u_code\":\"K\",\"u_val\":\"v$v\"}]}"
    eq 201 "$STATUS" "chain post $v"
    PREV=$(j .import_set_id)
    SETS+=("$PREV")
done
wait_until processed "$PREV" || fail "chain not processed"
req GET "/api/now/table/u_item?sysparm_query=u_code=K"
eq "v6 5" "$(j '.result[0]|[.u_val,.sys_mod_count]|join(" ")')" \
    "run_after keeps the order"
for s in "${SETS[@]}"; do
    processed "$s" || fail "set $s not processed"
done

# run_after on a set that is not finished holds the set back
req POST /api/now/import/u_item_import/insertMultiple \
    '{"records":[{"u_code":"H","u_val":"first"}]}'
A=$(j .import_set_id)
req POST "/api/now/import/u_item_import/insertMultiple?run_after=$A" \
    '{"records":[{"u_code":"H","u_val":"second"}]}'
B2=$(j .import_set_id)
wait_until processed "$B2" || fail "held set never processed"
processed "$A" || fail "run_after set must finish first"
req GET "/api/now/table/u_item?sysparm_query=u_code=H"
eq second "$(j '.result[0].u_val')" "second set ran after the first"

stop_sim
done_ok
