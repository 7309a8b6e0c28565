#!/usr/bin/env bash
# rollback.sh: manifests and `isload rollback` against the instance
# emulator: a load with faults, then its rollback, leaves the target table
# exactly as it was before, record for record; a second rollback is a
# no-op; a record edited since the load is a conflict; a dry run changes
# nothing; a feed without a target section has its inserts deleted and
# its updates refused.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
FIELDS=employee_number,first_name,last_name,email,department,active,phone
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
           {"name": "admin", "password": "adminpw", "roles": ["admin"]}],
 "faults": {"retry_after": 0}}
JSON
load() { # args...: a load as the loader user, report in $TMP/r.json
    run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" --instance "$URL" \
        --state-dir "$TMP/runs" --report "$TMP/r.json" "$@"
}
rollback() { # args...: as the loader user, report in $TMP/rb.json
    run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" rollback --instance "$URL" --report "$TMP/rb.json" "$@"
}
rb() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/rb.json" "$1"; }
manifest_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifest"]["path"])' "$TMP/r.json"; }
snap() { sim_snapshot admin:adminpw sys_user "$FIELDS"; }

# --- the night before: the sample loads (32 inserts) ---
sim_start --config "$TMP/sim.json" --feed "$FEED" --db "$TMP/sim.db"
load "$HR"
expect_rc "first load: exit 1 (sample has bad rows)" 1
snap >"$TMP/snap0"
[ "$(wc -l <"$TMP/snap0")" = 32 ] && ok "32 records before the bad load" || bad "32 records before the bad load" "$(wc -l <"$TMP/snap0")"

# --- last night: a wrong export (emails changed, 20 new people), with
#     faults: 429, 503, connections dropped before and after commit ---
{ cat "$HR"; awk 'BEGIN{for(i=1;i<=20;i++) printf "E%07d,New%d,Person,new%d@example.com,ENG,,01/02/2021,Active,(555) 300-%04d\n", 7000000+i, i, i, i}'; } |
    sed 's/example-corp.com/wrong.example/' >"$TMP/wrong.csv"
FAULTS="429=0.1,503=0.05,drop-after=0.05,drop-before=0.05"
sim_start --config "$TMP/sim.json" --feed "$FEED" --db "$TMP/sim.db" --faults "$FAULTS" --seed 7
load "$TMP/wrong.csv" --batch 10 --concurrency 4
expect_rc "faulty load: exit 1" 1
M2=$(manifest_of)
[ "$(python3 -c 'import json; d=json.load(open("'"$TMP/r.json"'")); print(d["results"]["updated"], d["results"]["inserted"])')" = "32 20" ] &&
    ok "faulty load: 32 updated, 20 inserted" || bad "faulty load: 32 updated, 20 inserted" "$(python3 -c 'import json; print(json.load(open("'"$TMP/r.json"'"))["results"])')"
python3 - "$M2" >"$TMP/mcheck" <<'PY'
import gzip, json, sys
lines = [json.loads(l) for l in gzip.open(sys.argv[1], "rt")]
acts = [l for l in lines if "action" in l]
print(len([a for a in acts if a["action"] == "update" and a["before"]]),
      len([a for a in acts if a["action"] == "insert" and a["before"] is None]),
      "end" if lines[-1].get("isload_manifest_end") and lines[-1]["complete"] else "no end")
PY
expect_file_eq "manifest: 32 updates with before-images, 20 inserts, end line" "$TMP/mcheck" "32 20 end"
snap >"$TMP/snap1"
if cmp -s "$TMP/snap0" "$TMP/snap1"; then bad "the load changed the target"; else ok "the load changed the target"; fi

# --- dry run: says what it would do, changes nothing ---
rollback "$M2" --dry-run
expect_rc "dry run: exit 0" 0
[ "$(rb 'd["counts"]["would_restore"], d["counts"]["would_delete"]')" = "(32, 20)" ] && ok "dry run: would restore 32, delete 20" || bad "dry run: would restore 32, delete 20" "$(rb 'd["counts"]')"
snap >"$TMP/snap2"
cmp -s "$TMP/snap1" "$TMP/snap2" && ok "dry run changed nothing" || bad "dry run changed nothing"

# --- rollback (with the same faults): the table is as before, record for record ---
rollback "$M2"
expect_rc "rollback: exit 0" 0
[ "$(rb 'd["counts"]["restored"], d["counts"]["deleted"]')" = "(32, 20)" ] && ok "rollback: restored 32, deleted 20" || bad "rollback: restored 32, deleted 20" "$(rb 'd["counts"]') $(head -3 "$TMP/err")"
snap >"$TMP/snap3"
cmp -s "$TMP/snap0" "$TMP/snap3" && ok "target equals its state before the load" || bad "target equals its state before the load" "$(diff "$TMP/snap0" "$TMP/snap3" | head -5)"

# --- twice: a no-op ---
rollback "$M2"
expect_rc "second rollback: exit 0" 0
[ "$(rb 'd["counts"]["restored"] + d["counts"]["deleted"], d["counts"]["already_done"]')" = "(0, 52)" ] && ok "second rollback: nothing to do" || bad "second rollback: nothing to do" "$(rb 'd["counts"]')"
rollback "$M2" --journal "$TMP/other-journal.jsonl"
[ "$(rb 'd["counts"]["already_done"], d["counts"]["conflicts"]')" = "(52, 0)" ] && ok "without the journal too: already undone" || bad "without the journal too: already undone" "$(rb 'd["counts"]')"
snap >"$TMP/snap4"
cmp -s "$TMP/snap0" "$TMP/snap4" && ok "second rollback changed nothing" || bad "second rollback changed nothing"

# --- someone edits a loaded record: one conflict, left alone ---
sim_start --config "$TMP/sim.json" --feed "$FEED" --db "$TMP/sim.db"
load "$TMP/wrong.csv" --batch 10
M3=$(manifest_of)
ID=$(python3 -c 'import gzip,json,sys; print([a for a in map(json.loads, gzip.open(sys.argv[1],"rt")) if a.get("action")=="update"][0]["sys_id"])' "$M3")
curl -s -o /dev/null -u admin:adminpw -X PATCH -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d '{"email":"edited.by.hand@example.com"}' "$URL/api/now/table/sys_user/$ID"
rollback "$M3"
expect_rc "edited record: exit 1" 1
[ "$(rb 'd["counts"]["conflicts"], d["conflicts"][0]["sys_id"]')" = "(1, '$ID')" ] && ok "edited record: one conflict, that record" || bad "edited record: one conflict, that record" "$(rb 'd["counts"], d["conflicts"]')"
expect_grep "conflict names the field" "$TMP/rb.json" "email was"
sim_get admin:adminpw "/api/now/table/sys_user/$ID" >/dev/null
expect_grep "conflict left alone" "$TMP/get.json" "edited.by.hand@example.com"
rollback "$M3" --force
expect_rc "--force: exit 0" 0
snap >"$TMP/snap5"
cmp -s "$TMP/snap0" "$TMP/snap5" && ok "--force restores it too" || bad "--force restores it too" "$(diff "$TMP/snap0" "$TMP/snap5" | head -3)"

# --- two nights undone at once, named in any order: newest first ---
sim_start --config "$TMP/sim.json" --feed "$FEED"
load "$HR"
MA=$(manifest_of)
load "$TMP/wrong.csv"
MB=$(manifest_of)
rollback "$MA" "$MB"
expect_rc "two runs at once: exit 0" 0
snap >"$TMP/snap6"
[ ! -s "$TMP/snap6" ] && ok "two runs at once: target empty again" || bad "two runs at once: target empty again" "$(rb 'd["counts"]') $(head -3 "$TMP/snap6")"

# --- refusals ---
rollback "$MA" --instance http://127.0.0.1:1
expect_rc "manifest for another instance: exit 2" 2
expect_grep "another instance explained" "$TMP/err" "records a load into"
printf 'not a manifest\n' >"$TMP/bad.jsonl"
rollback "$TMP/bad.jsonl"
expect_rc "not a manifest: exit 2" 2
python3 - "$MA" "$TMP/tampered.jsonl" <<'PY'
import gzip, json, sys
lines = [json.loads(l) for l in gzip.open(sys.argv[1], "rt")]
for l in lines:
    if l.get("action"):
        l["sys_id"] = "../../sys_user_role/x"
        break
open(sys.argv[2], "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
rollback "$TMP/tampered.jsonl" --dry-run
expect_rc "malformed action line: refused, exit 1" 1
expect_grep "malformed line explained" "$TMP/rb.json" "sys_id is not 32 hex digits"

# --- no target section: inserts deleted, updates refused with the reason ---
python3 - "$FEED" >"$TMP/notarget.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
del f["target"]
f["name"] = "hr_no_target"
print(json.dumps(f))
PY
sim_start --config "$TMP/sim.json" --feed "$TMP/notarget.json"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$TMP/notarget.json" "$HR" --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/r.json"
M4=$(manifest_of)
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$TMP/notarget.json" "$TMP/wrong.csv" --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/r.json"
M5=$(manifest_of)
rollback "$M5"
expect_rc "no target: exit 1 (updates cannot be restored)" 1
[ "$(rb 'd["counts"]["deleted"], d["counts"]["refused"]')" = "(20, 32)" ] && ok "no target: 20 inserts deleted, 32 updates refused" || bad "no target: 20 inserts deleted, 32 updates refused" "$(rb 'd["counts"]')"
expect_grep "refusal says why" "$TMP/rb.json" "no target"
rollback "$M4"
expect_rc "no target: the first load's records changed since: exit 1" 1
[ "$(rb 'd["counts"]["conflicts"]')" = 32 ] && ok "no target: updated since, so 32 conflicts, not deleted" || bad "no target: updated since, so 32 conflicts, not deleted" "$(rb 'd["counts"]')"
expect_grep "conflict by sys_mod_count" "$TMP/rb.json" "sys_mod_count was 0, is now 1"
finish
