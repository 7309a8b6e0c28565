#!/usr/bin/env bash
# cli_init.sh: `isload init`: the starter feed written from a sample, its
# exact JSON fragments, the stderr explanation, -o/--force and exit codes.
set -e
. "$(dirname "$0")/lib.sh"
D="$TESTDATA/init"

# pyeq name feed.json python-expr expected: the expression's value, as
# compact JSON, must equal expected. In the expression, d is the feed and
# F maps a staging column to its field object.
pyeq() {
    local got
    got=$(python3 - "$2" "$3" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
F = {f["column"]: f for f in d.get("fields", [])}
print(json.dumps(eval(sys.argv[2]), separators=(",", ":"), ensure_ascii=False))
EOF
) || true
    if [ "$got" = "$4" ]; then ok "$1"; else bad "$1" "got:      $got" "expected: $4"; fi
}

# --- help and usage errors ---------------------------------------------------
run "$ISLOAD" --help;             expect_rc "--help exits 0" 0
expect_grep "--help lists init" "$TMP/out" "init "
run "$ISLOAD" help init;          expect_rc "help init exits 0" 0
expect_grep "help init shows usage" "$TMP/out" "usage: isload init"
run "$ISLOAD" init --help;        expect_rc "init --help exits 0" 0
expect_grep "init --help shows its options" "$TMP/out" "--staging-table"
expect_grep "init --help shows reader options" "$TMP/out" "--delimiter"
run "$ISLOAD" init;               expect_rc "no input exits 2" 2
expect_grep "no input said" "$TMP/err" "no INPUT given"
run "$ISLOAD" init --bogus "$D/hr_export.csv"; expect_rc "unknown option exits 2" 2
expect_grep "unknown option named" "$TMP/err" "unknown option '--bogus'"
run "$ISLOAD" init "$D/hr_export.csv" --sample; expect_rc "missing value exits 2" 2
run "$ISLOAD" init --sample 0 "$D/hr_export.csv"; expect_rc "--sample 0 exits 2" 2
run "$ISLOAD" init --sample x "$D/hr_export.csv"; expect_rc "--sample x exits 2" 2
run "$ISLOAD" init --name Bad-Name "$D/hr_export.csv"; expect_rc "bad --name exits 2" 2
run "$ISLOAD" init --staging-table "U_X" "$D/hr_export.csv"; expect_rc "bad --staging-table exits 2" 2
run "$ISLOAD" init --format yaml "$D/hr_export.csv"; expect_rc "bad reader option exits 2" 2
[ ! -s "$TMP/out" ] && ok "usage error writes no feed" || bad "usage error writes no feed" "$(head -3 "$TMP/out")"

# --- the HR export: every kind of guess ---------------------------------------
run "$ISLOAD" init "$D/hr_export.csv"
expect_rc "hr export exits 0" 0
cp "$TMP/out" "$TMP/hr.json"
cp "$TMP/err" "$TMP/hr.err"
pyeq "top-level keys in order" "$TMP/hr.json" 'list(d)' \
    '["name","description","input","staging_table","key","passthrough","fields","row_stages"]'
pyeq "name from the file name" "$TMP/hr.json" 'd["name"]' '"hr_export"'
pyeq "staging table u_NAME_import" "$TMP/hr.json" 'd["staging_table"]' '"u_hr_export_import"'
pyeq "input: format, sniffed delimiter, encoding" "$TMP/hr.json" 'd["input"]' \
    '{"format":"csv","delimiter":",","encoding":"utf-8"}'
pyeq "key: the id column" "$TMP/hr.json" 'd["key"]' '["u_employee_id"]'
pyeq "passthrough false, no row stages" "$TMP/hr.json" '[d["passthrough"], d["row_stages"]]' '[false,[]]'
pyeq "one field per column, in order" "$TMP/hr.json" '[f["column"] for f in d["fields"]]' \
    '["u_employee_id","u_first_name","u_last_name","u_email","u_start_date","u_active","u_department","u_salary","u_phone","u_notes"]'
pyeq "id: text, required, length 40" "$TMP/hr.json" 'F["u_employee_id"]' \
    '{"column":"u_employee_id","source":"Employee ID","required":true,"stages":["trim",{"length":{"max":40}}]}'
pyeq "email: trim, lower, email, length" "$TMP/hr.json" 'F["u_email"]["stages"]' \
    '["trim","lower","email",{"length":{"max":40}}]'
pyeq "start date: m/d/Y decided by days above 12" "$TMP/hr.json" 'F["u_start_date"]["stages"]' \
    '["trim",{"date":{"from":["%m/%d/%Y"],"to":"%Y-%m-%d"}}]'
pyeq "active: boolean with the words seen" "$TMP/hr.json" 'F["u_active"]["stages"]' \
    '["trim",{"boolean":{"true":["Y"],"false":["N"]}}]'
pyeq "department: enum" "$TMP/hr.json" 'F["u_department"]["stages"]' \
    '["trim",{"enum":{"values":["Engineering","Finance","Human Resources","Operations","Sales"],"case":"insensitive"}}]'
pyeq "salary: number" "$TMP/hr.json" 'F["u_salary"]["stages"]' '["trim",{"number":{}}]'
pyeq "phone: phone" "$TMP/hr.json" 'F["u_phone"]["stages"]' '["trim",{"phone":{"country":"1"}}]'
pyeq "notes: has empties, not required" "$TMP/hr.json" 'F["u_notes"]' \
    '{"column":"u_notes","source":"Notes","stages":["trim",{"length":{"max":40}}]}'
expect_grep "pretty-printed, 2 spaces" "$TMP/hr.json" '^  "name": "hr_export",$'
expect_grep "stderr: per-column guess" "$TMP/hr.err" '^# u_start_date  <- "Start Date": date %m/%d/%Y'
expect_grep "stderr: enum reason" "$TMP/hr.err" 'u_department  <- "Department": enum (5 distinct values, each repeated'
expect_grep "stderr: key candidates" "$TMP/hr.err" '^# key candidates (unique and never empty in 30 rows): u_employee_id (name has .id.), u_email'
expect_grep "stderr: key chosen" "$TMP/hr.err" '^# key: u_employee_id$'
expect_grep "stderr: rows sampled" "$TMP/hr.err" "30 rows sampled from .*hr_export.csv (csv, delimiter ',')"
if grep -qv '^#' "$TMP/hr.err"; then bad "stderr: comment lines only" "$(grep -v '^#' "$TMP/hr.err" | head -3)"; else ok "stderr: comment lines only"; fi

# --- -o, refusing to overwrite, --force -----------------------------------------
run "$ISLOAD" init "$D/hr_export.csv" -o "$TMP/feed.json"
expect_rc "-o exits 0" 0
[ ! -s "$TMP/out" ] && ok "-o: nothing on stdout" || bad "-o: nothing on stdout" "$(head -3 "$TMP/out")"
cmp -s "$TMP/feed.json" "$TMP/hr.json" && ok "-o: same feed as stdout" || bad "-o: same feed as stdout"
echo '{"mine": true}' >"$TMP/feed.json"
run "$ISLOAD" init "$D/hr_export.csv" -o "$TMP/feed.json"
expect_rc "existing -o file exits 2" 2
expect_grep "existing file named, --force suggested" "$TMP/err" "feed.json exists (use --force"
expect_file_eq "existing file left alone" "$TMP/feed.json" '{"mine": true}'
run "$ISLOAD" init --force --output "$TMP/feed.json" "$D/hr_export.csv"
expect_rc "--force exits 0" 0
cmp -s "$TMP/feed.json" "$TMP/hr.json" && ok "--force overwrites" || bad "--force overwrites" "$(head -3 "$TMP/feed.json")"
run "$ISLOAD" init "$D/hr_export.csv" -o "$TMP/no/such/dir.json"
expect_rc "unwritable -o exits 2" 2
run "$ISLOAD" init "$D/nope.csv" -o "$TMP/nope.json"
expect_rc "missing input exits 2" 2
expect_grep "missing input named" "$TMP/err" "nope.csv"
[ ! -e "$TMP/nope.json" ] && ok "failed run creates no file" || bad "failed run creates no file"

# --- names, sample size, stdin, gzip ------------------------------------------
run "$ISLOAD" init --name hr_people --staging-table u_people_stage "$D/hr_export.csv"
pyeq "--name and --staging-table" "$TMP/out" '[d["name"], d["staging_table"]]' '["hr_people","u_people_stage"]'
run "$ISLOAD" init --sample 5 "$D/hr_export.csv"
expect_rc "--sample exits 0" 0
expect_grep "--sample reads 5 rows" "$TMP/err" "5 rows sampled"
pyeq "--sample 5: too few rows for an enum" "$TMP/out" 'F["u_department"]["stages"]' '["trim",{"length":{"max":40}}]'
run sh -c "\"$ISLOAD\" init - < \"$D/hr_export.csv\""
expect_rc "stdin exits 0" 0
pyeq "stdin: name feed" "$TMP/out" '[d["name"], d["staging_table"]]' '["feed","u_feed_import"]'
gzip -c "$D/hr_export.csv" >"$TMP/HR Export 2024.csv.gz"
run "$ISLOAD" init "$TMP/HR Export 2024.csv.gz"
expect_rc "gzip exits 0" 0
pyeq "gzip: extensions dropped, snake case" "$TMP/out" 'd["name"]' '"hr_export_2024"'
pyeq "gzip: same guesses" "$TMP/out" 'd["fields"]' "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["fields"], separators=(",", ":")))' "$TMP/hr.json")"

# --- European CSV: ';', d.m.Y, decimal comma, name clashes, long names --------
run "$ISLOAD" init "$D/orders_eu.csv"
expect_rc "orders_eu exits 0" 0
pyeq "sniffed ';' written" "$TMP/out" 'd["input"]' '{"format":"csv","delimiter":";","encoding":"utf-8"}'
pyeq "d.m.Y date" "$TMP/out" 'F["u_datum"]["stages"]' '["trim",{"date":{"from":["%d.%m.%Y"],"to":"%Y-%m-%d"}}]'
pyeq "decimal comma" "$TMP/out" 'F["u_betrag"]["stages"]' '["trim",{"number":{"decimal":","}}]'
pyeq "clashing names get _2" "$TMP/out" '[F["u_kunde_nr"]["source"], F["u_kunde_nr_2"]["source"]]' '["Kunde Nr","Kunde-Nr."]'
pyeq "long names cut to u_ + 30" "$TMP/out" 'd["fields"][-1]["column"]' '"u_bestellung_lieferadresse_postl"'
pyeq "leading zeros stay text" "$TMP/out" 'd["fields"][-1]["stages"]' '["trim",{"length":{"max":40}}]'
expect_grep "leading zeros explained" "$TMP/err" "digits with leading zeros: kept as text"
expect_grep "small sample flagged" "$TMP/err" "only 12 rows"

# reader options given are written to "input"
run "$ISLOAD" init --delimiter ';' --quote "'" --encoding windows-1252 --no-header \
    --columns a,b,c,d,e,f,g --lenient "$D/orders_eu.csv"
expect_rc "reader options exit 0" 0
pyeq "reader options in input" "$TMP/out" 'd["input"]' \
    '{"format":"csv","delimiter":";","quote":"'"'"'","header":false,"columns":["a","b","c","d","e","f","g"],"encoding":"windows-1252","lenient":true}'
pyeq "--columns name the fields" "$TMP/out" '[F["u_a"]["source"], F["u_g"]["source"]]' '["a","g"]'

# --- NDJSON: nested records need --flatten; date-times, JSON booleans ---------
run "$ISLOAD" init "$D/assets.ndjson"
expect_rc "nested records without --flatten exit 2" 2
expect_grep "row errors shown" "$TMP/err" "^# skipped: .*assets.ndjson:1: field 'location'"
expect_grep "no good rows said" "$TMP/err" "no good rows in the sample (24 with reader errors"
run "$ISLOAD" init --flatten "$D/assets.ndjson" -o "$TMP/assets.json"
expect_rc "ndjson --flatten exits 0" 0
pyeq "ndjson input" "$TMP/assets.json" 'd["input"]' '{"format":"ndjson","flatten":true}'
pyeq "ndjson fields" "$TMP/assets.json" '[f["column"] for f in d["fields"]]' \
    '["u_asset_tag","u_serial_number","u_model","u_purchased","u_cost","u_in_service","u_updated","u_location_site","u_location_floor","u_owner_email"]'
pyeq "flattened source names" "$TMP/assets.json" 'F["u_location_site"]["source"]' '"location.site"'
pyeq "ISO date" "$TMP/assets.json" 'F["u_purchased"]["stages"]' '["trim",{"date":{"from":["%Y-%m-%d"],"to":"%Y-%m-%d"}}]'
pyeq "UTC date-time" "$TMP/assets.json" 'F["u_updated"]["stages"]' \
    '["trim",{"datetime":{"from":["%Y-%m-%dT%H:%M:%SZ"],"to":"%Y-%m-%d %H:%M:%S","timezone":"UTC"}}]'
pyeq "JSON booleans" "$TMP/assets.json" 'F["u_in_service"]["stages"]' '["trim",{"boolean":{"true":["true"],"false":["false"]}}]'
pyeq "JSON numbers" "$TMP/assets.json" '[F["u_cost"]["stages"], F["u_location_floor"]["stages"]]' \
    '[["trim",{"number":{}}],["trim",{"number":{}}]]'
pyeq "field missing from some records: not required" "$TMP/assets.json" '"required" in F["u_owner_email"]' 'false'
pyeq "ndjson key" "$TMP/assets.json" 'd["key"]' '["u_serial_number"]'
expect_grep "other candidates listed" "$TMP/err" "^# key candidates .*u_serial_number (name has 'number'), u_asset_tag (name has 'tag')"

# --- input problems -----------------------------------------------------------
run "$ISLOAD" init "$TESTDATA/csv/field_count.csv"
expect_rc "row errors are skipped, exit 0" 0
expect_grep "skipped rows counted" "$TMP/err" "^# 2 rows with reader errors skipped"
run "$ISLOAD" init "$TESTDATA/csv/unterminated.csv"
expect_rc "unreadable input exits 2" 2
expect_grep "unreadable input explained" "$TMP/err" "unterminated quoted field"
run "$ISLOAD" init "$TESTDATA/json/empty.json"
expect_rc "no fields exits 2" 2

# --- the feeds written follow schemas/feed.schema.json -------------------------
SCHEMA="${SRCDIR:-$TESTDATA/..}/schemas/feed.schema.json"
if python3 -c 'import jsonschema' 2>/dev/null; then
    for f in hr assets; do
        if python3 - "$SCHEMA" "$TMP/$f.json" >"$TMP/schema.err" 2>&1 <<'EOF'
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
EOF
        then ok "$f feed matches the feed schema"; else bad "$f feed matches the feed schema" "$(tail -3 "$TMP/schema.err")"; fi
    done
fi

# --- the feed written loads and passes its own sample (once validate exists) -
if "$ISLOAD" help validate >/dev/null 2>&1; then
    run "$ISLOAD" validate "$TMP/hr.json" "$D/hr_export.csv"
    expect_rc "generated HR feed validates its sample" 0
    run "$ISLOAD" validate "$TMP/assets.json" "$D/assets.ndjson"
    expect_rc "generated assets feed validates its sample" 0
fi

finish
