#!/usr/bin/env bash
# The generated, read-only tables a preflight check reads through the
# Table API: sys_db_object, sys_dictionary, sys_transform_map,
# sys_transform_entry, sys_rest_insert_multiple. They follow the config,
# --feed (with a target section) and columns added on first use; the
# per-table acl config restricts them; writes are refused; rate-limit
# headers come with the GETs; a --db restart with another config leaves no
# stale records.
. "$(dirname "$0")/lib.sh" "$1"

META="sys_db_object sys_dictionary sys_transform_map sys_transform_entry sys_rest_insert_multiple"
acl_entries() { # role -> tables[] entries restricting every generated table
    local t sep=
    for t in $META; do
        printf '%s{"name": "%s", "acl": {"read": ["%s"]}}' "$sep" "$t" "$1"
        sep=,
    done
}

cat >"$TMP/cfg.json" <<EOF
{
  "users": [
    {"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
    {"name": "reader", "password": "pw", "roles": ["meta_reader"]},
    {"name": "admin", "password": "pw", "roles": ["admin"]}
  ],
  "staging_tables": [
    {"name": "u_a_import", "label": "A imports",
     "columns": [{"name": "u_id", "label": "Identifier", "max_length": 20},
                 {"name": "u_dept"}],
     "insert_multiple": {"transform": "sync", "column_mapping": "name"}}
  ],
  "tables": [
    {"name": "u_a",
     "columns": [{"name": "u_id", "max_length": 30, "mandatory": true},
                 {"name": "u_dept", "reference": "u_dept_table"}]},
    $(acl_entries meta_reader)
  ],
  "transform_maps": [
    {"name": "a", "source_table": "u_a_import", "target_table": "u_a",
     "order": 50, "coalesce_case_sensitive": true,
     "field_maps": [{"source": "u_id", "target": "u_id", "coalesce": true},
                    {"source": "u_dept", "target": "u_dept"}]},
    {"name": "b_off", "source_table": "u_b_import", "target_table": "u_b",
     "active": false,
     "field_maps": [{"source": "u_code", "target": "u_code"}]}
  ]
}
EOF
cat >"$TMP/feed.json" <<'EOF'
{"name": "hr", "staging_table": "u_hr_import", "key": ["u_employee_id"],
 "fields": [{"column": "u_employee_id", "label": "Employee ID"},
            {"column": "u_email", "stages": [{"length": {"max": 80}}]}],
 "target": {"table": "u_person", "match": {"u_number": "u_employee_id"},
            "fields": {"u_mail": "u_email"}}}
EOF
DB="$TMP/sim.db"
start_sim --db "$DB" --config "$TMP/cfg.json" --feed "$TMP/feed.json"
AUTH=reader:pw

# --- sys_db_object -----------------------------------------------------------
req GET "/api/now/table/sys_db_object?sysparm_query=name=sys_import_set_row&sysparm_fields=sys_id,super_class"
eq "200 1" "$STATUS $(j '.result|length')" "sys_import_set_row is a record"
ROWCLASS=$(j '.result[0].sys_id')
eq "" "$(j '.result[0].super_class')" "sys_import_set_row extends nothing"
req GET "/api/now/table/sys_db_object?sysparm_query=nameSTARTSWITHu_^ORDERBYname&sysparm_fields=name,label,super_class&sysparm_exclude_reference_link=true"
eq "u_a:A:;u_a_import:A imports:$ROWCLASS;u_b:B:;u_b_import:B import:$ROWCLASS;u_hr_import:Hr import:$ROWCLASS;u_person:Person:" \
    "$(j '[.result[]|"\(.name):\(.label):\(.super_class)"]|join(";")')" \
    "one record per table; staging tables extend sys_import_set_row"
req GET "/api/now/table/sys_db_object?sysparm_query=name=u_hr_import&sysparm_fields=super_class"
eq "$BASE/api/now/table/sys_db_object/$ROWCLASS $ROWCLASS" \
    "$(j '.result[0].super_class|"\(.link) \(.value)"')" \
    "super_class is a reference to sys_db_object"
for t in $META; do
    req GET "/api/now/table/sys_db_object?sysparm_query=name=$t&sysparm_fields=name"
    eq "$t" "$(j '.result[0].name')" "$t describes itself"
done

# --- sys_dictionary ----------------------------------------------------------
dict() { # table -> element:label:type:reference:max_length:mandatory:active
    req GET "/api/now/table/sys_dictionary?sysparm_query=name=$1^ORDERBYelement&sysparm_fields=element,column_label,internal_type,reference,max_length,mandatory,active"
    j '[.result[]|"\(.element):\(.column_label):\(.internal_type):\(.reference):\(.max_length):\(.mandatory):\(.active)"]|join(";")'
}
eq ":A imports:collection::40:false:true;u_dept:Dept:string::40:false:true;u_id:Identifier:string::20:false:true" \
    "$(dict u_a_import)" \
    "staging table: collection entry and own columns (inherited ones are under sys_import_set_row)"
eq ":A:collection::40:false:true;sys_created_by:Created by:string::0:false:true;sys_created_on:Created:glide_date_time::0:false:true;sys_id:Sys ID:GUID::0:false:true;sys_mod_count:Updates:integer::0:false:true;sys_updated_by:Updated by:string::0:false:true;sys_updated_on:Updated:glide_date_time::0:false:true;u_dept:Dept:reference:u_dept_table:0:false:true;u_id:Id:string::30:true:true" \
    "$(dict u_a)" "target table: mandatory, reference, lengths"
eq ":Hr import:collection::40:false:true;u_email:Email:string::80:false:true;u_employee_id:Employee ID:string::40:false:true" \
    "$(dict u_hr_import)" "feed staging table: labels, length stage, default 40"
eq "sys_class_name sys_id sys_import_set sys_import_state sys_target_sys_id" \
    "$(dict sys_import_set_row | tr ';' '\n' | cut -d: -f1 |
        grep -xE 'sys_id|sys_import_set|sys_import_state|sys_target_sys_id|sys_class_name' |
        sort | tr '\n' ' ' | sed 's/ $//')" \
    "inherited columns are listed under sys_import_set_row"
eq "u_mail u_number" "$(dict u_person | tr ';' '\n' | cut -d: -f1 | grep '^u_' | tr '\n' ' ' | sed 's/ $//')" \
    "feed target section: target columns"
req GET "/api/now/table/sys_dictionary?sysparm_query=name=u_a_import^element=&sysparm_fields=internal_type"
eq "1 collection" "$(j '.result|length') $(j '.result[0].internal_type')" \
    "element= finds the collection entry"
req GET "/api/now/table/sys_dictionary?sysparm_query=name=u_a^ORDERBYelement&sysparm_fields=element&sysparm_limit=3&sysparm_offset=2"
eq "9 sys_created_on sys_id sys_mod_count" \
    "$(hdr X-Total-Count) $(j '[.result[].element]|join(" ")')" \
    "sysparm_limit / sysparm_offset / X-Total-Count"
req GET "/api/now/table/sys_dictionary?sysparm_query=name=u_a^element=u_id&sysparm_fields=sys_id"
ID=$(j '.result[0].sys_id')
req GET "/api/now/table/sys_dictionary/$ID"
eq "200 u_a u_id 30" "$STATUS $(j '.result|"\(.name) \(.element) \(.max_length)"')" \
    "GET one by sys_id"

# columns added on first use appear (length 40, label from the key)
AUTH=loader:pw req POST /api/now/import/u_hr_import/insertMultiple \
    '{"records":[{"u_employee_id":"E1","u_isload_row":"r1"}]}'
eq 201 "$STATUS" "insertMultiple"
eq ":Hr import:collection::40:false:true;u_email:Email:string::80:false:true;u_employee_id:Employee ID:string::40:false:true;u_isload_row:Isload row:string::40:false:true" \
    "$(dict u_hr_import)" "a column added by insertMultiple"
AUTH=loader:pw req POST /api/now/import/u_b_import/insertMultiple \
    '{"records":[{"Extra Field":"x"}]}'
eq 201 "$STATUS" "insertMultiple by label"
eq ":B import:collection::40:false:true;u_code:Code:string::40:false:true;u_extra_field:Extra Field:string::40:false:true" \
    "$(dict u_b_import)" "a column added from a label"

# --- transform maps and field maps -------------------------------------------
req GET "/api/now/table/sys_transform_map?sysparm_query=ORDERBYname&sysparm_fields=name,source_table,target_table,active,order,run_business_rules,coalesce_case_sensitive,coalesce_empty_fields,copy_empty_fields,enforce_mandatory_fields,create_new_record_on_empty_coalesce_fields"
eq "a u_a_import u_a true 50 true true false false no false|b_off u_b_import u_b false 100 true false false false no false|hr u_hr_import u_person true 100 true false false false no false" \
    "$(j '[.result[]|[.name,.source_table,.target_table,.active,.order,.run_business_rules,.coalesce_case_sensitive,.coalesce_empty_fields,.copy_empty_fields,.enforce_mandatory_fields,.create_new_record_on_empty_coalesce_fields]|join(" ")]|join("|")')" \
    "sys_transform_map records, active false shown"
req GET "/api/now/table/sys_transform_map?sysparm_query=name=a&sysparm_fields=sys_id"
MAP_A=$(j '.result[0].sys_id')
req GET "/api/now/table/sys_transform_map?sysparm_query=name=hr&sysparm_fields=sys_id"
MAP_HR=$(j '.result[0].sys_id')
entries_of() { # map sys_id -> field maps
    req GET "/api/now/table/sys_transform_entry?sysparm_query=map=$1^ORDERBYtarget_field&sysparm_exclude_reference_link=true"
    jq -r --arg m "$1" '[.result[]|"\(.map==$m):\(.source_table).\(.source_field)>\(.target_table).\(.target_field):\(.coalesce):\(.coalesce_case_sensitive)"]|join(";")' "$TMP/body"
}
eq "true:u_a_import.u_dept>u_a.u_dept:false:true;true:u_a_import.u_id>u_a.u_id:true:true" \
    "$(entries_of "$MAP_A")" "field maps of map a"
eq "true:u_hr_import.u_email>u_person.u_mail:false:false;true:u_hr_import.u_employee_id>u_person.u_number:true:false" \
    "$(entries_of "$MAP_HR")" "field maps from the feed's target section"
req GET "/api/now/table/sys_transform_entry?sysparm_query=target_field=u_id&sysparm_fields=map"
eq "$BASE/api/now/table/sys_transform_map/$MAP_A" "$(j '.result[0].map.link')" \
    "map is a reference to sys_transform_map"
req GET /api/now/table/sys_transform_entry
eq 5 "$(j '.result|length')" "one record per field map"

# --- sys_rest_insert_multiple ------------------------------------------------
req GET "/api/now/table/sys_rest_insert_multiple?sysparm_query=ORDERBYsource_table&sysparm_fields=source_table,transform_mode,column_mapping"
eq "u_a_import synchronous column_name|u_hr_import asynchronous column_name" \
    "$(j '[.result[]|[.source_table,.transform_mode,.column_mapping]|join(" ")]|join("|")')" \
    "one record per staging table with an insert_multiple setting"

# --- ACLs --------------------------------------------------------------------
for t in $META; do
    AUTH=loader:pw req GET "/api/now/table/$t"
    eq "200 0" "$STATUS $(j '.result|length')" "$t hidden without the role"
    AUTH=admin:pw req GET "/api/now/table/$t?sysparm_limit=1"
    eq "200 1" "$STATUS $(j '.result|length')" "$t readable by admin"
done
AUTH=loader:pw req GET "/api/now/table/sys_dictionary/$ID"
eq 404 "$STATUS" "single read hidden by the ACL"

# --- writes are refused ------------------------------------------------------
for who in reader:pw admin:pw; do
    for t in $META; do
        AUTH=$who req POST "/api/now/table/$t" '{"name":"x"}'
        eq "403 ACL Exception Insert Failed due to security constraints" \
            "$STATUS $(j .error.detail)" "POST $t as ${who%%:*}"
    done
    AUTH=$who req PATCH "/api/now/table/sys_dictionary/$ID" '{"max_length":"99"}'
    eq "403 ACL Exception Update Failed due to security constraints" \
        "$STATUS $(j .error.detail)" "PATCH sys_dictionary as ${who%%:*}"
    AUTH=$who req PUT "/api/now/table/sys_transform_map/$MAP_A" '{"active":"false"}'
    eq 403 "$STATUS" "PUT sys_transform_map as ${who%%:*}"
    AUTH=$who req DELETE "/api/now/table/sys_transform_entry/$ID"
    eq "403 ACL Exception Delete Failed due to security constraints" \
        "$STATUS $(j .error.detail)" "DELETE as ${who%%:*}"
done
req GET "/api/now/table/sys_dictionary/$ID?sysparm_fields=max_length"
eq 30 "$(j .result.max_length)" "nothing was written"
stop_sim

# --- restart with another config: no stale records ---------------------------
cat >"$TMP/cfg2.json" <<EOF
{"users": [{"name": "reader", "password": "pw", "roles": ["meta_reader"]}],
 "staging_tables": [{"name": "u_a_import",
   "columns": [{"name": "u_id", "label": "Identifier", "max_length": 25}]}],
 "transform_maps": [{"name": "a", "source_table": "u_a_import",
   "target_table": "u_a",
   "field_maps": [{"source": "u_id", "target": "u_id", "coalesce": true}]}]}
EOF
start_sim --db "$DB" --config "$TMP/cfg2.json"
req GET "/api/now/table/sys_dictionary?sysparm_query=name=u_a^element=u_id&sysparm_fields=sys_id"
eq "$ID" "$(j '.result[0].sys_id')" "dictionary sys_ids are stable"
eq ":A import:collection::40:false:true;u_dept:Dept:string::40:false:true;u_id:Identifier:string::25:false:true" \
    "$(dict u_a_import)" "changed length and label follow the config"
req GET "/api/now/table/sys_transform_map?sysparm_query=ORDERBYname&sysparm_fields=name,active"
eq "a:true b_off:false hr:false" "$(j '[.result[]|"\(.name):\(.active)"]|join(" ")')" \
    "maps no longer configured are inactive"
req GET "/api/now/table/sys_transform_map?sysparm_query=name=a&sysparm_fields=sys_id"
eq "$MAP_A" "$(j '.result[0].sys_id')" "a map keeps its sys_id"
eq "true:u_a_import.u_id>u_a.u_id:true:false" "$(entries_of "$MAP_A")" \
    "field maps follow the config"
req GET /api/now/table/sys_transform_entry
eq 1 "$(j '.result|length')" "stale field maps removed"
req GET /api/now/table/sys_rest_insert_multiple
eq 0 "$(j '.result|length')" "stale insert_multiple settings removed"
stop_sim

# --- open by default; rate-limit headers on Table API GETs -------------------
cat >"$TMP/cfg3.json" <<'EOF'
{"users": [{"name": "plain", "password": "pw", "roles": []}],
 "faults": {"rate_limit": {"limit": 2, "window_s": 3600, "rule": "r-meta"}}}
EOF
start_sim --config "$TMP/cfg3.json" --feed "$TMP/feed.json"
AUTH=plain:pw
req GET "/api/now/table/sys_dictionary?sysparm_query=name=u_hr_import&sysparm_fields=element"
eq "200 3" "$STATUS $(j '.result|length')" "readable by any authenticated user"
eq "2 r-meta" "$(hdr X-RateLimit-Limit) $(hdr X-RateLimit-Rule)" \
    "rate-limit headers on a Table API GET"
[[ "$(hdr X-RateLimit-Reset)" =~ ^[0-9]{10}$ ]] || fail "X-RateLimit-Reset"
req GET "/api/now/table/sys_transform_map?sysparm_fields=name"
eq "200 hr 2" "$STATUS $(j '.result[0].name') $(hdr X-RateLimit-Limit)" \
    "second GET within the limit"
req GET "/api/now/table/sys_db_object?sysparm_fields=name"
eq "429 2 r-meta" "$STATUS $(hdr X-RateLimit-Limit) $(hdr X-RateLimit-Rule)" \
    "over the limit: 429 with the headers"
stop_sim
done_ok
