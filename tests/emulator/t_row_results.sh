#!/usr/bin/env bash
# GET /api/now/import/{staging}/{sys_id} on a transformed row answers the
# same results the single-row POST did, for every status (inserted,
# ignored, updated, skipped, error with a mandatory field), with one map
# (the row alone holds the outcome) and with two maps (one entry each);
# asynchronous rows give the same shape once transformed.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{
  "users": [{"name": "loader", "password": "pw",
             "roles": ["import_set_loader"]}],
  "tables": [
    {"name": "u_r", "display_field": "u_name",
     "columns": [{"name": "u_req", "mandatory": true, "label": "Required"}]}
  ],
  "transform_maps": [
    {"name": "R", "source_table": "u_r_import", "target_table": "u_r",
     "enforce_mandatory_fields": "only_mapped",
     "field_maps": [{"source": "u_id", "target": "u_id", "coalesce": true},
                    {"source": "u_name", "target": "u_name"},
                    {"source": "u_req", "target": "u_req"}]},
    {"name": "M2", "source_table": "u_m_import", "target_table": "u_m2",
     "order": 20,
     "field_maps": [{"source": "u_id", "target": "u_id", "coalesce": true},
                    {"source": "u_name", "target": "u_name"}]},
    {"name": "M1", "source_table": "u_m_import", "target_table": "u_m1",
     "order": 10,
     "field_maps": [{"source": "u_id", "target": "u_code"}]}
  ]
}
EOF
start_sim --config "$TMP/cfg.json"

# post_get STAGING BODY: POST one row, then GET its staging row; sets
# POSTED and GOT to the two .result arrays (keys sorted)
post_get() {
    req POST "/api/now/import/$1" "$2"
    eq 201 "$STATUS" "POST $2"
    POSTED=$(jq -cS .result "$TMP/body")
    req GET "/api/now/table/$1?sysparm_query=ORDERBYDESCsys_import_row&sysparm_limit=1&sysparm_fields=sys_id"
    local row
    row=$(j '.result[0].sys_id')
    req GET "/api/now/import/$1/$row"
    eq 200 "$STATUS" "GET row of $2"
    GOT=$(jq -cS .result "$TMP/body")
}

for body in '{"u_id":"A","u_name":"Ann","u_req":"x"}' \
    '{"u_id":"a","u_name":"Ann","u_req":"x"}' \
    '{"u_id":"A","u_name":"Anne"}' \
    '{"u_name":"nobody"}' \
    '{"u_id":"B","u_name":"Bob"}' \
    '{"u_id":"A","u_name":"NULL","u_req":"NULL"}'; do
    post_get u_r_import "$body"
    eq "$POSTED" "$GOT" "one map: GET = POST for $body"
done
eq '["error"]' "$(jq -c '[.[].status]' <<<"$GOT")" "last row is an error"
eq "Mandatory field(s) not set: Required" \
    "$(jq -r '.[0].error_message' <<<"$GOT")" "error_message kept"
post_get u_r_import '{"u_id":"A","u_name":"Anne","u_req":"x"}'
eq '["ignored"]' "$(jq -c '[.[].status]' <<<"$GOT")" "ignored"
eq "No field values changed" "$(jq -r '.[0].status_message' <<<"$GOT")" \
    "status_message kept"

for body in '{"u_id":"C","u_name":"Cy"}' '{"u_id":"C","u_name":"Cy"}' \
    '{"u_name":"x"}'; do
    post_get u_m_import "$body"
    eq "$POSTED" "$GOT" "two maps: GET = POST for $body"
done
eq '["inserted","skipped"]' "$(jq -c '[.[].status]' <<<"$GOT")" \
    "two maps: one entry each, in order"

# asynchronous: the same shape once transformed
req POST /api/now/import/u_r_import/insertMultiple \
    '{"records":[{"ID":"D","Name":"Di","Req":"y"},{"Name":"none"}]}'
S=$(j .import_set_id)
processed() {
    req GET "/api/now/table/sys_import_set/$S?sysparm_fields=state"
    [ "$(j .result.state)" = processed ]
}
wait_until processed || fail "set not processed"
req GET "/api/now/table/u_r_import?sysparm_query=sys_import_set=$S^ORDERBYsys_import_row&sysparm_fields=sys_id"
R0=$(j '.result[0].sys_id')
R1=$(j '.result[1].sys_id')
req GET "/api/now/table/u_r?sysparm_query=u_id=D&sysparm_fields=sys_id"
TD=$(j '.result[0].sys_id')
req GET "/api/now/import/u_r_import/$R0"
eq "R u_r inserted $TD Di" \
    "$(j '.result[0]|[.transform_map,.table,.status,.sys_id,.display_value]|join(" ")')" \
    "async inserted row"
req GET "/api/now/import/u_r_import/$R1"
eq "R u_r skipped $R1 Row skipped: all coalesce fields are empty" \
    "$(j '.result[0]|[.transform_map,.table,.status,.sys_id,.status_message]|join(" ")')" \
    "async skipped row"
stop_sim
done_ok
