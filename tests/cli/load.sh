#!/usr/bin/env bash
# load.sh: `isload load` end to end against the instance emulator: both
# modes, results per row, reruns (ignored), a fault run that must leave
# exactly one target record per key, OAuth token expiry, refused
# credentials, the error threshold and the guards on URLs and secrets.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
           {"name": "admin", "password": "adminpw", "roles": ["admin"]}],
 "faults": {"retry_after": 0}}
JSON
start_sim() { sim_start --config "$TMP/sim.json" --feed "$FEED" "$@"; }
# count_target: records in sys_user, and distinct employee numbers
count_target() { # retried: the emulator's faults hit this request too
    sim_get admin:adminpw "/api/now/table/sys_user?sysparm_fields=employee_number&sysparm_limit=100000" >/dev/null
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(len(r), len({x["employee_number"] for x in r}))' "$TMP/get.json"
}
import_sets() { # staged|subset -> yes or why not: the report's import sets against the staging table's
    sim_get admin:adminpw "/api/now/table/u_hr_employee_import?sysparm_fields=sys_import_set&sysparm_limit=100000&sysparm_exclude_reference_link=true" >/dev/null
    python3 - "$TMP/get.json" "$TMP/r.json" "$1" "${2:-1}" <<'PY'
import json, sys
staged = {x["sys_import_set"] for x in json.load(open(sys.argv[1]))["result"]}
listed = json.load(open(sys.argv[2]))["import_sets"]
ok = len(listed) >= int(sys.argv[4]) and len(listed) == len(set(listed))
ok = ok and (set(listed) == staged if sys.argv[3] == "staged" else set(listed) <= staged)
print("yes" if ok else "no: %d listed (%d distinct), %d staged" % (len(listed), len(set(listed)), len(staged)))
PY
}
report() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/r.json" "$1"; }
adds_up() {
    python3 - "$TMP/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["rows_read"] == d["rows_rejected"] + d["rows_filtered"] + d["rows_sent"] + d["rows_not_sent"]
ok = ok and d["rows_sent"] == sum(d["results"].values())
print("yes" if ok else "no: %r" % {k: d[k] for k in ("rows_read", "rows_rejected", "rows_filtered", "rows_sent", "rows_not_sent", "results")})
PY
}
load() { # args...
    run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" --instance "$URL" \
        --state-dir "$TMP/runs" --report "$TMP/r.json" "$@"
}

# --- multiple mode: inserts, then a rerun that changes nothing ---
start_sim
load "$HR"
expect_rc "multiple: exit 1 (the sample has bad rows)" 1
[ "$(adds_up)" = yes ] && ok "multiple: report adds up" || bad "multiple: report adds up" "$(adds_up)"
SENT=$(report 'd["rows_sent"]')
[ "$(report 'd["rows_read"]')" = 40 ] && ok "multiple: 40 rows read" || bad "multiple: 40 rows read" "$(report 'd["rows_read"]')"
[ "$(report 'd["results"]["inserted"]')" = "$SENT" ] && ok "multiple: every sent row inserted" || bad "multiple: every sent row inserted" "$(report 'd["results"]')"
[ "$(count_target)" = "$SENT $SENT" ] && ok "multiple: one target record per row" || bad "multiple: one target record per row" "$(count_target) for $SENT sent"
[ "$(import_sets staged)" = yes ] && ok "multiple: the report lists the run's import sets" || bad "multiple: the report lists the run's import sets" "$(import_sets staged)"
ls "$TMP"/runs/*/requests.jsonl >/dev/null 2>&1 && ok "run folder has the request log" || bad "run folder has the request log"
grep -q '"status":201' "$TMP"/runs/*/requests.jsonl && ok "log records statuses" || bad "log records statuses"
if grep -q 'pw' "$TMP"/runs/*/requests.jsonl; then bad "log has no password"; else ok "log has no password"; fi
grep -q "Employee ID" "$TMP"/runs/*/rejects.csv && ok "rejects file keeps the CSV header" || bad "rejects file keeps the CSV header"
load "$HR"
[ "$(report 'd["results"]["ignored"]')" = "$SENT" ] && ok "rerun: every row ignored" || bad "rerun: every row ignored" "$(report 'd["results"]')"
[ "$(count_target)" = "$SENT $SENT" ] && ok "rerun: no new records" || bad "rerun: no new records" "$(count_target)"

# --- single mode ---
start_sim
load "$HR" --mode single --concurrency 8
expect_rc "single: exit 1" 1
[ "$(adds_up)" = yes ] && ok "single: report adds up" || bad "single: report adds up" "$(adds_up)"
[ "$(report 'd["results"]["inserted"]')" = "$SENT" ] && ok "single: every sent row inserted" || bad "single: every sent row inserted" "$(report 'd["results"]')"
[ "$(count_target)" = "$SENT $SENT" ] && ok "single: one record per row" || bad "single: one record per row" "$(count_target)"

# --- faults: 429, 503, 500, connections dropped before and after commit ---
awk 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=1;i<=600;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,ENG,,01/02/2020,Active,(555) 200-%04d\n", 5000000+i, i, i, i%10000}' >"$TMP/big.csv"
for mode in multiple single; do
  start_sim --faults 429=0.1,503=0.05,500=0.02,drop-before=0.02,drop-after=0.03 --seed 7
  if [ $mode = multiple ]; then load "$TMP/big.csv" --batch 50 --concurrency 4; else load "$TMP/big.csv" --mode single --concurrency 8; fi
  expect_rc "faults ($mode): exit 0" 0
  [ "$(adds_up)" = yes ] && ok "faults ($mode): report adds up" || bad "faults ($mode): report adds up" "$(adds_up)"
  [ "$(report 'd["results"]["inserted"]')" = 600 ] && ok "faults ($mode): 600 inserted, none reported twice" || bad "faults ($mode): 600 inserted" "$(report 'd["results"]')"
  [ "$(count_target)" = "600 600" ] && ok "faults ($mode): exactly one record per key" || bad "faults ($mode): exactly one record per key" "$(count_target)"
  [ "$(report 'd["requests"]["retries"] > 0')" = True ] && ok "faults ($mode): retries happened" || bad "faults ($mode): retries happened" "$(report 'd["requests"]')"
  if [ $mode = multiple ]; then
    # 12 batches at least; sets whose answer was lost may be staged but unseen
    [ "$(import_sets subset 12)" = yes ] && ok "faults (multiple): import sets listed once each, all staged" || bad "faults (multiple): import sets listed once each, all staged" "$(import_sets subset 12)"
  fi
done

# --- OAuth, with tokens expiring during the run ---
start_sim --oauth-client cid:csecret --token-ttl 1 --latency-ms 20
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw ISLOAD_CLIENT_ID=cid ISLOAD_CLIENT_SECRET=csecret \
    "$ISLOAD" load -q "$FEED" "$TMP/big.csv" --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/r.json" --batch 20 --concurrency 2
expect_rc "oauth with expiring tokens: exit 0" 0
[ "$(report 'd["results"]["inserted"]')" = 600 ] && ok "oauth: all rows inserted" || bad "oauth: all rows inserted" "$(report 'd["results"]')"

# --- refused credentials: clean failure, exit 3 ---
run env ISLOAD_USER=loader ISLOAD_PASSWORD=wrong "$ISLOAD" load -q "$FEED" "$HR" --instance "$URL" --state-dir "$TMP/runs"
expect_rc "401: exit 3" 3
expect_grep "401: says authentication refused" "$TMP/err" "authentication refused"

# --- error threshold ---
start_sim
load "$HR" --max-errors 2
expect_rc "threshold: exit 3" 3
[ "$(adds_up)" = yes ] && ok "threshold: report adds up" || bad "threshold: report adds up" "$(adds_up)"

# --- a wide feed: the correlation column is added to a full staging
#     table on first use (an emulator regression: use after realloc) ---
sim_start --config "$TMP/sim.json" --feed "$SRCDIR/bench/hr_feed.json"
awk 'BEGIN{print "employee_id,first_name,last_name,email,department,manager_id,location,cost_center,start_date,work_phone,mobile_phone,job_title,employment_type,salary_grade,status";
     for(i=1;i<=50;i++) printf "E%07d,Ann,Lee,ann%d@example.com,Finance,,Paris,CC-1,01/02/2020,+1-555-041-8477,,Engineer,Intern,G3,Active\n", i, i}' >"$TMP/wide.csv"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$SRCDIR/bench/hr_feed.json" "$TMP/wide.csv" --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/r.json"
expect_rc "wide feed: exit 0" 0
[ "$(report 'd["results"]["inserted"]')" = 50 ] && ok "wide feed: 50 inserted" || bad "wide feed: 50 inserted" "$(cat "$TMP/sim.err" | tail -5)"

# --- guards ---
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load "$FEED" "$HR" --instance http://example.com
expect_rc "plain http to a remote host refused" 2
expect_grep "http refusal explained" "$TMP/err" "plain http:// is refused"
printf 'ISLOAD_USER=loader\nISLOAD_PASSWORD=pw\n' >"$TMP/creds"; chmod 644 "$TMP/creds"
run "$ISLOAD" load "$FEED" "$HR" --instance "$URL" --credentials "$TMP/creds"
expect_rc "credentials file readable by others refused" 2
expect_grep "mode 0600 asked for" "$TMP/err" "0600"
chmod 600 "$TMP/creds"
start_sim
run "$ISLOAD" load -q "$FEED" "$HR" --instance "$URL" --credentials "$TMP/creds" --state-dir "$TMP/runs" --report "$TMP/r.json"
expect_rc "credentials file 0600 accepted" 1
run env -u ISLOAD_USER -u ISLOAD_PASSWORD "$ISLOAD" load "$FEED" "$HR" --instance "$URL"
expect_rc "no credentials: exit 2" 2
# an input of another header and no rows is refused like one with rows
printf 'id,name\n' >"$TMP/other_header.csv"
start_sim
load "$TMP/other_header.csv"
expect_rc "another header, no rows: exit 2" 2
expect_grep "another header, no rows: named" "$TMP/err" "other_header.csv:1: the input has no field 'Employee ID'"
stop_sim
finish
