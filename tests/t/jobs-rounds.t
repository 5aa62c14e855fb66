#!/bin/sh
# ph-fetch --jobs auto against a slow listing source: the rounds of
# requests a run costs.  An install without the query API (before 2023)
# takes any after and before, so its empty years cost no request of
# their own, and it caps no page; a source slow on every reply gets all
# the readers at once; the 2026 listing's first-event probe runs beside
# the check of the page's last event, without weakening either check.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST

# 3000 events in January 2024, read from 2000-01-01 on, as a user who
# migrates everything would ask.
DENSE=$T/dense.ndjson
$GEN --count 3000 --seed 41 --start 2024-01-01 --days 30 >"$DENSE"
# Listing requests, as (after year, before year, limit).
ASKED='[(r["query"].split("after=")[1][:4], r["query"].split("before=")[1][:4], r["limit"]) for r in L if r["path"].endswith("/events/")]'

for P in clickhouse-2022 postgres-2021; do
	emu_start S --profile $P --load "$DENSE" --latency 50
	run "$PH_FETCH" --host "$S_URL" --project 1 --after 2000-01-01 \
	    --before 2024-03-01
	is_status "$P, from 2000-01-01: exit 0" 0
	same_events "  each event once, oldest first" "$DENSE" "$T/out"
	is "  the first listing request spans the whole range" \
	    "$(logq "$T/S.log" "$ASKED[0][:2]")" "('1999', '2024')"
	is "  and the listing takes it (PostHog's list() had no limit)" \
	    "$(logq "$T/S.log" '[r["status"] for r in L if r["path"].endswith("/events/")][0]')" \
	    "200"
	is "  no request for the empty years alone" \
	    "$(logq "$T/S.log" "sum(1 for a in $ASKED if a[1] < '2024')")" "0"
	is "  pages of 2000 events: the listing has no cap" \
	    "$(logq "$T/S.log" "set(a[2] for a in $ASKED)")" "{2000}"
	emu_stop S
done

emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 50
run "$PH_FETCH" --host "$S_URL" --project 1 --after 2000-01-01 \
    --before 2024-03-01 --page-size 100
is_status "--page-size 100 on the same source: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
is "  pages as asked" "$(logq "$T/S.log" "set(a[2] for a in $ASKED)")" \
    "{100}"
emu_stop S

# The current API still refuses a listing range over a year.
emu_start S --load "$DENSE"
run "$PH_FETCH" --host "$S_URL" --after 2022-01-01 --before 2024-03-01 \
    --api events
is_status "the 2026 listing over two years: exit 0" 0
is "  read in windows under a year, none refused" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["status"] != 200)')" "0"
emu_stop S

# A source that takes long on every reply (a scan of a second or more)
# is given every reader at its first reply: the 404 of the query API.
# 30 pages of 100 events, split by the first one among the readers.
emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 600
run "$PH_FETCH" --host "$S_URL" --project 1 --after 2000-01-01 \
    --before 2024-03-01 --page-size 100
is_status "a latency-bound source: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
# The first 34 answered: the 404, the first page, and the round of its
# pieces: 32 at once (one reader more a reply: 6, then 12, then 24).
BUSY='max(r["busy"] for r in L[:34])'
is "  the first page split among more than 24 readers at once" \
    "$(logq "$T/S.log" "$BUSY > 24")" "True"
emu_stop S
# The same source, with a 429 before its first reply: no jump, the
# readers grow one a reply (additive increase after a throttle).
emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 600 \
    --first-429 2
run "$PH_FETCH" --host "$S_URL" --project 1 --after 2000-01-01 \
    --before 2024-03-01 --page-size 100
is_status "a latency-bound source that answered 429 first: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
is "  the 429s came first" \
    "$(logq "$T/S.log" '[r["status"] for r in L[:2]]')" "[429, 429]"
is "  no jump: at most 24 readers at once in the first 34 requests" \
    "$(logq "$T/S.log" "$BUSY <= 24")" "True"
emu_stop S
# Quick replies: the readers grow one a reply, as before.  20 ms, far
# from the 0.5 s that makes a source latency-bound, even on a loaded
# machine.
emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 20
run "$PH_FETCH" --host "$S_URL" --project 1 --after 2000-01-01 \
    --before 2024-03-01 --page-size 100
is_status "a source quick to reply: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
is "  the readers grow one a reply" "$(logq "$T/S.log" "$BUSY <= 24")" "True"
emu_stop S

# The query API, as slow: the readers still grow one a reply (PostHog
# Cloud runs 3 API queries at once and queues the rest).
emu_start S --load "$DENSE" --latency 600
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-03-01 \
    --page-size 100 --api query
is_status "the query API, as slow: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
# A reply doubles the readers a round: 1, 2, 4, 8, 16 in the first 31
# requests (about 15-20 at once at most), where 32 readers at the first
# reply would bring 30 or more.
is "  fewer than 25 at once in its first 33 requests" \
    "$(logq "$T/S.log" 'max(r["busy"] for r in L[:33]) < 25')" "True"
emu_stop S

# The 2026 listing, one window of two pages (150 events in a day, pages
# of 100): its first event is asked for alone beside the next page, so
# two requests reach the source at once; --jobs 4 keeps to one.
DAY=$T/day.ndjson
$GEN --count 150 --seed 43 --start 2024-01-01 --days 1 >"$DAY"
PROBES='sum(1 for r in L if r.get("limit") == 1)'
emu_start S --load "$DAY" --latency 300
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-02 \
    --api events --page-size 100
is_status "--jobs auto, a window of two pages: exit 0" 0
same_events "  each event once, oldest first" "$DAY" "$T/out"
is "  the first event's probe beside the next page" \
    "$(emu_stat S max_in_flight)" "2"
is "  two probes, three pages' worth of requests" \
    "$(logq "$T/S.log" "($PROBES, len(L))")" "(2, 4)"
emu_stop S
emu_start S --load "$DAY" --latency 300
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-02 \
    --api events --page-size 100 --jobs 4
is_status "--jobs 4: exit 0" 0
is "  one request at a time for one window" "$(emu_stat S max_in_flight)" "1"
is "  the same requests" "$(logq "$T/S.log" "($PROBES, len(L))")" "(2, 4)"
emu_stop S

# The checks are not weakened: a London project across the change to
# summer time, read with --jobs auto, is refused before the shifted
# events are written, and what was written has its true times.
DST=$T/dst.ndjson
$GEN --count 2000 --seed 4 --start 2024-03-21T00:00:00+00:00 --days 20 \
    >"$DST"
emu_start S --load "$DST" --project-tz Europe/London --latency 20
run "$PH_FETCH" --host "$S_URL" --after 2024-03-21 --before 2024-04-10 \
    --api events --page-size 200
is_status "a London project, --jobs auto: exit 3" 3
has "  says why" "$T/err" "(PostHog issue #67175)"
is "  what was written has its true times" "$(python3 -c '
import datetime, json, sys
t = lambda s: datetime.datetime.fromisoformat(s)
src = {e["id"]: t(e["timestamp"]) for e in map(json.loads, open(sys.argv[1]))}
out = [json.loads(l) for l in open(sys.argv[2])]
print(all(src[e["id"]] == t(e["timestamp"]) for e in out))' \
    "$DST" "$T/out")" "True"
emu_stop S
# A project whose every event is shifted: refused by the first event's
# probe, run beside the page's next one.
emu_start S --load "$DAY" --project-tz Asia/Tokyo --latency 100
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-03 \
    --api events --page-size 100
is_status "a Tokyo project, --jobs auto: exit 3" 3
has "  says why" "$T/err" "(PostHog issue #67175)"
is "  nothing written" "$(wc -c <"$T/out")" "0"
is "  one refusal" "$(grep -c '#67175' "$T/err")" "1"
emu_stop S

done_testing
