#!/usr/bin/env bash
# proxy.sh: isload reaches the instance through a proxy: --proxy URL, and
# the standard http_proxy/HTTPS_PROXY variables, with NO_PROXY honoured
# (a forwarding proxy in Python logs what passes through it).
set -e
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sim.sh"
FEED="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
sim_start --feed "$FEED" --user loader:pw
: >"$TMP/proxy.log"
python3 "$(dirname "$0")/proxy.py" "$TMP/proxy.log" >"$TMP/proxy.port" &
PROXY_PID=$!
trap 'kill "$PROXY_PID" 2>/dev/null; stop_sim; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do [ -s "$TMP/proxy.port" ] && break; sleep 0.1; done
PROXY="http://127.0.0.1:$(cat "$TMP/proxy.port")"
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
load() { run env ISLOAD_USER=loader ISLOAD_PASSWORD=pw "$@" "$ISLOAD" load -q "$FEED" "$HR" \
    --instance "$URL" --state-dir "$TMP/runs" --report "$TMP/r.json" $LOADARGS; }
sent() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows_sent"])' "$TMP/r.json"; }

LOADARGS="--proxy $PROXY" load
expect_rc "--proxy: exit 1 (sample has bad rows)" 1
[ "$(sent)" = 32 ] && ok "--proxy: 32 rows sent" || bad "--proxy: 32 rows sent" "$(sent)"
grep -q "^POST $URL/api/now/import/u_hr_employee_import/insertMultiple" "$TMP/proxy.log" &&
    ok "--proxy: the import went through the proxy" || bad "--proxy: the import went through the proxy" "$(head -3 "$TMP/proxy.log")"

: >"$TMP/proxy.log"
LOADARGS="" load http_proxy="$PROXY"
expect_rc "http_proxy: exit 1" 1
[ -s "$TMP/proxy.log" ] && ok "http_proxy: requests went through the proxy" || bad "http_proxy: requests went through the proxy"

: >"$TMP/proxy.log"
LOADARGS="" load http_proxy="$PROXY" NO_PROXY=127.0.0.1
expect_rc "NO_PROXY: exit 1" 1
[ ! -s "$TMP/proxy.log" ] && ok "NO_PROXY: the proxy was bypassed" || bad "NO_PROXY: the proxy was bypassed" "$(head -2 "$TMP/proxy.log")"
finish
