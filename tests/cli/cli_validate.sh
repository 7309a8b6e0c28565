#!/usr/bin/env bash
# cli_validate.sh: `isload validate` on the sample feeds: counts that add
# up, every output (report, HTML, rejects, emit), thresholds, and feed
# mistakes reported all at once with their JSON paths. Also checks the
# feeds against schemas/feed.schema.json with python3-jsonschema.
set -e
. "$(dirname "$0")/lib.sh"
HRF="$SRCDIR/schemas/hr_employees.json"
HR="$TESTDATA/hr/employees.csv"
adds_up() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("yes" if d["rows_read"]==d["rows_valid"]+d["rows_rejected"]+d["rows_filtered"] else "no")' "$1"
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

run "$ISLOAD" validate "$HRF" "$HR" --report "$TMP/r.json" --html "$TMP/r.html" --rejects "$TMP/rej.csv" --emit "$TMP/e.ndjson"
expect_rc "hr sample: exit 1 (rows rejected)" 1
[ "$(adds_up "$TMP/r.json")" = yes ] && ok "hr report adds up" || bad "hr report adds up"
[ "$(field "$TMP/r.json" 'd["rows_read"]')" = 40 ] && ok "40 rows read" || bad "40 rows read"
VALID=$(field "$TMP/r.json" 'd["rows_valid"]')
[ "$(wc -l <"$TMP/e.ndjson")" -eq "$VALID" ] && ok "emit holds the valid rows" || bad "emit holds the valid rows" "$(wc -l <"$TMP/e.ndjson") != $VALID"
REJ=$(field "$TMP/r.json" 'd["rows_rejected"]')
[ "$(($(wc -l <"$TMP/rej.csv") - 1))" -eq "$REJ" ] && ok "rejects hold the rejected rows" || bad "rejects hold the rejected rows"
head -1 "$TMP/rej.csv" | grep -q '^Employee ID,First Name,.*,isload_reason$' && ok "rejects keep the header" || bad "rejects keep the header" "$(head -1 "$TMP/rej.csv")"
expect_grep "bad date named with its line" "$TMP/out" "employees.csv:6: u_start_date: '02/30/2019' is not a valid date"
expect_grep "unmapped department" "$TMP/out" "employees.csv:9: u_department: 'MKT'"
expect_grep "duplicate names both lines" "$TMP/out" "duplicate key u_employee_id=E0001009 (first seen at .*employees.csv:10)"
[ "$(field "$TMP/r.json" 'd["rules"]["date"]')" = 1 ] && ok "rules counted" || bad "rules counted"
[ "$(field "$TMP/r.json" 'd["fields"]["u_employee_id"]["filled"]')" = "$VALID" ] && ok "field statistics" || bad "field statistics"
grep -q "THRESHOLD\|REJECTED ROWS" "$TMP/r.html" && ok "html written" || bad "html written"
grep -q '"u_start_date":"2006-03-13"' "$TMP/e.ndjson" && ok "dates normalised in emit" || bad "dates normalised in emit"
grep -q '"u_phone":"+15557482542"' "$TMP/e.ndjson" && ok "phones normalised in emit" || bad "phones normalised in emit"

# rejects fed back: the same rows, the same reasons
run "$ISLOAD" validate "$HRF" "$TMP/rej.csv" -q --report "$TMP/r2.json"
[ "$(field "$TMP/r2.json" 'd["rows_read"]')" = "$REJ" ] && ok "rejects file reads back" || bad "rejects file reads back" "$(cat "$TMP/err")"

# thresholds
run "$ISLOAD" validate -q "$HRF" "$HR" --max-errors 5;   expect_rc "--max-errors 5 exceeded: exit 3" 3
run "$ISLOAD" validate -q "$HRF" "$HR" --max-errors 90%; expect_rc "--max-errors 90%: exit 1" 1
run "$ISLOAD" validate -q "$HRF" "$HR" --max-errors x;   expect_rc "bad --max-errors: exit 2" 2

# the CMDB feed: ServiceNow XML unload
run "$ISLOAD" validate "$SRCDIR/schemas/cmdb_servers.json" "$TESTDATA/cmdb/servers.xml" --report "$TMP/c.json" --rejects "$TMP/c.xml"
expect_rc "cmdb sample: exit 1" 1
[ "$(adds_up "$TMP/c.json")" = yes ] && ok "cmdb report adds up" || bad "cmdb report adds up"
[ "$(field "$TMP/c.json" 'd["rows_rejected"]')" = 6 ] && ok "cmdb: the 6 bad servers rejected" || bad "cmdb: the 6 bad servers rejected" "$(field "$TMP/c.json" 'd["rules"]')"
grep -q '<isload_error rule=' "$TMP/c.xml" && ok "xml rejects carry reasons" || bad "xml rejects carry reasons"

# all valid -> exit 0; stdin input
head -4 "$HR" >"$TMP/good.csv"
run sh -c "\"$ISLOAD\" validate -q \"$HRF\" - < \"$TMP/good.csv\""
expect_rc "valid rows only: exit 0" 0

# feed mistakes: all of them, with paths, before any input is read
run "$ISLOAD" validate "$TESTDATA/feeds/bad_many.json" /nonexistent.csv
expect_rc "bad feed: exit 2" 2
expect_grep "unknown top-level key" "$TMP/err" ": colour\|unknown key 'colour'"
expect_grep "unknown stage" "$TMP/err" "fields\[0\].stages\[0\].*trimm"
expect_grep "wrong type" "$TMP/err" "fields\[0\].required: expected true or false"
expect_grep "bad regex" "$TMP/err" "fields\[1\].stages\[0\].pattern"
expect_grep "bad date format" "$TMP/err" "fields\[2\].stages\[0\].date"
expect_grep "mistyped option" "$TMP/err" "fields\[3\].stages\[0\].length"
expect_grep "bad column name" "$TMP/err" "fields\[4\].column"
expect_grep "unknown key column" "$TMP/err" "key\[1\]: 'u_nope'"
if grep -q nonexistent "$TMP/err"; then bad "no input read before the feed is fine"; else ok "no input read before the feed is fine"; fi
run "$ISLOAD" validate "$TESTDATA/feeds/bad_syntax.json" "$HR"
expect_rc "feed syntax error: exit 2" 2
expect_grep "syntax error names the file and line" "$TMP/err" "bad_syntax.json:3"
run "$ISLOAD" validate "$HRF" "$TESTDATA/csv/basic.csv"
expect_rc "input without the feed's columns: exit 2" 2
expect_grep "missing columns named" "$TMP/err" "the input has no field 'Employee ID'"
# a header and no rows: the header is checked all the same, wherever the
# file is among the inputs; the right header and no rows is a clean run
head -1 "$HR" >"$TMP/hr_header_only.csv"
head -1 "$TESTDATA/csv/basic.csv" >"$TMP/wrong_header_only.csv"
run "$ISLOAD" validate "$HRF" "$TMP/hr_header_only.csv" --report "$TMP/ho.json"
expect_rc "the feed's header, no rows: exit 0" 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rows_read"], d["rows_rejected"])' "$TMP/ho.json" >"$TMP/ho.txt"
expect_file_eq "the feed's header, no rows: 0 read, 0 rejected" "$TMP/ho.txt" "0 0"
run "$ISLOAD" validate "$HRF" "$TMP/wrong_header_only.csv"
expect_rc "another header, no rows: exit 2" 2
expect_grep "another header, no rows: file and line named" "$TMP/err" "wrong_header_only.csv:1: the input has no field 'Employee ID'"
run "$ISLOAD" validate "$HRF" "$HR" "$TMP/wrong_header_only.csv" "$HR"
expect_rc "another header, no rows, between inputs: exit 2" 2
expect_grep "another header, no rows, between inputs: named" "$TMP/err" "wrong_header_only.csv:1: the input has no field"

# temporary files (the report's error list) go to $TMPDIR, not always /tmp
printf '{"name": "nokey", "staging_table": "u_x", "fields": [{"column": "u_id", "source": "id"}]}\n' >"$TMP/nokey.json"
run env TMPDIR="$TMP/no-such-dir" "$ISLOAD" validate -q "$TMP/nokey.json" "$TESTDATA/csv/basic.csv"
expect_rc "TMPDIR that does not exist: exit 2" 2
expect_grep "TMPDIR named in the error" "$TMP/err" "cannot create a temporary file in $TMP/no-such-dir"
mkdir -p "$TMP/tmpdir"
run env TMPDIR="$TMP/tmpdir" "$ISLOAD" validate -q "$TMP/nokey.json" "$TESTDATA/csv/basic.csv"
expect_rc "TMPDIR that exists: exit 0" 0

# the JSON Schema says the same as the loader
JSPY=/usr/bin/python3
[ -x "$JSPY" ] || JSPY=python3
if $JSPY -c "import jsonschema" 2>/dev/null; then
    for f in "$SRCDIR"/schemas/*.json "$SRCDIR"/bench/hr_feed.json; do
        case $f in *feed.schema.json) continue ;; esac
        if $JSPY -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$SRCDIR/schemas/feed.schema.json" "$f" 2>"$TMP/js"; then
            ok "schema accepts $(basename "$f")"; else bad "schema accepts $(basename "$f")" "$(tail -3 "$TMP/js")"; fi
    done
    if $JSPY -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' "$SRCDIR/schemas/feed.schema.json" "$TESTDATA/feeds/bad_many.json" 2>/dev/null; then
        bad "schema rejects bad_many.json"; else ok "schema rejects bad_many.json"; fi
elif [ "${CI:-}" = true ]; then
    bad "python3-jsonschema is missing (scripts/install-deps --test installs it)"
else
    echo "SKIP schema checks: python3-jsonschema not installed"
fi
finish
