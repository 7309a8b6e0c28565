#!/usr/bin/env bash
# html_render.sh: the HTML validation report as a real browser sees it.
# Writes the page for testdata/reports/sample.json with the html_dump test
# program (so this does not wait for `isload validate --html`), then has
# headless Chromium parse it (--dump-dom), screenshot it and print it to
# PDF, and checks the numbers, the rejected rows and the escaping in the
# DOM the browser built. Without Chromium: fails when CI=true, else skips.
# Env: BUILDDIR, TESTDATA (from ctest); HTML_DUMP, CHROMIUM override.
set -e
. "$(dirname "$0")/lib.sh"

DUMP=${HTML_DUMP:-$BUILDDIR/tests/unit/html_dump}
REPORT="$TESTDATA/reports/sample.json"

BROWSER=${CHROMIUM:-}
if [ -z "$BROWSER" ]; then
    for c in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$c" >/dev/null 2>&1; then BROWSER=$c; break; fi
    done
fi
if [ -z "$BROWSER" ]; then
    if [ "${CI:-}" = true ]; then
        bad "chromium installed" "no chromium on PATH and CI=true:" \
            "apt-get install -y chromium"
        finish
        exit 1
    fi
    echo "SKIP html_render: chromium not found (apt-get install -y chromium);" \
         "set CI=true to make this a failure"
    exit 0
fi

# chrome ARGS...: one headless run with a throwaway profile and no network
chrome() {
    timeout 60 "$BROWSER" --headless --no-sandbox --disable-gpu \
        --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --disable-extensions \
        --hide-scrollbars --user-data-dir="$TMP/prof" "$@"
}

run "$DUMP" "$REPORT" "$TMP/r.html"
expect_rc "html_dump writes the page" 0
[ -s "$TMP/r.html" ] && ok "page is not empty" || bad "page is not empty"
URL="file://$TMP/r.html"

# --- the DOM the browser built ---------------------------------------
run chrome --dump-dom "$URL"
expect_rc "chromium --dump-dom exits 0" 0
cp "$TMP/out" "$TMP/dom.html"
DOM="$TMP/dom.html"
expect_grep "DOM was built" "$DOM" '</html>'
expect_grep "title names the verdict and feed" "$DOM" \
    '<title>REJECTED ROWS – isload validation report: hr_employees</title>'
expect_grep "banner says REJECTED ROWS" "$DOM" '<strong>REJECTED ROWS</strong>'
expect_grep "rows read" "$DOM" 'id="n-read">120<'
expect_grep "rows valid" "$DOM" 'id="n-valid">109<'
expect_grep "rows rejected" "$DOM" 'id="n-rej">9<'
expect_grep "rows filtered" "$DOM" 'id="n-filt">2<'
expect_grep "accounting adds up" "$DOM" \
    '109 valid + 9 rejected + 2 filtered = <b>120 rows read</b>'
expect_grep "rejected share" "$DOM" '9 of 120 rows (7.5%) were rejected'
for line in 14 23 37 52 68 90 104 111 115; do
    expect_grep "rejected line $line shown" "$DOM" \
        "employees.csv</span>:<b>$line</b>"
done
n=$(grep -o '<th scope="rowgroup"' "$DOM" | wc -l)
[ "$n" -eq 9 ] && ok "9 rejected rows in the table" \
    || bad "9 rejected rows in the table" "found $n"
n=$(grep -o '<g class="bar"' "$DOM" | wc -l)
[ "$n" -eq 14 ] && ok "14 bars (7 rules, 7 columns)" \
    || bad "14 bars (7 rules, 7 columns)" "found $n"
expect_grep "pattern bar" "$DOM" '<title>pattern: 3 errors</title>'
expect_grep "whole-row bar" "$DOM" '<title>(whole row): 1 error</title>'
# hostile value is text, not markup: no script element, no alert
if grep -qi '<script' "$DOM"; then
    bad "no script element in the DOM" "$(grep -oi '.\{40\}<script.\{40\}' "$DOM" | head -3)"
else
    ok "no script element in the DOM"
fi
expect_grep "script value shown as text" "$DOM" \
    '<code class="v">&lt;script&gt;alert(1)&lt;/script&gt;</code>'
expect_grep "ampersand value escaped" "$DOM" 'Research &amp; Development'
expect_grep "tab shown as a symbol" "$DOM" '2024-03-01<span class="cc"'

# --- a screenshot of the page ----------------------------------------
rm -f "$TMP/shot.png"
run chrome --screenshot="$TMP/shot.png" --window-size=1280,2000 "$URL"
expect_rc "chromium --screenshot exits 0" 0
if [ -s "$TMP/shot.png" ] &&
   [ "$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
    ok "screenshot is a PNG"
else
    bad "screenshot is a PNG" "$(ls -l "$TMP/shot.png" 2>&1)"
fi
size=$(wc -c <"$TMP/shot.png" 2>/dev/null || echo 0)
# a blank 1280x2000 page compresses to a few kB; the report is far more
[ "$size" -gt 40000 ] && ok "screenshot has content ($size bytes)" \
    || bad "screenshot has content" "only $size bytes"
wh=$(od -An -tu1 -j16 -N8 "$TMP/shot.png" 2>/dev/null | awk '{print $3*256+$4 "x" $7*256+$8}')
[ "$wh" = 1280x2000 ] && ok "screenshot is 1280x2000" \
    || bad "screenshot is 1280x2000" "got $wh"
if [ -n "${HTML_RENDER_KEEP:-}" ]; then
    cp "$TMP/shot.png" "$TMP/r.html" "$HTML_RENDER_KEEP"/ && echo "     kept in $HTML_RENDER_KEEP"
fi

# --- printing (the print style sheet) ---------------------------------
rm -f "$TMP/r.pdf"
run chrome --no-pdf-header-footer --print-to-pdf="$TMP/r.pdf" "$URL"
expect_rc "chromium --print-to-pdf exits 0" 0
if [ -s "$TMP/r.pdf" ] && [ "$(head -c 5 "$TMP/r.pdf")" = "%PDF-" ]; then
    ok "page prints to PDF"
else
    bad "page prints to PDF" "$(ls -l "$TMP/r.pdf" 2>&1)"
fi

finish
