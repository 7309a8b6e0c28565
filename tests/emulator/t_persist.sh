#!/usr/bin/env bash
# --db FILE: state survives a restart (records, added columns, import set
# numbering, pending async sets); the file is an SQLite database in WAL
# mode.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/feed.json" <<'EOF'
{"name": "p", "staging_table": "u_p_import", "key": ["u_code"],
 "fields": [{"column": "u_code"}]}
EOF
DB="$TMP/sim.db"
start_sim --db "$DB" --feed "$TMP/feed.json" --user loader:pw
req POST /api/now/import/u_p_import '{"u_code":"A","u_added":"x"}'
eq "201 ISET0010001" "$STATUS $(j .import_set)" "first run"
T=$(j '.result[0].sys_id')
stop_sim

eq wal "$(sqlite3 "$DB" 'PRAGMA journal_mode')" "WAL mode"

# async set left pending by a long delay, then the sim stops
start_sim --db "$DB" --feed "$TMP/feed.json" --user loader:pw \
    --async-delay-ms 60000
req GET "/api/now/table/u_p/$T"
eq "200 A" "$STATUS $(j .result.u_code)" "record survived the restart"
req GET "/api/now/table/u_p_import?sysparm_query=u_code=A"
eq x "$(j '.result[0].u_added')" "added column survived"
req POST /api/now/import/u_p_import/insertMultiple '{"records":[{"u_code":"B"}]}'
S=$(j .import_set_id)
req GET "/api/now/table/sys_import_set/$S?sysparm_fields=number,state"
eq "ISET0010002 loaded" "$(j '.result|[.number,.state]|join(" ")')" \
    "numbering continues"
stop_sim

# the pending set is transformed after the restart
start_sim --db "$DB" --feed "$TMP/feed.json" --user loader:pw
done_p() {
    req GET "/api/now/table/sys_import_set/$S?sysparm_fields=state"
    [ "$(j .result.state)" = processed ]
}
wait_until done_p || fail "pending set not processed after restart"
req GET "/api/now/table/u_p?sysparm_query=u_code=B"
eq 1 "$(j '.result|length')" "pending rows transformed"
stop_sim
done_ok
