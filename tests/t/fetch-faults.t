#!/bin/sh
# ph-fetch against a failing emulator: rate limits, 429s with and
# without Retry-After, 500s, 503s, resets, cut replies, a next link that
# names another host, a wrong key or project.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-fetch.sh"

# --- failures ---------------------------------------------------------------

# A day in pages of 100: 6 requests (with the timestamp checks), 3 a
# second allowed.
emu_start S --load "$SRC" --rate-per-min 3 --rate-window 1
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-02 \
    --api events --page-size 100
is_status "PostHog's 429 (no Retry-After, wait in the body): exit 0" 0
same_events "  nothing lost" "$SRC" "$T/out" --after 2024-01-01 \
    --before 2024-01-02
has "  it waited as told" "$T/err" \
    "rate limited; waiting 1 s as the server asks"
is "  the server did throttle it" \
    "$(test "$(emu_stat S rate_limited)" -gt 0 && echo yes)" "yes"
emu_stop S

# A 429 holds back every job, not only the one that got it: after each
# 429 (Retry-After: 1) came back, no request reached the server for the
# second it named, but those already on the wire (100 ms each, so done
# within 0.4 s).  Without the shared wait the other jobs go on asking.
# Eight days without a cluster (whose reads shuffle ties, drawing from
# the emulator's random numbers): with --seed 3 the 8th and 21st
# requests get a 429, and the range takes more than 30.
emu_start S --load "$SRC" --p429 0.05 --retry-after 1 --seed 3 --latency 100
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-09 \
    --api events --page-size 100 --jobs 4
is_status "429s with Retry-After, --jobs 4: exit 0" 0
same_events "  every event once, oldest first" "$SRC" "$T/out" \
    --after 2024-01-01 --before 2024-01-09
is "  the server did throttle it" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["status"] == 429) > 0')" "True"
is "  every job waited out each 429" \
    "$(logq "$T/S.log" '[round(r["t"] - a["t"], 2) for a in L if a["status"] == 429 for r in L if a["t"] + 0.4 < r["t"] < a["t"] + 0.95]')" \
    "[]"
emu_stop S

emu_start S --load "$SRC" --p500 0.1 --p503 0.1 --preset 0.1 --pbad 0.1 \
    --p429 0.05 --retry-after 0 --pslow 0.05 --slow-ms 100 --seed 5
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 30 \
    --page-size 250
is_status "500s, 503s, resets, cut replies, 429s: exit 0" 0
same_events "  nothing lost, nothing twice" "$SRC" "$T/out"
is "  each fault happened" \
    "$(logq "$T/S.log" 'sorted(set(r["fault"] for r in L if r["fault"]))')" \
    "['429', '500', '503', 'bad', 'reset', 'slow']"
has "  a cut reply is retried, with its reason" "$T/err" \
    "200 with a reply that is not a JSON object"
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 30 --api query \
    --page-size 1000
is_status "  query API through the same faults: exit 0" 0
same_events "  query API through the same faults" "$SRC" "$T/out"
emu_stop S

emu_start S --load "$SRC" --p503 1
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 2
is_status "503 for ever: exit 5" 5
has "  gives up with the reason" "$T/err" \
    "503: transient error, please retry; giving up after 2 retries"
emu_stop S

emu_start S --load "$SRC" --foreign-next
run "$PH_FETCH" --host "$S_URL" $RANGE
same_events "next naming another host: all events" "$SRC" "$T/out"
is "  that host received nothing" "$(emu_stat S foreign_hits)" "0"
has "  it is noted" "$T/err" "the server's next links name http://127.0.0.1:$S_FOREIGN; requests go to $S_URL only"
emu_stop S

emu_start S --load "$SRC"
PH_FETCH_KEY=phx_wrong run "$PH_FETCH" --host "$S_URL" $RANGE $FAST
is_status "a wrong key: exit 4" 4
has "  names the likely cause" "$T/err" \
    "401: Invalid personal API key.: the key was refused; check that PH_FETCH_KEY"
lacks "  without printing the key" "$T/err" "phx_wrong"
is "  one request, no retries" "$(wc -l <"$T/S.log")" "1"
run "$PH_FETCH" --host "$S_URL" $RANGE --project 99
is_status "a wrong project: exit 3" 3
has "  with a hint" "$T/err" "404: Not found. (check --host and --project"
printf 'phx_test\n' >"$T/key"
env -u PH_FETCH_KEY "$PH_FETCH" --host "$S_URL" --key-file "$T/key" \
    --project 1 $RANGE >"$T/out" 2>"$T/err"
status=$?
is_status "--key-file and --project 1: exit 0" 0
same_events "  all events" "$SRC" "$T/out"

emu_stop S

done_testing
