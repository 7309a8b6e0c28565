#!/usr/bin/env bash
# Table API: POST / GET / PATCH / PUT / DELETE one record, list paging and
# headers, sysparm_fields, reference links, display values, v1 vs latest,
# error bodies and ACLs.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{
  "users": [
    {"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
    {"name": "reader", "password": "pw", "roles": ["itil"]},
    {"name": "nobody", "password": "pw", "roles": []}
  ],
  "tables": [
    {"name": "u_dept", "display_field": "u_name",
     "columns": [{"name": "u_name"}]},
    {"name": "u_thing",
     "columns": [{"name": "u_name"}, {"name": "u_code", "max_length": 5},
                 {"name": "u_dept", "reference": "u_dept"}]},
    {"name": "u_locked", "columns": [{"name": "u_name"}],
     "acl": {"read": ["itil"], "create": ["itil"], "write": ["itil"],
             "delete": ["itil"]}}
  ]
}
EOF
start_sim --config "$TMP/cfg.json"

# POST
req POST /api/now/table/u_dept '{"u_name":"Sales"}'
eq 201 "$STATUS" "POST status"
D=$(j .result.sys_id)
[[ "$D" =~ ^[0-9a-f]{32}$ ]] || fail "sys_id is 32 hex"
eq "$BASE/api/now/table/u_dept/$D" "$(hdr Location)" "Location header"
req POST /api/now/table/u_thing \
    "{\"u_name\":\"one\",\"u_code\":\"ABCDEFG\",\"u_dept\":\"$D\",\"u_bogus\":\"x\",\"sys_mod_count\":\"7\"}"
eq 201 "$STATUS" "POST thing"
T=$(j .result.sys_id)
eq ABCDE "$(j .result.u_code)" "value cut at the field length"
eq null "$(j .result.u_bogus)" "unknown fields are ignored"
eq 0 "$(j .result.sys_mod_count)" "sys_ fields are not settable"
eq loader "$(j .result.sys_created_by)" "sys_created_by"
[[ "$(j .result.sys_created_on)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}$ ]] ||
    fail "sys_created_on format"
eq "$D" "$(j .result.u_dept.value)" "reference value"
eq "$BASE/api/now/table/u_dept/$D" "$(j .result.u_dept.link)" "reference link"
req POST /api/now/table/u_thing \
    '[{"u_name":"first"},{"u_name":"second"}]'
eq first "$(j .result.u_name)" "several records: only the first"
req POST /api/now/table/u_thing '{"u_name":"quiet"}' -H 'X-no-response-body: true'
eq 201 "$STATUS" "X-no-response-body status"
eq 0 "$(wc -c <"$TMP/body" | tr -d ' ')" "X-no-response-body"
req POST /api/now/table/u_thing '{"u_name":'
eq 400 "$STATUS" "bad JSON"
eq "failure" "$(j .status)" "bad JSON body"

# GET one
req GET "/api/now/table/u_thing/$T"
eq 200 "$STATUS" "GET one"
eq object "$(j '.result|type')" "single record is an object"
eq "string" "$(j '[.result[]|select(type!="object")|type]|unique|join(",")')" \
    "every plain value is a string"
req GET "/api/now/table/u_thing/$T?sysparm_exclude_reference_link=true&sysparm_fields=u_dept,u_name,nope"
eq "u_dept,u_name" "$(j '.result|keys|join(",")')" "sysparm_fields"
eq "$D" "$(j .result.u_dept)" "exclude_reference_link"
req GET "/api/now/table/u_thing/$T?sysparm_display_value=true&sysparm_fields=u_dept"
eq Sales "$(j .result.u_dept.value)" "display value of a reference"
req GET "/api/now/table/u_thing/$T?sysparm_display_value=all&sysparm_fields=u_dept,u_name&sysparm_exclude_reference_link=true"
eq "Sales $D" "$(j '.result.u_dept|[.display_value,.value]|join(" ")')" \
    "display_value=all reference"
eq "one one" "$(j '.result.u_name|[.display_value,.value]|join(" ")')" \
    "display_value=all"
req GET /api/now/table/u_thing/0123456789abcdef0123456789abcdef
eq 404 "$STATUS" "unknown record"
eq '{"error":{"message":"No Record found","detail":"Record doesn'"'"'t exist or ACL restricts the record retrieval"},"status":"failure"}' \
    "$(cat "$TMP/body")" "404 body"
req GET /api/now/table/u_nope
eq 400 "$STATUS" "unknown table"
eq "Invalid table u_nope" "$(j .error.message)" "unknown table message"
req GET /api/now/tables/u_thing
eq 400 "$STATUS" "unknown API"

# PATCH / PUT
req PATCH "/api/now/table/u_thing/$T" '{"u_name":"uno"}'
eq 200 "$STATUS" "PATCH"
eq "uno 1" "$(j '.result|[.u_name,.sys_mod_count]|join(" ")')" "PATCH result"
req PUT "/api/now/table/u_thing/$T" '{"u_code":""}'
eq 200 "$STATUS" "PUT"
eq "uno  2" "$(j '.result|[.u_name,.u_code,.sys_mod_count]|join(" ")')" \
    "empty string clears, mod count 2"
req POST "/api/now/table/u_thing/$T" '{"u_name":"tres"}' \
    -H 'X-HTTP-Method-Override: PATCH'
eq "200 tres 3" "$STATUS $(j .result.u_name) $(j .result.sys_mod_count)" \
    "X-HTTP-Method-Override"
req PATCH /api/now/table/u_thing/0123456789abcdef0123456789abcdef '{"u_name":"x"}'
eq 404 "$STATUS" "PATCH unknown record"

# list
for i in 1 2 3 4 5; do
    req POST /api/now/table/u_dept "{\"u_name\":\"d$i\"}"
done
req GET "/api/now/table/u_dept?sysparm_limit=2&sysparm_offset=2&sysparm_query=ORDERBYu_name"
eq 200 "$STATUS" "list"
eq 6 "$(hdr X-Total-Count)" "X-Total-Count"
eq "d2 d3" "$(j '[.result[].u_name]|join(" ")')" "limit and offset"
case "$(hdr Link)" in
*'sysparm_offset=4>;rel="next"'*) ;;
*) fail "Link next: $(hdr Link)" ;;
esac
req GET "/api/now/table/u_dept?sysparm_no_count=true&sysparm_limit=1"
eq "" "$(hdr X-Total-Count)" "sysparm_no_count"
req GET "/api/now/table/u_dept?sysparm_query=u_name=zzz"
eq "200 0" "$STATUS $(j '.result|length')" "empty list is 200 []"
req GET "/api/now/v2/table/u_dept?sysparm_query=u_name=zzz"
eq "200 0" "$STATUS $(j '.result|length')" "v2 empty list"
req GET "/api/now/v1/table/u_dept?sysparm_query=u_name=zzz"
eq 404 "$STATUS" "v1 empty list is 404"
req GET "/api/now/v1/table/u_dept?sysparm_query=u_name=d1"
eq "200 1" "$STATUS $(j '.result|length')" "v1 list"
req GET "/api/now/table/u_dept?u_name=d4"
eq "d4" "$(j '[.result[].u_name]|join(" ")')" "name=value filter"

# DELETE
req DELETE "/api/now/table/u_thing/$T"
eq 204 "$STATUS" "DELETE"
eq 0 "$(wc -c <"$TMP/body" | tr -d ' ')" "DELETE has no body"
req DELETE "/api/now/table/u_thing/$T"
eq 404 "$STATUS" "DELETE again"
req GET "/api/now/table/u_thing/$T"
eq 404 "$STATUS" "deleted record is gone"
req DELETE /api/now/table/u_thing
eq 405 "$STATUS" "DELETE without sys_id"

# ACLs
AUTH=nobody:pw req POST /api/now/table/u_locked '{"u_name":"x"}'
eq 403 "$STATUS" "create without role"
eq "Operation Failed" "$(j .error.message)" "403 message"
AUTH=reader:pw req POST /api/now/table/u_locked '{"u_name":"x"}'
eq 201 "$STATUS" "create with role"
L=$(j .result.sys_id)
AUTH=nobody:pw req GET /api/now/table/u_locked
eq "200 0" "$STATUS $(j '.result|length')" "list without read: no rows"
AUTH=nobody:pw req GET "/api/now/table/u_locked/$L"
eq 404 "$STATUS" "record hidden by ACL is 404"
AUTH=nobody:pw req PATCH "/api/now/table/u_locked/$L" '{"u_name":"y"}'
eq 403 "$STATUS" "write without role"
AUTH=nobody:pw req DELETE "/api/now/table/u_locked/$L"
eq 403 "$STATUS" "delete without role"
AUTH=nobody:pw req GET /api/now/table/sys_import_set_row
eq "200 0" "$STATUS $(j '.result|length')" "import rows need an import role"
req PATCH /api/now/table/sys_import_set/0123456789abcdef0123456789abcdef '{}'
eq 403 "$STATUS" "loader cannot write import sets"
req POST /api/now/table/sys_import_set '{"number":"ISET9"}'
eq 403 "$STATUS" "loader cannot create import sets"

stop_sim
done_ok
