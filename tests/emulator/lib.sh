# lib.sh: helpers for the isload-sim test scripts (sourced, not run).
#
# Usage in a test:  . "$(dirname "$0")/lib.sh" "$1"
#   start_sim ARGS...      start isload-sim on port 0, sets PORT and BASE
#   stop_sim               SIGTERM, expect exit 0 and no sanitizer report
#   req METHOD PATH [BODY] [curl args...]   (BODY must not start with -)
#                          sets STATUS; body in $TMP/body, headers in
#                          $TMP/hdrs; auth from $AUTH (user:pass) unless
#                          NOAUTH=1; ACCEPT / CTYPE override the Accept /
#                          Content-Type headers (empty: not sent); extra
#                          args go to curl
#   j FILTER               jq -r FILTER on the last body
#   hdr NAME               value of a response header of the last request
#   eq EXPECTED ACTUAL MSG fail unless equal
#   wait_until CMD...      retry CMD for up to 15 s
# Requires bash, curl and jq.

set -u
SIM=${1:?usage: $0 path/to/isload-sim}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/isload-sim-test.XXXXXX")
SIM_PID=
AUTH=loader:pw
NOAUTH=0
TESTNAME=$(basename "$0" .sh)
CHECKS=0

cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill -KILL "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL [$TESTNAME]: $*" >&2
    if [ -f "$TMP/body" ]; then
        echo "--- last status: ${STATUS:-} body:" >&2
        head -c 2000 "$TMP/body" >&2
        echo >&2
    fi
    if [ -f "$TMP/sim.err" ]; then
        echo "--- isload-sim stderr:" >&2
        tail -n 30 "$TMP/sim.err" >&2
    fi
    exit 1
}

eq() {
    CHECKS=$((CHECKS + 1))
    [ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

start_sim() {
    : >"$TMP/sim.out"
    "$SIM" --port 0 "$@" >"$TMP/sim.out" 2>"$TMP/sim.err" &
    SIM_PID=$!
    local i
    for i in $(seq 1 200); do
        grep -q '^listening on ' "$TMP/sim.out" && break
        kill -0 "$SIM_PID" 2>/dev/null || fail "isload-sim exited at start"
        sleep 0.05
    done
    PORT=$(sed -n '1s/^listening on \([0-9][0-9]*\)$/\1/p' "$TMP/sim.out")
    [ -n "$PORT" ] || fail "no 'listening on PORT' line"
    BASE="http://127.0.0.1:$PORT"
}

stop_sim() {
    local rc=0
    kill -TERM "$SIM_PID"
    wait "$SIM_PID" || rc=$?
    SIM_PID=
    [ "$rc" -eq 0 ] || fail "isload-sim exited with $rc"
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
        "$TMP/sim.err"; then
        fail "sanitizer report"
    fi
}

req() {
    local method=$1 path=$2
    shift 2
    local body=
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
        body=$1
        shift
    fi
    local args=(-s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}'
        -X "$method" -H "Accept: ${ACCEPT-application/json}")
    if [ "$NOAUTH" != 1 ]; then
        args+=(-u "$AUTH")
    fi
    if [ -n "$body" ]; then
        args+=(-H "Content-Type: ${CTYPE-application/json}"
            --data-binary "$body")
    fi
    : >"$TMP/body"
    CURL_RC=0
    STATUS=$(curl "${args[@]}" "$@" "$BASE$path") || CURL_RC=$?
}

j() {
    jq -r "$1" "$TMP/body"
}

hdr() {
    tr -d '\r' <"$TMP/hdrs" | sed -n "s/^$1: //Ip" | tail -n 1
}

wait_until() {
    local i
    for i in $(seq 1 300); do
        if "$@"; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

done_ok() {
    echo "ok [$TESTNAME]: $CHECKS checks"
}
