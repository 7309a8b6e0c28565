# lib.sh: helpers for the CLI tests. Source it; set ISLOAD and TESTDATA.
# Each check prints "ok"/"FAIL" and the script ends with "N passed, N failed".
set -u
PASS=0
FAIL=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }

# run CMD...: runs it, keeps stdout/stderr/status in $TMP/out, $TMP/err, $RC
run() {
    set +e
    "$@" >"$TMP/out" 2>"$TMP/err"
    RC=$?
    set -e
}

expect_rc() { # name expected
    if [ "$RC" -eq "$2" ]; then ok "$1"; else bad "$1" "exit $RC, expected $2" "stderr: $(head -3 "$TMP/err")"; fi
}

expect_file_eq() { # name file expected-text
    if [ "$(cat "$2")" = "$3" ]; then ok "$1"; else bad "$1" "got: $(head -5 "$2")" "expected: $3"; fi
}

expect_grep() { # name file pattern
    if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1" "'$3' not in $2: $(head -5 "$2")"; fi
}

finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
