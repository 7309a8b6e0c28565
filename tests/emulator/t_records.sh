#!/usr/bin/env bash
# insertMultiple bodies: what each JSON value is stored as (escapes,
# UTF-8, integers, reals, literals, nested values, duplicate keys), extra
# top-level keys, items that are not objects, and the 400s for bad input.
# The common flat shape has its own parser (sim_records.c); these cases
# cover both it and the jansson path it hands everything else to.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{"staging_tables": [{"name": "u_v_import",
   "columns": [{"name": "u_a", "max_length": 100},
               {"name": "u_b", "max_length": 100},
               {"name": "u_c", "max_length": 100}],
   "insert_multiple": {"transform": "async", "column_mapping": "name"}}]}
EOF
start_sim --config "$TMP/cfg.json" --user loader:pw

# stored BODY -> u_a|u_b|u_c of each row of the set, in row order
stored() {
    req POST /api/now/import/u_v_import/insertMultiple "$1"
    [ "$STATUS" = 201 ] || fail "POST $1: status $STATUS"
    local set
    set=$(j .import_set_id)
    req GET "/api/now/table/u_v_import?sysparm_query=sys_import_set=$set^ORDERBYsys_import_row&sysparm_fields=u_a,u_b,u_c,sys_import_row"
    j '[.result[]|"\(.sys_import_row):\(.u_a)|\(.u_b)|\(.u_c)"]|join(";")'
}

eq "$(printf '0:x"y\\z/\b\f\n\r\t|é€😀|')" \
    "$(stored '{"records":[{"u_a":"x\"y\\z\/\b\f\n\r\t","u_b":"é€😀"}]}')" \
    "escapes and UTF-8"
eq "0:é😀|A|" "$(stored '{"records":[{"u_a":"\u00e9\ud83d\ude00","u_b":"\u0041"}]}')" \
    "\\u escapes"
eq "0:0|-5|123456789012345678;1:1234567890123456789|0|-12" \
    "$(stored '{"records":[{"u_a":0,"u_b":-5,"u_c":123456789012345678},{"u_a":1234567890123456789,"u_b":-0,"u_c":-12}]}')" \
    "integers"
eq "0:1.5|1000|0.1;1:-2.5e-05|100|" \
    "$(stored '{"records":[{"u_a":1.5,"u_b":1e3,"u_c":0.1},{"u_a":-2.5E-5,"u_b":1.0e2}]}')" \
    "reals"
eq "0:true|false|" "$(stored '{"records":[{"u_a":true,"u_b":false,"u_c":null}]}')" \
    "literals; null is empty"
eq '0:{"k"="v","n"=[1,2]}|[1,"x"]|' \
    "$(stored '{"records":[{"u_a":{"k":"v","n":[1,2]},"u_b":[1,"x"]}]}')" \
    "nested values as compact JSON with = for :"
eq "0:2|b|" "$(stored '{"records":[{"u_a":"1","u_b":"b","u_a":"2"}]}')" \
    "duplicate key: the last value"
eq "0:p|q|r;1:s||" \
    "$(stored $' \n{ "records" :\t[ { "u_a" : "p" , "u_b":"q","u_c":"r" } ,{"u_a":"s"}] }\r\n')" \
    "whitespace"
eq "0:1||" "$(stored '{"note":"x","records":[{"u_a":"1"}],"more":[1,{"a":null}]}')" \
    "other top-level keys are ignored"
eq "1:q||;3:r||" "$(stored '{"records":["str",{"u_a":"q"},7,{"u_a":"r"}]}')" \
    "items that are not objects are not rows but keep their number"
eq "0:||" "$(stored '{"records":[{}]}')" "an empty object is an empty row"
eq "" "$(stored '{"records":[]}')" "no records"
eq "0:x||;1:y||" "$(stored '{"records":[{"u_a":"x","u_b":""},{"u_b":"","u_a":"y"}]}')" \
    "keys in another order"

bad() {
    req POST /api/now/import/u_v_import/insertMultiple "$1"
    eq "400 $2" "$STATUS $(j .error.detail)" "$3"
}
NOTJSON="The payload is not valid JSON."
bad '{"records":[{"u_a":"x"}]} x' "$NOTJSON" "trailing garbage"
bad '{"records":[{"u_a":"x",}]}' "$NOTJSON" "trailing comma"
bad '{"records":[{"u_a":01}]}' "$NOTJSON" "leading zero"
bad '{"records":[{"u_a":"\x"}]}' "$NOTJSON" "bad escape"
bad '{"records":[{"u_a":"\u0000"}]}' "$NOTJSON" "NUL escape"
bad "$(printf '{"records":[{"u_a":"a\tb"}]}')" "$NOTJSON" "raw control character"
bad "$(printf '{"records":[{"u_a":"\xc3\x28"}]}')" "$NOTJSON" "invalid UTF-8"
bad "$(printf '{"records":[{"u_a":"\xed\xa0\x80"}]}')" "$NOTJSON" "UTF-8 surrogate"
bad "$(printf '{"records":[{"u_a":"\xc0\xaf"}]}')" "$NOTJSON" "overlong UTF-8"
bad '["records"]' "$NOTJSON" "not an object"
bad '{"records":{"u_a":"x"}}' 'The payload must hold a "records" array.' \
    "records not an array"
bad '{"rows":[]}' 'The payload must hold a "records" array.' "no records"
req GET /api/now/table/u_v_import?sysparm_limit=1
eq 17 "$(hdr X-Total-Count)" "bad bodies stored nothing"
stop_sim
done_ok
