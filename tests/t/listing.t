#!/bin/sh
# The event-listing API as each PostHog version serves it: what it alters
# (parse_properties), the Postgres-era "this Monday" shortcut, pages over
# 64 MiB.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
RANGE="--after 2024-01-01 --before 2024-02-01"

# --- row 1: the listing API strips quotes, the query API does not ----------

# A third of the events get string values that begin or end with '"'.
SRC=$T/quoted.ndjson
$GEN --count 3000 --seed 7 | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    e = json.loads(line)
    if i % 3 == 0:
        e["properties"]["said"] = "\"hello\""
        e["properties"]["inch"] = "12\""
    sys.stdout.write(json.dumps(e, ensure_ascii=False,
                                separators=(",", ":")) + "\n")' >"$SRC"
quoted=$(grep -c '"said":"\\"hello\\""' "$SRC")

emu_start S --load "$SRC"
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
is_status "listing API: exit 0" 0
same_events "  every event once, as PostHog's listing API serves it" "$SRC" \
    "$T/out"
is "  it strips the quotes of $quoted events (parse_properties)" \
    "$(grep -c '"said":"hello","inch":"12"' "$T/out")" "$quoted"
python3 "$PH_SRC/tests/same-events.py" --keep-quotes "$SRC" "$T/out" \
    >"$T/same" 2>&1
is "  so the listing output is not the stored events" "$?" "1"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query
is_status "query API: exit 0" 0
same_events "  every event once, values as stored" "$SRC" "$T/out"
is "  the quotes kept" "$(grep -c '"said":"\\"hello\\"","inch":"12\\""' \
    "$T/out")" "$quoted"
emu_stop S

printf '%s\n' '{"id":"00000000-0000-4000-8000-000000000001","distinct_id":"a","event":"e","timestamp":"2024-01-02T00:00:00+00:00","properties":{"n":NaN,"deep":{"i":[Infinity,-Infinity,"NaN"]},"s":"\"x\"","z":1.0},"person":null,"elements_chain":""}' >"$T/nan.ndjson"
emu_start S --load "$T/nan.ndjson"
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
is "listing API: NaN and Infinity become null at any depth" "$(cat "$T/out")" \
    '{"id":"00000000-0000-4000-8000-000000000001","distinct_id":"a","event":"e","timestamp":"2024-01-02T00:00:00+00:00","properties":{"n":null,"deep":{"i":[null,null,"NaN"]},"s":"x","z":1.0},"person":null,"elements_chain":""}'
emu_stop S

done_testing
