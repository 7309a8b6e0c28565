#!/usr/bin/env bash
# shard.sh: --shard K/N against the instance emulator: the shards of one
# file load disjoint rows whose union is the whole feed, each with its own
# report and manifest; rollback takes all the manifests at once.
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
cat >"$TMP/sim.json" <<'JSON'
{"users": [{"name": "loader", "password": "pw", "roles": ["import_set_loader"]},
           {"name": "admin", "password": "adminpw", "roles": ["admin"]}]}
JSON
N=900
awk -v n=$N 'BEGIN{print "Employee ID,First Name,Last Name,Email,Dept,Manager ID,Start Date,Status,Phone";
     for(i=1;i<=n;i++) printf "E%07d,Ann%d,Lee,ann%d@example.com,ENG,,%s,Active,(555) 200-%04d\n", 5000000+i, i, i, i%50 ? "01/02/2020" : "02/30/2020", i}' >"$TMP/big.csv"
VALID=$((N - N / 50))
sim_start --config "$TMP/sim.json" --feed "$FEED"
export ISLOAD_USER=loader ISLOAD_PASSWORD=pw
# three shards at once, as an Indexed Job would run them
for k in 0 1 2; do
    "$ISLOAD" load -q "$FEED" "$TMP/big.csv" --instance "$URL" --state-dir "$TMP/runs" \
        --shard "$k/3" --report "$TMP/r$k.json" --batch 50 >/dev/null 2>"$TMP/err$k" &
    eval "pid$k=\$!"
done
for k in 0 1 2; do
    eval "p=\$pid$k"
    set +e
    wait "$p"
    rc=$?
    set -e
    [ "$rc" = 1 ] && ok "shard $k/3: exit 1 (rejected rows)" || bad "shard $k/3: exit 1" "exit $rc: $(cat "$TMP/err$k")"
done
python3 - "$TMP" "$N" "$VALID" >"$TMP/union" <<'PY'
import json, sys
tmp, n, valid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
reps = [json.load(open("%s/r%d.json" % (tmp, k))) for k in range(3)]
ok = all(r["rows_read"] == n for r in reps)
mine = [r["rows_rejected"] + r["rows_filtered"] + r["rows_sent"] + r["rows_not_sent"] + r["rows_unchanged"] for r in reps]
ok = ok and all(m + r["rows_other_shards"] == n for m, r in zip(mine, reps))
ok = ok and sum(mine) == n and sum(r["rows_sent"] for r in reps) == valid
ok = ok and all(r["shard"] == {"index": k, "count": 3} for k, r in enumerate(reps))
ok = ok and all(0 < m < n for m in mine)
print("yes" if ok else "no: %r" % [(r["rows_read"], r["rows_sent"], r["rows_rejected"], r["rows_other_shards"]) for r in reps])
PY
expect_file_eq "every row in exactly one shard, the union is the whole feed" "$TMP/union" "yes"
sim_get admin:adminpw "/api/now/table/sys_user?sysparm_fields=employee_number&sysparm_limit=100000" >/dev/null
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(len(r), len({x["employee_number"] for x in r}))' "$TMP/get.json" >"$TMP/count"
expect_file_eq "one target record per valid row, no overlap" "$TMP/count" "$VALID $VALID"
# the same key always lands in the same shard
"$ISLOAD" load -q "$FEED" "$TMP/big.csv" --instance "$URL" --state-dir "$TMP/runs" --shard 1/3 --report "$TMP/again.json" >/dev/null 2>&1 || true
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a["rows_sent"] == b["rows_sent"] == b["results"]["ignored"])' "$TMP/r1.json" "$TMP/again.json" >"$TMP/stable"
expect_file_eq "shard assignment is stable" "$TMP/stable" "True"
# rollback takes the shards' manifests together
M=$(for k in 0 1 2; do python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifest"]["path"])' "$TMP/r$k.json"; done)
run env ISLOAD_USER=admin ISLOAD_PASSWORD=adminpw "$ISLOAD" rollback $M --instance "$URL" -q
expect_rc "rollback of all shards: exit 0" 0
sim_get admin:adminpw "/api/now/table/sys_user?sysparm_fields=employee_number&sysparm_limit=100000" >/dev/null
expect_file_eq "rollback of all shards: target empty" "$TMP/get.json" '{"result":[]}'
run "$ISLOAD" load "$FEED" "$TMP/big.csv" --instance "$URL" --shard 3/3
expect_rc "--shard 3/3: exit 2" 2
finish
