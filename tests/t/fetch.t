#!/bin/sh
# ph-fetch against the local emulator: full reads in both modes across
# clusters of equal timestamps, with one job and several, --progress,
# --event and time bounds, caps, old installs, exit statuses of usage.
# Faults are in fetch-faults.t, the reader behind in fetch-jobs.t, resume
# and --split in fetch-resume.t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-fetch.sh"

emu_start S --load "$SRC"
# The main checks with one job (the order of the requests) and with
# several (windows fetched side by side, written in order).
for J in 1 4; do
: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE --jobs $J
is_status "events API, 12000 events with clusters, --jobs $J: exit 0" 0
same_events "  each event once, oldest first, unchanged" "$SRC" "$T/out"
is "  every request asks oldest first, with an explicit after" \
    "$(logq "$T/S.log" 'all("orderBy" in r["query"] and "after=" in r["query"] for r in L if r["path"].endswith("/events/"))')" \
    "True"
is "  clusters larger than a page were read by uuid" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/query/")) > 0')" "True"
has "  a summary at the end, counting every event" "$T/err" \
    "ph-fetch: 12000 events in"
lacks "  the key is never printed" "$T/err" "phx_test"

: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query --page-size 5000 --jobs $J
is_status "query API, 5000 rows a page, --jobs $J: exit 0" 0
same_events "  each event once, oldest first, same content" "$SRC" "$T/out"
has "  the summary counts every event" "$T/err" "ph-fetch: 12000 events in"
done
# One job widens its windows past 5000 events: a window of several pages.
is "  keyset pages on (timestamp, uuid), in PostHog's OR form" \
    "$(: >"$T/S.log"; "$PH_FETCH" --host "$S_URL" $RANGE --api query \
    --page-size 5000 --jobs 1 >/dev/null 2>&1
    logq "$T/S.log" 'sum(1 for r in L if " OR (timestamp = " in r.get("hogql", "") and "uuid > toUUID(" in r["hogql"]) > 0')" \
    "True"
run "$PH_FETCH" --host "$S_URL" $RANGE --progress --page-size 200 --jobs 1
has "--progress: events, pages, the current time, a rate" "$T/err" \
    "ph-fetch: 200 events, 1 pages, at 2024-01-0"
# Several jobs: counted as written, a window's pages at a time.
run "$PH_FETCH" --host "$S_URL" $RANGE --progress --page-size 200 --jobs 4
is "  --jobs 4: events and pages as written, never more than the summary's" \
    "$(python3 -c 'import re, sys
lines = open(sys.argv[1]).read().splitlines()
p = [tuple(map(int, m.groups())) for m in (re.match(r"ph-fetch: (\d+) events, (\d+) pages, at 2024-01-", l) for l in lines) if m]
s = re.search(r"ph-fetch: (\d+) events in (\d+) pages", lines[-1]).groups()
print(len(p) > 0, p == sorted(p), all(e <= int(s[0]) and n <= int(s[1]) for e, n in p), s[0])' "$T/err")" \
    "True True True 12000"
run "$PH_FETCH" --host "$S_URL" $RANGE -q
is "-q: nothing on stderr" "$(cat "$T/err")" ""
run "$PH_FETCH" --host "$S_URL" $RANGE --event signed_up
same_events "--event: only that event" "$SRC" "$T/out" --event signed_up
run "$PH_FETCH" --host "$S_URL" --after 2024-01-05T06:00:00Z \
    --before 2024-01-07 --api query
same_events "--after and --before bound the range, both modes" "$SRC" \
    "$T/out" --after 2024-01-05T06:00:00Z --before 2024-01-07
run "$PH_FETCH" --host "$S_URL" --after 2024-01-05T06:00:00+00:00 \
    --before 2024-01-07T00:00:00.000000+00:00 --api events
same_events "  (events API too)" "$SRC" "$T/out" \
    --after 2024-01-05T06:00:00Z --before 2024-01-07
run "$PH_FETCH" --host "$S_URL" --after 2022-01-01 --before 2024-06-01 \
    --api events
is_status "a range over a year (the API refuses those): exit 0" 0
same_events "  read in windows under a year" "$SRC" "$T/out"
emu_stop S

emu_start S --load "$SRC" --page-cap 70 --no-hasmore --query-cap 10000
run "$PH_FETCH" --host "$S_URL" $RANGE
same_events "a server that caps pages at 70: all the same" "$SRC" "$T/out"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query
same_events "a 2023 query API (no hasMore, 10000-row cap): all the same" \
    "$SRC" "$T/out"
emu_stop S

emu_start S --load "$SRC" --no-query --page-cap 0
run "$PH_FETCH" --host "$S_URL" $RANGE --legacy
is_status "an old install (/api/event/, no query API, no cap): exit 0" 0
same_events "  clusters read with larger pages" "$SRC" "$T/out"
is "  only the legacy route was asked" \
    "$(logq "$T/S.log" 'sorted(set(r["path"] for r in L))')" "['/api/event/']"
emu_stop S

emu_start S --load "$SRC" --no-query --page-cap 100
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "a capped server without a query API: exit 3 at a cluster" 3
has "  says why" "$T/err" \
    "more events share the timestamp"
emu_stop S

# --- usage ---------------------------------------------------------------------

run "$PH_FETCH" --host http://127.0.0.1:9
is_status "no --after: exit 2" 2
has "  says why it is needed" "$T/err" "--after is needed"
run "$PH_FETCH" --host http://127.0.0.1:9 --after yesterday
is_status "a bad time: exit 2" 2
has "  named" "$T/err" "--after not an ISO 8601 time"
run "$PH_FETCH" --host http://127.0.0.1:9 --after 2024-02-01 \
    --before 2024-01-01
is_status "--after after --before: exit 2" 2
run "$PH_FETCH" $RANGE
is_status "no host: exit 2" 2
has "  says where a host comes from" "$T/err" \
    "no source: give --host or set PH_FETCH_HOST"
run "$PH_FETCH" --host http://127.0.0.1:9 $RANGE --api graphql
is_status "--api graphql: exit 2" 2
run "$PH_FETCH" --help
has "--help on stdout" "$T/out" "usage: ph-fetch"
run "$PH_FETCH" --version
is "--version" "$(cat "$T/out")" "ph-fetch 0.1.0"

done_testing
