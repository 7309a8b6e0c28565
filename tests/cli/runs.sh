#!/usr/bin/env bash
# runs.sh: `isload runs` and `isload runs show` on real runs against the
# emulator: a complete run, a run with rejected rows, a run aborted by a
# wrong password, a run seen while it runs and then SIGKILLed (shown as
# interrupted, then resumed), plus broken folders, which are listed with
# what is wrong. Also the one-line summary every load ends with.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
S="$TMP/runs"
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]}],
 "faults": {"retry_after": 0}}
JSON
rows() { # N FIRST: N valid rows
    awk -v n="$1" -v first="$2" 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=first;i<first+n;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,ENG,,01/02/2020,Active,(555) 200-%04d\n", i, i, i, i%10000}'
}
load() { # PASSWORD args...: a load; its run id in ID
    local pw=$1
    shift
    run env ISLOAD_USER=loader ISLOAD_PASSWORD="$pw" "$ISLOAD" load -q "$FEED" --instance "$URL" --state-dir "$S" "$@"
    ID=$(sed -n 's/^isload: run \([^ ]*\) .*/\1/p' "$TMP/err")
}
# py EXPR FILE...: evaluate EXPR with j = the parsed JSON files
py() {
    local e=$1
    shift
    python3 -c 'import json,sys; j=[json.load(open(f)) for f in sys.argv[2:]]; print(eval(sys.argv[1]))' "$e" "$@"
}
summary_ok() { # NAME: the last stderr line is the summary, and it agrees with the report
    python3 - "$TMP/err" "$S/$ID/report.json" "$RC" <<'PY' >"$TMP/sum"
import json, re, sys
last = open(sys.argv[1]).read().rstrip("\n").split("\n")[-1]
d = json.load(open(sys.argv[2]))
r = d["results"]
want = ("isload: run %s feed %s exit %s: read %d, rejected %d" % (d["run_id"], d["feed"], sys.argv[3], d["rows_read"], d["rows_rejected"])
        + (", filtered %d" % d["rows_filtered"] if d["rows_filtered"] else "")
        + ", sent %d (inserted %d, updated %d, ignored %d, skipped %d, error %d)" % (d["rows_sent"], r["inserted"], r["updated"], r["ignored"], r["skipped"], r["error"])
        + (", not sent %d" % d["rows_not_sent"] if d["rows_not_sent"] else "")
        + ", %.1f s" % d["duration_s"])
print("yes" if last.startswith(want) else "no: %r\n     want %r" % (last, want))
PY
    expect_file_eq "$1" "$TMP/sum" yes
}

sim_start --config "$TMP/sim.json" --feed "$FEED"
rows 20 1000001 >"$TMP/good.csv"

# --- a complete run, exit 0 ---
load pw "$TMP/good.csv"
expect_rc "complete run: exit 0" 0
ID_OK=$ID
summary_ok "summary line of a clean run (with -q), agreeing with the report"
[ "$(grep -c '^isload: run ' "$TMP/err")" = 1 ] && ok "one summary line" || bad "one summary line" "$(cat "$TMP/err")"
if grep -q 'finished, exit' "$TMP/err"; then bad "the old 'finished' line is gone"; else ok "the old 'finished' line is gone"; fi
sleep 1.1 # distinct start seconds, so newest-first is checkable

# --- rejected rows, exit 1; without -q the summary is still the last line ---
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load "$FEED" "$HR" --instance "$URL" --state-dir "$S"
ID=$(sed -n 's/^isload: run \([^ ]*\) .*/\1/p' "$TMP/err")
expect_rc "rejected rows: exit 1" 1
ID_REJ=$ID
summary_ok "summary line of a run with rejected rows"
sleep 1.1

# --- a wrong password: aborted, exit 3, the reason on the summary line ---
load wrong "$TMP/good.csv"
expect_rc "wrong password: exit 3" 3
ID_ABORT=$ID
expect_grep "exit 3 summary says why" "$TMP/err" "^isload: run $ID_ABORT feed hr_employees exit 3: .*; aborted: .*authentication refused"
sleep 1.1

# --- the threshold: exit 3 with its reason ---
load pw "$HR" --max-errors 2
expect_rc "threshold: exit 3" 3
ID_TH=$ID
expect_grep "threshold summary says why" "$TMP/err" "^isload: run $ID_TH .* exit 3: .*; error threshold 2 exceeded$"
sleep 1.1

# --- a run seen while it runs, then SIGKILLed ---
sim_start --config "$TMP/sim.json" --feed "$FEED" --latency-ms 30
rows 1500 2000001 >"$TMP/slow.csv"
ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" "$TMP/slow.csv" --instance "$URL" \
    --state-dir "$S" --batch 20 --concurrency 1 >"$TMP/slow.out" 2>"$TMP/slow.err" &
PID=$!
ID_KILL=""
for _ in $(seq 1 100); do
    ID_KILL=$(grep -l '"running"' "$S"/*/run.json 2>/dev/null | head -1 | xargs -r dirname | xargs -r basename)
    [ -n "$ID_KILL" ] && grep -q '"status":201' "$S/$ID_KILL/requests.jsonl" 2>/dev/null && break
    sleep 0.1
done
run "$ISLOAD" runs --state-dir "$S" --json
[ "$(py '[r["status"] for r in j[0] if r["run_id"] == "'"$ID_KILL"'"]' "$TMP/out")" = "['running']" ] &&
    ok "a live run is 'running'" || bad "a live run is 'running'" "$(head -c 600 "$TMP/out")"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
run "$ISLOAD" runs --state-dir "$S"
expect_rc "runs: exit 0" 0
expect_grep "a SIGKILLed run is 'interrupted'" "$TMP/out" "^$ID_KILL .* interrupted "
grep -q '"status": "running"' "$S/$ID_KILL/run.json" && ok "(run.json itself still says running)" || bad "(run.json itself still says running)"

# --- the table: newest first, aligned, the figures of run.json ---
python3 - "$TMP/out" "$S" "$ID_KILL" "$ID_TH" "$ID_ABORT" "$ID_REJ" "$ID_OK" <<'PY' >"$TMP/table"
import json, sys
lines = open(sys.argv[1]).read().rstrip("\n").split("\n")
state, ids = sys.argv[2], sys.argv[3:]
head, body = lines[0], [l for l in lines[1:] if not l.startswith("  ")]
problems = []
if [l.split()[0] for l in body] != ids:
    problems.append("order %r" % [l.split()[0] for l in body])
cols = ["RUN ID", "STARTED (UTC)", "DURATION", "FEED", "SHARD", "STATUS", "EXIT", "READ", "REJ", "SENT", "INS", "UPD", "IGN", "SKIP", "ERR", "REPORT", "MANIFEST"]
starts = [head.index(c) for c in cols]
if starts != sorted(starts):
    problems.append("header %r" % head)
# left-aligned columns start where their header starts
for l in body:
    for c in ("FEED", "STATUS", "REPORT"):
        i = head.index(c)
        if l[i - 1] != " " or l[i] == " ":
            problems.append("column %s not aligned in %r" % (c, l))
want_status = {ids[0]: "interrupted", ids[1]: "threshold", ids[2]: "aborted", ids[3]: "complete", ids[4]: "complete"}
for l in body:
    f = l.split()
    rid, shard, status = f[0], f[5], f[6]
    run = json.load(open("%s/%s/run.json" % (state, rid)))
    if status != want_status[rid] or shard != "-":
        problems.append("%s status %s" % (rid, status))
    if run.get("exit") is not None:
        r = run["results"]
        want = [str(run["exit"]), str(run["rows_read"]), str(run["rows_rejected"]), str(run["rows_sent"]),
                str(r["inserted"]), str(r["updated"]), str(r["ignored"]), str(r["skipped"]), str(r["error"])]
        if f[7:16] != want:
            problems.append("%s figures %r, run.json %r" % (rid, f[7:16], want))
        if f[16] != "%s/%s/report.json" % (state, rid) or not f[17].endswith("manifest.jsonl.gz"):
            problems.append("%s paths %r" % (rid, f[16:]))
    elif f[7] != "-":
        problems.append("%s: an interrupted run has no exit code: %r" % (rid, f))
print("yes" if not problems else "no: " + "; ".join(problems))
PY
expect_file_eq "table: newest first, aligned, statuses and figures from run.json, paths" "$TMP/table" yes

# --- a shard's run: its own lock (.lock-FEED.K-of-N) says it is running ---
rows 400 2100001 >"$TMP/slow2.csv"
ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" "$TMP/slow2.csv" --instance "$URL" \
    --state-dir "$TMP/sharded" --batch 10 --concurrency 1 --shard 1/2 >/dev/null 2>&1 &
PID=$!
for _ in $(seq 1 100); do
    grep -qs '"status":201' "$TMP"/sharded/*/requests.jsonl && break
    sleep 0.1
done
run "$ISLOAD" runs --state-dir "$TMP/sharded" --json
[ "$(py '[(r["status"], r["shard"]) for r in j[0]]' "$TMP/out")" = "[('running', '1/2')]" ] &&
    ok "a live shard is 'running'" || bad "a live shard is 'running'" "$(head -c 600 "$TMP/out")"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
run "$ISLOAD" runs --state-dir "$TMP/sharded"
expect_grep "a SIGKILLed shard: interrupted, its shard shown" "$TMP/out" "^[0-9a-fT-]* .* hr_employees  *1/2  *interrupted "

# --- --json, --limit, --feed ---
run "$ISLOAD" runs --state-dir "$S" --json --limit 2
expect_rc "runs --json: exit 0" 0
[ "$(py '[(r["run_id"], r["status"], r["recorded_status"], r.get("exit")) for r in j[0]]' "$TMP/out")" = "[('$ID_KILL', 'interrupted', 'running', None), ('$ID_TH', 'threshold', 'threshold', 3)]" ] &&
    ok "--json --limit 2: the two newest, effective and recorded status" || bad "--json --limit 2" "$(head -c 800 "$TMP/out")"
run "$ISLOAD" runs --state-dir "$S" --json
[ "$(py 'j[0][3]["run_id"] == j[1]["run_id"] and j[0][3]["rows_rejected"] == j[1]["rows_rejected"] > 0 and j[0][3]["report_exists"]' "$TMP/out" "$S/$ID_REJ/report.json")" = True ] &&
    ok "--json: counts and report path of run.json" || bad "--json: counts and report path" "$(head -c 800 "$TMP/out")"
cp -r "$S/$ID_OK" "$S/20200101T000000-0000"
python3 - "$S/20200101T000000-0000/run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["feed"] = "other_feed"; d["run_id"] = "20200101T000000-0000"; d["started_at"] = "2020-01-01T00:00:00.000Z"
json.dump(d, open(sys.argv[1], "w"))
PY
run "$ISLOAD" runs --state-dir "$S" --feed other_feed
[ "$(grep -c '^2' "$TMP/out")" = 1 ] && grep -q '^20200101T000000-0000 ' "$TMP/out" && ok "--feed: only that feed's runs" || bad "--feed: only that feed's runs" "$(cat "$TMP/out")"
run "$ISLOAD" runs --state-dir "$S" --feed hr_employees --json
[ "$(py 'len(j[0])' "$TMP/out")" = 5 ] && ok "--feed hr_employees: its five runs" || bad "--feed hr_employees: its five runs" "$(py 'len(j[0])' "$TMP/out")"
run "$ISLOAD" runs --state-dir "$S" --feed nosuch
expect_rc "--feed with no runs: exit 0" 0
expect_grep "--feed with no runs says so" "$TMP/out" "no runs of feed nosuch"

# --- runs show ---
run "$ISLOAD" runs show "$ID_REJ" --state-dir "$S"
expect_rc "show: exit 0" 0
cp "$TMP/out" "$TMP/show"
expect_grep "show: status and exit" "$TMP/show" "^run $ID_REJ: complete, exit 1$"
expect_grep "show: feed" "$TMP/show" "^  feed  *hr_employees ($FEED)"
expect_grep "show: input" "$TMP/show" "^  inputs  *$HR$"
expect_grep "show: rules broken" "$TMP/show" "^rules broken$"
expect_grep "show: first errors counted" "$TMP/show" "^first errors ($(py 'len(j[0]["errors"])' "$S/$ID_REJ/report.json") errors, 0 error rows)$"
expect_grep "show: an error as file:line: column: message (rule)" "$TMP/show" "^  $HR:[0-9]*: u_email: .* (email)$"
expect_grep "show: requests and retries" "$TMP/show" "^requests  *$(py 'j[0]["requests"]["count"]' "$S/$ID_REJ/report.json"), 0 retries$"
expect_grep "show: requests by status" "$TMP/show" "^  201  *[0-9]"
expect_grep "show: import sets" "$TMP/show" "^import sets  *1$"
expect_grep "show: report path" "$TMP/show" "^  report  *$S/$ID_REJ/report.json$"
expect_grep "show: manifest path" "$TMP/show" "^  manifest  *$S/$ID_REJ/manifest.jsonl.gz$"
for rule in $(py '" ".join(j[0]["rules"])' "$S/$ID_REJ/report.json"); do
    grep -q "^  $rule  *$(py 'j[0]["rules"]["'"$rule"'"]' "$S/$ID_REJ/report.json")$" "$TMP/show" || bad "show: rule $rule with its count"
done
ok "show: every rule with its count"
run "$ISLOAD" runs show "$ID_REJ" --state-dir "$S" --json
[ "$(py '(j[0]["run"]["status"], j[0]["report"]["errors_count"], len(j[0]["report"]["first_errors"]), j[0]["report"]["rows_sent"])' "$TMP/out")" = \
  "$(py '("complete", len(j[0]["errors"]), min(10, len(j[0]["errors"])), j[0]["rows_sent"])' "$S/$ID_REJ/report.json")" ] &&
    ok "show --json: status, error counts and figures of the report" || bad "show --json" "$(head -c 600 "$TMP/out")"
run "$ISLOAD" runs show "$ID_OK" --state-dir "$S"
expect_grep "show: no rejects file when no row was rejected" "$TMP/out" "^  rejects  *.*rejects.csv (not written: no rows rejected)$"
run "$ISLOAD" runs show "$ID_ABORT" --state-dir "$S"
expect_grep "show: aborted run says why" "$TMP/out" "^aborted  *.*authentication refused"
run "$ISLOAD" runs show "$ID_KILL" --state-dir "$S"
expect_rc "show interrupted: exit 0" 0
expect_grep "show: interrupted" "$TMP/out" "^run $ID_KILL: interrupted$"
expect_grep "show: how to resume" "$TMP/out" "resume with .*--resume $ID_KILL"
expect_grep "show: no report yet" "$TMP/out" "^report  *none"
run "$ISLOAD" runs show 20991231T000000-dead --state-dir "$S"
expect_rc "show unknown id: exit 2" 2
expect_grep "show unknown id: says so" "$TMP/err" "no run 20991231T000000-dead in $S"
run "$ISLOAD" runs show ../x --state-dir "$S"
expect_rc "show a path, not an id: exit 2" 2

# --- the interrupted run resumes (same instance), and then is complete ---
run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$ISLOAD" load -q "$FEED" "$TMP/slow.csv" --instance "$URL" --state-dir "$S" --resume "$ID_KILL" --batch 200
expect_rc "the interrupted run resumes: exit 0" 0
run "$ISLOAD" runs --state-dir "$S" --json
[ "$(py '[(r["status"], r["attempts"]) for r in j[0] if r["run_id"] == "'"$ID_KILL"'"]' "$TMP/out")" = "[('complete', 2)]" ] &&
    ok "after resuming: complete, 2 attempts" || bad "after resuming: complete, 2 attempts" "$(head -c 600 "$TMP/out")"

# --- broken folders: listed with what is wrong, never a crash ---
mkdir -p "$S/20261201T000000-0001" "$S/20261201T000000-0002" "$S/20261201T000000-0003" "$S/notarun"
head -c 100 "$S/$ID_OK/run.json" >"$S/20261201T000000-0001/run.json"   # half-written
echo '{"run_id": "20261201T000000-0002", "status": "complete"}' >"$S/20261201T000000-0002/run.json"
cp "$S/$ID_OK/journal.jsonl.gz" "$S/20261201T000000-0003/"             # died before run.json
echo '{"run_id": "x", "feed": "hr_employees", "started_at": "2026-12-01T00:00:00Z", "status": "weird"}' >"$S/notarun/run.json"
echo 'not a folder' >"$S/stray-file"
rm "$S/$ID_REJ/report.json"
run "$ISLOAD" runs --state-dir "$S"
expect_rc "broken folders: exit 0" 0
grep -A1 '^20261201T000000-0001 ' "$TMP/out" | grep -q '! run.json is not valid JSON' && ok "half-written run.json: not valid JSON" || bad "half-written run.json" "$(cat "$TMP/out")"
grep -A1 '^20261201T000000-0002 ' "$TMP/out" | grep -q '! run.json has no "feed"' && ok "run.json without a feed: says which field" || bad "run.json without a feed" "$(cat "$TMP/out")"
grep -A1 '^20261201T000000-0003 ' "$TMP/out" | grep -q '! no run.json (the run stopped while starting, before it sent anything)' && ok "journal but no run.json" || bad "journal but no run.json" "$(cat "$TMP/out")"
grep -A1 '^notarun ' "$TMP/out" | grep -q 'unknown status "weird"' && ok "unknown status" || bad "unknown status" "$(cat "$TMP/out")"
grep -q '^20261201T000000-0001 .* broken ' "$TMP/out" && ok "broken folders have status broken" || bad "broken folders have status broken"
grep -A1 "^$ID_REJ " "$TMP/out" | grep -q "! the report .*report.json is missing" && ok "a missing report is said" || bad "a missing report is said" "$(cat "$TMP/out")"
grep -q "^$ID_REJ .*report.json (missing)" "$TMP/out" && ok "the table marks the report missing" || bad "the table marks the report missing"
if grep -q stray-file "$TMP/out"; then bad "files in the state dir are not runs"; else ok "files in the state dir are not runs"; fi
run "$ISLOAD" runs --state-dir "$S" --json
[ "$(py '[r["status"] for r in j[0] if r["run_id"].startswith("20261201")]' "$TMP/out")" = "['broken', 'broken', 'broken']" ] &&
    ok "--json: broken folders too" || bad "--json: broken folders too" "$(head -c 400 "$TMP/out")"
run "$ISLOAD" runs show 20261201T000000-0001 --state-dir "$S"
expect_rc "show a broken run: exit 1" 1
expect_grep "show a broken run: what is wrong" "$TMP/out" "problem  *run.json is not valid JSON"
run "$ISLOAD" runs show "$ID_REJ" --state-dir "$S"
expect_rc "show a run whose report is gone: exit 0" 0
expect_grep "show: the counts come from run.json then" "$TMP/out" "^  rejected  *$(py 'j[0]["rows_rejected"]' "$S/$ID_REJ/run.json")$"

# --- usage ---
run "$ISLOAD" runs --state-dir "$TMP/nowhere"
expect_rc "no state dir: exit 2" 2
expect_grep "no state dir: says so" "$TMP/err" "cannot read the state directory $TMP/nowhere"
run "$ISLOAD" runs --limit 0 --state-dir "$S"
expect_rc "--limit 0: exit 2" 2
run "$ISLOAD" runs list --state-dir "$S"
expect_rc "unknown argument: exit 2" 2
run "$ISLOAD" runs show --state-dir "$S"
expect_rc "show without id: exit 2" 2
run "$ISLOAD" help runs
expect_grep "help runs" "$TMP/out" "isload runs show RUN_ID"
stop_sim
finish
