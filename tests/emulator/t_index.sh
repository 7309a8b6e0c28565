#!/usr/bin/env bash
# Indexes the emulator adds so that lookups do not scan tables: a column
# the first time a Table API query compares it with = or IN (NOCASE when
# queries are case-insensitive), and each map's coalesce fields. Checked
# in the --db file with sqlite3's query planner; answers are unchanged.
. "$(dirname "$0")/lib.sh" "$1"
command -v sqlite3 >/dev/null || fail "needs sqlite3"

cat >"$TMP/feed.json" <<'EOF'
{"name": "ix", "staging_table": "u_ix_import", "key": ["u_code"],
 "fields": [{"column": "u_code"}, {"column": "u_name"}]}
EOF
DB="$TMP/sim.db"
start_sim --db "$DB" --feed "$TMP/feed.json" --user loader:pw
plan() { # SQL -> the planner's one-line summary
    sqlite3 "$DB" "EXPLAIN QUERY PLAN $1" | tr '\n' ' '
}

req POST /api/now/import/u_ix_import/insertMultiple \
    '{"records":[{"u_code":"A","u_name":"x","u_isload_row":"r1"},{"u_code":"B","u_name":"y","u_isload_row":"r2"}]}'
eq 201 "$STATUS" "insertMultiple"
case "$(plan "SELECT * FROM u_ix_import WHERE u_isload_row IN ('r1')")" in
*"USING INDEX sim_qx_"*) fail "index before any query" ;;
esac
req GET "/api/now/table/u_ix_import?sysparm_query=u_isload_rowINr2,r1^ORDERBYsys_created_on&sysparm_fields=u_isload_row"
eq "200 2" "$STATUS $(j '.result|length')" "IN query answers"
case "$(plan "SELECT * FROM u_ix_import WHERE u_isload_row IN ('r1')")" in
*"USING INDEX sim_qx_"*) ;;
*) fail "IN query left no index: $(plan "SELECT * FROM u_ix_import WHERE u_isload_row IN ('r1')")" ;;
esac
req GET "/api/now/table/u_ix_import?sysparm_query=u_name=y&sysparm_fields=u_code"
eq "B" "$(j '.result[0].u_code')" "= query answers"
case "$(plan "SELECT * FROM u_ix_import WHERE u_name = 'y'")" in
*"USING INDEX sim_qx_"*) ;;
*) fail "= query left no index" ;;
esac
case "$(plan "SELECT sys_id FROM u_ix WHERE u_code = 'a' COLLATE NOCASE ORDER BY rowid LIMIT 1")" in
*"USING INDEX sim_cx_"*) ;;
*) fail "no NOCASE coalesce index" ;;
esac
stop_sim

# case-insensitive queries get a NOCASE index, which serves them
echo '{"options": {"query_case_sensitive": false}}' >"$TMP/cfg.json"
start_sim --db "$DB" --feed "$TMP/feed.json" --user loader:pw \
    --config "$TMP/cfg.json"
req GET "/api/now/table/u_ix_import?sysparm_query=u_nameINY&sysparm_fields=u_code"
eq "B" "$(j '.result[0].u_code')" "case-insensitive IN answers"
case "$(plan "SELECT * FROM u_ix_import WHERE u_name COLLATE NOCASE IN ('Y')")" in
*"USING INDEX sim_qx_"*) ;;
*) fail "no NOCASE query index" ;;
esac
stop_sim
done_ok
