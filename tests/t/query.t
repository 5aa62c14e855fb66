#!/bin/sh
# ph-fetch's query path against ph-emu's PostHog versions
# (doc/posthog.md section 8): the default API, the body every version
# accepts, the keyset form, row caps with hasMore null, time windows
# under a scan limit, a project in another timezone.  Rows 4 to 6 are in
# query-busy.t, time windows and --split in query-windows.t.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# 12000 events over 30 days, two clusters of 300 at one microsecond.
SRC=$T/source.ndjson
$GEN --count 12000 --seed 41 --clusters 2:300 >"$SRC"

# post URL JSON-BODY: the emulator's status and reply, on one line.
post() {
	python3 - "$1" "$2" <<'PY'
import sys, urllib.error, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/projects/@current/query/",
    data=sys.argv[2].encode(), headers={"Authorization": "Bearer phx_test",
    "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}
# --- the default API -------------------------------------------------------

for p in 2026 2024; do
	emu_start S --profile $p --load "$SRC"
	run "$PH_FETCH" --host "$S_URL" $RANGE --jobs 1
	is_status "profile $p, no --api, --jobs 1: exit 0" 0
	same_events "  every event once, unchanged" "$SRC" "$T/out"
	run "$PH_FETCH" --host "$S_URL" $RANGE
	is_status "profile $p, no --api, --jobs 4 (the default): exit 0" 0
	same_events "  every event once, unchanged" "$SRC" "$T/out"
	is "  read through the query API only" \
	    "$(logq "$T/S.log" 'sorted(set(r["path"] for r in L))')" \
	    "['/api/projects/@current/query/']"
	lacks "  no word of the listing API" "$T/err" "listing API"
	emu_stop S
done

emu_start S --profile clickhouse-2022 --load "$SRC"
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "profile clickhouse-2022 (no query API), no --api: exit 0" 0
same_events "  every event once" "$SRC" "$T/out"
is "  one query (404), then the listing API" \
    "$(logq "$T/S.log" '[r["status"] for r in L if r["path"].endswith("/query/")], L[-1]["path"]')" \
    "([404], '/api/projects/@current/events/')"
is "  says once that the listing API strips quotes" \
    "$(grep -c 'reading through the listing API, which strips leading and trailing " from string property values' "$T/err")" "1"
run "$PH_FETCH" --host "$S_URL" $RANGE -q
is "  -q keeps only that warning" \
    "$(grep -c . "$T/err") $(grep -c 'strips leading and trailing' "$T/err")" \
    "1 1"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query
is_status "  --api query there: exit 3" 3
has "  says why" "$T/err" "404: Not found."
is "  and reads nothing else" \
    "$(logq "$T/S.log" 'L[-1]["path"]')" "/api/projects/@current/query/"
emu_stop S

emu_start S --profile 2026 --load "$SRC"
PH_FETCH_KEY=phx_wrong run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "a 401 on the query API: exit 4, no fallback" 4
is "  one request" "$(wc -l <"$T/S.log")" "1"
emu_stop S
emu_start S --profile 2026 --load "$SRC" --p503 1
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 2
is_status "503s on the query API: exit 5, no fallback" 5
is "  the listing API never asked" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/events/"))')" "0"
emu_stop S

# --- row 3: a body the 2024 schema accepts -----------------------------------

emu_start S --profile 2024 --load "$SRC"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query
is_status "row 3: --api query on profile 2024: exit 0" 0
same_events "  every event once" "$SRC" "$T/out"
is "  the 2024 profile refuses the modifier ph-fetch sent before" \
    "$(post "$S_URL" '{"query":{"kind":"HogQLQuery","query":"SELECT uuid FROM events WHERE timestamp >= toDateTime64('"'2024-01-01 00:00:00'"', 6, '"'UTC'"') AND timestamp < toDateTime64('"'2024-01-02 00:00:00'"', 6, '"'UTC'"') LIMIT 1","modifiers":{"convertToProjectTimezone":false}}}' |
    sed 's/^\([0-9]*\) .*\(Extra inputs are not permitted\).*/\1 \2/')" \
    "400 Extra inputs are not permitted"
is "  and the name it sent before" \
    "$(post "$S_URL" '{"query":{"kind":"HogQLQuery","query":"SELECT uuid FROM events WHERE timestamp >= toDateTime64('"'2024-01-01 00:00:00'"', 6, '"'UTC'"') AND timestamp < toDateTime64('"'2024-01-02 00:00:00'"', 6, '"'UTC'"') LIMIT 1"},"name":"ph-fetch"}' |
    sed 's/^\([0-9]*\) .*\(Extra inputs are not permitted\).*/\1 \2/')" \
    "400 Extra inputs are not permitted"
emu_stop S

# --- row 10: a project in another timezone ---------------------------------------

emu_start S --profile 2026 --load "$SRC" --project-tz Europe/Berlin
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "row 10: a project in Europe/Berlin: exit 0" 0
same_events "  the same timestamps, in UTC" "$SRC" "$T/out"
first=$(python3 -c 'import json, sys
print(min(json.loads(l)["timestamp"] for l in open(sys.argv[1])))' "$SRC")
is "  (the emulator does shift a plain timestamp by the project's zone)" \
    "$(post "$S_URL" '{"query":{"kind":"HogQLQuery","query":"SELECT uuid, event, distinct_id, properties, toString(timestamp), elements_chain FROM events WHERE timestamp >= toDateTime64('"'2024-01-01 00:00:00.000000'"', 6, '"'UTC'"') AND timestamp < toDateTime64('"'2024-02-01 00:00:00.000000'"', 6, '"'UTC'"') ORDER BY timestamp ASC, uuid ASC LIMIT 1"}}' |
    python3 -c 'import datetime, json, sys
st, body = sys.stdin.read().split(" ", 1)
t = json.loads(body)["results"][0][4]
u = datetime.datetime.fromisoformat(sys.argv[1])
print(datetime.datetime.fromisoformat(t) - u.replace(tzinfo=None))' "$first")" \
    "1:00:00"
emu_stop S

done_testing
