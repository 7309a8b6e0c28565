#!/usr/bin/env bash
# cli_inspect.sh: the isload command line and `isload inspect` end to end.
set -e
. "$(dirname "$0")/lib.sh"
CSV="$TESTDATA/csv"

run "$ISLOAD" --help;            expect_rc "--help exits 0" 0
expect_grep "--help lists inspect" "$TMP/out" "inspect"
run "$ISLOAD" --version;         expect_rc "--version exits 0" 0
expect_grep "--version prints it" "$TMP/out" "^isload [0-9]"
run "$ISLOAD" help inspect;      expect_rc "help inspect exits 0" 0
expect_grep "help inspect shows usage" "$TMP/out" "usage: isload inspect"
run "$ISLOAD" inspect --help;    expect_rc "inspect --help exits 0" 0
expect_grep "inspect --help shows reader options" "$TMP/out" "--delimiter"
run "$ISLOAD" --bogus;           expect_rc "unknown global option exits 2" 2
run "$ISLOAD" frobnicate;        expect_rc "unknown command exits 2" 2
run "$ISLOAD" inspect --bogus "$CSV/basic.csv"; expect_rc "unknown option exits 2" 2
[ "$(wc -l <"$TMP/err")" -eq 1 ] && ok "unknown option: one line" || bad "unknown option: one line" "$(cat "$TMP/err")"
expect_grep "unknown option named" "$TMP/err" "unknown option '--bogus'"
run "$ISLOAD" inspect;           expect_rc "no input exits 2" 2
run "$ISLOAD" inspect "$CSV/basic.csv" --emit; expect_rc "missing value exits 2" 2
run "$ISLOAD" inspect "$CSV/basic.csv" --format yaml; expect_rc "bad format exits 2" 2

# emit: every row as NDJSON in source order; options after inputs work
run "$ISLOAD" inspect "$CSV/crlf.csv" --emit "$TMP/e.ndjson"
expect_rc "inspect crlf exits 0" 0
expect_file_eq "emit is NDJSON" "$TMP/e.ndjson" '{"id":"1","name":"Ann"}
{"id":"2","name":"Ben"}'
expect_grep "row count printed" "$TMP/out" "rows: 2 (2 good, 0 with errors)"
expect_grep "fields printed" "$TMP/out" "fields (2): id, name"

# a header and no rows: its fields, zero rows, exit 0 (with and without
# the header's newline)
printf 'id,name,email\n' >"$TMP/header_only.csv"
printf 'id,name,email' >"$TMP/header_only_nonl.csv"
for f in header_only header_only_nonl; do
    run "$ISLOAD" inspect "$TMP/$f.csv"
    expect_rc "$f: exit 0" 0
    expect_grep "$f: its fields" "$TMP/out" "fields (3): id, name, email"
    expect_grep "$f: no rows" "$TMP/out" "rows: 0 (0 good, 0 with errors)"
done

# stdin, gzip'd stdin, several inputs as one stream
run sh -c "\"$ISLOAD\" inspect - --emit - < \"$CSV/crlf.csv\""
expect_rc "stdin exits 0" 0
expect_grep "stdin emits rows" "$TMP/out" '{"id":"2","name":"Ben"}'
run sh -c "gzip -c \"$CSV/crlf.csv\" | \"$ISLOAD\" inspect --emit - -"
expect_grep "gzip on stdin detected by magic" "$TMP/out" '{"id":"1","name":"Ann"}'
run "$ISLOAD" inspect "$CSV/crlf.csv" "$CSV/cr.csv" --emit "$TMP/two.ndjson"
[ "$(wc -l <"$TMP/two.ndjson")" -eq 4 ] && ok "two inputs, one stream" || bad "two inputs, one stream" "$(cat "$TMP/two.ndjson")"

# exit codes: 1 with row errors, 2 when the input cannot be read
run "$ISLOAD" inspect "$CSV/field_count.csv"
expect_rc "row errors exit 1" 1
expect_grep "row error names file:line" "$TMP/err" "field_count.csv:3: expected 3 fields, found 2"
run "$ISLOAD" inspect "$CSV/unterminated.csv"
expect_rc "unterminated quote exits 2" 2
expect_grep "unterminated quote names its line" "$TMP/err" "unterminated.csv:3: unterminated quoted field"
run "$ISLOAD" inspect "$CSV/nope.csv"
expect_rc "missing file exits 2" 2
expect_grep "missing file named" "$TMP/err" "nope.csv"
run "$ISLOAD" inspect "$CSV/truncated.csv.gz"
expect_rc "truncated gzip exits 2" 2
expect_grep "truncated gzip says so" "$TMP/err" "truncated gzip stream"
run "$ISLOAD" inspect --encoding windows-1252 --emit - "$CSV/cp1252.csv"
expect_rc "windows-1252 converts" 0
expect_grep "converted value" "$TMP/out" 'Z€rich'
run "$ISLOAD" inspect --encoding klingon "$CSV/cp1252.csv"
expect_rc "unknown encoding exits 2" 2

finish
