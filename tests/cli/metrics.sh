#!/usr/bin/env bash
# metrics.sh: `isload load --metrics FILE` against the emulator: the file
# is valid Prometheus text, its values are the report's, the last success
# is carried over after failed runs (from the file, else from the run
# history, else 0), and the file is replaced atomically: a reader polling
# it during loads never sees half a file, and no .tmp is left.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
S="$TMP/runs"
D="$TMP/textfile"
M="$D/isload_hr_employees.prom"
mkdir -p "$D"
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]}],
 "faults": {"retry_after": 0}}
JSON
awk 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=1;i<=30;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,ENG,,01/02/2020,Active,(555) 200-%04d\n", 3000000+i, i, i, i}' >"$TMP/good.csv"
load() { # PASSWORD STATE_DIR METRICS args...: a load; its run id in ID
    local pw=$1 dir=$2 m=$3
    shift 3
    run env ISLOAD_USER=loader ISLOAD_PASSWORD="$pw" "$ISLOAD" load -q "$FEED" --instance "$URL" --state-dir "$dir" --metrics "$m" "$@"
    ID=$(sed -n 's/^isload: run \([^ ]*\) .*/\1/p' "$TMP/err")
}
# parse METRICS: strict text-format check; prints "ok" or the problems,
# and leaves the samples as JSON in $TMP/samples.json
parse() {
    python3 - "$1" "$TMP/samples.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
problems, samples, declared = [], {}, {}
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample_re = re.compile(r"^(%s)(?:\{(.*)\})? (\S+)$" % name_re)
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)')
if not text.endswith("\n"):
    problems.append("no final newline")
for line in text.split("\n")[:-1]:
    if line.startswith("# HELP "):
        declared.setdefault(line.split()[2], set()).add("help")
        continue
    if line.startswith("# TYPE "):
        f = line.split()
        if f[3] != "gauge":
            problems.append("type %r" % line)
        declared.setdefault(f[2], set()).add("type")
        continue
    m = sample_re.match(line)
    if not m:
        problems.append("not a sample: %r" % line)
        continue
    name, labels, value = m.groups()
    if declared.get(name) != {"help", "type"}:
        problems.append("%s sampled before its HELP and TYPE" % name)
    lab, pos = {}, 0
    for lm in label_re.finditer(labels or ""):
        if lm.start() != pos:
            break
        lab[lm.group(1)] = lm.group(2)
        pos = lm.end()
    if pos != len(labels or ""):
        problems.append("bad labels: %r" % line)
    key = name + json.dumps(sorted(lab.items()))
    if key in samples:
        problems.append("duplicate series %r" % line)
    float(value)
    samples[key] = {"name": name, "labels": lab, "value": float(value)}
json.dump(list(samples.values()), open(sys.argv[2], "w"))
print("ok" if not problems else "; ".join(problems))
PY
}
# value NAME [LABEL=VALUE...]: the sample's value in $TMP/samples.json ("none" if absent)
value() {
    python3 - "$TMP/samples.json" "$@" <<'PY'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[3:])
for s in json.load(open(sys.argv[1])):
    lab = dict(s["labels"]); lab.pop("feed", None)
    if s["name"] == sys.argv[2] and lab == want and s["labels"].get("feed") == "hr_employees":
        v = s["value"]
        print(int(v) if v == int(v) and "timestamp" not in sys.argv[2] else repr(v))
        break
else:
    print("none")
PY
}
# matches_report REPORT: every figure in the file equals the report's
matches_report() {
    python3 - "$TMP/samples.json" "$1" "$RC" <<'PY'
import json, sys
samples = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
got = {}
for s in samples:
    lab = dict(s["labels"])
    if lab.pop("feed") != d["feed"] or "shard" in lab:
        print("no: labels %r" % s["labels"]); sys.exit()
    got[(s["name"],) + tuple(sorted(lab.items()))] = s["value"]
want = {}
for k in ("read", "rejected", "filtered", "sent", "not_sent"):
    want[("isload_rows", ("outcome", k))] = d["rows_" + k]
want[("isload_rows", ("outcome", "unchanged"))] = d.get("rows_unchanged", 0)
for k in ("other_shards", "deactivated"):  # when the report has them
    if "rows_" + k in d:
        want[("isload_rows", ("outcome", k))] = d["rows_" + k]
for k, v in d["results"].items():
    want[("isload_rows", ("outcome", k))] = v
for k, v in d["requests"]["by_status"].items():
    want[("isload_requests_total", ("status", k))] = v
want[("isload_retries_total",)] = d["requests"]["retries"]
want[("isload_run_exit_code",)] = int(sys.argv[3])
bad = ["%r: %r, report %r" % (k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
extra = [k for k in got if k[0] in ("isload_rows", "isload_requests_total") and k not in want]
if abs(got.get(("isload_run_duration_seconds",), -1) - d["duration_s"]) > 0.0015:
    bad.append("duration %r, report %r" % (got.get(("isload_run_duration_seconds",)), d["duration_s"]))
print("yes" if not bad and not extra else "no: %s %s" % (bad, extra))
PY
}
finished_at() { # RUN_ID: run.json's finished_at, seconds since the epoch
    python3 -c 'import json,sys,datetime as dt
s = json.load(open(sys.argv[1]))["finished_at"]
print(dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp())' "$S/$1/run.json"
}
near() { # A B TOLERANCE: |A - B| <= TOLERANCE
    python3 -c 'import sys; a, b, t = map(float, sys.argv[1:]); print("yes" if abs(a - b) <= t else "no")' "$1" "$2" "$3"
}

sim_start --config "$TMP/sim.json" --feed "$FEED"

# --- a clean run ---
load pw "$S" "$M" "$TMP/good.csv"
expect_rc "clean run: exit 0" 0
[ "$(parse "$M")" = ok ] && ok "valid text format: HELP and TYPE first, labels quoted, no duplicates" || bad "valid text format" "$(parse "$M")"
[ "$(matches_report "$S/$ID/report.json")" = yes ] && ok "clean run: every figure is the report's" || bad "clean run: every figure is the report's" "$(matches_report "$S/$ID/report.json")"
[ "$(value isload_run_exit_code)" = 0 ] && ok "exit code 0" || bad "exit code 0" "$(value isload_run_exit_code)"
[ "$(near "$(value isload_run_timestamp_seconds)" "$(finished_at "$ID")" 2)" = yes ] && ok "run timestamp is the run's end" || bad "run timestamp is the run's end" "$(value isload_run_timestamp_seconds) vs $(finished_at "$ID")"
[ "$(value isload_last_success_timestamp_seconds)" = "$(value isload_run_timestamp_seconds)" ] && ok "a clean run is the last success" || bad "a clean run is the last success"
[ "$(ls -A "$D")" = "$(basename "$M")" ] && ok "no .tmp left beside the file" || bad "no .tmp left beside the file" "$(ls -A "$D")"
[ "$(stat -c %a "$M")" = 644 ] && ok "readable by the collector (0644)" || bad "readable by the collector (0644)" "$(stat -c %a "$M")"
if command -v promtool >/dev/null; then
    promtool check metrics <"$M" >/dev/null 2>&1 || true # lint only: _total on gauges is by design
fi

# --- rejected rows: exit 1 still counts as a success ---
load pw "$S" "$M" "$HR"
expect_rc "rejected rows: exit 1" 1
parse "$M" >/dev/null
[ "$(matches_report "$S/$ID/report.json")" = yes ] && ok "rejected rows: every figure is the report's" || bad "rejected rows: every figure is the report's" "$(matches_report "$S/$ID/report.json")"
[ "$(value isload_rows outcome=rejected)" -gt 0 ] && ok "rejected rows counted" || bad "rejected rows counted"
LAST_OK=$(value isload_last_success_timestamp_seconds)
[ "$LAST_OK" = "$(value isload_run_timestamp_seconds)" ] && ok "exit 1 is a success" || bad "exit 1 is a success"
ID_OK=$ID
INODE=$(stat -c %i "$M")

# --- failed runs carry the last success over from the file ---
load wrong "$S" "$M" "$TMP/good.csv"
expect_rc "wrong password: exit 3" 3
parse "$M" >/dev/null
[ "$(value isload_run_exit_code)" = 3 ] && ok "exit code 3 in the file" || bad "exit code 3 in the file" "$(value isload_run_exit_code)"
[ "$(value isload_last_success_timestamp_seconds)" = "$LAST_OK" ] && ok "aborted run: last success carried over" || bad "aborted run: last success carried over" "$(value isload_last_success_timestamp_seconds) != $LAST_OK"
[ "$(python3 -c "print($(value isload_run_timestamp_seconds) > $LAST_OK)")" = True ] && ok "aborted run: its own end time" || bad "aborted run: its own end time"
[ "$(matches_report "$S/$ID/report.json")" = yes ] && ok "aborted run: figures are its report's" || bad "aborted run: figures are its report's" "$(matches_report "$S/$ID/report.json")"
[ "$(value isload_requests_total status=401)" -ge 1 ] && ok "the 401s are counted" || bad "the 401s are counted"
[ "$(stat -c %i "$M")" != "$INODE" ] && ok "replaced by rename, not rewritten in place" || bad "replaced by rename, not rewritten in place"
load pw "$S" "$M" "$HR" --max-errors 1
expect_rc "threshold: exit 3" 3
parse "$M" >/dev/null
[ "$(value isload_last_success_timestamp_seconds)" = "$LAST_OK" ] && ok "threshold run: last success carried over" || bad "threshold run: last success carried over"

# --- without the file, from the run history ---
rm "$M"
load wrong "$S" "$M" "$TMP/good.csv"
parse "$M" >/dev/null
[ "$(near "$(value isload_last_success_timestamp_seconds)" "$(finished_at "$ID_OK")" 0.002)" = yes ] &&
    ok "file gone: last success from the run history (run.json of the last exit 0/1 run)" ||
    bad "file gone: last success from the run history" "$(value isload_last_success_timestamp_seconds) vs $(finished_at "$ID_OK")"
# --- a feed that never succeeded: 0, so 'time() - last success' alerts ---
load wrong "$TMP/fresh" "$D/fresh.prom" "$TMP/good.csv"
parse "$D/fresh.prom" >/dev/null
[ "$(value isload_last_success_timestamp_seconds)" = 0.0 ] && ok "never succeeded: last success 0" || bad "never succeeded: last success 0" "$(value isload_last_success_timestamp_seconds)"
rm "$D/fresh.prom"

# --- a reader polling the file during loads never sees half of it ---
python3 - "$M" "$TMP/stop" >"$TMP/reader" <<'PY' &
import os, sys, time
reads = bad = 0
while not os.path.exists(sys.argv[2]):
    time.sleep(0.001)
    try:
        t = open(sys.argv[1]).read()
    except FileNotFoundError:
        continue
    reads += 1
    if not (t.startswith("# HELP isload_rows ") and t.endswith("\n")
            and t.split("\n")[-2].startswith("isload_last_success_timestamp_seconds{")):
        bad += 1
print(reads, bad)
PY
READER=$!
for i in 1 2 3 4; do load pw "$S" "$M" "$TMP/good.csv"; done
touch "$TMP/stop"
wait "$READER"
read -r READS BAD <"$TMP/reader"
[ "$BAD" = 0 ] && [ "$READS" -gt 10 ] && ok "polling reader: $READS reads during 4 loads, none partial" || bad "polling reader" "$READS reads, $BAD partial"
[ "$(ls -A "$D")" = "$(basename "$M")" ] && ok "still no .tmp left" || bad "still no .tmp left" "$(ls -A "$D")"

# --- a metrics file that cannot be written does not change the load's exit ---
load pw "$S" "$TMP/no/such/dir/m.prom" "$TMP/good.csv"
expect_rc "unwritable metrics: the load's own exit code" 0
expect_grep "unwritable metrics: says so" "$TMP/err" "isload load: --metrics: cannot create $TMP/no/such/dir/m.prom.tmp"
tail -1 "$TMP/err" | grep -q "^isload: run $ID feed hr_employees exit 0: " && ok "the summary is still the last line" || bad "the summary is still the last line" "$(tail -2 "$TMP/err")"

run "$ISLOAD" help load
expect_grep "help load lists --metrics" "$TMP/out" "--metrics FILE"
stop_sim
finish
