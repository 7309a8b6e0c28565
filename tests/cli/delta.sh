#!/usr/bin/env bash
# delta.sh: delta loads against the instance emulator. The first --delta
# run sends everything; an unchanged rerun sends nothing; one change sends
# one row; a failed run does not advance the store; keys gone from the
# export are listed, deactivated with --missing deactivate, and the
# --max-missing guard refuses a truncated export; --full resends all.
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
load() { # args...
    run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" --instance "$URL" \
        --state-dir "$TMP/runs" --report "$TMP/r.json" "$@"
}
r() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/r.json" "$1"; }
adds_up() {
    python3 - "$TMP/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = (d["rows_read"] == d["rows_rejected"] + d["rows_filtered"] + d["rows_unchanged"] + d["rows_other_shards"]
      + d["rows_sent"] - d["rows_deactivated"] + d["rows_not_sent"]) and d["rows_sent"] == sum(d["results"].values())
print("yes" if ok else "no: %r" % d)
PY
}
check() { # name expected-python-expression-value expression
    local got
    got=$(r "$3")
    [ "$got" = "$2" ] && ok "$1" || bad "$1" "got $got, expected $2"
}

sim_start --config "$TMP/sim.json" --feed "$FEED"

# --- first run: the store is empty, so every valid row is sent ---
load "$HR" --delta
expect_rc "first run: exit 1 (sample has bad rows)" 1
check "first run: 32 sent, 0 unchanged" "(32, 0)" 'd["rows_sent"], d["rows_unchanged"]'
[ "$(adds_up)" = yes ] && ok "first run adds up" || bad "first run adds up" "$(adds_up)"

# --- unchanged rerun: nothing sent, not even a request to import ---
load "$HR" --delta
check "rerun: 0 sent, 32 unchanged" "(0, 32)" 'd["rows_sent"], d["rows_unchanged"]'
check "rerun: no import requests" "0" 'sum(v for k, v in d["requests"]["by_status"].items() if k in ("201",))'
[ "$(adds_up)" = yes ] && ok "rerun adds up (rows_read still 40)" || bad "rerun adds up" "$(adds_up)"

# --- one change: one row sent ---
sed 's/James.Khan1@/Jim.Khan1@/' "$HR" >"$TMP/one.csv"
load "$TMP/one.csv" --delta
check "one change: 1 sent (updated), 31 unchanged" "(1, 1, 31)" 'd["rows_sent"], d["results"]["updated"], d["rows_unchanged"]'

# --- a failed run does not advance the store ---
sed 's/Aiko.Brown2@/Ai.Brown2@/' "$TMP/one.csv" >"$TMP/two.csv"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=wrong "$ISLOAD" load -q "$FEED" "$TMP/two.csv" --instance "$URL" \
    --state-dir "$TMP/runs" --delta
expect_rc "run with a wrong password: exit 3" 3
load "$TMP/two.csv" --delta
check "after the failed run the change is still sent" "(1, 31)" 'd["rows_sent"], d["rows_unchanged"]'
# a run stopped by the error threshold does not advance it either
sed 's/Omar.Smith3@/O.Smith3@/' "$TMP/two.csv" >"$TMP/three.csv"
load "$TMP/three.csv" --delta --max-errors 0
expect_rc "threshold run: exit 3" 3
load "$TMP/three.csv" --delta
check "after the threshold run the change is still sent" "1" 'd["rows_sent"]'

# --- keys gone from the export: listed, then deactivated ---
grep -v '^E0001004,' "$TMP/three.csv" >"$TMP/fewer.csv"
load "$TMP/fewer.csv" --delta
expect_rc "missing key, report only: exit 1" 1
check "missing key listed" "[{'u_employee_id': 'E0001004'}]" 'd["keys_missing"]'
sim_get admin:adminpw "/api/now/table/sys_user?sysparm_query=employee_number=E0001004&sysparm_fields=active" >/dev/null
expect_grep "report only: still active" "$TMP/get.json" '"active":"true"'
load "$TMP/fewer.csv" --delta --missing deactivate
expect_rc "deactivate: exit 1" 1
check "deactivate: one row sent for it, updated" "(1, 1, 1)" 'd["rows_deactivated"], d["rows_sent"], d["results"]["updated"]'
[ "$(adds_up)" = yes ] && ok "deactivate adds up" || bad "deactivate adds up" "$(adds_up)"
sim_get admin:adminpw "/api/now/table/sys_user?sysparm_query=employee_number=E0001004&sysparm_fields=active" >/dev/null
expect_grep "deactivated on the instance" "$TMP/get.json" '"active":"false"'
load "$TMP/fewer.csv" --delta --missing deactivate
check "deactivated once: not again" "(0, [])" 'd["rows_sent"], d["keys_missing"]'

# --- the guard: a truncated export deactivates nobody ---
head -11 "$TMP/fewer.csv" >"$TMP/truncated.csv"
load "$TMP/truncated.csv" --delta --missing deactivate
expect_rc "truncated export: exit 3" 3
check "truncated export: nothing deactivated" "0" 'd["rows_deactivated"]'
expect_grep "guard explained" "$TMP/err" "more than --max-missing 5% allows"
load "$TMP/truncated.csv" --delta --missing deactivate --max-missing 100%
check "--max-missing 100%: they are deactivated" "True" 'd["rows_deactivated"] > 15'
load "$HR" --delta --missing deactivate --max-missing 1
check "they come back: sent again" "True" 'd["rows_sent"] >= 15 and d["rows_deactivated"] == 0'

# --- --full: everything sent, the store refreshed ---
load "$HR" --full
check "--full: all 32 sent" "(32, 0)" 'd["rows_sent"], d["rows_unchanged"]'
load "$HR" --delta
check "after --full: nothing to send" "0" 'd["rows_sent"]'

# --- guards on the options ---
load "$HR" --missing deactivate
expect_rc "--missing deactivate without --delta: exit 2" 2
load "$HR" --delta --full
expect_rc "--delta with --full: exit 2" 2
finish
