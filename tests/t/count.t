#!/bin/sh
# ph-fetch --count: events and distinct uuids a period, equal to the
# truth on a source (query API, and pages on an install without one) and
# on a destination that stored what ph-send delivered, duplicates
# included; periods of a project in another timezone across a DST
# change; --compare finds and prints a difference.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
unset PH_FETCH_HOST PH_SEND_HOST PH_FETCH_COMPARE_KEY
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-03-28 --before 2024-04-03"

# 4000 events over five days around Europe's spring change (31 March),
# and 40 of them again with the same id: a resend PostHog has not merged.
SRC=$T/source.ndjson
$GEN --count 4000 --seed 71 --start 2024-03-28T00:00:00Z --days 5 \
    >"$T/once.ndjson"
{ cat "$T/once.ndjson"; head -40 "$T/once.ndjson"; } >"$SRC"

# truth FILE ZONE BY [by-event]: the expected lines, from Python.
truth() {
	python3 - "$@" <<'PY'
import collections, datetime, json, sys, zoneinfo
path, zone, by = sys.argv[1:4]
by_event = len(sys.argv) > 4
tz = zoneinfo.ZoneInfo(zone)
n, d = collections.Counter(), collections.defaultdict(set)
for line in open(path):
    e = json.loads(line)
    t = datetime.datetime.fromisoformat(e["timestamp"]).astimezone(tz)
    if by == "day":
        k = t.strftime("%Y-%m-%d")
    else:
        k = t.strftime("%Y-%m-%dT%H:00") + ("Z" if zone == "UTC" else
            t.strftime("%z")[:3] + ":" + t.strftime("%z")[3:])
    # A local hour that happens twice sorts by its instant.
    key = (t.replace(minute=0, second=0, microsecond=0).timestamp()
           if by == "hour" else k, k)
    if by_event:
        key += (e["event"],)
        k += "\t" + e["event"]
    n[key, k] += 1
    d[key, k].add(e.get("id") or e.get("uuid"))
for key, k in sorted(n):
    print("%s\t%d\t%d" % (k, n[key, k], len(d[key, k])))
PY
}

truth "$SRC" UTC day >"$T/truth-day"
truth "$SRC" UTC day by-event >"$T/truth-event"
# The listing API cannot tell a resend from the same row read twice:
# by its pages, a uuid counts once a timestamp.
truth "$T/once.ndjson" UTC day >"$T/truth-once"
truth "$T/once.ndjson" UTC day by-event >"$T/truth-once-event"

# --- a source, through the query API ----------------------------------------

for p in 2026 2024; do
	emu_start S --profile $p --load "$SRC"
	run "$PH_FETCH" --host "$S_URL" $RANGE --count
	is_status "profile $p: --count exits 0" 0
	check "  one line a UTC day: day, events, distinct uuids" \
	    cmp -s "$T/out" "$T/truth-day"
	is "  the resends count in events, not in distinct uuids" \
	    "$(awk -F'\t' '{ e += $2; d += $3 } END { print e - d }' "$T/out")" \
	    "40"
	is "  grouped queries only, never an event read" \
	    "$(logq "$T/S.log" 'sorted(set("count(DISTINCT uuid)" in r.get("hogql", "") for r in L))')" \
	    "[True]"
	is "  each window ends on a UTC midnight" \
	    "$(logq "$T/S.log" 'sorted(set(r["hogql"].split("timestamp < toDateTime64(\x27")[1][11:26] for r in L))')" \
	    "['00:00:00.000000']"
	run "$PH_FETCH" --host "$S_URL" $RANGE --count --by-event
	check "  --by-event: a line a day and event name" \
	    cmp -s "$T/out" "$T/truth-event"
	emu_stop S
done

# --- an install without a query API: its pages, counted ------------------------

emu_start S --profile clickhouse-2022 --load "$SRC"
run "$PH_FETCH" --host "$S_URL" $RANGE --count $FAST
is_status "no query API (404): --count exits 0" 0
check "  the same lines, resends once, from the listing API's pages" \
    cmp -s "$T/out" "$T/truth-once"
has "  a note says it counts page by page" "$T/err" \
    "counting through the listing API, page by page"
run "$PH_FETCH" --host "$S_URL" $RANGE --count --by-event
check "  --by-event by pages too" cmp -s "$T/out" "$T/truth-once-event"
emu_stop S

# --- the destination: what ph-send stored, before PostHog merges ---------------

emu_start D
"$PH_CLEAN" <"$SRC" | "$PH_SEND" --host "$D_URL" 2>"$T/send.err"
is "ph-send delivered every line, resends included" \
    "$(wc -l <"$T/D.store" | tr -d ' ')" "4040"
run "$PH_FETCH" --host "$D_URL" $RANGE --count
is_status "the destination counts its store through its query API" 0
check "  the same lines as the source's truth" cmp -s "$T/out" "$T/truth-day"
emu_stop D

# --- a project in another timezone, across the DST change ------------------------

emu_start S --load "$SRC" --project-tz Europe/Paris
truth "$SRC" Europe/Paris day >"$T/truth-paris"
run "$PH_FETCH" --host "$S_URL" $RANGE --count --tz Europe/Paris
is_status "--tz Europe/Paris: exit 0" 0
check "  local days, the 23-hour 31 March included" \
    cmp -s "$T/out" "$T/truth-paris"
is "  each window ends on a local midnight, 23:00 or 22:00 UTC" \
    "$(logq "$T/S.log" 'sorted(set(r["hogql"].split("timestamp < toDateTime64(\x27")[1][:19] for r in L if "Europe" in r["hogql"]))')" \
    "['2024-03-28 23:00:00', '2024-03-30 23:00:00', '2024-04-03 00:00:00']"
truth "$SRC" Europe/Paris hour >"$T/truth-paris-hour"
run "$PH_FETCH" --host "$S_URL" $RANGE --count --tz Europe/Paris --by hour
check "  --by hour: local hours with their offset" \
    cmp -s "$T/out" "$T/truth-paris-hour"
has "  the hour before the change is +01:00" "$T/out" "2024-03-31T01:00+01:00"
has "  the next one is 03:00+02:00" "$T/out" "2024-03-31T03:00+02:00"
lacks "  no 02:00 that day" "$T/out" "2024-03-31T02:00"
emu_stop S

# --- --compare: both sides, the days that differ marked -------------------------

emu_start A --load "$T/once.ndjson"
# The destination misses five events of 30 March and holds a resend.
python3 - "$T/once.ndjson" >"$T/partial.ndjson" <<'PY'
import sys
lines = open(sys.argv[1]).readlines()
gone = [l for l in lines if '"timestamp":"2024-03-30' in l][:5]
kept = [l for l in lines if l not in gone]
sys.stdout.writelines(kept + [kept[0]])
PY
emu_start B --load "$T/partial.ndjson"
export PH_FETCH_COMPARE_KEY=phx_test
run "$PH_FETCH" --host "$A_URL" $RANGE --count --compare "$B_URL"
is_status "--compare with a day short: exit 1" 1
is "  that day, and only it, is marked DIFF" \
    "$(awk -F'\t' '$6 == "DIFF" { print $1, $3 - $5 }' "$T/out")" \
    "2024-03-30 5"
is "  the resend's day says dup, not DIFF" \
    "$(awk -F'\t' '$6 == "dup" { print $4 - $5 }' "$T/out")" "1"
has "  a header names the columns" "$T/out" \
    "# period	source	distinct	destination	distinct"
has "  stderr says why the status" "$T/err" "the counts differ"
run "$PH_FETCH" --host "$A_URL" $RANGE --count --compare "$A_URL"
is_status "--compare of equal sides: exit 0" 0
is "  every line =" "$(awk -F'\t' 'NR > 1 { print $6 }' "$T/out" | sort -u)" "="
unset PH_FETCH_COMPARE_KEY
printf 'phx_wrong\n' >"$T/wrong-key"
run "$PH_FETCH" --host "$A_URL" $RANGE --count --compare "$B_URL" \
    --compare-key-file "$T/wrong-key"
is_status "--compare-key-file with a refused key: exit 4" 4
emu_stop A
emu_stop B

# --- usage ------------------------------------------------------------------------

run "$PH_FETCH" --host http://127.0.0.1:9 $RANGE --by hour
is_status "--by without --count: exit 2" 2
run "$PH_FETCH" --host http://127.0.0.1:9 $RANGE --count --tz Mars/Olympus
is_status "--tz of an unknown zone: exit 2" 2
has "  it says so" "$T/err" "not a known timezone"
run "$PH_FETCH" --host http://127.0.0.1:9 $RANGE --count --by week
is_status "--by week: exit 2" 2

done_testing
