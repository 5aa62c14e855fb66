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

# --- row 2: a Postgres-era source and its "this Monday" page ---------------

# Integer ids, an elements array and no elements_chain; its clock says
# Wednesday 2024-01-17, so this Monday is 2024-01-15T00:00:00.345678Z
# (list() keeps now's microsecond).  Some 570 events since Monday, more than
# a page, some in the Monday's first second, on both sides of .345678.
PG=$T/postgres.ndjson
$GEN --count 3000 --seed 9 --start 2024-01-05T00:00:00+00:00 --days 12.4 \
    --clusters 2:300 |
    python3 -c '
import json, sys
extra = ["2024-01-15T00:00:00.000000+00:00", "2024-01-15T00:00:00.345677+00:00",
         "2024-01-15T00:00:00.345678+00:00", "2024-01-14T23:59:59.999999+00:00",
         "2024-01-17T12:00:05.345679+00:00"]
for i, line in enumerate(sys.stdin):
    e = json.loads(line)
    out = {"id": i + 1, "distinct_id": e.get("distinct_id"),
           "properties": e["properties"],
           "elements": [{"tag_name": "a", "text": "x", "order": 0}]
           if e["elements_chain"] else [],
           "event": e["event"], "timestamp": e["timestamp"],
           "person": e["person"]}
    if i < len(extra):
        out["timestamp"] = extra[i]
    sys.stdout.write(json.dumps(out, separators=(",", ":")) + "\n")' >"$PG"
NOW=2024-01-17T12:00:00.345678Z
since=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1])
          if json.loads(l)["timestamp"] >= "2024-01-15T00:00:00.345678"))' "$PG")
check "  the source has more than a page (200) since Monday: $since" \
    test "$since" -gt 200

emu_start S --load "$PG" --profile postgres-2021 --now "$NOW"
curl -s -H "Authorization: Bearer phx_test" \
    "$S_URL/api/event/?after=2024-01-06T00:00:00Z&orderBy=%5B%22timestamp%22%5D" \
    >"$T/page"
is "ph-emu postgres-2021: after 2024-01-06, ascending, yet this Monday's page" \
    "$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
r = p["results"]
print(len(r), r[0]["timestamp"], type(r[0]["id"]).__name__,
      p["next"].split("?")[1])' "$T/page")" \
    "100 2024-01-15T00:00:00.345678+00:00 int orderBy=%5B%22timestamp%22%5D&after=$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["results"][99]["timestamp"][:26] + "Z")' "$T/page")"
curl -s -H "Authorization: Bearer phx_test" \
    "$S_URL/api/event/?after=2024-01-17T00:00:00Z&before=2024-02-01T00:00:00Z&orderBy=%5B%22timestamp%22%5D&limit=10000" \
    >"$T/page"
is "  nothing later than its now + 5 s (an event 1 us past it held back)" \
    "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(len(r) > 0, any(e["timestamp"].startswith("2024-01-17T12:00:05") for e in r))' \
    "$T/page")" "True False"
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before "$NOW" \
    --page-size 200 --legacy
is_status "ph-fetch from a Postgres-era source: exit 0" 0
same_events "  every event once, before and after this Monday" "$PG" \
    "$T/out" --keep-quotes --before "$NOW"
has "  it says why it reads so" "$T/err" "a Postgres-era source (integer ids)"
is "  clusters larger than a page read with larger pages, not by query" \
    "$(logq "$T/S.log" '(any(r["limit"] > 200 for r in L if "limit" in r), any(r["path"].endswith("/query/") for r in L))')" \
    "(True, False)"
emu_stop S

# Integer ids are no uuids: ph-clean names each event by a uuid derived
# from its id, the same on every run, so a rerun merges at PostHog.
"$PH_CLEAN" <"$T/out" >"$T/clean1" 2>/dev/null
"$PH_CLEAN" <"$T/out" >"$T/clean2" 2>/dev/null
is "  ph-clean: one uuid per event, all distinct, the same on a rerun" \
    "$(python3 -c '
import json, sys
a = [json.loads(l)["uuid"] for l in open(sys.argv[1])]
b = [json.loads(l)["uuid"] for l in open(sys.argv[2])]
print(len(a), len(set(a)), a == b)' "$T/clean1" "$T/clean2")" "2999 2999 True"

# clickhouse-2022 (posthog/api/event.py, 2022): no cap on a JSON page, no
# query API.
emu_start S --load "$SRC" --profile clickhouse-2022
curl -s -H "Authorization: Bearer phx_test" \
    "$S_URL/api/projects/@current/events/?after=2024-01-01T00:00:00Z&before=2024-02-01T00:00:00Z&limit=2500" \
    >"$T/page"
is "ph-emu clickhouse-2022: a page of 2500 events" "$(python3 -c '
import json, sys
print(len(json.load(open(sys.argv[1]))["results"]))' "$T/page")" "2500"
curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer phx_test" \
    -d '{}' "$S_URL/api/projects/@current/query/" >"$T/code"
is "  and no query API" "$(cat "$T/code")" "404"
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
same_events "  ph-fetch reads it whole, as it serves it" "$SRC" "$T/out"
emu_stop S

# --- row 10: a project outside UTC, on the 2026 listing API ---------------

# PostHog issue #67175: the listing API labels each event with the
# project's wall-clock time and +00:00.  ph-fetch refuses before writing.
for tz in America/New_York Asia/Tokyo; do
	emu_start S --load "$SRC" --project-tz $tz
	run "$PH_FETCH" --host "$S_URL" $RANGE --api events
	is_status "a $tz project, listing API: exit 3" 3
	has "  says why and what to do" "$T/err" \
	    "(PostHog issue #67175); read with --api query"
	is "  nothing written" "$(wc -c <"$T/out")" "0"
	run "$PH_FETCH" --host "$S_URL" $RANGE --api query
	same_events "  the query API reads it whole, true instants" "$SRC" \
	    "$T/out"
	emu_stop S
done

# Europe/London is UTC in winter: the first pages are true, and the page
# that crosses the change to summer time is refused before it is written
# (its last event is checked by asking for the next page from it).
DST=$T/dst.ndjson
$GEN --count 2000 --seed 4 --start 2024-03-21T00:00:00+00:00 --days 20 \
    >"$DST"
emu_start S --load "$DST" --project-tz Europe/London
run "$PH_FETCH" --host "$S_URL" --after 2024-03-21 --before 2024-04-10 \
    --api events --page-size 200
is_status "a London project across the change to summer time: exit 3" 3
has "  the page across the change is refused" "$T/err" \
    "the page asked from the last time listed does not begin there"
is "  what was written (winter) has its true times" "$(python3 -c '
import datetime, json, sys
t = lambda s: datetime.datetime.fromisoformat(s)
src = {e["id"]: t(e["timestamp"]) for e in map(json.loads, open(sys.argv[1]))}
out = [json.loads(l) for l in open(sys.argv[2])]
print(len(out) > 0 and all(src[e["id"]] == t(e["timestamp"]) for e in out))' \
    "$DST" "$T/out")" "True"
emu_stop S

# --- issue 8.6: a listing page over 64 MiB ----------------------------------

# 1100 events of 70 KB in the first ten days (1000 of them: 70 MB, over
# the 64 MiB a reply may hold), then 3000 small ones.
BIG=$T/big.ndjson
python3 -c '
import json, sys
for i in range(1100):
    sys.stdout.write(json.dumps({"id": "00000000-0000-4000-8000-%012d" % i,
        "distinct_id": "u%d" % i, "event": "big",
        "timestamp": "2024-01-%02dT%02d:%02d:00+00:00" % (
            1 + i // 120, i % 120 // 60 + 1, i % 60),
        "properties": {"blob": "x" * 70000}, "person": None,
        "elements_chain": ""}, separators=(",", ":")) + "\n")' >"$BIG"
$GEN --count 3000 --seed 3 --start 2024-01-11T00:00:00+00:00 --days 20 \
    >>"$BIG"
emu_start S --load "$BIG"
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
is_status "a 70 MB listing page: exit 0" 0
same_events "  every event once" "$BIG" "$T/out"
has "  it says so" "$T/err" \
    "a page passed 64 MiB; asking for 500 events a page"
is "  the oversize page was asked for once, then halved, then grew back" \
    "$(logq "$T/S.log" '(lambda P: P[:3] + [max(P[3:])])([r["limit"] for r in L if r.get("limit", 1) > 1])')" \
    "[1000, 500, 500, 1000]"
emu_stop S

done_testing
