#!/usr/bin/env bash
# preflight.sh: `isload preflight` against the instance emulator: a
# correctly set up instance passes every check (exit 0) and the probe
# writes nothing; then one misconfiguration at a time, each checked by the
# exact lines printed and the exit code; then usage errors.
set -e
. "$(dirname "$0")/lib.sh"
SIM="$BUILDDIR/tests/emulator/isload-sim"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
RULE=0123456789abcdef0123456789abcdef
SIM_PID=""
stop_sim() { [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; SIM_PID=""; }
trap 'stop_sim; rm -rf "$TMP"' EXIT

# config CASE: an emulator set up like schemas/hr_employees.json asks
# (staging columns, transform map, REST Insert Multiple by column name, a
# rate rule), with the one thing CASE names done wrong.
config() {
    python3 - "$1" <<'PY'
import json, sys
case = sys.argv[1]
cols = [("u_employee_id", "Employee ID", 0), ("u_first_name", "First Name", 40),
        ("u_last_name", "Last Name", 40), ("u_email", "Email", 0),
        ("u_department", "Department", 0), ("u_manager_id", "Manager ID", 0),
        ("u_start_date", "Start Date", 0), ("u_active", "Active", 0),
        ("u_phone", "Phone", 0)]
maps = [("u_employee_id", "employee_number", True), ("u_first_name", "first_name", False),
        ("u_last_name", "last_name", False), ("u_email", "email", False),
        ("u_department", "department", False), ("u_active", "active", False),
        ("u_phone", "phone", False)]
tables, active, limit = [], True, 1000
if case == "missing_column":    # u_manager_id is sent but not mapped
    cols = [c for c in cols if c[0] != "u_manager_id"]
if case == "short_column":
    cols = [(n, l, 20 if n == "u_first_name" else m) for n, l, m in cols]
if case == "inactive_map":
    active = False
if case == "wrong_coalesce":
    maps = [(s, t, s == "u_email") for s, t, c in maps]
if case == "unmapped_target":
    maps = [m for m in maps if m[0] != "u_phone"]
if case == "small_rate_limit":
    limit = 100
if case == "hidden_dictionary":
    tables.append({"name": "sys_dictionary", "acl": {"read": ["admin"]}})
# as on an instance, other maps exist (so "none for this table" is visible)
hr_map = {"name": "hr_employees", "source_table": "u_hr_employee_import",
          "target_table": "sys_user", "active": active,
          "field_maps": [dict({"source": s, "target": t}, **({"coalesce": True} if c else {}))
                         for s, t, c in maps]}
other = {"name": "Users", "source_table": "imp_user", "target_table": "sys_user",
         "field_maps": [{"source": "u_user_name", "target": "user_name", "coalesce": True}]}
print(json.dumps({
    "users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
              {"name": "norole", "password": "pw", "roles": []},
              {"name": "admin", "password": "adminpw", "roles": ["admin"]}],
    "oauth": {"clients": [{"client_id": "cid", "client_secret": "csecret"}]},
    "staging_tables": [{
        "name": "u_hr_employee_import",
        "columns": [dict({"name": n, "label": l}, **({"max_length": m} if m else {}))
                    for n, l, m in cols],
        "insert_multiple": {"transform": "async",
                            "column_mapping": "label" if case == "label_mapping" else "name"}}],
    "tables": tables,
    "transform_maps": ([] if case == "no_map" else [hr_map]) + [other],
    "faults": {"retry_after": 0,
               "rate_limit": {"limit": limit, "window_s": 3600, "rule": "%RULE%"}},
}).replace("%RULE%", "0123456789abcdef0123456789abcdef"))
PY
}
start_sim() { # CASE: starts isload-sim with config CASE, sets URL
    stop_sim
    config "$1" >"$TMP/sim.json"
    : >"$TMP/sim.out" # before the child starts: sed must not see the last port
    "$SIM" --port 0 --config "$TMP/sim.json" >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$TMP/sim.out")
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    URL="http://127.0.0.1:$PORT"
}
preflight() { # args...: as loader:pw
    run env ISLOAD_USER="${PF_USER:-loader}" ISLOAD_PASSWORD="${PF_PASSWORD:-pw}" \
        "$ISLOAD" preflight "$FEED" --instance "$URL" "$@"
}
expect_out() { # name expected-stdout
    if [ "$(cat "$TMP/out")" = "$2" ]; then ok "$1"; else
        bad "$1" "got:" "$(cat "$TMP/out")" "expected:" "$2" "stderr: $(head -3 "$TMP/err")"; fi
}
admin_get() { # path: GET as admin, prints the body
    curl -s -u admin:adminpw -H 'Accept: application/json' "$URL$1"
}
count() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))'; }

CRED="PASS credentials: basic auth as loader accepted by http://127.0.0.1:PORT"
ACCESS="PASS import-access: posted a probe row to u_hr_employee_import (skipped by the transform, nothing written) and read it back from sys_import_set_row and u_hr_employee_import"
STAGING="PASS staging-table: u_hr_employee_import has the feed's 9 columns, long enough; u_isload_row will be added on the first load; insertMultiple reads column names"
MAP="PASS transform-map: 'hr_employees' (u_hr_employee_import -> sys_user) is active, coalesces on the feed's match and maps its 6 target fields"
RATE="PASS rate-limit: the run needs about 20 requests (1000 rows in batches of 200, a post, at least one result read and two image reads each); the instance allows 1000 per hour (rule $RULE)"
ACCESS_NOMAP="CANNOT-CHECK import-access: posting was not checked: no active transform map for u_hr_employee_import coalesces, so nothing shows that a probe row would be skipped: see docs/operations.md for when the probe is safe, or check posting by hand"
lines() { printf '%s\n' "$@" | sed "s/PORT/$PORT/"; }

# --- a correctly set up instance: every check passes ---
start_sim ok
preflight --rows 1000 --json "$TMP/pf.json"
expect_rc "ok: exit 0" 0
expect_out "ok: five PASS lines" "$(lines "$CRED" "$ACCESS" "$STAGING" "$MAP" "$RATE")"
[ "$(admin_get '/api/now/table/sys_user?sysparm_fields=sys_id' | count)" = 0 ] \
    && ok "ok: the probe wrote no target record" || bad "ok: the probe wrote no target record"
admin_get '/api/now/table/u_hr_employee_import?sysparm_fields=sys_import_state,u_employee_id' >"$TMP/staged.json"
expect_file_eq "ok: the probe left one skipped staging row" "$TMP/staged.json" \
    '{"result":[{"sys_import_state":"skipped","u_employee_id":""}]}'
python3 - "$TMP/pf.json" >"$TMP/pf.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["passed"], d["exit_code"], [(c["check"], c["result"]) for c in d["checks"]],
      d["checks"][4]["facts"]["requests_needed"], d["checks"][4]["facts"]["limit_per_hour"])
PY
expect_file_eq "ok: --json results" "$TMP/pf.txt" \
    "True 0 [('credentials', 'pass'), ('import-access', 'pass'), ('staging-table', 'pass'), ('transform-map', 'pass'), ('rate-limit', 'pass')] 20 1000"

# rows counted from INPUT with the feed's reader (40 rows, one batch)
preflight "$HR" --no-post-probe
expect_rc "input rows, --no-post-probe: exit 1" 1
expect_out "input rows, --no-post-probe: rows counted, probe skipped" "$(lines "$CRED" \
    "CANNOT-CHECK import-access: posting was not checked: the probe row was not posted (--no-post-probe): run preflight without --no-post-probe to check posting" \
    "$STAGING" "$MAP" \
    "PASS rate-limit: the run needs about 4 requests (40 rows in batches of 200, a post, at least one result read and two image reads each); the instance allows 1000 per hour (rule $RULE)")"
[ "$(admin_get '/api/now/table/u_hr_employee_import?sysparm_fields=sys_id' | count)" = 1 ] \
    && ok "--no-post-probe posts nothing" || bad "--no-post-probe posts nothing"

# no row count at all
preflight
expect_rc "no row count: exit 1" 1
expect_grep "no row count: says so" "$TMP/out" \
    "^CANNOT-CHECK rate-limit: no row count to check against the limit of 1000 requests per hour (rule $RULE): give INPUT or --rows N$"

# OAuth (password grant), good and bad secret
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw ISLOAD_CLIENT_ID=cid ISLOAD_CLIENT_SECRET=csecret \
    "$ISLOAD" preflight "$FEED" --instance "$URL" --rows 1000
expect_rc "oauth: exit 0" 0
expect_grep "oauth: credentials pass" "$TMP/out" "^PASS credentials: oauth (password grant) as loader accepted by $URL$"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw ISLOAD_CLIENT_ID=cid ISLOAD_CLIENT_SECRET=wrong \
    "$ISLOAD" preflight "$FEED" --instance "$URL" --rows 1000
expect_rc "oauth refused: exit 3" 3
expect_grep "oauth refused: says why" "$TMP/out" \
    "^FAIL credentials: the OAuth token request failed (the instance refused the token request (password grant, HTTP 401)): check ISLOAD_CLIENT_ID"

# --- bad password: exit 3, nothing else checked ---
PF_PASSWORD=wrong preflight --rows 1000
expect_rc "bad password: exit 3" 3
NOTCHECKED="not checked: the credentials check did not pass: fix the credentials first"
expect_out "bad password: FAIL credentials, the rest not checked" "$(lines \
    "FAIL credentials: the instance refused basic auth as loader (HTTP 401): check ISLOAD_USER and ISLOAD_PASSWORD (or the --credentials file); the user must be active and not locked out" \
    "CANNOT-CHECK import-access: $NOTCHECKED" "CANNOT-CHECK staging-table: $NOTCHECKED" \
    "CANNOT-CHECK transform-map: $NOTCHECKED" "CANNOT-CHECK rate-limit: $NOTCHECKED")"

# --- an instance that cannot be reached: exit 3 ---
stop_sim
preflight --rows 1000
expect_rc "unreachable: exit 3" 3
expect_grep "unreachable: says so" "$TMP/out" "^FAIL credentials: cannot reach $URL (.*): check --instance, the network, --proxy (or HTTPS_PROXY) and --ca-file$"

# --- a user without import_set_loader: the probe gets 201 and no body ---
start_sim ok
PF_USER=norole preflight --rows 1000
expect_rc "no import role: exit 1" 1
expect_out "no import role: FAIL import-access" "$(lines "${CRED/loader/norole}" \
    "FAIL import-access: the user may not import into u_hr_employee_import (HTTP 201 with an empty body: the import roles are missing, KB0813223): give the user the import_set_loader role (and create access on u_hr_employee_import)" \
    "$STAGING" "$MAP" "$RATE")"

# --- a missing staging column ---
start_sim missing_column
preflight --rows 1000
expect_rc "missing column: exit 1" 1
expect_out "missing column: FAIL staging-table" "$(lines "$CRED" "$ACCESS" \
    "FAIL staging-table: staging column u_manager_id is missing: add it to u_hr_employee_import (String)" \
    "$MAP" "$RATE")"

# --- a column shorter than the feed's length limit ---
start_sim short_column
preflight --rows 1000
expect_rc "short column: exit 1" 1
expect_out "short column: FAIL staging-table" "$(lines "$CRED" "$ACCESS" \
    "FAIL staging-table: staging column u_first_name is 20 long but the feed allows 40: raise its max length in sys_dictionary to 40" \
    "$MAP" "$RATE")"

# --- the staging table does not exist (a feed naming another table) ---
sed 's/"u_hr_employee_import"/"u_hr_missing_import"/' "$FEED" >"$TMP/missing_table.json"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" preflight "$TMP/missing_table.json" --instance "$URL" --rows 1000
expect_rc "missing table: exit 1" 1
expect_out "missing table: FAIL staging-table and transform-map" "$(lines "$CRED" \
    "CANNOT-CHECK import-access: posting was not checked: the staging table does not exist: see docs/operations.md for when the probe is safe, or check posting by hand" \
    "FAIL staging-table: staging table u_hr_missing_import does not exist (HTTP 400: Invalid table u_hr_missing_import): create it as an import set table (extending sys_import_set_row), or correct staging_table in the feed" \
    "FAIL transform-map: no transform map has source table u_hr_missing_import: create one from u_hr_missing_import to sys_user that coalesces on the feed's key" \
    "$RATE")"

# --- insertMultiple reads labels: the loader's column names would not land ---
start_sim label_mapping
preflight --rows 1000
expect_rc "label mapping: exit 1" 1
expect_out "label mapping: FAIL staging-table" "$(lines "$CRED" "$ACCESS" \
    "FAIL staging-table: insertMultiple into u_hr_employee_import reads keys as column labels (sys_rest_insert_multiple column_mapping 'label') but the loader sends column names: set its Column mapping to Column name, or load with --keys label" \
    "$MAP" "$RATE")"
preflight --rows 1000 --keys label
expect_rc "label mapping with --keys label: exit 0" 0

# --- no transform map, and an inactive one ---
start_sim no_map
preflight --rows 1000
expect_rc "no map: exit 1" 1
expect_out "no map: FAIL transform-map" "$(lines "$CRED" "$ACCESS_NOMAP" "$STAGING" \
    "FAIL transform-map: no transform map has source table u_hr_employee_import: create one from u_hr_employee_import to sys_user that coalesces on the feed's key" \
    "$RATE")"
start_sim inactive_map
preflight --rows 1000
expect_rc "inactive map: exit 1" 1
expect_out "inactive map: FAIL transform-map" "$(lines "$CRED" "$ACCESS_NOMAP" "$STAGING" \
    "FAIL transform-map: transform map 'hr_employees' for u_hr_employee_import is inactive: set Active on it (sys_transform_map)" \
    "$RATE")"

# --- coalesce on the wrong field (the probe is still safe: it coalesces) ---
start_sim wrong_coalesce
preflight --rows 1000
expect_rc "wrong coalesce: exit 1" 1
expect_out "wrong coalesce: FAIL transform-map" "$(lines "$CRED" "$ACCESS" "$STAGING" \
    "FAIL transform-map: transform map 'hr_employees' coalesces on u_email -> email but the feed matches on u_employee_id -> employee_number: set Coalesce on u_employee_id -> employee_number, clear Coalesce on u_email -> email" \
    "$RATE")"
[ "$(admin_get '/api/now/table/sys_user?sysparm_fields=sys_id' | count)" = 0 ] \
    && ok "wrong coalesce: the probe wrote no target record" || bad "wrong coalesce: the probe wrote no target record"

# --- a target field not mapped ---
start_sim unmapped_target
preflight --rows 1000
expect_rc "unmapped target field: exit 1" 1
expect_out "unmapped target field: FAIL transform-map" "$(lines "$CRED" "$ACCESS" "$STAGING" \
    "FAIL transform-map: target field phone is not mapped by 'hr_employees': add a field map u_phone -> phone" \
    "$RATE")"

# --- a rate limit too small for the planned run ---
start_sim small_rate_limit
preflight --rows 1000000
expect_rc "small rate limit: exit 1" 1
expect_out "small rate limit: FAIL rate-limit" "$(lines "$CRED" "$ACCESS" "$STAGING" "$MAP" \
    "FAIL rate-limit: the run needs at least 20000 requests (1000000 rows in batches of 200, a post, at least one result read and two image reads each) but the instance allows 100 per hour (rule $RULE): it would take 200.0 hours: raise the limit of the rule in sys_rate_limit_rules, or send larger batches (--batch)")"
preflight --rows 1000000 --batch 20000 --no-manifest
expect_rc "small rate limit, bigger batches, no manifest: exit 0" 0
preflight --rows 1000000 --batch 20000
expect_rc "small rate limit, bigger batches, with the manifest's reads: exit 1" 1
preflight --rows 1000 --mode single
expect_rc "small rate limit, single mode: exit 1" 1
expect_grep "small rate limit, single mode: one post per row" "$TMP/out" \
    "^FAIL rate-limit: the run needs at least 3000 requests (1000 rows, one post each and two image reads) but the instance allows 100 per hour (rule $RULE): it would take 30.0 hours: raise the limit of the rule in sys_rate_limit_rules, or load in batches (--mode multiple)$"

# --- a user who cannot read sys_dictionary: cannot-check, not fail ---
start_sim hidden_dictionary
preflight --rows 1000
expect_rc "hidden dictionary: exit 1" 1
expect_out "hidden dictionary: CANNOT-CHECK staging-table" "$(lines "$CRED" "$ACCESS" \
    "CANNOT-CHECK staging-table: cannot read sys_dictionary: it shows no entries for u_hr_employee_import, which exists: grant the user read access on sys_dictionary, or compare the columns of u_hr_employee_import by hand" \
    "$MAP" "$RATE")"

# --- no rate-limit headers: cannot-check ---
stop_sim
: >"$TMP/sim.out"
"$SIM" --port 0 --feed "$FEED" --user loader:pw >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
for _ in $(seq 1 100); do PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$TMP/sim.out"); [ -n "$PORT" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT"
preflight --rows 1000
expect_rc "no rate-limit headers: exit 1" 1
expect_out "no rate-limit headers: only rate-limit cannot be checked (--feed setup)" "$(lines "$CRED" "$ACCESS" "$STAGING" "$MAP" \
    "CANNOT-CHECK rate-limit: the instance sent no X-RateLimit headers (no rate limit rule applies to these requests, or the instance does not say): check the rules in sys_rate_limit_rules that apply to this user")"

# --- usage, feed and credential errors: exit 2, nothing asked ---
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" preflight "$FEED"
expect_rc "no --instance: exit 2" 2
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" preflight "$FEED" --instance http://example.com
expect_rc "plain http to a remote host: exit 2" 2
expect_grep "plain http: says why" "$TMP/err" "plain http:// is refused"
run env -u ISLOAD_USER -u ISLOAD_PASSWORD "$ISLOAD" preflight "$FEED" --instance "$URL"
expect_rc "no credentials: exit 2" 2
printf 'ISLOAD_USER=loader\nISLOAD_PASSWORD=pw\n' >"$TMP/creds"
chmod 644 "$TMP/creds"
run "$ISLOAD" preflight "$FEED" --instance "$URL" --credentials "$TMP/creds"
expect_rc "credentials file readable by others: exit 2" 2
chmod 600 "$TMP/creds"
run env -u ISLOAD_USER -u ISLOAD_PASSWORD "$ISLOAD" preflight "$FEED" --instance "$URL" --credentials "$TMP/creds" --rows 1000
expect_grep "credentials file 0600: accepted" "$TMP/out" "^PASS credentials: basic auth as loader"
echo '{"name": "x"}' >"$TMP/bad_feed.json"
preflight_bad() { run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" preflight "$@"; }
preflight_bad "$TMP/bad_feed.json" --instance "$URL"
expect_rc "bad feed: exit 2" 2
preflight_bad "$FEED" --instance "$URL" --rows ten
expect_rc "bad --rows: exit 2" 2
preflight_bad "$FEED" --instance "$URL" --rows 5 "$HR"
expect_rc "--rows and INPUT: exit 2" 2
preflight_bad "$FEED" --instance "$URL" "$TMP/nonexistent.csv"
expect_rc "unreadable INPUT: exit 2" 2
run "$ISLOAD" help preflight
expect_rc "help preflight: exit 0" 0
expect_grep "help preflight: documents the exit codes" "$TMP/out" "3 could not reach or"

finish
