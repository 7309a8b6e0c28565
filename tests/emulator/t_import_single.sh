#!/usr/bin/env bash
# Single-row Import Set API: POST /api/now/import/{staging} and
# GET /api/now/import/{staging}/{sys_id}: response shape, statuses,
# the shared synchronous import set, staging columns and truncation.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{
  "users": [
    {"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
    {"name": "norole", "password": "pw", "roles": []}
  ],
  "staging_tables": [
    {"name": "u_emp_import",
     "columns": [{"name": "u_id", "label": "ID"},
                 {"name": "u_name", "label": "Name"},
                 {"name": "u_note", "label": "Note", "max_length": 10}]}
  ],
  "tables": [
    {"name": "u_emp", "display_field": "u_name",
     "columns": [{"name": "u_id"}, {"name": "u_name"}, {"name": "u_note"},
                 {"name": "u_extra"}]}
  ],
  "transform_maps": [
    {"name": "Employees", "source_table": "u_emp_import",
     "target_table": "u_emp",
     "field_maps": [{"source": "u_id", "target": "u_id", "coalesce": true},
                    {"source": "u_name", "target": "u_name"},
                    {"source": "u_note", "target": "u_note"},
                    {"source": "u_extra", "target": "u_extra"}]}
  ]
}
EOF
start_sim --config "$TMP/cfg.json"

# insert
req POST /api/now/import/u_emp_import '{"u_id":"E1","u_name":"Ann"}'
eq 201 "$STATUS" "insert status"
eq "import_set,result,staging_table" "$(j 'keys|join(",")')" "top-level keys"
ISET=$(j .import_set)
[[ "$ISET" =~ ^ISET[0-9]{7}$ ]] || fail "import_set number format: $ISET"
eq ISET0010001 "$ISET" "first import set number"
eq u_emp_import "$(j .staging_table)" "staging_table"
eq 1 "$(j '.result|length')" "one result per map"
eq "display_name,display_value,record_link,status,sys_id,table,transform_map" \
    "$(j '.result[0]|keys|join(",")')" "result keys"
eq inserted "$(j '.result[0].status')" "status"
eq Employees "$(j '.result[0].transform_map')" "transform_map"
eq u_emp "$(j '.result[0].table')" "table"
eq u_name "$(j '.result[0].display_name')" "display_name"
eq Ann "$(j '.result[0].display_value')" "display_value"
T1=$(j '.result[0].sys_id')
[[ "$T1" =~ ^[0-9a-f]{32}$ ]] || fail "sys_id format: $T1"
eq "$BASE/api/now/table/u_emp/$T1" "$(j '.result[0].record_link')" \
    "record_link"

# same values again: ignored, same target, same (still loading) import set
req POST /api/now/import/u_emp_import '{"u_id":"E1","u_name":"Ann"}'
eq 201 "$STATUS" "ignored status code"
eq ignored "$(j '.result[0].status')" "unchanged row is ignored"
eq "No field values changed" "$(j '.result[0].status_message')" "comment"
eq "$T1" "$(j '.result[0].sys_id')" "ignored row points at the target"
eq "$ISET" "$(j .import_set)" "single rows share the open import set"

# changed value: updated
req POST /api/now/import/u_emp_import '{"u_id":"E1","u_name":"Anne"}'
eq updated "$(j '.result[0].status')" "changed row is updated"
eq "$T1" "$(j '.result[0].sys_id')" "updated target"
eq Anne "$(j '.result[0].display_value')" "display value after update"

# missing coalesce value: skipped, sys_id is the staging row
req POST /api/now/import/u_emp_import '{"u_name":"Nobody"}'
eq skipped "$(j '.result[0].status')" "empty coalesce is skipped"
ROW=$(j '.result[0].sys_id')
eq "null" "$(j '.result[0].record_link')" "no record_link when skipped"
req GET "/api/now/table/u_emp_import/$ROW?sysparm_fields=sys_id,u_name"
eq 200 "$STATUS" "skipped sys_id is a staging row"
eq Nobody "$(j .result.u_name)" "staging row value"

# values: numbers, booleans and objects become strings; "NULL" clears;
# long values are cut at the column length (10 here)
req POST /api/now/import/u_emp_import \
    '{"u_id":"E2","u_name":5,"u_note":"0123456789ABCDEF","u_extra":{"a":"b"}}'
eq inserted "$(j '.result[0].status')" "insert E2"
T2=$(j '.result[0].sys_id')
req GET "/api/now/table/u_emp/$T2"
eq 5 "$(j .result.u_name)" "number stored as string"
eq string "$(j '.result.u_name|type')" "values are strings"
eq 0123456789 "$(j .result.u_note)" "truncated at max_length"
eq '{"a"="b"}' "$(j .result.u_extra)" "object stringified with = for :"
eq 0 "$(j .result.sys_mod_count)" "new record sys_mod_count"
req POST /api/now/import/u_emp_import '{"u_id":"E2","u_name":"NULL"}'
eq updated "$(j '.result[0].status')" "NULL clears: update"
req GET "/api/now/table/u_emp/$T2"
eq "" "$(j .result.u_name)" "NULL cleared the field"
eq 1 "$(j .result.sys_mod_count)" "sys_mod_count incremented"
eq 0123456789 "$(j .result.u_note)" "missing source value leaves field"

# unknown key: a staging column is added on first use, length 40
LONG=$(printf 'x%.0s' $(seq 1 50))
req POST /api/now/import/u_emp_import "{\"u_id\":\"E3\",\"u_new_col\":\"$LONG\"}"
eq 201 "$STATUS" "new column accepted"
ROW3_SET=$(j .import_set)
req GET "/api/now/table/u_emp_import?sysparm_query=u_id=E3"
eq 40 "$(j '.result[0].u_new_col|length')" "default column length 40"
eq 6 "$(j '.result[0].sys_import_row')" "sys_import_row counts from 0"
eq "$ROW3_SET" "$ISET" "still the same import set"

# GET /import/{staging}/{sys_id}
req GET "/api/now/table/u_emp_import?sysparm_query=u_id=E1^ORDERBYsys_import_row&sysparm_fields=sys_id"
R0=$(j '.result[0].sys_id')
req GET "/api/now/import/u_emp_import/$R0"
eq 200 "$STATUS" "GET import row"
eq "$ISET" "$(j .import_set)" "GET import_set"
eq u_emp_import "$(j .staging_table)" "GET staging_table"
eq inserted "$(j '.result[0].status')" "GET status"
eq "$T1" "$(j '.result[0].sys_id')" "GET target sys_id"
req GET "/api/now/import/u_emp_import/0123456789abcdef0123456789abcdef"
eq 404 "$STATUS" "GET unknown row"
eq failure "$(j .status)" "error body status"
eq "No Record found" "$(j .error.message)" "error message"

# the row records the outcome
req GET "/api/now/table/sys_import_set_row?sysparm_query=sys_import_set.number=x^sys_id=$R0&sysparm_exclude_reference_link=true"
eq inserted "$(j '.result[0].sys_import_state')" "row state"
eq u_emp "$(j '.result[0].sys_target_table')" "sys_target_table"
eq "$T1" "$(j '.result[0].sys_target_sys_id')" "sys_target_sys_id"
eq u_emp_import "$(j '.result[0].sys_class_name')" "sys_class_name"

# import set record
req GET "/api/now/table/sys_import_set?sysparm_query=number=$ISET"
eq loading "$(j '.result[0].state')" "sync set stays loading"
eq synchronous "$(j '.result[0].mode')" "mode"
eq u_emp_import "$(j '.result[0].table_name')" "table_name"

# unknown staging table, bad JSON, no role (201 and an empty body)
req POST /api/now/import/u_nope '{"a":"b"}'
eq 400 "$STATUS" "unknown staging table"
eq "Invalid table u_nope" "$(j .error.message)" "unknown table message"
req POST /api/now/import/u_emp_import '{"u_id":'
eq 400 "$STATUS" "bad JSON"
AUTH=norole:pw req POST /api/now/import/u_emp_import '{"u_id":"E9"}'
eq 201 "$STATUS" "no import role: 201"
eq 0 "$(wc -c <"$TMP/body" | tr -d ' ')" "no import role: empty body"
req GET "/api/now/table/u_emp_import?sysparm_query=u_id=E9"
eq 0 "$(j '.result|length')" "no import role: nothing stored"
req GET /api/now/import/u_emp_import/a/b
eq 400 "$STATUS" "bad import path"

stop_sim
done_ok
