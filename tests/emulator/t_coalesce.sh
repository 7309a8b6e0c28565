#!/usr/bin/env bash
# Coalesce and transform corner cases (c_ImportSetCoalesce semantics):
# all fields must match, case-insensitive by default, empty values never
# match, all-empty -> skipped, first match wins, unchanged -> ignored,
# "NULL" clears, copy_empty_fields, coalesce_empty_fields, create on empty,
# mandatory fields -> error, several maps -> one result each, in order.
. "$(dirname "$0")/lib.sh" "$1"

FM='"field_maps": [{"source": "u_code", "target": "u_code", "coalesce": true},
                    {"source": "u_name", "target": "u_name"}]'
cat >"$TMP/cfg.json" <<EOF
{
  "users": [{"name": "loader", "password": "pw",
             "roles": ["import_set_loader"]}],
  "tables": [
    {"name": "u_dup", "columns": [{"name": "u_code"}, {"name": "u_name"}],
     "records": [
       {"sys_id": "ffffffffffffffffffffffffffffffff", "u_code": "D",
        "u_name": "one"},
       {"sys_id": "00000000000000000000000000000000", "u_code": "D",
        "u_name": "two"}]},
    {"name": "u_mand", "columns": [{"name": "u_req", "label": "Required",
                                    "mandatory": true}]}
  ],
  "transform_maps": [
    {"name": "multi", "source_table": "u_multi_import",
     "target_table": "u_person",
     "field_maps": [
       {"source": "u_first", "target": "u_first", "coalesce": true},
       {"source": "u_last", "target": "u_last", "coalesce": true},
       {"source": "u_email", "target": "u_email"}]},
    {"name": "cs", "source_table": "u_cs_import", "target_table": "u_cs",
     "coalesce_case_sensitive": true, $FM},
    {"name": "empty", "source_table": "u_empty_import",
     "target_table": "u_empty", "coalesce_empty_fields": true,
     "create_new_record_on_empty_coalesce_fields": true,
     "field_maps": [
       {"source": "u_code", "target": "u_code", "coalesce": true},
       {"source": "u_sub", "target": "u_sub", "coalesce": true},
       {"source": "u_name", "target": "u_name"}]},
    {"name": "copy", "source_table": "u_copy_import", "target_table": "u_copy",
     "copy_empty_fields": true, $FM},
    {"name": "dup", "source_table": "u_dup_import", "target_table": "u_dup",
     $FM},
    {"name": "mand", "source_table": "u_mand_import",
     "target_table": "u_mand", "enforce_mandatory_fields": "only_mapped",
     "field_maps": [
       {"source": "u_code", "target": "u_code", "coalesce": true},
       {"source": "u_req", "target": "u_req"}]},
    {"name": "second", "order": 200, "source_table": "u_two_import",
     "target_table": "u_t2", $FM},
    {"name": "first", "order": 100, "source_table": "u_two_import",
     "target_table": "u_t1", $FM}
  ]
}
EOF
start_sim --config "$TMP/cfg.json"

imp() { # staging json -> sets ST (status) and ID (sys_id) of result 0
    req POST "/api/now/import/$1" "$2"
    [ "$STATUS" = 201 ] || fail "import into $1: $STATUS"
    ST=$(j '.result[0].status')
    ID=$(j '.result[0].sys_id')
}

# multi-field coalesce
imp u_multi_import '{"u_first":"Ann","u_last":"Lee","u_email":"a@x"}'
eq inserted "$ST" "multi: insert"
T=$ID
imp u_multi_import '{"u_first":"Ann","u_last":"Lee","u_email":"a@x"}'
eq "ignored $T" "$ST $ID" "multi: identical data is ignored"
imp u_multi_import '{"u_first":"ANN","u_last":"lee","u_email":"a@x"}'
eq "updated $T" "$ST $ID" "multi: case-insensitive match by default"
imp u_multi_import '{"u_first":"ANN","u_last":"Other","u_email":"a@x"}'
eq inserted "$ST" "multi: partial match inserts"
[ "$ID" != "$T" ] || fail "partial match must not reuse the record"
imp u_multi_import '{"u_first":"Bo","u_email":"b@x"}'
eq inserted "$ST" "multi: one empty value"
B=$ID
imp u_multi_import '{"u_first":"Bo","u_email":"b@x"}'
eq inserted "$ST" "multi: an empty value does not match an empty field"
[ "$ID" != "$B" ] || fail "empty coalesce value matched"
imp u_multi_import '{"u_email":"nobody@x"}'
eq skipped "$ST" "multi: all coalesce values empty"
imp u_multi_import '{"u_first":"","u_last":"","u_email":"nobody@x"}'
eq skipped "$ST" "multi: empty strings are empty too"
imp u_multi_import '{"u_first":"ANN","u_last":"lee","u_email":""}'
eq ignored "$ST" "multi: empty source values are not copied"
imp u_multi_import '{"u_first":"ANN","u_last":"lee","u_email":"NULL"}'
eq updated "$ST" "multi: NULL clears"
req GET "/api/now/table/u_person/$T"
eq "" "$(j .result.u_email)" "NULL cleared the field"
eq 2 "$(j .result.sys_mod_count)" "two updates"
imp u_multi_import '{"u_first":"ANN","u_last":"lee","u_email":"Null"}'
eq updated "$ST" "Null is an ordinary value"
req GET "/api/now/table/u_person/$T"
eq Null "$(j .result.u_email)" "Null stored"

# case-sensitive coalesce
imp u_cs_import '{"u_code":"X1","u_name":"a"}'
eq inserted "$ST" "cs: insert"
C=$ID
imp u_cs_import '{"u_code":"x1","u_name":"a"}'
eq inserted "$ST" "cs: case mismatch creates a new record"
[ "$ID" != "$C" ] || fail "case-sensitive coalesce matched"
imp u_cs_import '{"u_code":"X1","u_name":"a"}'
eq "ignored $C" "$ST $ID" "cs: exact match"

# coalesce empty fields + create on empty
imp u_empty_import '{"u_code":"C","u_name":"a"}'
eq inserted "$ST" "empty: insert with empty u_sub"
E=$ID
imp u_empty_import '{"u_code":"C","u_name":"b"}'
eq "updated $E" "$ST $ID" "empty: coalesce_empty_fields matches empty"
imp u_empty_import '{"u_name":"c"}'
eq inserted "$ST" "empty: create new record on empty coalesce fields"
imp u_empty_import '{"u_name":"d"}'
eq inserted "$ST" "empty: again a new record"

# copy empty fields
imp u_copy_import '{"u_code":"K","u_name":"n"}'
K=$ID
imp u_copy_import '{"u_code":"K","u_name":""}'
eq "updated $K" "$ST $ID" "copy: empty value overwrites"
req GET "/api/now/table/u_copy/$K"
eq "" "$(j .result.u_name)" "copy: field emptied"

# first match wins (oldest record, not lowest sys_id)
imp u_dup_import '{"u_code":"d","u_name":"new"}'
eq "updated ffffffffffffffffffffffffffffffff" "$ST $ID" \
    "dup: the first match is updated"
req GET /api/now/table/u_dup/00000000000000000000000000000000
eq two "$(j .result.u_name)" "dup: the second match is untouched"

# mandatory field -> error row
imp u_mand_import '{"u_code":"M1"}'
eq error "$ST" "mand: missing mandatory field"
eq "Mandatory field(s) not set: Required" "$(j '.result[0].error_message')" \
    "mand: error_message"
ROW=$ID
req GET "/api/now/table/u_mand_import/$ROW?sysparm_exclude_reference_link=true"
eq 200 "$STATUS" "mand: sys_id is the staging row"
eq error "$(j .result.sys_import_state)" "mand: row state"
ERR=$(j .result.sys_row_error)
[[ "$ERR" =~ ^[0-9a-f]{32}$ ]] || fail "mand: sys_row_error set"
req GET "/api/now/table/sys_import_set_row_error/$ERR"
eq "Mandatory field(s) not set: Required" "$(j .result.error_message)" \
    "mand: row error record"
req GET "/api/now/table/u_mand?sysparm_query=u_code=M1"
eq 0 "$(j '.result|length')" "mand: nothing written"
imp u_mand_import '{"u_code":"M2","u_req":"v"}'
eq inserted "$ST" "mand: complete row"

# two maps: one result each, by order
req POST /api/now/import/u_two_import '{"u_code":"Z","u_name":"z"}'
eq 2 "$(j '.result|length')" "two results"
eq "first second" "$(j '[.result[].transform_map]|join(" ")')" "map order"
eq "u_t1 u_t2" "$(j '[.result[].table]|join(" ")')" "map targets"
eq "inserted inserted" "$(j '[.result[].status]|join(" ")')" "map statuses"

stop_sim
done_ok
