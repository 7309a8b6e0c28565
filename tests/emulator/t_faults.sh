#!/usr/bin/env bash
# Faults and limits: injected 429 / queue-full 429 / 503 / 500, dropped
# connections before and after the work, fault caps, seeded repeatability,
# added latency, the time budget (500 "Transaction cancelled"), the
# per-user rate rule and the concurrent request limit.
. "$(dirname "$0")/lib.sh" "$1"

cat >"$TMP/feed.json" <<'EOF'
{"name": "f", "staging_table": "u_f_import", "key": ["u_code"],
 "fields": [{"column": "u_code"}, {"column": "u_val"}]}
EOF
faults_cfg() { # extra JSON inside "faults"
    cat >"$TMP/cfg.json" <<EOF
{"staging_tables": [{"name": "u_f_import",
   "insert_multiple": {"transform": "sync", "column_mapping": "name"}}],
 "faults": {"path_prefix": "/api/now/import" $1}}
EOF
}
sim() {
    start_sim --config "$TMP/cfg.json" --feed "$TMP/feed.json" \
        --user loader:pw --user other:pw "$@"
}
one() { # single import of code $1
    req POST /api/now/import/u_f_import "{\"u_code\":\"$1\",\"u_val\":\"v\"}"
}
count() { # number of target records with code $1
    req GET "/api/now/table/u_f?sysparm_query=u_code=$1"
    j '.result|length'
}

# --- injected answers ---------------------------------------------------
faults_cfg ', "retry_after": 7'
sim --faults 429=1
one A
eq 429 "$STATUS" "429 fault"
eq "Rate limit exceeded" "$(j .error.message)" "429 body"
eq 7 "$(hdr Retry-After)" "Retry-After"
[[ "$(hdr X-RateLimit-Reset)" =~ ^[0-9]{10}$ ]] || fail "X-RateLimit-Reset"
[ -n "$(hdr X-RateLimit-Limit)" ] || fail "X-RateLimit-Limit"
[ -n "$(hdr X-RateLimit-Rule)" ] || fail "X-RateLimit-Rule"
eq 0 "$(count A)" "nothing done on 429 (table API outside path_prefix)"
stop_sim

faults_cfg ''
sim --faults queue=1
one A
eq 429 "$STATUS" "queue-full 429"
eq "" "$(hdr Retry-After)" "no Retry-After on queue-full by default"
stop_sim

sim --faults 503=1
one A
eq "503 failure" "$STATUS $(j .status)" "503 fault"
stop_sim

sim --faults 500=1
one A
eq 500 "$STATUS" "500 fault"
eq "Transaction cancelled: maximum execution time exceeded" \
    "$(j .error.message)" "500 message"
eq 0 "$(count A)" "nothing done on 500"
stop_sim

# --- dropped connections -----------------------------------------------
sim --faults drop-before=1
one A
eq 52 "$CURL_RC" "drop-before: empty reply"
eq 0 "$(count A)" "drop-before: nothing done"
req GET /api/now/table/sys_import_set
eq 0 "$(j '.result|length')" "drop-before: no import set"
stop_sim

sim --faults drop-after=1
one A
eq 52 "$CURL_RC" "drop-after: empty reply"
eq 1 "$(count A)" "drop-after: the row was committed"
one A
eq 52 "$CURL_RC" "drop-after again"
req GET "/api/now/table/u_f_import?sysparm_query=u_code=A^ORDERBYsys_import_row"
eq "inserted ignored" "$(j '[.result[].sys_import_state]|join(" ")')" \
    "drop-after: the retry is a second staging row"
req POST /api/now/import/u_f_import/insertMultiple \
    '{"records":[{"u_code":"M1"},{"u_code":"M2"}]}'
eq 52 "$CURL_RC" "drop-after insertMultiple"
eq 1 "$(count M2)" "drop-after insertMultiple committed"
stop_sim

# --- caps and repeatability ---------------------------------------------
faults_cfg ', "max": 2'
sim --faults 503=1
one A
eq 503 "$STATUS" "capped fault 1"
one A
eq 503 "$STATUS" "capped fault 2"
one A
eq 201 "$STATUS" "after the cap"
stop_sim

faults_cfg ''
pattern() {
    local out= i
    for i in $(seq 1 25); do
        one "P$i"
        out="$out${STATUS:0:1}"
    done
    echo "$out"
}
sim --faults 429=0.3,503=0.2 --seed 7
P1=$(pattern)
stop_sim
sim --faults 429=0.3,503=0.2 --seed 7
P2=$(pattern)
stop_sim
sim --faults 429=0.3,503=0.2 --seed 8
P3=$(pattern)
stop_sim
eq "$P1" "$P2" "same seed, same faults"
[ "$P1" != "$P3" ] || fail "another seed gives other faults"
case "$P1" in *2*) ;; *) fail "some requests succeed: $P1" ;; esac
case "$P1" in *4*) ;; *) fail "some requests get 429: $P1" ;; esac
case "$P1" in *5*) ;; *) fail "some requests get 503: $P1" ;; esac

# --- latency and the time budget ----------------------------------------
faults_cfg ', "time_budget_ms": 400, "row_cost_ms": 4'
sim --latency-ms 150
T0=$(date +%s%N)
one L
T1=$(date +%s%N)
eq 201 "$STATUS" "with latency"
[ $(((T1 - T0) / 1000000)) -ge 150 ] || fail "latency not applied"
RECS=$(jq -nc '{records: [range(200) | {u_code: "B\(.)"}]}')
req POST /api/now/import/u_f_import/insertMultiple "$RECS"
eq 500 "$STATUS" "over the time budget"
eq "Transaction cancelled: maximum execution time exceeded" \
    "$(j .error.message)" "budget message"
eq 0 "$(count B1)" "cancelled request did nothing"
RECS=$(jq -nc '{records: [range(50) | {u_code: "S\(.)"}]}')
req POST /api/now/import/u_f_import/insertMultiple "$RECS"
eq 201 "$STATUS" "within the time budget"
eq 1 "$(count S49)" "small batch imported"
stop_sim

# --- per-user rate rule -------------------------------------------------
faults_cfg ', "rate_limit": {"limit": 3, "window_s": 3600, "rule": "r1"}'
sim
one R1
eq 201 "$STATUS" "rate 1"
eq "3 r1" "$(hdr X-RateLimit-Limit) $(hdr X-RateLimit-Rule)" \
    "rate headers on allowed requests"
one R2
one R3
eq 201 "$STATUS" "rate 3"
one R4
eq 429 "$STATUS" "rate 4 is over the limit"
eq "Rate limit exceeded" "$(j .error.message)" "rate body"
RA=$(hdr Retry-After)
[ "$RA" -ge 1 ] && [ "$RA" -le 3600 ] || fail "Retry-After $RA"
eq 0 "$(count R4)" "limited request did nothing"
AUTH=other:pw one R5
eq 201 "$STATUS" "the limit is per user"
stop_sim

# --- concurrent request limit (API_INT queue) ---------------------------
faults_cfg ', "max_concurrent": 1'
sim --latency-ms 2000
one C0 &
BG=$!
sleep 0.7
req GET /api/now/table/u_f
eq 429 "$STATUS" "second concurrent request refused"
wait "$BG"
stop_sim
done_ok
