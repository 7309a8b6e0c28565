#!/usr/bin/env bash
# OAuth 2.0: POST /oauth_token.do (form-encoded) with the password,
# refresh_token and client_credentials grants, bearer use, token reuse,
# expiry (--token-ttl) and error answers.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/cfg.json" <<'EOF'
{
  "users": [{"name": "loader", "password": "pw",
             "roles": ["import_set_loader"]},
            {"name": "svc", "password": "x", "roles": ["import_set_loader"]}],
  "oauth": {"client_credentials_enabled": true,
            "clients": [{"client_id": "ccid", "client_secret": "ccsec",
                         "client_credentials_user": "svc"}]}
}
EOF
start_sim --config "$TMP/cfg.json" --oauth-client cid:csec --token-ttl 3

tok() { # form-data -> STATUS, body
    NOAUTH=1 req POST /oauth_token.do "" \
        -H 'Content-Type: application/x-www-form-urlencoded' --data "$1"
}

tok 'grant_type=password&client_id=cid&client_secret=csec&username=loader&password=pw'
eq 200 "$STATUS" "password grant"
eq "Bearer useraccount 3" "$(j '[.token_type,.scope,.expires_in]|join(" ")')" \
    "token fields"
AT=$(j .access_token)
RT=$(j .refresh_token)
[ -n "$AT" ] && [ "$AT" != null ] || fail "access_token"
[ -n "$RT" ] && [ "$RT" != null ] || fail "refresh_token"
tok 'grant_type=password&client_id=cid&client_secret=csec&username=loader&password=pw'
eq "$AT" "$(j .access_token)" "same token while it is valid"

NOAUTH=1 req GET /api/now/table/sys_import_set -H "Authorization: Bearer $AT"
eq 200 "$STATUS" "bearer accepted"

# refresh grant: a new access token, no refresh token
tok "grant_type=refresh_token&client_id=cid&client_secret=csec&refresh_token=$RT"
eq 200 "$STATUS" "refresh grant"
AT2=$(j .access_token)
[ "$AT2" != "$AT" ] || fail "refresh gives a new access token"
eq null "$(j .refresh_token)" "refresh grant returns an access token only"
tok "grant_type=refresh_token&client_id=cid&client_secret=csec&refresh_token=bogus"
eq 401 "$STATUS" "bad refresh token"

# expiry
sleep 3.2
NOAUTH=1 req GET /api/now/table/sys_import_set -H "Authorization: Bearer $AT"
eq 401 "$STATUS" "expired token"
eq "User Not Authenticated" "$(j .error.message)" "expired token body"
tok "grant_type=refresh_token&client_id=cid&client_secret=csec&refresh_token=$RT"
eq 200 "$STATUS" "refresh after expiry"
NOAUTH=1 req GET /api/now/table/sys_import_set \
    -H "Authorization: Bearer $(j .access_token)"
eq 200 "$STATUS" "refreshed token works"

# client credentials
tok 'grant_type=client_credentials&client_id=ccid&client_secret=ccsec'
eq 200 "$STATUS" "client_credentials"
eq null "$(j .refresh_token)" "no refresh token for client_credentials"
NOAUTH=1 req POST /api/now/table/u_x '{"a":"b"}' \
    -H "Authorization: Bearer $(j .access_token)"
eq 400 "$STATUS" "client_credentials token acts as its user (table check)"
tok 'grant_type=client_credentials&client_id=cid&client_secret=csec'
eq 401 "$STATUS" "client without an application user"

# errors
tok 'grant_type=password&client_id=cid&client_secret=bad&username=loader&password=pw'
eq 401 "$STATUS" "bad client secret"
eq "access_denied" "$(j .error_description)" "OAuth error body"
tok 'grant_type=password&client_id=cid&client_secret=csec&username=loader&password=no'
eq 401 "$STATUS" "bad user password"
tok 'grant_type=magic&client_id=cid&client_secret=csec'
eq 400 "$STATUS" "unsupported grant"
NOAUTH=1 req POST /oauth_token.do \
    '{"grant_type":"password","client_id":"cid","client_secret":"csec"}'
eq 400 "$STATUS" "JSON body is refused"
stop_sim
done_ok
