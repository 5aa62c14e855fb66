#!/bin/sh
# ph-fetch's query path on a busy day (doc/posthog.md section 8, rows 4
# to 6): the keyset form, row caps with hasMore null, windows under a scan
# limit.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# 3000 events over 30 days, two clusters of 300 at one microsecond; and
# a busy day, 2024-01-10, with 25000 more.
SRC=$T/source.ndjson
$GEN --count 3000 --seed 41 --clusters 2:300 >"$SRC"
BUSY=$T/busy.ndjson
{ cat "$SRC"; $GEN --count 25000 --seed 42 --start 2024-01-10T00:00:00Z \
    --days 1; } >"$BUSY"

# spans LOG: the hours each events query of the log scanned, in order.
spans() {
	logq "$1" '[round((__import__("datetime").datetime.fromisoformat(r["hogql"].split("timestamp < toDateTime64(\x27")[1][:26]) - __import__("datetime").datetime.fromisoformat(r["hogql"].split("timestamp >= toDateTime64(\x27")[1][:26])).total_seconds() / 3600, 2) for r in L if "count()" not in r.get("hogql", "count()")]'
}

# --- rows 5 and 6: the keyset form; caps with hasMore null ---------------------

emu_start S --profile 2024 --load "$BUSY"
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "row 6, --jobs 4: exit 0" 0
same_events "  nothing lost, nothing twice" "$BUSY" "$T/out"
# One job: the log then holds each window's pages one after the other.
: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE --jobs 1
is_status "row 6: profile 2024 (10,000-row cap, hasMore null), a day of 25,100: exit 0" 0
same_events "  nothing lost, nothing twice" "$BUSY" "$T/out"
is "  pages were cut at 10,000 rows, asked for 50,000" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r.get("rows") == 10000 and "LIMIT 50000" in r["hogql"]) >= 2')" "True"
is "row 5: pages past the first of a window use PostHog's OR form" \
    "$(logq "$T/S.log" 'sum(1 for r in L if " OR (timestamp = toDateTime64(" in r.get("hogql", "") and "uuid > toUUID(" in r["hogql"]) >= 2')" "True"
is "  and keep their window's end, so they scan inside it" \
    "$(logq "$T/S.log" 'all(a["hogql"].split("timestamp < ")[1][:40] == b["hogql"].split("timestamp < ")[1][:40] for a, b in zip(L, L[1:]) if "uuid > toUUID(" in b.get("hogql", ""))')" "True"
is "  never the tuple form" \
    "$(logq "$T/S.log" 'sum(1 for r in L if "(timestamp, uuid)" in r.get("hogql", ""))')" "0"
emu_stop S

# --- row 4: every query scans one bounded window -------------------------------

emu_start S --profile 2026 --load "$BUSY" --scan-limit 5000
run "$PH_FETCH" --host "$S_URL" $RANGE --jobs 1
is_status "row 4, --jobs 1: exit 0" 0
same_events "  every event once, oldest first" "$BUSY" "$T/out"
: >"$T/S.log"
run "$PH_FETCH" --host "$S_URL" $RANGE
is_status "row 4: a scan limit of 5000 events, 28,000 in the range: exit 0" 0
same_events "  every event once, oldest first" "$BUSY" "$T/out"
is "  the busy day timed out (PostHog's 512 and 504) and was read in narrower windows" \
    "$(logq "$T/S.log" 'sorted(set(r["status"] for r in L)), max(r["scanned"] for r in L if r["status"] == 200) <= 5000')" \
    "([200, 504, 512], True)"
has "  it says so" "$T/err" "the query ran out of time; reading"
emu_stop S

done_testing
