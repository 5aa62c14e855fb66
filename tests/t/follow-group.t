#!/bin/sh
# ph-fetch --follow in the whole pipeline run as a terminal runs it:
# ^C to its process group delivers everything once, and ph-fetch's
# memory stays flat over 600 polls.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-follow.sh"

AFTER=$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%SZ)

# --- ^C to the whole pipeline, memory over many polls ---------------------------

# The pipeline in its own process group, as a terminal runs it; polls
# every 50 ms.  Its memory after 600 queries is that after 60.
events "$T/history2.ndjson" 50 history 20
emu_start S --load "$T/history2.ndjson"
emu_start D
rm -f "$T/state.json" "$T/state.json.follow"
setsid sh -c '"$0" --host "$1" --after "$2" --follow --lag 0 \
    --resume "$3" | "$4" -u | "$5" --host "$6" --state "$3"' \
    "$PH_FETCH" "$S_URL" "$AFTER" "$T/state.json" "$PH_CLEAN" "$PH_SEND" \
    "$D_URL" 2>"$T/group.err" &
GPID=$!
BG_PIDS="$BG_PIDS $GPID"
check "the history of the new source arrives" wait_store 50
# queries N: until S's log holds N queries (at most 60 s).
queries() {
	_i=0
	while [ "$(grep -c hogql "$T/S.log")" -lt "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt 600 ] && return 1
		sleep 0.1
	done
}
FETCH_PID=$(pgrep -g "$GPID" -x ph-fetch)
queries 60
rss60=$(awk '/^VmRSS/ { print $2 }' "/proc/$FETCH_PID/status")
events "$T/new5.ndjson" 4 new 0
events "$T/new5.ndjson" 2 late 5
arrive "$T/new5.ndjson"
queries 600
rss600=$(awk '/^VmRSS/ { print $2 }' "/proc/$FETCH_PID/status")
if ldd "$PH_FETCH" | grep -q libasan; then
	# ASan's quarantine holds freed memory: RSS says nothing there.
	ok "memory flat over polls # skip under AddressSanitizer"
else
	check "memory flat over polls: ${rss60} KB after 60 queries, ${rss600} KB after 600" \
	    test "$rss600" -le $((rss60 + 256))
fi
check "  what arrived meanwhile is delivered" wait_store 56
kill -INT "-$GPID"
wait $GPID 2>/dev/null
uuids "$T/history2.ndjson" "$T/new5.ndjson" >"$T/expected"
uuids "$T/D.store" >"$T/got"
check "^C to the process group: everything delivered once" \
    cmp -s "$T/expected" "$T/got"
is "  ph-send recorded it in its state" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lines"])' "$T/state.json")" \
    56
emu_stop S
emu_stop D

done_testing
