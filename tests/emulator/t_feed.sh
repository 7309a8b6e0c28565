#!/usr/bin/env bash
# --feed: staging table and transform map from an isload feed definition,
# with a target section (sys_user, match + fields) and without one
# (identity maps into the staging name minus "_import"); insertMultiple
# reads column names and is asynchronous; u_isload_row is accepted.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/hr.json" <<'EOF'
{
  "name": "hr_employees",
  "input": {"format": "csv", "delimiter": ","},
  "staging_table": "u_hr_employee_import",
  "key": ["u_employee_id"],
  "fields": [
    {"column": "u_employee_id", "source": "Employee ID", "required": true,
     "label": "Employee ID", "stages": ["trim"]},
    {"column": "u_email", "source": "Email",
     "stages": ["trim", "lower", "email"]},
    {"column": "u_department", "source": "Dept",
     "stages": ["trim", {"length": {"min": 1, "max": 60}}]},
    {"column": "u_active", "source": "Active"}
  ],
  "target": {
    "table": "sys_user",
    "match": {"employee_number": "u_employee_id"},
    "fields": {"email": "u_email", "department": "u_department",
               "active": "u_active"}
  }
}
EOF
cat >"$TMP/loc.json" <<'EOF'
{"name": "locations", "staging_table": "u_location_import",
 "key": ["u_code"], "some_other_key": {"ignored": true},
 "fields": [{"column": "u_code"}, {"column": "u_city"}]}
EOF
start_sim --feed "$TMP/hr.json" --feed "$TMP/loc.json" --user loader:pw

set_done() {
    req GET "/api/now/table/sys_import_set/$1?sysparm_fields=state"
    [ "$(j .result.state)" = processed ]
}

req POST /api/now/import/u_hr_employee_import/insertMultiple \
    '{"records":[{"u_employee_id":"E1","u_email":"a@x","u_department":"HR","u_active":"true","u_isload_row":"1"},{"u_employee_id":"E2","u_email":"b@x","u_isload_row":"2"}]}'
eq 201 "$STATUS" "feed insertMultiple"
S1=$(j .import_set_id)
req GET "/api/now/table/sys_import_set/$S1?sysparm_fields=mode"
eq asynchronous "$(j .result.mode)" "feed tables are asynchronous"
wait_until set_done "$S1" || fail "feed set not processed"
req GET "/api/now/table/sys_user?sysparm_query=employee_number=E1"
eq "a@x HR true" "$(j '.result[0]|[.email,.department,.active]|join(" ")')" \
    "target.fields mapped into sys_user"
req GET "/api/now/table/u_hr_employee_import?sysparm_query=sys_import_set=$S1^ORDERBYsys_import_row"
eq "1 2" "$(j '[.result[].u_isload_row]|join(" ")')" \
    "u_isload_row stored in an added column"
eq "E1 E2" "$(j '[.result[].u_employee_id]|join(" ")')" "column names"

req POST /api/now/import/u_hr_employee_import/insertMultiple \
    '{"records":[{"u_employee_id":"e1","u_email":"new@x","u_isload_row":"3"},{"u_employee_id":"E2","u_email":"b@x","u_isload_row":"4"}]}'
S2=$(j .import_set_id)
wait_until set_done "$S2" || fail "second set not processed"
req GET "/api/now/table/sys_import_set_row?sysparm_query=sys_import_set=$S2^ORDERBYsys_import_row"
eq "updated ignored" "$(j '[.result[].sys_import_state]|join(" ")')" \
    "coalesce on key (match)"
req GET /api/now/table/sys_user
eq 2 "$(j '.result|length')" "no duplicates"

LONG=$(printf 'd%.0s' $(seq 1 70))
req POST /api/now/import/u_hr_employee_import/insertMultiple \
    "{\"records\":[{\"u_employee_id\":\"E3\",\"u_email\":\"$LONG\",\"u_department\":\"$LONG\"}]}"
S3=$(j .import_set_id)
req GET "/api/now/table/u_hr_employee_import?sysparm_query=sys_import_set=$S3"
eq "40 60" "$(j '.result[0]|[(.u_email|length),(.u_department|length)]|join(" ")')" \
    "column length 40 by default, or the feed's length stage"

req GET "/api/now/table/sys_transform_map?sysparm_query=name=hr_employees"
eq "u_hr_employee_import sys_user true" \
    "$(j '.result[0]|[.source_table,.target_table,.active]|join(" ")')" \
    "transform map record"

# no target section: u_location_import -> u_location, identity maps
req POST /api/now/import/u_location_import '{"u_code":"L1","u_city":"Oslo"}'
eq "201 inserted u_location locations" \
    "$STATUS $(j '.result[0]|[.status,.table,.transform_map]|join(" ")')" \
    "default target"
req GET "/api/now/table/u_location?sysparm_query=u_code=L1"
eq Oslo "$(j '.result[0].u_city')" "identity field map"
req POST /api/now/import/u_location_import '{"u_code":"l1","u_city":"Oslo"}'
eq updated "$(j '.result[0].status')" "key coalesces case-insensitively"
stop_sim
done_ok
