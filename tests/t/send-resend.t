#!/bin/sh
# What a kill -9 makes a rerun send again, with 16 lanes: only what was
# in flight.  The state lists the lines delivered past its gap-free
# prefix, so one lane held back (its first batch retried) neither stops
# the other lanes nor makes a rerun send what they delivered: from a
# file, and from ph-fetch --resume through a pipe.
. "$(dirname "$0")/../lib.sh"

export PH_SEND_KEY=phc_test
export PH_FETCH_KEY=phx_test
unset PH_SEND_HOST PH_FETCH_HOST

# Capture answers 503 to every batch holding the event named "stuck",
# which is line 1: the prefix cannot move past line 0 in this run.
# One retry a twentieth of a second, for as long as the test waits.
STUCK="--refuse-event stuck --refuse-status 503"
SLOW="--batch-size 100 --max-retries 1000 --retry-wait 0.05 --retry-max-wait 0.05"
# 16 lanes of 100: what can be in flight, and so sent again.
IN_FLIGHT=1600
# The bound of ph-send(1) on lines sent past the prefix, 16 batches:
# the other lanes deliver past it while line 1 waits.
BOUND=1600

# listed STATE: how many lines the state lists as delivered past "lines".
listed() {
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["lines"], len(s.get("delivered_past", "")) // 16)' "$1"
}

# wait_listed STATE N: until the state lists more than N lines (at most
# 20 s).  The emulator stores a batch before ph-send reads its reply, so
# events stored run ahead of the state by what is in flight.
wait_listed() {
	_i=0
	while _n=$(listed "$1" 2>/dev/null | cut -d' ' -f2) &&
	    [ "${_n:-0}" -le "$2" ] && [ $_i -lt 400 ]; do
		_i=$((_i + 1))
		sleep 0.05
	done
}

EV=$(clean_events 12000 31)
# Line 1 is "stuck"; line 2, an event of its own id, comes again as the
# last line: the first run delivers line 2, and the rerun skips one of
# the two, not both.  The last line is past what the first run may send
# while line 1 waits (64 batches of 100), however late the kill comes,
# so it was never in flight there.
python3 - "$EV" >"$T/stuck.ndjson" <<'EOF'
import json, sys
lines = open(sys.argv[1]).readlines()
e = json.loads(lines[0])
e["event"] = "stuck"
twice = dict(e, event="twice", distinct_id="twice",
             uuid="00000000-0000-4000-8000-000000000002")
twice = json.dumps(twice, separators=(",", ":")) + "\n"
lines[0] = json.dumps(e, separators=(",", ":")) + "\n"
sys.stdout.write(lines[0] + twice + "".join(lines[1:]) + twice)
EOF
TWICE=00000000-0000-4000-8000-000000000002

# --- from a file ----------------------------------------------------------

emu_start D $STUCK
"$PH_SEND" --host "$D_URL" --state "$T/st" $SLOW -q "$T/stuck.ndjson" \
    2>/dev/null &
pid=$!
wait_stored D 3000
wait_listed "$T/st" "$BOUND"
kill -9 $pid
wait $pid 2>/dev/null
before=$(wc -l <"$T/D.store")
check "line 1 held back, the other lanes delivered past the bound" \
    test "$before" -ge 3000
read -r lines n <<EOF
$(listed "$T/st")
EOF
is "  the state's prefix stayed at line 0" "$lines" "0"
check "  it lists what they delivered ($n lines)" test "$n" -gt "$BOUND"
emu_restart D
run "$PH_SEND" --host "$D_URL" --state "$T/st" --batch-size 100 \
    "$T/stuck.ndjson"
is_status "the rerun: exit 0" 0
has "  it skips the listed lines" "$T/err" "$n events skipped"
# Each event once (check-store.py reads a line given twice as an order).
sed '$d' "$T/stuck.ndjson" >"$T/events"
check_store "  nothing lost; sent again only what was in flight" \
    "$T/events" "$T/D.store" --max-dups "$((IN_FLIGHT + 1))"
is "  a line the input holds twice arrived twice, once each run" \
    "$(grep -c "$TWICE" "$T/D.store")" "2"
is "  the state at the end lists nothing past its prefix" \
    "$(listed "$T/st")" "12002 0"
emu_stop D

# --- how far the other lanes run while line 1 waits ------------------------

# 40 lanes of 50 would read 40 x 4 batches ahead (8,000 lines); what is
# sent past the prefix stays within 64 batches, 3,200 lines, the held
# one among them: the others deliver at most 3,150, with a state or
# without.  Line 1 is given up after 40 retries.
CAP=3150
emu_start D $STUCK
run "$PH_SEND" --host "$D_URL" --state "$T/cap" --batch-size 50 \
    --parallel 40 --max-retries 40 --retry-wait 0.05 \
    --retry-max-wait 0.05 -q "$T/stuck.ndjson"
is_status "40 lanes, line 1 held: exit 5 when its retries are used up" 5
stored=$(wc -l <"$T/D.store")
check "  the other lanes delivered at most $CAP lines ($stored)" \
    test "$stored" -le "$CAP"
read -r lines n <<EOF
$(listed "$T/cap")
EOF
is "  the state lists what they delivered" "$lines $n" "0 $stored"
size=$(wc -c <"$T/cap")
check "  the state's size stays within 16 bytes a line ($size)" \
    test "$size" -le "$((CAP * 16 + 1024))"
emu_restart D $STUCK
: >"$T/D.store"
run "$PH_SEND" --host "$D_URL" --batch-size 50 --parallel 40 \
    --max-retries 40 --retry-wait 0.05 --retry-max-wait 0.05 -q \
    "$T/stuck.ndjson"
is_status "the same without --state: exit 5" 5
stored=$(wc -l <"$T/D.store")
check "  the other lanes delivered at most $CAP lines ($stored)" \
    test "$stored" -le "$CAP"
emu_stop D

# --- through a pipe, from ph-fetch --resume --------------------------------

SRC=$T/source.ndjson
$GEN --count 6000 --seed 32 >"$T/gen.ndjson"
# The oldest event, which ph-fetch gives first, is the stuck one.
python3 - "$T/gen.ndjson" >"$SRC" <<'EOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
first = min(range(len(evs)), key=lambda i: evs[i]["timestamp"])
evs[first]["event"] = "stuck"
for e in evs:
    print(json.dumps(e))
EOF
emu_start S --load "$SRC"

# through_pipe NAME PH-FETCH-ARGS...: kill ph-send in the pipeline while
# line 1 waits, then run the pipeline again.
through_pipe() {
	_name=$1
	shift
	rm -f "$T/pst" "$T/pst.rejected.ndjson" "$T/pid"
	"$PH_FETCH" --host "$S_URL" "$@" -q | "$PH_CLEAN" >"$T/all.ndjson"
	head -1 "$T/all.ndjson" >"$T/first"
	check "$_name: the source's oldest event comes first" \
	    grep -q '"event":"stuck"' "$T/first"
	emu_start D $STUCK
	# ph-send writes its pid, then becomes ph-send: the one to kill.
	"$PH_FETCH" --host "$S_URL" "$@" --resume "$T/pst" -q 2>/dev/null |
	    "$PH_CLEAN" 2>/dev/null |
	    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$T/pid" \
	    "$PH_SEND" --host "$D_URL" --state "$T/pst" $SLOW -q 2>/dev/null &
	_pipeline=$!
	while [ ! -s "$T/pid" ]; do sleep 0.01; done
	wait_stored D 3000
	wait_listed "$T/pst" "$BOUND"
	kill -9 "$(cat "$T/pid")"
	wait $_pipeline 2>/dev/null
	read -r lines n <<EOF
$(listed "$T/pst")
EOF
	is "  the prefix stayed at line 0" "$lines" "0"
	check "  the state lists what other lanes delivered ($n lines)" \
	    test "$n" -gt "$BOUND"
	emu_restart D
	"$PH_FETCH" --host "$S_URL" "$@" --resume "$T/pst" -q |
	    "$PH_CLEAN" | "$PH_SEND" --host "$D_URL" --state "$T/pst" \
	    --batch-size 100 2>"$T/err"
	is "  the pipeline again: exit 0" "$?" "0"
	has "  ph-send skips the listed events ph-fetch gives again" \
	    "$T/err" "$n events skipped"
	check_store "  nothing lost; sent again only what was in flight" \
	    "$T/all.ndjson" "$T/D.store" --max-dups "$IN_FLIGHT"
	emu_stop D
}

through_pipe "a pipe from the query API" --after 2024-01-01 \
    --before 2024-02-01
through_pipe "a pipe from the listing API" --after 2024-01-01 \
    --before 2024-02-01 --api events
emu_stop S

done_testing
