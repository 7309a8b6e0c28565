#!/usr/bin/env bash
# resume.sh: crash-safe resume against the instance emulator. A load killed
# with SIGKILL at random points, several times in a row, and resumed each
# time ends with exactly one outcome per source row, the target table as
# a clean run leaves it, and a manifest whose rollback restores the state
# before the run. Also: two runs of a feed at once are refused, --resume
# with nothing to resume starts a fresh run, and changed inputs are
# refused.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
FIELDS=employee_number,first_name,last_name,email,department,active,phone
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
           {"name": "admin", "password": "adminpw", "roles": ["admin"]}],
 "faults": {"retry_after": 0}}
JSON
N=1500
# every 97th row has an impossible date: rejected, and counted
awk -v n=$N 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=1;i<=n;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,ENG,,%s,Active,(555) 200-%04d\n", 5000000+i, i, i, i%97 ? "01/02/2020" : "02/30/2020", i}' >"$TMP/big.csv"
# the instance already holds 300 of them, with other emails
head -301 "$TMP/big.csv" | sed 's/@example.com/@old.example/' >"$TMP/seed.csv"
VALID=$((N - N / 97))
export ISLOAD_USER=loader ISLOAD_PASSWORD=pw
load() { # STATE_DIR args...
    local dir=$1
    shift
    "$ISLOAD" load -q "$FEED" --instance "$URL" --state-dir "$dir" --batch 50 --concurrency 4 "$@"
}
bg_load() { # OUT ERR STATE_DIR args...: load in the background, its pid in BG
    local out=$1 err=$2 dir=$3
    shift 3
    "$ISLOAD" load -q "$FEED" --instance "$URL" --state-dir "$dir" --batch 50 --concurrency 4 "$@" >"$out" 2>"$err" &
    BG=$!
}
run_exit() { # STATE_DIR: the exit code its finished run recorded, "" if none
    python3 - "$1" <<'PY'
import glob, json, sys
for p in glob.glob(sys.argv[1] + "/*/run.json"):
    d = json.load(open(p))
    if d.get("status") not in ("running", "aborted") and "exit" in d:
        print(d["exit"])
PY
}
by_key() { # a snapshot keyed by employee number, without sys_ids
    sim_snapshot admin:adminpw sys_user "$FIELDS" |
        python3 -c 'import json,sys
rows = [json.loads(l) for l in sys.stdin]
for r in sorted(rows, key=lambda r: r["employee_number"]):
    r.pop("sys_id"); print(json.dumps(r, sort_keys=True))'
}

# --- a clean run, for reference ---
sim_start --config "$TMP/sim.json" --feed "$FEED"
load "$TMP/clean" "$TMP/seed.csv" >/dev/null 2>&1 || true
load "$TMP/clean" "$TMP/big.csv" >/dev/null 2>&1 || true
by_key >"$TMP/expected"
[ "$(wc -l <"$TMP/expected")" = "$VALID" ] && ok "clean run: $VALID records" || bad "clean run: $VALID records" "$(wc -l <"$TMP/expected")"

# --- the same, killed with SIGKILL again and again ---
sim_start --config "$TMP/sim.json" --feed "$FEED" --latency-ms 40 --faults drop-after=0.03 --seed 3
load "$TMP/seedruns" "$TMP/seed.csv" >/dev/null 2>&1 || true
sim_snapshot admin:adminpw sys_user "$FIELDS" >"$TMP/before"
RANDOM=11
kills=0
rc=137
while [ "$rc" = 137 ]; do
    bg_load "$TMP/out.$kills" "$TMP/err.$kills" "$TMP/runs" "$TMP/big.csv" --resume
    pid=$BG
    if [ "$kills" -lt 6 ]; then
        # kill mid-load, not while the run is still being set up (a run
        # killed before its run.json exists has sent nothing and is not
        # resumable: the next attempt would start afresh)
        for _ in $(seq 1 200); do
            ls "$TMP/runs"/*/run.json >/dev/null 2>&1 && break
            sleep 0.05
        done
        sleep "0.$((RANDOM % 9 + 1))"
        kill -9 "$pid" 2>/dev/null || true
    fi
    set +e
    wait "$pid"
    rc=$?
    set -e
    if [ "$rc" = 137 ]; then
        # a kill that lands after the run finished (its run.json says so)
        # but before the process exited interrupted nothing: the run's
        # own exit code stands, and --resume would rightly start afresh
        fin=$(run_exit "$TMP/runs")
        if [ -n "$fin" ]; then rc=$fin; else kills=$((kills + 1)); fi
    fi
done
[ "$kills" -ge 3 ] && ok "killed $kills times" || bad "killed $kills times (the load ran too fast to kill)"
[ "$rc" = 1 ] && ok "the last attempt finished: exit 1 (rejected rows)" || bad "the last attempt finished: exit 1" "exit $rc: $(cat "$TMP/err.$kills")"
expect_grep "first --resume starts a fresh run and says so" "$TMP/err.0" "no interrupted run"
RUN=$(ls "$TMP/runs" | grep -v '^\.')
[ "$(echo "$RUN" | wc -l)" = 1 ] && ok "one run folder for all attempts" || bad "one run folder for all attempts" "$RUN"
R="$TMP/runs/$RUN"
python3 - "$R/report.json" "$N" "$VALID" >"$TMP/acct" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n, valid = int(sys.argv[2]), int(sys.argv[3])
ok = (d["rows_read"] == n and d["rows_sent"] == valid and sum(d["results"].values()) == valid
      and d["rows_read"] == d["rows_rejected"] + d["rows_filtered"] + d["rows_sent"] + d["rows_not_sent"]
      and d["results"]["error"] == 0 and d["attempt"] > 1)
print("yes" if ok else "no: %r" % {k: d.get(k) for k in ("rows_read", "rows_rejected", "rows_sent", "rows_not_sent", "results", "attempt")})
PY
expect_file_eq "report covers the whole run and adds up" "$TMP/acct" "yes"
python3 - "$R/journal.jsonl.gz" "$VALID" >"$TMP/once" <<'PY'
import gzip, json, sys
from collections import Counter
c = Counter()
for line in gzip.open(sys.argv[1], "rt"):
    try:
        o = json.loads(line)
    except ValueError:
        continue  # the torn last line of a killed attempt is repaired away
    for r in o.get("o", []):
        c[r[0]] += 1
valid = int(sys.argv[2])
print("yes" if len(c) == valid and max(c.values()) == 1 and sorted(c) == list(range(1, valid + 1)) else
      "no: %d rows, max %d" % (len(c), max(c.values() or [0])))
PY
expect_file_eq "exactly one outcome per accepted row" "$TMP/once" "yes"
by_key >"$TMP/got"
cmp -s "$TMP/expected" "$TMP/got" && ok "target records exactly as a clean run leaves them" || bad "target records exactly as a clean run leaves them" "$(diff "$TMP/expected" "$TMP/got" | head -4)"
python3 - "$R/manifest.jsonl.gz" >"$TMP/mf" <<'PY'
import gzip, json, sys
lines = [json.loads(l) for l in gzip.open(sys.argv[1], "rt")]
acts = [l for l in lines if "action" in l]
rows = [a["row"] for a in acts]
print(len([a for a in acts if a["action"] == "insert"]), len([a for a in acts if a["action"] == "update"]),
      len(rows) == len(set(rows)), lines[-1].get("complete"))
PY
expect_file_eq "manifest: each record once, inserts and updates, complete" "$TMP/mf" "$((VALID - 300 + 300 / 97)) $((300 - 300 / 97)) True True"
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" rollback "$R/manifest.jsonl.gz" --instance "$URL" -q
expect_rc "rollback of the resumed run: exit 0" 0
sim_snapshot admin:adminpw sys_user "$FIELDS" >"$TMP/after"
cmp -s "$TMP/before" "$TMP/after" && ok "rollback restores the state before the run" || bad "rollback restores the state before the run" "$(diff "$TMP/before" "$TMP/after" | head -4)"

# --- --resume of a finished run: nothing to resume, a fresh run ---
run load "$TMP/runs" "$TMP/seed.csv" --resume
expect_grep "nothing to resume: fresh run" "$TMP/err" "no interrupted run"

# --- changed input: refused ---
bg_load /dev/null /dev/null "$TMP/chg" "$TMP/big.csv"
pid=$BG
sleep 0.5
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
sed -i 's/Ann7,/Anne7,/' "$TMP/big.csv"
run load "$TMP/chg" "$TMP/big.csv" --resume
expect_rc "changed input: refused, exit 2" 2
expect_grep "changed input: says which" "$TMP/err" "changed since run"

# --- two runs of one feed at once: the second is refused ---
bg_load /dev/null /dev/null "$TMP/lock" "$TMP/big.csv"
pid=$BG
for _ in $(seq 1 50); do [ -s "$TMP/lock/.lock-hr_employees" ] && break; sleep 0.1; done
run load "$TMP/lock" "$TMP/big.csv"
expect_rc "second run at once: exit 2" 2
expect_grep "second run: lock explained" "$TMP/err" "another run of feed hr_employees"
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
finish
