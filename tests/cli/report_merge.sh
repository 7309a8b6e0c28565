#!/usr/bin/env bash
# report_merge.sh: `isload report merge` on the reports of the shards of
# one load (testdata/reports/shards/, and variants made from them here): a
# good merge checked field by field against the shards, then every refusal
# (missing, duplicate, other feed, other inputs, unsharded, different row
# counts, not JSON) and counts that do not add up. Then end to end: a
# feed loaded as 3 shards into the emulator merges into the report an
# unsharded load of it gives, and each shard's --metrics has its label.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
SH="$TESTDATA/reports/shards"
merge() { run "$ISLOAD" report merge "$@"; }
# variant NAME SRC PYTHON: $TMP/NAME.json = SRC with PYTHON applied to d
variant() {
    python3 - "$2" "$TMP/$1.json" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
}
no_output() { # NAME: the -o file was not written, nor its .tmp left
    if [ -e "$TMP/m.json" ] || [ -e "$TMP/m.json.tmp" ]; then bad "$1: nothing written" "$(ls "$TMP")"; else ok "$1: nothing written"; fi
}

# --- a good merge, checked against the shards ---
merge "$SH/shard2.json" "$SH/shard0.json" "$SH/shard1.json" -o "$TMP/merged.json"
expect_rc "good merge: exit 1 (the shards rejected rows)" 1
python3 - "$TMP/merged.json" "$SH"/shard0.json "$SH"/shard1.json "$SH"/shard2.json <<'PY' >"$TMP/check"
import json, sys
m = json.load(open(sys.argv[1]))
s = [json.load(open(p)) for p in sys.argv[2:]]
bad = []
def eq(what, got, want):
    if got != want:
        bad.append("%s: %r, want %r" % (what, got, want))
eq("rows_read once", m["rows_read"], s[0]["rows_read"])
for k in ("rows_valid", "rows_rejected", "rows_filtered", "rows_unchanged", "rows_deactivated", "rows_sent", "rows_not_sent"):
    eq(k, m[k], sum(x[k] for x in s))
eq("rows_other_shards", m["rows_other_shards"], 0)
for obj in ("results", "rules", "columns"):
    keys = set().union(*(x[obj] for x in s))
    eq(obj, m[obj], {k: sum(x[obj].get(k, 0) for x in s) for k in keys})
eq("requests.count", m["requests"]["count"], sum(x["requests"]["count"] for x in s))
eq("requests.retries", m["requests"]["retries"], sum(x["requests"]["retries"] for x in s))
codes = set().union(*(x["requests"]["by_status"] for x in s))
eq("by_status", m["requests"]["by_status"], {c: sum(x["requests"]["by_status"].get(c, 0) for x in s) for c in codes})
eq("errors in shard order", m["errors"], s[0]["errors"] + s[1]["errors"] + s[2]["errors"])
eq("error_rows in shard order", m["error_rows"], s[0]["error_rows"] + s[1]["error_rows"] + s[2]["error_rows"])
eq("import_sets", m["import_sets"], s[0]["import_sets"] + s[1]["import_sets"] + s[2]["import_sets"])
eq("keys_missing", m["keys_missing"], sum((x.get("keys_missing", []) for x in s), []))
eq("shards", [(x["index"], x["report"].split("/")[-1], x["run_id"], x["manifest"]) for x in m["shards"]],
   [(i, "shard%d.json" % i, x["run_id"], x["manifest"]["path"]) for i, x in enumerate(s)])
eq("no shard field", "shard" in m, False)
eq("run_id", m["run_id"], None)
eq("feed", m["feed"], s[0]["feed"])
eq("inputs", m["inputs"], s[0]["inputs"])
eq("started_at", m["started_at"], min(x["started_at"] for x in s))
eq("finished_at", m["finished_at"], max(x["finished_at"] for x in s))
f = m["fields"]["u_department"]
eq("fields filled", f["filled"], sum(x["fields"]["u_department"]["filled"] for x in s))
eq("fields min/max", (f["min_length"], f["max_length"]),
   (min(x["fields"]["u_department"]["min_length"] for x in s), max(x["fields"]["u_department"]["max_length"] for x in s)))
eq("errors_truncated", m["errors_truncated"], False)
# the merged report adds up as an unsharded one does
eq("invariant", m["rows_read"], m["rows_rejected"] + m["rows_filtered"] + m["rows_unchanged"] + m["rows_sent"] - m["rows_deactivated"] + m["rows_not_sent"])
eq("sent = results", m["rows_sent"], sum(m["results"].values()))
print("yes" if not bad else "no: " + "; ".join(bad))
PY
expect_file_eq "good merge: sums, rows_read once, errors joined in shard order, shards listed" "$TMP/check" yes
[ ! -e "$TMP/merged.json.tmp" ] && ok "no .tmp left" || bad "no .tmp left"
merge "$SH/shard0.json" "$SH/shard1.json" "$SH/shard2.json"
cmp -s "$TMP/out" "$TMP/merged.json" && ok "without -o: the same report on stdout, whatever the order given" || bad "without -o: the same report on stdout" "$(diff "$TMP/out" "$TMP/merged.json" | head -5)"
"$ISLOAD" report merge "$SH/shard0.json" "$SH/shard1.json" "$SH/shard2.json" >/dev/null 2>"$TMP/err2" || true
[ ! -s "$TMP/err2" ] && ok "good merge: nothing on stderr" || bad "good merge: nothing on stderr" "$(cat "$TMP/err2")"

# --- a clean load merges with exit 0 ---
for i in 0 1 2; do # rejected rows become filtered ones, error outcomes inserts
    variant "clean$i" "$SH/shard$i.json" '
d["rows_filtered"] += d["rows_rejected"]; d["rows_rejected"] = 0; d["errors"] = []; d["rules"] = {}; d["columns"] = {}
d["results"]["inserted"] += d["results"]["error"]; d["results"]["error"] = 0; d["error_rows"] = []'
done
merge "$TMP/clean0.json" "$TMP/clean1.json" "$TMP/clean2.json" -o "$TMP/c.json"
expect_rc "no rejected or error rows: exit 0" 0

# --- refusals: exit 2, a clear message, nothing written ---
merge "$SH/shard0.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "missing shard: exit 2" 2
expect_grep "missing shard: says which" "$TMP/err" "shard 1/3 missing: a merge needs the reports of all 3 shards"
no_output "missing shard"
merge "$SH/shard0.json" "$SH/shard1.json" "$SH/shard1.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "duplicate shard: exit 2" 2
expect_grep "duplicate shard: says which, and both files" "$TMP/err" "shard 1/3 is given twice: $SH/shard1.json and $SH/shard1.json"
no_output "duplicate shard"
variant otherfeed "$SH/shard1.json" 'd["feed"] = "cmdb_ci"'
merge "$SH/shard0.json" "$TMP/otherfeed.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "different feeds: exit 2" 2
expect_grep "different feeds: says which" "$TMP/err" "$TMP/otherfeed.json has feed \"cmdb_ci\" but $SH/shard0.json has \"hr_employees\": not the shards of one load"
no_output "different feeds"
variant otherinput "$SH/shard1.json" 'd["inputs"] = ["other.csv"]'
merge "$SH/shard0.json" "$TMP/otherinput.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "different inputs: exit 2" 2
expect_grep "different inputs: says so" "$TMP/err" "has inputs \[\"other.csv\"\] but"
variant unsharded "$SH/shard1.json" 'del d["shard"]; d["rows_other_shards"] = 0'
merge "$SH/shard0.json" "$TMP/unsharded.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "an unsharded report: exit 2" 2
expect_grep "an unsharded report: refused as such" "$TMP/err" "$TMP/unsharded.json is the report of an unsharded run"
no_output "an unsharded report"
variant nullshard "$SH/shard1.json" 'd["shard"] = None; d["rows_other_shards"] = 0'
merge "$SH/shard0.json" "$TMP/nullshard.json" "$SH/shard2.json"
expect_rc "an unsharded load's report (shard null): exit 2" 2
expect_grep "shard null: refused as unsharded" "$TMP/err" "$TMP/nullshard.json is the report of an unsharded run"
variant of4 "$SH/shard1.json" 'd["shard"]["count"] = 4'
merge "$SH/shard0.json" "$TMP/of4.json" "$SH/shard2.json"
expect_rc "a shard of another count: exit 2" 2
expect_grep "a shard of another count: says so" "$TMP/err" "is shard 1/4 but $SH/shard0.json is shard 0/3"
variant badindex "$SH/shard1.json" 'd["shard"]["index"] = 3'
merge "$SH/shard0.json" "$TMP/badindex.json" "$SH/shard2.json"
expect_rc "a shard index out of range: exit 2" 2
variant otherread "$SH/shard1.json" 'd["rows_read"] += 5; d["rows_other_shards"] += 5'
merge "$SH/shard0.json" "$TMP/otherread.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "shards that read different row counts: exit 2" 2
expect_grep "different row counts: says so" "$TMP/err" "shard 1/3 ($TMP/otherread.json) read 45 rows but shard 0/3 ($SH/shard0.json) read 40"
no_output "different row counts"
head -c 700 "$SH/shard1.json" >"$TMP/torn.json"
merge "$SH/shard0.json" "$TMP/torn.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "a torn report: exit 2" 2
expect_grep "a torn report: names the file" "$TMP/err" "$TMP/torn.json:[0-9]*: not a valid report: the file ends"
no_output "a torn report"
echo '{"rows_read": 1}' >"$TMP/notreport.json"
merge "$SH/shard0.json" "$TMP/notreport.json"
expect_rc "not a report: exit 2" 2
expect_grep "not a report: says so" "$TMP/err" "is not an isload report"
merge "$SH/shard0.json" "$TMP/nosuch.json"
expect_rc "a missing file: exit 2" 2
merge
expect_rc "no REPORT: exit 2" 2
run "$ISLOAD" report
expect_rc "report without subcommand: exit 2" 2
run "$ISLOAD" report split x.json
expect_rc "unknown subcommand: exit 2" 2

# --- counts that do not add up: exit 3, by how much; the report is still written ---
variant twice "$SH/shard1.json" 'd["rows_other_shards"] -= 2; d["rows_filtered"] += 2'
merge "$SH/shard0.json" "$TMP/twice.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "rows counted by two shards: exit 3" 3
expect_grep "rows counted twice: by how much" "$TMP/err" "the shards count 42 rows as their own but 40 were read: 2 rows counted by more than one shard"
[ -s "$TMP/m.json" ] && ok "not adding up: the merged report is written to look at" || bad "not adding up: the merged report is written"
rm -f "$TMP/m.json"
variant none "$SH/shard2.json" 'd["rows_other_shards"] += 1; d["rows_unchanged"] -= 1'
merge "$SH/shard0.json" "$SH/shard1.json" "$TMP/none.json"
expect_rc "a row counted by no shard: exit 3" 3
expect_grep "a row no shard counts" "$TMP/err" "39 rows as their own but 40 were read: 1 row counted by no shard"
variant selfbad "$SH/shard1.json" 'd["rows_rejected"] += 1'
merge "$SH/shard0.json" "$TMP/selfbad.json" "$SH/shard2.json"
expect_rc "a shard that does not add up by itself: exit 3" 3
expect_grep "a shard that does not add up: names it" "$TMP/err" "shard 1/3 ($TMP/selfbad.json) does not add up by itself: it read 40 rows but counts 41 (1 too many)"
variant results "$SH/shard2.json" 'd["results"]["inserted"] -= 1'
merge "$SH/shard0.json" "$SH/shard1.json" "$TMP/results.json"
expect_rc "results that do not sum to rows_sent: exit 3" 3
expect_grep "results: by how much" "$TMP/err" "shard 2/3 ($TMP/results.json) sent 10 rows but its results count 9"
variant aborted "$SH/shard1.json" 'd["aborted"] = True; d["abort_reason"] = "HTTP 401"'
merge "$SH/shard0.json" "$TMP/aborted.json" "$SH/shard2.json" -o "$TMP/m.json"
expect_rc "an aborted shard: exit 3" 3
[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["aborted"], d["abort_reason"])' "$TMP/m.json")" = "True shard 1/3: HTTP 401" ] &&
    ok "an aborted shard: aborted, with the shard's reason" || bad "an aborted shard" "$(head -c 300 "$TMP/m.json")"
rm -f "$TMP/m.json"

# --- a field that differs and has no merge rule is left out, with a warning ---
variant mode "$SH/shard1.json" 'd["mode"] = "single"'
merge "$SH/shard0.json" "$TMP/mode.json" "$SH/shard2.json"
expect_rc "differing mode: still merged" 1
expect_grep "differing mode: warned" "$TMP/err" '"mode" differs between the shards; left out'
run "$ISLOAD" help report
expect_grep "help report" "$TMP/out" "isload report merge REPORT.json"

# --- end to end: --shard 0/3, 1/3, 2/3 into the emulator, then merged ---
FEED="$SRCDIR/schemas/hr_employees.json"
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]}]}
JSON
N=600
awk -v n=$N 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=1;i<=n;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,%s,,%s,Active,(555) 200-%04d\n", 5000000+i, i, i, i%37 ? "ENG" : "MKT", i%50 ? "01/02/2020" : "02/30/2020", i}' >"$TMP/big.csv"
export ISLOAD_USER=loader ISLOAD_PASSWORD=pw
sim_start --config "$TMP/sim.json" --feed "$FEED"
for k in 0 1 2; do
    "$ISLOAD" load -q "$FEED" "$TMP/big.csv" --instance "$URL" --state-dir "$TMP/runs" --shard "$k/3" \
        --report "$TMP/s$k.json" --metrics "$TMP/shard$k.prom" --batch 50 >/dev/null 2>"$TMP/err$k" &
    eval "pid$k=\$!"
done
for k in 0 1 2; do
    eval "p=\$pid$k"
    set +e
    wait "$p"
    rc=$?
    set -e
    [ "$rc" = 1 ] || bad "shard $k/3: exit 1" "exit $rc: $(cat "$TMP/err$k")"
done
grep -q "^isload: run [^ ]* feed hr_employees shard 1/3 exit 1: read $N, rejected [0-9]*, other shards [0-9]*, sent " "$TMP/err1" &&
    ok "a shard's summary line names the shard and its other-shard rows" || bad "a shard's summary line" "$(tail -1 "$TMP/err1")"
merge "$TMP/s1.json" "$TMP/s2.json" "$TMP/s0.json" -o "$TMP/merged3.json"
expect_rc "end to end: the three shards merge, exit 1 (rejected rows)" 1
sim_start --config "$TMP/sim.json" --feed "$FEED"
"$ISLOAD" load -q "$FEED" "$TMP/big.csv" --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/whole.json" >/dev/null 2>&1 || true
python3 - "$TMP/merged3.json" "$TMP/whole.json" <<'PY' >"$TMP/check"
import json, sys
m, w = (json.load(open(p)) for p in sys.argv[1:])
bad = []
for k in ("rows_read", "rows_valid", "rows_rejected", "rows_filtered", "rows_unchanged", "rows_sent",
          "rows_deactivated", "rows_not_sent", "rows_other_shards", "results", "rules", "columns", "feed", "inputs"):
    if m[k] != w[k]:
        bad.append("%s: merged %r, unsharded %r" % (k, m[k], w[k]))
key = lambda e: (e["line"], e["rule"])
if sorted(m["errors"], key=key) != sorted(w["errors"], key=key):
    bad.append("errors differ")
for f, st in w["fields"].items():
    g = m["fields"][f]
    if (g["filled"], g["empty"], g["min_length"], g["max_length"]) != (st["filled"], st["empty"], st["min_length"], st["max_length"]):
        bad.append("field %s: %r vs %r" % (f, g, st))
if [s["index"] for s in m["shards"]] != [0, 1, 2]:
    bad.append("shards %r" % m["shards"])
print("yes" if not bad else "no: " + "; ".join(bad))
PY
expect_file_eq "end to end: the merged report is the unsharded load's (counts, results, rules, errors, fields)" "$TMP/check" yes
python3 - "$TMP/shard1.prom" "$TMP/s1.json" <<'PY' >"$TMP/check"
import json, re, sys
d = json.load(open(sys.argv[2]))
lines = [l for l in open(sys.argv[1]) if not l.startswith("#")]
ok = all(re.match(r'^isload_[a-z_]+\{feed="hr_employees",shard="1/3"[,}]', l) for l in lines)
get = lambda o: next(float(l.split()[-1]) for l in lines if 'outcome="%s"' % o in l)
ok = ok and get("other_shards") == d["rows_other_shards"] and get("sent") == d["rows_sent"] and get("read") == d["rows_read"]
print("yes" if ok else "no: %r" % lines[:3])
PY
expect_file_eq "a shard's metrics carry shard=\"K/N\" and its report's figures" "$TMP/check" yes
stop_sim
finish
