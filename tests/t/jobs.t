#!/bin/sh
# ph-fetch --jobs: windows sized by their rows against a slow source,
# --jobs auto growing while the source is slow and halving on a 429,
# the bound on what waits ahead of the writer, and a failed window that
# stops the requests of the windows after it.  The 429s are in
# jobs-rate.t, the bound and the failed window in jobs-bound.t.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# --- windows as full as the page allows --------------------------------------

# 600 events over 30 days, 300 ms a request, --timeout 4: no reply is
# quick (under 0.2 s) nor slow (over 1 s), so only the rows widen the
# windows: 20 rows a day against a page of 50,000.  A day a window
# would take 31 queries.
SPARSE=$T/sparse.ndjson
$GEN --count 600 --seed 31 >"$SPARSE"
emu_start S --load "$SPARSE" --latency 300
for J in 1 4; do
	: >"$T/S.log"
	run "$PH_FETCH" --host "$S_URL" $RANGE --api query --timeout 4 \
	    --jobs $J
	is_status "a slow source, 20 events a day, --jobs $J: exit 0" 0
	same_events "  each event once, oldest first" "$SPARSE" "$T/out"
	is "  windows widen by their rows: at most 8 queries for 30 days" \
	    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/query/")) <= 8')" \
	    "True"
done
emu_stop S

# --- --jobs auto ---------------------------------------------------------------

# 3000 events over 30 days through the listing API, 200 ms a request:
# the writer waits for windows, so auto adds workers past the 4 it
# starts with; --jobs 4 keeps 4.
DENSE=$T/dense.ndjson
$GEN --count 3000 --seed 32 >"$DENSE"
emu_start S --load "$DENSE" --latency 200
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
is_status "--jobs auto (the default), a slow source: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
is "  more than 4 requests at once reached the source" \
    "$(test "$(emu_stat S max_in_flight)" -gt 4 && echo yes)" "yes"
emu_stop S
emu_start S --load "$DENSE" --latency 200
run "$PH_FETCH" --host "$S_URL" $RANGE --api events --jobs 4
is_status "--jobs 4, the same source: exit 0" 0
is "  never more than 4 requests at once" \
    "$(test "$(emu_stat S max_in_flight)" -le 4 && echo yes)" "yes"
emu_stop S

run "$PH_FETCH" --host http://127.0.0.1:1 $RANGE --jobs many
is_status "--jobs many: exit 2" 2
has "  says what --jobs takes" "$T/err" "--jobs"

done_testing
