#!/usr/bin/env bash
# insertMultiple: response shape, one import set per request, labels vs
# column names (sys_rest_insert_multiple), synchronous mode, the
# multi_import_set_id parameter and request errors.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{
  "users": [{"name": "loader", "password": "pw",
             "roles": ["import_set_loader"]}],
  "staging_tables": [
    {"name": "u_lbl_import",
     "columns": [{"name": "u_employee_id", "label": "Employee ID"},
                 {"name": "u_name", "label": "Name"}]},
    {"name": "u_sync_import",
     "insert_multiple": {"transform": "sync", "column_mapping": "name"},
     "columns": [{"name": "u_employee_id", "label": "Employee ID"},
                 {"name": "u_name", "label": "Name"}]}
  ],
  "tables": [{"name": "u_emp",
              "columns": [{"name": "u_employee_id"}, {"name": "u_name"}]}],
  "transform_maps": [
    {"name": "lbl", "source_table": "u_lbl_import", "target_table": "u_emp",
     "field_maps": [{"source": "u_employee_id", "target": "u_employee_id",
                     "coalesce": true},
                    {"source": "u_name", "target": "u_name"}]},
    {"name": "sync", "source_table": "u_sync_import",
     "target_table": "u_emp",
     "field_maps": [{"source": "u_employee_id", "target": "u_employee_id",
                     "coalesce": true},
                    {"source": "u_name", "target": "u_name"}]}
  ]
}
EOF
# a long delay keeps async rows pending while we look, even under load
start_sim --config "$TMP/cfg.json" --async-delay-ms 3000

# default: keys are column LABELS, transform asynchronous
req POST /api/now/import/u_lbl_import/insertMultiple \
    '{"records":[{"Employee ID":"A1","Name":"Ann"},{"Employee ID":"A2","Name":"Bob"},{"u_name":"by name"}]}'
eq 201 "$STATUS" "insertMultiple status"
eq "import_set_id,multi_import_set_id" "$(j 'keys|join(",")')" \
    "only import_set_id and multi_import_set_id"
SET1=$(j .import_set_id)
MULTI1=$(j .multi_import_set_id)
[[ "$SET1" =~ ^[0-9a-f]{32}$ ]] || fail "import_set_id is a sys_id: $SET1"
[[ "$MULTI1" =~ ^[0-9a-f]{32}$ ]] || fail "multi_import_set_id: $MULTI1"

req GET "/api/now/table/sys_import_set/$SET1"
eq asynchronous "$(j .result.mode)" "async mode by default"
eq loaded "$(j .result.state)" "async set is loaded"
[[ "$(j .result.number)" =~ ^ISET[0-9]{7}$ ]] || fail "number"
eq "$MULTI1" "$(j .result.multi_import_set.value)" "set -> multi set"

req GET "/api/now/table/u_lbl_import?sysparm_query=sys_import_set=$SET1^ORDERBYsys_import_row"
eq 3 "$(j '.result|length')" "three staging rows"
eq "0 1 2" "$(j '[.result[].sys_import_row]|join(" ")')" "rows from 0"
eq "pending pending pending" "$(j '[.result[].sys_import_state]|join(" ")')" \
    "rows pending before the worker runs"
eq A1 "$(j '.result[0].u_employee_id')" "label mapped to column"
eq "" "$(j '.result[2].u_name')" "a column NAME is not a label"
eq "by name" "$(j '.result[2].u_u_name')" \
    "unknown label creates a column from the label"

# the worker transforms them
done1() {
    req GET "/api/now/table/sys_import_set/$SET1"
    [ "$(j .result.state)" = processed ]
}
wait_until done1 || fail "async set never processed"
req GET "/api/now/table/u_lbl_import?sysparm_query=sys_import_set=$SET1^ORDERBYsys_import_row"
eq "inserted inserted skipped" \
    "$(j '[.result[].sys_import_state]|join(" ")')" "async outcome"

# sync staging table with column names: states are final at once
req POST /api/now/import/u_sync_import/insertMultiple \
    '{"records":[{"u_employee_id":"A1","u_name":"Ann"},{"u_employee_id":"a1","u_name":"Ann B"},{"u_employee_id":"S3","u_name":"Sam"}]}'
eq 201 "$STATUS" "sync insertMultiple"
SET2=$(j .import_set_id)
MULTI2=$(j .multi_import_set_id)
[ "$MULTI2" != "$MULTI1" ] || fail "new multi import set per request"
req GET "/api/now/table/u_sync_import?sysparm_query=sys_import_set=$SET2^ORDERBYsys_import_row"
eq "ignored updated inserted" \
    "$(j '[.result[].sys_import_state]|join(" ")')" "sync outcome"
req GET "/api/now/table/sys_import_set/$SET2"
eq synchronous "$(j .result.mode)" "sync mode"
eq processed "$(j .result.state)" "sync set processed"
req GET "/api/now/table/sys_import_set_run?sysparm_query=set=$SET2&sysparm_exclude_reference_link=true"
eq "3 1 1 1 0 0 complete" \
    "$(j '.result[0]|[.total,.inserts,.updates,.ignored,.skipped,.errors,.state]|join(" ")')" \
    "transform history counts"

# multi_import_set_id groups sets; a new import set per request
req POST "/api/now/import/u_sync_import/insertMultiple?multi_import_set_id=$MULTI2" \
    '{"records":[{"u_employee_id":"S4","u_name":"Sue"}]}'
eq 201 "$STATUS" "with multi_import_set_id"
eq "$MULTI2" "$(j .multi_import_set_id)" "multi set reused"
SET3=$(j .import_set_id)
[ "$SET3" != "$SET2" ] || fail "new import set per request"
req GET "/api/now/table/sys_import_set?sysparm_query=multi_import_set=$MULTI2"
eq 2 "$(j '.result|length')" "two sets in the multi set"
req POST "/api/now/import/u_sync_import/insertMultiple?multi_import_set_id=0123456789abcdef0123456789abcdef" \
    '{"records":[{"u_employee_id":"S5"}]}'
eq 400 "$STATUS" "unknown multi_import_set_id"

# errors
req POST /api/now/import/u_sync_import/insertMultiple '{"rows":[]}'
eq 400 "$STATUS" "records missing"
req POST /api/now/import/u_sync_import/insertMultiple '[1,2'
eq 400 "$STATUS" "bad JSON"
eq failure "$(j .status)" "error body"
req POST /api/now/import/u_missing/insertMultiple '{"records":[]}'
eq 400 "$STATUS" "unknown staging table"
req GET /api/now/import/u_sync_import/insertMultiple
eq 404 "$STATUS" "GET insertMultiple is a row lookup"

stop_sim
done_ok
