#!/usr/bin/env bash
# cases.sh: the data-driven validate cases under tests/cases/. Adding a
# case needs no C: make a folder with
#   feed.json              the feed definition
#   input.*                the input (any format isload reads)
#   args                   optional: extra arguments, one line
#   expected_exit          the exit code (default 0)
#   expected_emit.ndjson   optional: exactly the rows that would be sent
#   expected_report.json   optional: a subset of the JSON report; every key
#                          given must be equal in the real report (lists
#                          compared whole), other keys are not checked
#   expected_rejects.*     optional: exactly the rejects file
# The case runs in its folder, so file names in reports are "input.csv".
set -e
. "$(dirname "$0")/lib.sh"
CASES="$SRCDIR/tests/cases"
for dir in "$CASES"/*/; do
  name=$(basename "$dir")
  input=$(cd "$dir" && ls input.* | head -1)
  extra=$(cat "$dir/args" 2>/dev/null || true)
  want_rc=$(cat "$dir/expected_exit" 2>/dev/null || echo 0)
  rej_ext=$(cd "$dir" && ls expected_rejects.* 2>/dev/null | sed 's/.*\.//' | head -1)
  rej_arg=""
  [ -n "$rej_ext" ] && rej_arg="--rejects $TMP/$name.rejects"
  # shellcheck disable=SC2086
  run sh -c "cd '$dir' && '$ISLOAD' validate -q feed.json $input --emit '$TMP/$name.emit' --report '$TMP/$name.report' $rej_arg $extra"
  expect_rc "$name: exit code" "$want_rc"
  if [ -f "$dir/expected_emit.ndjson" ]; then
    if diff -u "$dir/expected_emit.ndjson" "$TMP/$name.emit" >"$TMP/diff"; then ok "$name: emit"
    else bad "$name: emit" "$(head -20 "$TMP/diff")"; fi
  fi
  if [ -n "$rej_ext" ]; then
    if diff -u "$dir/expected_rejects.$rej_ext" "$TMP/$name.rejects" >"$TMP/diff"; then ok "$name: rejects"
    else bad "$name: rejects" "$(head -20 "$TMP/diff")"; fi
  fi
  if [ -f "$dir/expected_report.json" ]; then
    if python3 - "$dir/expected_report.json" "$TMP/$name.report" >"$TMP/diff" 2>&1 <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
def sub(w, g, path):
    if isinstance(w, dict):
        if not isinstance(g, dict):
            return [f"{path}: expected an object, got {g!r}"]
        out = []
        for k, v in w.items():
            if k not in g:
                out.append(f"{path}.{k}: missing")
            else:
                out += sub(v, g[k], f"{path}.{k}")
        return out
    return [] if w == g else [f"{path}: expected {w!r}, got {g!r}"]
errs = sub(want, got, "report")
if got["rows_read"] != got["rows_valid"] + got["rows_rejected"] + got["rows_filtered"]:
    errs.append("report: counts do not add up")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
    then ok "$name: report"; else bad "$name: report" "$(head -20 "$TMP/diff")"; fi
  fi
done
finish
