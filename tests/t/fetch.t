#!/bin/sh
# ph-fetch against the local emulator: full reads in both modes across
# clusters of equal timestamps, caps, old installs, rate limits, faults,
# a next link that names another host, resume, --split, exit statuses.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
# The listing API is asked for by name: the default is the query API.
RANGE="--after 2024-01-01 --before 2024-02-01 --api events"

# 24000 events over 30 days, with 4 clusters of 1500 events that share
# one microsecond: more than a page, so every cluster crosses pages.
SRC=$T/source.ndjson
$GEN --count 24000 --seed 21 --clusters 4:1500 >"$SRC"

emu_start S --load "$SRC"
# The main checks with one job (the order of the requests) and with
# several (windows fetched side by side, written in order).
for J in 1 4; do
: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE --jobs $J
is_status "events API, 24000 events with clusters, --jobs $J: exit 0" 0
same_events "  each event once, oldest first, unchanged" "$SRC" "$T/out"
is "  every request asks oldest first, with an explicit after" \
    "$(logq "$T/S.log" 'all("orderBy" in r["query"] and "after=" in r["query"] for r in L if r["path"].endswith("/events/"))')" \
    "True"
is "  clusters larger than a page were read by uuid" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/query/")) > 0')" "True"
has "  a summary at the end, counting every event" "$T/err" \
    "ph-fetch: 24000 events in"
lacks "  the key is never printed" "$T/err" "phx_test"

: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE --api query --page-size 5000 --jobs $J
is_status "query API, 5000 rows a page, --jobs $J: exit 0" 0
same_events "  each event once, oldest first, same content" "$SRC" "$T/out"
has "  the summary counts every event" "$T/err" "ph-fetch: 24000 events in"
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
    "True True True 24000"
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

# --- failures ---------------------------------------------------------------

emu_start S --load "$SRC" --rate-per-min 6 --rate-window 1
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "PostHog's 429 (no Retry-After, wait in the body): exit 0" 0
same_events "  nothing lost" "$SRC" "$T/out"
has "  it waited as told" "$T/err" \
    "rate limited; waiting 1 s as the server asks"
is "  the server did throttle it" \
    "$(test "$(emu_stat S rate_limited)" -gt 0 && echo yes)" "yes"
emu_stop S

# A 429 holds back every job, not only the one that got it: after each
# 429 (Retry-After: 1) came back, no request reached the server for the
# second it named, but those already on the wire (100 ms each, so done
# within 0.4 s).  Without the shared wait the other jobs go on asking.
emu_start S --load "$SRC" --p429 0.05 --retry-after 1 --seed 3 --latency 100
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-15 \
    --api events --page-size 100 --jobs 4
is_status "429s with Retry-After, --jobs 4: exit 0" 0
same_events "  every event once, oldest first" "$SRC" "$T/out" \
    --after 2024-01-01 --before 2024-01-15
is "  the server did throttle it" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["status"] == 429) > 0')" "True"
is "  every job waited out each 429" \
    "$(logq "$T/S.log" '[round(r["t"] - a["t"], 2) for a in L if a["status"] == 429 for r in L if a["t"] + 0.4 < r["t"] < a["t"] + 0.95]')" \
    "[]"
emu_stop S

emu_start S --load "$SRC" --p500 0.1 --p503 0.1 --preset 0.1 --pbad 0.1 \
    --p429 0.05 --retry-after 1 --pslow 0.05 --slow-ms 100 --seed 5
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 30 \
    --page-size 500
is_status "500s, 503s, resets, cut replies, 429s: exit 0" 0
same_events "  nothing lost, nothing twice" "$SRC" "$T/out"
is "  each fault happened" \
    "$(logq "$T/S.log" 'sorted(set(r["fault"] for r in L if r["fault"]))')" \
    "['429', '500', '503', 'bad', 'reset', 'slow']"
has "  a cut reply is retried, with its reason" "$T/err" \
    "200 with a reply that is not a JSON object"
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 30 --api query \
    --page-size 2000
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

# | head: a closed pipe ends it quietly.
for J in 1 4; do
	{ "$PH_FETCH" --host "$S_URL" $RANGE --jobs $J 2>"$T/err"
	    echo $? >"$T/st"; } | head -1 >/dev/null
	is "| head -1, --jobs $J: ends quietly (SIGPIPE)" \
	    "$(cat "$T/st") $(cat "$T/err")" "141 "
done

# A reader that is behind holds the workers back: while it sleeps, no
# more than 2 x --jobs windows are asked for (a window is more than a
# pipe holds), and then all the rest arrives.  A window ends on an hour;
# the reads of a timestamp cluster and the timezone probes inside one
# end anywhere, and are not windows.
: >"$T/S.log"
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 2 2>"$T/err" | {
	sleep 2
	logq "$T/S.log" 'len(set(r["query"].split("before=")[1].split("&")[0] for r in L if r["path"].endswith("/events/") and __import__("re").search(r"before=[^&]*T[0-9][0-9]:00:00[.]000000", r["query"])))' >"$T/asked"
	cat >"$T/out"
}
# The window being written to the pipe is not one waiting: 4 + 1.
is "a reader behind: at most 5 windows asked for, --jobs 2" \
    "$(test "$(cat "$T/asked")" -le 5 && echo yes)" "yes"
same_events "  then every event, once, in order" "$SRC" "$T/out"
is "  the range took more windows than that" \
    "$(logq "$T/S.log" 'len(set(r["query"].split("before=")[1].split("&")[0] for r in L if r["path"].endswith("/events/") and __import__("re").search(r"before=[^&]*T[0-9][0-9]:00:00[.]000000", r["query"]))) > 4')" \
    "True"

# Windows read ahead wait in files of TMPDIR that have no name: none is
# ever seen there, even after kill -9 (and a TMPDIR that is not there is
# said plainly).
mkdir "$T/tmp"
{ TMPDIR=$T/tmp "$PH_FETCH" --host "$S_URL" $RANGE --jobs 4 2>/dev/null &
    echo $! >"$T/pid"; wait; } | {
	sleep 1
	ls -l "/proc/$(cat "$T/pid")/fd" >"$T/fds" 2>&1
	ls -A "$T/tmp" >"$T/during"
	kill -9 "$(cat "$T/pid")"
	cat >/dev/null
}
is "--jobs 4 with a reader behind: windows wait in unnamed files of TMPDIR" \
    "$(test "$(grep -c "$T/tmp/.*(deleted)" "$T/fds")" -gt 0 && echo yes)" "yes"
is "  no name there while it runs, nor after kill -9" \
    "$(cat "$T/during")$(ls -A "$T/tmp")" ""
TMPDIR=$T/not-there run "$PH_FETCH" --host "$S_URL" $RANGE --jobs 2
is_status "  a TMPDIR that is not there: exit 3" 3
has "  says so" "$T/err" \
    "$T/not-there: cannot make a temporary file for the windows read ahead"

# --- resume and split ---------------------------------------------------------

python3 - "$SRC" >"$T/state" <<'EOF'
import json, sys
evs = sorted((json.loads(l) for l in open(sys.argv[1])),
             key=lambda e: e["timestamp"])
print(json.dumps({"version": 1, "pipe": True, "lines": 9000,
                  "timestamp": evs[9000]["timestamp"], "uuid": evs[9000]["id"]}))
EOF
at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timestamp"])' "$T/state")
run "$PH_FETCH" --host "$S_URL" --resume "$T/state" --after 2020-01-01 \
    --before 2024-02-01
is_status "--resume with a ph-send state: exit 0" 0
has "  it says where it starts" "$T/err" "resuming at $at"
same_events "  from the recorded timestamp on, that one included" "$SRC" \
    "$T/out" --after "$at" --before 2024-02-01
run "$PH_FETCH" --host "$S_URL" --resume "$T/no-state-yet" $RANGE
same_events "--resume without a state file yet: from --after" "$SRC" "$T/out"

run "$PH_FETCH" --host "$S_URL" $RANGE --split 4
is_status "--split 4: exit 0" 0
is "  four windows" "$(wc -l <"$T/out")" "4"
cp "$T/out" "$T/windows"
python3 - "$T/windows" "$SRC" >"$T/split-check" <<'EOF'
import datetime, json, sys
w = [l.split() for l in open(sys.argv[1])]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
ev = [t(json.loads(l)["timestamp"]) for l in open(sys.argv[2])]
cover = w[0][0] == "2024-01-01T00:00:00.000000Z" and \
    w[-1][1] == "2024-02-01T00:00:00.000000Z" and \
    all(a[1] == b[0] for a, b in zip(w, w[1:]))
counts = [sum(1 for e in ev if t(a) <= e < t(b)) for a, b in w]
print(cover, max(counts) < 1.6 * len(ev) / len(w))
EOF
is "  they cover the range end to end, about equal counts" \
    "$(cat "$T/split-check")" "True True"
: >"$T/all"
while read -r a b; do
	"$PH_FETCH" --host "$S_URL" --after "$a" --before "$b" -q >>"$T/all"
done <"$T/windows"
same_events "  fetching each window: every event once" "$SRC" "$T/all"
emu_stop S

emu_start S --load "$SRC" --no-query
run "$PH_FETCH" --host "$S_URL" $RANGE --split 3
is "--split without a query API: equal time" "$(cat "$T/out")" \
"2024-01-01T00:00:00.000000Z 2024-01-11T08:00:00.000000Z
2024-01-11T08:00:00.000000Z 2024-01-21T16:00:00.000000Z
2024-01-21T16:00:00.000000Z 2024-02-01T00:00:00.000000Z"
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
