#!/usr/bin/env bash
# Command line: --help, --version, argument and config errors, port 0
# giving distinct ports to parallel instances, clean SIGINT shutdown.
. "$(dirname "$0")/lib.sh" "$1"

"$SIM" --help >"$TMP/help" || fail "--help exit status"
grep -q '^usage: isload-sim' "$TMP/help" || fail "--help text"
"$SIM" --version | grep -q '^isload-sim ' || fail "--version"

rc=0
"$SIM" --no-such-option 2>/dev/null || rc=$?
eq 2 "$rc" "unknown option"
rc=0
"$SIM" --faults 'teapot=0.5' 2>"$TMP/err" || rc=$?
eq 2 "$rc" "unknown fault"
grep -q "unknown fault 'teapot'" "$TMP/err" || fail "fault message"
rc=0
"$SIM" --faults '503=2' 2>/dev/null || rc=$?
eq 2 "$rc" "fault rate above 1"
echo '{"userz": []}' >"$TMP/bad.json"
rc=0
"$SIM" --config "$TMP/bad.json" 2>"$TMP/err" || rc=$?
eq 2 "$rc" "unknown config key"
grep -q "unknown key 'userz'" "$TMP/err" || fail "config key message"
echo '{"users": [' >"$TMP/bad.json"
rc=0
"$SIM" --config "$TMP/bad.json" 2>/dev/null || rc=$?
eq 2 "$rc" "bad config JSON"
rc=0
"$SIM" --user nopassword 2>/dev/null || rc=$?
eq 2 "$rc" "--user without a password"
rc=0
"$SIM" --bind not-an-address >/dev/null 2>&1 || rc=$?
eq 1 "$rc" "bad --bind"

# two instances on port 0 get different ports
start_sim --user loader:pw
P1=$PORT
FIRST_PID=$SIM_PID
"$SIM" --port 0 --user loader:pw >"$TMP/out2" 2>"$TMP/err2" &
SECOND_PID=$!
wait_until grep -q '^listening on' "$TMP/out2" || fail "second instance"
P2=$(sed -n '1s/^listening on //p' "$TMP/out2")
[ "$P1" != "$P2" ] || fail "port 0 gave the same port twice"
eq 1 "$(wc -l <"$TMP/out2" | tr -d ' ')" "only the listening line on stdout"
kill -INT "$SECOND_PID"
rc=0
wait "$SECOND_PID" || rc=$?
eq 0 "$rc" "SIGINT exits 0"
req GET /api/now/table/sys_import_set
eq 200 "$STATUS" "first instance still serves"
SIM_PID=$FIRST_PID
stop_sim
done_ok
