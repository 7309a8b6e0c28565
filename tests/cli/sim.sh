# sim.sh: start and stop the instance emulator (isload-sim) for a CLI test,
# and read its tables. Source it after lib.sh.
SIM="$BUILDDIR/tests/emulator/isload-sim"
SIM_PID=""
stop_sim() { [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; SIM_PID=""; }
trap 'stop_sim; rm -rf "$TMP"' EXIT

# sim_start ARGS...: a fresh emulator on a free port; sets PORT and URL
sim_start() {
    stop_sim
    : >"$TMP/sim.out" # not the last emulator's port
    "$SIM" --port 0 "$@" >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$TMP/sim.out")
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    [ -n "$PORT" ] || { echo "isload-sim did not start: $(cat "$TMP/sim.err")"; exit 1; }
    URL="http://127.0.0.1:$PORT"
}

# sim_get USER:PW PATH: GET a Table API path into $TMP/get.json, retried
# (faults may hit it); prints the HTTP status
sim_get() {
    local code=""
    for _ in $(seq 1 30); do
        code=$(curl -s -o "$TMP/get.json" -w '%{http_code}' -u "$1" -H 'Accept: application/json' "$URL$2" || true)
        [ "$code" = 200 ] && break
    done
    echo "$code"
}

# sim_snapshot USER:PW TABLE FIELDS: the table's records (sys_id and the
# comma-separated FIELDS), one JSON line each, sorted
sim_snapshot() {
    sim_get "$1" "/api/now/table/$2?sysparm_fields=sys_id,$3&sysparm_limit=100000" >/dev/null
    python3 -c 'import json,sys
for r in sorted(json.load(open(sys.argv[1]))["result"], key=lambda r: r["sys_id"]):
    print(json.dumps(r, sort_keys=True))' "$TMP/get.json"
}
