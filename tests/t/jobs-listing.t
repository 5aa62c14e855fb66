#!/bin/sh
# ph-fetch --jobs through the listing API (a source without the query
# API, the default command's fallback): a window's pages come one after
# the other, so a dense window is split by its first page among the
# workers, and empty windows widen to the year the API takes, so that
# empty years before the first event cost few requests.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST

# 3000 events in January 2024, read 100 a page: 30 pages.  From
# 2020-01-01 on, as a user who migrates everything would ask.
DENSE=$T/dense.ndjson
$GEN --count 3000 --seed 41 --start 2024-01-01 --days 30 >"$DENSE"
RANGE="--after 2020-01-01 --before 2024-03-01 --page-size 100"
# Listing requests whose range ends before the first event: the empty years.
EMPTY='sum(1 for r in L if r["path"].endswith("/events/") and r["query"].split("before=")[1][:4] < "2024")'

for P in clickhouse-2022 postgres-2021; do
	emu_start S --profile $P --load "$DENSE" --latency 200
	run "$PH_FETCH" --host "$S_URL" --project 1 $RANGE
	is_status "$P, the default command: exit 0" 0
	same_events "  each event once, oldest first" "$DENSE" "$T/out"
	is "  the dense month split: its pages end at 10 bounds or more" \
	    "$(logq "$T/S.log" 'len(set(r["query"].split("before=")[1][:26] for r in L if r.get("results")))  >= 10')" \
	    "True"
	is "  4 empty years in at most 12 requests (a month a window: 46)" \
	    "$(logq "$T/S.log" "$EMPTY <= 12")" "True"
	is "  30 pages' worth in at most 100 listing requests" \
	    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/events/")) <= 100')" \
	    "True"
	echo "# $(logq "$T/S.log" "len(L)") requests"; emu_stop S
done

# --jobs 1 reads as it always did: one request at a time, no split.
emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 20
run "$PH_FETCH" --host "$S_URL" --project 1 $RANGE --jobs 1
is_status "--jobs 1: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
is "  one request at a time" "$(emu_stat S max_in_flight)" "1"
emu_stop S

# --api events on the current API, with clusters of equal timestamps
# astride the split windows' bounds: each event still once.
CL=$T/clusters.ndjson
$GEN --count 3000 --seed 42 --start 2024-01-01 --days 30 \
    --clusters 20:150 >"$CL"
emu_start S --load "$CL" --latency 100
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-03-01 \
    --page-size 100 --api events
is_status "--api events, clusters of one timestamp: exit 0" 0
same_events "  each event once, oldest first" "$CL" "$T/out"
is "  read by more than 4 requests at once" \
    "$(test "$(emu_stat S max_in_flight)" -gt 4 && echo yes)" "yes"
emu_stop S

# A window that fails: what was written is the events before it, each
# once, oldest first, and the run exits 5 (retries used up).
PREFIX='import json, sys
src = [json.loads(x) for x in open(sys.argv[1])]
out = [json.loads(x) for x in open(sys.argv[2])]
ts = [e["timestamp"][:26] for e in out]
ids = [e["id"] for e in out]
last = max(ts) if ts else ""
want = set(e["id"] for e in src if e["timestamp"][:26] < last)
print(ts == sorted(ts) and len(ids) == len(set(ids)) and want <= set(ids))'
emu_start S --profile clickhouse-2022 --load "$DENSE" --latency 50 \
    --p500 0.2 --seed 5
run "$PH_FETCH" --host "$S_URL" --project 1 $RANGE --max-retries 0
is_status "a window fails: exit 5" 5
is "  what was written is a prefix, each event once, oldest first" \
    "$(python3 -c "$PREFIX" "$DENSE" "$T/out")" "True"
emu_stop S

done_testing
