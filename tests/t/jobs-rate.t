#!/bin/sh
# ph-fetch --jobs against PostHog's throttle: auto halves its workers
# on the first 429, --jobs 4 keeps them.  (From jobs.t, to run beside it.)
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# 3000 events over 30 days through the listing API, 200 ms a request
# (jobs.t's dense source).
DENSE=$T/dense.ndjson
$GEN --count 3000 --seed 32 >"$DENSE"

# PostHog's throttle, 6 requests a second: auto halves its workers on
# the first 429, and everything still arrives once.
emu_start S --load "$DENSE" --latency 200 --rate-per-min 6 --rate-window 1
run "$PH_FETCH" --host "$S_URL" $RANGE --api events
is_status "--jobs auto against a rate limit: exit 0" 0
same_events "  each event once, oldest first" "$DENSE" "$T/out"
has "  a 429 halves the workers" "$T/err" "jobs at once from now on"
is "  the server did throttle it" \
    "$(test "$(emu_stat S rate_limited)" -gt 0 && echo yes)" "yes"
emu_stop S
emu_start S --load "$DENSE" --latency 200 --rate-per-min 6 --rate-window 1
run "$PH_FETCH" --host "$S_URL" $RANGE --api events --jobs 4
is_status "--jobs 4 against a rate limit: exit 0" 0
lacks "  keeps its 4 workers" "$T/err" "jobs at once"
emu_stop S

done_testing
