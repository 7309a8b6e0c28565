#!/usr/bin/env bash
# Authentication and authorisation: Basic auth (401 body and header),
# inactive users, x-sn-apikey, import roles (201 + empty body by default,
# 403 with the option), Accept / Content-Type checks.
. "$(dirname "$0")/lib.sh" "$1"

mkcfg() {
    cat >"$TMP/cfg.json" <<EOF
{
  "users": [
    {"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
    {"name": "admin", "password": "secret", "roles": ["admin"]},
    {"name": "norole", "password": "pw", "roles": ["itil"]},
    {"name": "gone", "password": "pw", "roles": ["import_set_loader"],
     "active": false}
  ],
  "api_keys": [{"key": "k-123", "user": "loader"}],
  "staging_tables": [{"name": "u_a_import",
                      "columns": [{"name": "u_id", "label": "ID"}]}],
  "transform_maps": [{"name": "a", "source_table": "u_a_import",
                      "target_table": "u_a",
                      "field_maps": [{"source": "u_id", "target": "u_id",
                                      "coalesce": true}]}],
  "options": {"import_without_role": "$1"}
}
EOF
}
mkcfg empty_201
start_sim --config "$TMP/cfg.json"

NOAUTH=1 req GET /api/now/table/u_a
eq 401 "$STATUS" "no credentials"
eq '{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}' \
    "$(cat "$TMP/body")" "401 body"
case "$(hdr WWW-Authenticate)" in
BASIC*) ;;
*) fail "WWW-Authenticate header" ;;
esac
AUTH=loader:wrong req GET /api/now/table/u_a
eq 401 "$STATUS" "wrong password"
AUTH=nosuch:pw req GET /api/now/table/u_a
eq 401 "$STATUS" "unknown user"
AUTH=gone:pw req GET /api/now/table/u_a
eq 401 "$STATUS" "inactive user"
NOAUTH=1 req POST /api/now/import/u_a_import '{"u_id":"1"}'
eq 401 "$STATUS" "import needs credentials"
NOAUTH=1 req GET /api/now/table/u_a -H 'Authorization: Bearer nope'
eq 401 "$STATUS" "unknown bearer token"
NOAUTH=1 req GET /api/now/table/u_a -H 'x-sn-apikey: k-123'
eq 200 "$STATUS" "x-sn-apikey"
NOAUTH=1 req GET /api/now/table/u_a -H 'x-sn-apikey: bad'
eq 401 "$STATUS" "bad api key"

# roles
req POST /api/now/import/u_a_import '{"u_id":"1"}'
eq "201 inserted" "$STATUS $(j '.result[0].status')" "loader imports"
AUTH=admin:secret req POST /api/now/import/u_a_import '{"u_id":"2"}'
eq "201 inserted" "$STATUS $(j '.result[0].status')" "admin imports"
AUTH=norole:pw req POST /api/now/import/u_a_import '{"u_id":"3"}'
eq "201 0" "$STATUS $(wc -c <"$TMP/body" | tr -d ' ')" \
    "no import role: 201 with an empty body (KB0813223)"
AUTH=norole:pw req POST /api/now/import/u_a_import/insertMultiple \
    '{"records":[{"ID":"4"}]}'
eq "201 0" "$STATUS $(wc -c <"$TMP/body" | tr -d ' ')" \
    "no import role: insertMultiple"
req GET "/api/now/table/u_a?sysparm_query=u_idIN3,4"
eq 0 "$(j '.result|length')" "nothing imported without the role"
AUTH=norole:pw req GET /api/now/table/sys_import_set
eq "200 0" "$STATUS $(j '.result|length')" "no role: import sets hidden"
req GET /api/now/table/sys_import_set
eq "200 1" "$STATUS $(j '.result|length')" "loader reads import sets"

# headers
ACCEPT=text/html req GET /api/now/table/u_a
eq 406 "$STATUS" "unsupported Accept"
ACCEPT= req GET /api/now/table/u_a
eq 400 "$STATUS" "missing Accept"
CTYPE=text/plain req POST /api/now/table/u_a '{"u_id":"x"}'
eq 415 "$STATUS" "unsupported Content-Type"
CTYPE= req POST /api/now/table/u_a '{"u_id":"x"}'
eq 400 "$STATUS" "missing Content-Type"
CTYPE='application/json; charset=utf-8' \
    req POST /api/now/table/u_a '{"u_id":"x"}'
eq 201 "$STATUS" "Content-Type with charset"
stop_sim

mkcfg 403
start_sim --config "$TMP/cfg.json"
AUTH=norole:pw req POST /api/now/import/u_a_import '{"u_id":"3"}'
eq 403 "$STATUS" "import_without_role=403"
eq failure "$(j .status)" "403 body"
stop_sim
done_ok
