#!/bin/sh
# ph-fetch --follow in the whole pipeline: it delivers the history, the
# events that arrive while it runs, and late events (old timestamps,
# ingested now), each once; it stops cleanly on SIGTERM and the same
# command resumes with nothing resent; after kill -9 the same command
# loses nothing.  One emulator, S, is the source that receives events;
# D is the destination.  No clock is asserted: the tests wait, bounded,
# for the store to reach a count.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
unset PH_FETCH_HOST PH_SEND_HOST
LAG=0.3

# events FILE N KIND AGE-HOURS: N capture-ready events named KIND with
# timestamps AGE-HOURS ago (spread over minutes for the history).
events() {
	python3 - "$@" <<'PY'
import datetime, json, sys, uuid
path, n, kind, age = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
now = datetime.datetime.now(datetime.timezone.utc)
with open(path, "a") as f:
    for i in range(n):
        t = now - datetime.timedelta(hours=age) + datetime.timedelta(
            minutes=9 * i if kind == "history" else 0, microseconds=i)
        e = {"distinct_id": "user-%d" % (i % 7), "event": kind,
             "timestamp": t.isoformat(), "properties": {"i": i}}
        e["id" if kind == "history" else "uuid"] = str(uuid.uuid4())
        f.write(json.dumps(e) + "\n")
PY
}

# arrive FILE: events reach S through its capture endpoint, now.
arrive() {
	"$PH_SEND" --host "$S_URL" <"$1" 2>>"$T/arrive.err"
}

# wait_store N: until D's store holds N lines (at most 30 s).
wait_store() {
	_i=0
	while [ "$(wc -l <"$T/D.store" | tr -d ' ')" -lt "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && return 1
		sleep 0.1
	done
	return 0
}

# follow: the pipeline in the background, ph-fetch's pid in FPID and
# ph-send's in SPID.
follow() {
	rm -f "$T/pipe"
	mkfifo "$T/pipe"
	"$PH_FETCH" --host "$S_URL" --after "$AFTER" --follow --lag $LAG \
	    --resume "$T/state.json" >"$T/pipe" 2>>"$T/fetch.err" &
	FPID=$!
	"$PH_CLEAN" -u <"$T/pipe" |
	    "$PH_SEND" --host "$D_URL" --state "$T/state.json" \
	    2>>"$T/send.err" &
	SPID=$!
	BG_PIDS="$BG_PIDS $FPID $SPID"
}

# uuids FILE...: the ids (or uuids) of the events in FILEs, sorted.
uuids() {
	python3 -c 'import json, sys
for p in sys.argv[1:]:
    for l in open(p):
        if l.strip():
            e = json.loads(l)
            print(e.get("uuid") or e.get("id"))' "$@" | sort
}

# 300 events of the last two days, and their ingestion long past.
events "$T/history.ndjson" 300 history 48
AFTER=$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%SZ)
emu_start S --load "$T/history.ndjson"
emu_start D

# --- follow: history, then new and late events, each once -------------------

follow
check "the history arrives" wait_store 300
events "$T/new1.ndjson" 5 new 0
events "$T/new1.ndjson" 3 late 30
arrive "$T/new1.ndjson"
check "new events and late ones (30 hours old) arrive while following" \
    wait_store 308
kill -TERM $FPID
wait $FPID 2>/dev/null
status=$?
wait $SPID 2>/dev/null
sstatus=$?
is "SIGTERM: ph-fetch ends by it (143)" "$status" 143
is "  ph-send delivers what it read and exits 0" "$sstatus" 0
uuids "$T/history.ndjson" "$T/new1.ndjson" >"$T/expected"
uuids "$T/D.store" >"$T/got"
check "  every event once, late ones included" cmp -s "$T/expected" "$T/got"
is "  ph-send's state records every line" \
    "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lines"])' "$T/state.json")" \
    308
has "  ph-fetch keeps its own state beside it" "$T/state.json.follow" \
    '"poll":'
is "  late events are asked for by created_at" \
    "$(logq "$T/S.log" 'any("created_at >= " in r.get("hogql", "") for r in L)')" \
    True
is "  no query reads closer to now than --lag" \
    "$(logq "$T/S.log" '[r for r in L if "created_at < " in r.get("hogql", "") and __import__("datetime").datetime.fromisoformat(r["hogql"].split("created_at < toDateTime64(\x27")[1][:26] + "+00:00").timestamp() > r["t"] - '$LAG']')" \
    "[]"

# --- stopped, events arrive, the same command resumes ------------------------

events "$T/new2.ndjson" 4 new 0
events "$T/new2.ndjson" 2 late 20
arrive "$T/new2.ndjson"
: >"$T/fetch.err"
follow
check "resumed: what arrived while stopped is delivered" wait_store 314
kill -TERM $FPID
wait $FPID 2>/dev/null
wait $SPID 2>/dev/null
uuids "$T/history.ndjson" "$T/new1.ndjson" "$T/new2.ndjson" >"$T/expected"
uuids "$T/D.store" >"$T/got"
check "  every event once: nothing resent after a clean stop" \
    cmp -s "$T/expected" "$T/got"
has "  it says it follows on from the last poll" "$T/fetch.err" \
    "following on from there"

# --- kill -9 while following, then the same command -----------------------------

follow
events "$T/new3.ndjson" 6 new 0
events "$T/new3.ndjson" 3 late 40
arrive "$T/new3.ndjson"
check "following again" wait_store 323
kill -9 $FPID $SPID
wait $FPID $SPID 2>/dev/null
events "$T/new4.ndjson" 5 new 0
events "$T/new4.ndjson" 2 late 10
arrive "$T/new4.ndjson"
follow
check "after kill -9, the same command goes on" wait_store 330
kill -TERM $FPID
wait $FPID 2>/dev/null
wait $SPID 2>/dev/null
uuids "$T/history.ndjson" "$T/new1.ndjson" "$T/new2.ndjson" \
    "$T/new3.ndjson" "$T/new4.ndjson" >"$T/expected"
uuids "$T/D.store" | uniq >"$T/got"
check "  nothing lost" cmp -s "$T/expected" "$T/got"
printf '# resent after kill -9 (merged by uuid at PostHog): %s\n' \
    $(($(wc -l <"$T/D.store") - $(wc -l <"$T/got")))
emu_stop S
emu_stop D

# --- refusals -------------------------------------------------------------------

run "$PH_FETCH" --host http://127.0.0.1:9 --after 2024-01-01 \
    --before 2024-02-01 --follow
is_status "--follow with --before: exit 2" 2
run "$PH_FETCH" --host http://127.0.0.1:9 --after 2024-01-01 --follow \
    --api events
is_status "--follow with --api events: exit 2" 2
emu_start O --profile clickhouse-2022 --load "$T/history.ndjson"
run "$PH_FETCH" --host "$O_URL" --after "$AFTER" --follow --lag 0
is_status "--follow on an install without a query API: exit 3" 3
has "  it says why" "$T/err" "only the query API offers"
emu_stop O

done_testing
