#!/usr/bin/env bash
# Encoded queries (sysparm_query): =, !=, IN, NOT IN, STARTSWITH, ENDSWITH,
# LIKE, ISEMPTY, ISNOTEMPTY, <, >, BETWEEN, ^, ^OR, ^NQ, ORDERBY,
# ORDERBYDESC; invalid parts are ignored (or match nothing with the
# invalid_query_returns_no_rows option); values are case-sensitive.
. "$(dirname "$0")/lib.sh" "$1"

mkcfg() {
    cat >"$TMP/cfg.json" <<EOF
{
  "users": [{"name": "loader", "password": "pw", "roles": ["admin"]}],
  "tables": [{"name": "u_q", "columns": [{"name": "u_name"},
              {"name": "u_color"}, {"name": "u_num"}],
   "records": [
     {"u_name": "alpha", "u_color": "red", "u_num": "3"},
     {"u_name": "beta", "u_color": "blue", "u_num": "1"},
     {"u_name": "gamma", "u_color": "", "u_num": "2"},
     {"u_name": "Delta", "u_color": "red", "u_num": "5"},
     {"u_name": "alphabet", "u_color": "green", "u_num": "4"}]}],
  "options": {"invalid_query_returns_no_rows": $1}
}
EOF
}
mkcfg false
start_sim --config "$TMP/cfg.json"

q() { # query -> names in ORDERBYu_name order unless the query orders
    local query=$1
    case "$query" in
    *ORDERBY*) ;;
    *) query="$query^ORDERBYu_name" ;;
    esac
    req GET "/api/now/table/u_q?sysparm_fields=u_name" "" \
        -G --data-urlencode "sysparm_query=$query"
    [ "$STATUS" = 200 ] || fail "query $1: status $STATUS"
    j '[.result[].u_name]|join(" ")'
}

eq "alpha" "$(q 'u_name=alpha')" "="
eq "" "$(q 'u_name=ALPHA')" "= is case-sensitive"
eq "Delta alphabet beta gamma" "$(q 'u_name!=alpha')" "!="
eq "gamma" "$(q 'u_color!=red^u_color!=blue^u_color!=green')" \
    "!= matches empty values"
eq "alpha beta" "$(q 'u_nameINalpha,beta,zeta')" "IN"
eq "Delta alphabet gamma" "$(q 'u_nameNOT INalpha,beta')" "NOT IN"
eq "alpha alphabet" "$(q 'u_nameSTARTSWITHalph')" "STARTSWITH"
eq "Delta alpha beta gamma" "$(q 'u_nameENDSWITHa')" "ENDSWITH"
eq "alphabet" "$(q 'u_nameLIKEhab')" "LIKE"
eq "Delta beta" "$(q 'u_nameNOT LIKEalpha^u_nameNOT LIKEgam')" \
    "NOT LIKE"
eq "gamma" "$(q 'u_colorISEMPTY')" "ISEMPTY"
eq "Delta alpha alphabet beta" "$(q 'u_colorISNOTEMPTY')" "ISNOTEMPTY"
eq "gamma" "$(q 'u_color=')" "= with an empty value"
eq "Delta alpha" "$(q 'u_color=red')" "^ AND (one term)"
eq "alpha" "$(q 'u_color=red^u_nameSTARTSWITHa')" "^ AND"
eq "Delta alpha beta" "$(q 'u_color=red^ORu_color=blue')" "^OR"
eq "alpha" "$(q 'u_nameSTARTSWITHa^u_color=red^ORu_color=blue')" \
    "OR binds tighter than AND"
eq "alphabet" "$(q 'u_color=blue^ORu_color=green^u_nameSTARTSWITHa')" \
    "OR group then AND"
eq "alpha gamma" "$(q 'u_name=alpha^NQu_name=gamma')" "^NQ"
eq "Delta alpha gamma" "$(q 'u_color=red^u_num>2^NQu_name=gamma')" \
    "^NQ groups"
eq "beta gamma" "$(q 'u_num<3')" "<"
eq "alpha gamma" "$(q 'u_numBETWEEN2@3')" "BETWEEN"
eq "Delta alphabet alpha gamma beta" "$(q 'ORDERBYDESCu_num')" "ORDERBYDESC"
eq "beta gamma alpha alphabet Delta" "$(q 'ORDERBYu_num')" "ORDERBY"
eq "gamma beta alphabet Delta alpha" "$(q 'ORDERBYu_color^ORDERBYDESCu_num')" \
    "two ORDERBY"
req GET "/api/now/table/u_q?sysparm_fields=u_name&sysparm_query=u_color=red^ORDERBYDESCu_num&sysparm_limit=1"
eq "Delta" "$(j '.result[0].u_name')" "ORDERBY before LIMIT"
eq 2 "$(hdr X-Total-Count)" "count ignores the limit"

# invalid parts are ignored: the query widens
eq "Delta alpha alphabet beta gamma" "$(q 'u_nosuch=1')" \
    "unknown field ignored"
eq "alpha" "$(q 'u_nosuch=1^u_name=alpha')" "unknown field term dropped"
eq "alpha" "$(q 'u_nameFOOx^u_name=alpha')" "unknown operator dropped"
eq "Delta alpha alphabet beta gamma" "$(q 'u_dept.name=x')" \
    "dot-walking is not emulated (ignored)"
req GET "/api/now/table/u_q?sysparm_fields=u_name,u_zzz&sysparm_query=u_name=beta"
eq u_name "$(j '.result[0]|keys|join(",")')" "unknown sysparm_fields ignored"
stop_sim

mkcfg true
start_sim --config "$TMP/cfg.json"
eq "" "$(q 'u_nosuch=1')" "invalid_query_returns_no_rows"
eq "alpha" "$(q 'u_name=alpha')" "valid query still works"
stop_sim
done_ok
