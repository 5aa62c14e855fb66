#!/bin/sh
# ph-fetch --follow in the whole pipeline: it delivers the history, the
# events that arrive while it runs, and late events (old timestamps,
# ingested now), each once; it stops cleanly on SIGTERM and the same
# command resumes with nothing resent; after kill -9 the same command
# loses nothing.  One emulator, S, is the source that receives events;
# D is the destination.  No clock is asserted: the tests wait, bounded,
# for the store to reach a count.  ^C to the process group and memory
# over many polls are in follow-group.t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-follow.sh"

# 300 events of the last two days, and their ingestion long past.
events "$T/history.ndjson" 300 history 48
AFTER=$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%SZ)
emu_start S --load "$T/history.ndjson"
emu_start D

# --- follow: history, then new and late events, each once -------------------

# wait_settled: until ph-fetch has seen ph-send settle all it wrote.
wait_settled() {
	_i=0
	until grep -q '"settled":"2' "$T/state.json.follow" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && return 1
		sleep 0.1
	done
}

follow
check "the history arrives" wait_store 300
check "  ph-fetch sees ph-send settle it (FILE.follow)" wait_settled
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

# --- the resume rule, when the last delivered event is a late one -------------

# A state whose last delivered event is the first late event of new1
# (30 hours old), as after a crash in the middle of a poll: ph-fetch
# restarts at its timestamp ts, for both the timestamp and created_at.
# It reads again the history from ts on, the new events and every late
# one (ingested after ts), and none of the history before ts (ingested
# when it happened, before ts).
python3 - "$T/state.json" "$T/new1.ndjson" >"$T/mid.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
late = [json.loads(l) for l in open(sys.argv[2]) if '"late"' in l][0]
st["timestamp"], st["uuid"] = late["timestamp"], late["uuid"]
print(json.dumps(st))
PY
python3 - "$T/new1.ndjson" "$T/history.ndjson" >"$T/expected" <<'PY'
import json, sys
new = [json.loads(l) for l in open(sys.argv[1])]
ts = [e for e in new if e["event"] == "late"][0]["timestamp"]
hist = [json.loads(l) for l in open(sys.argv[2])]
for e in new:
    print(e["uuid"])
for e in hist:
    if e["timestamp"] >= ts:
        print(e["id"])
PY
sort -o "$T/expected" "$T/expected"
: >"$T/mid.out"
"$PH_FETCH" --host "$S_URL" --follow --lag $LAG --resume "$T/mid.json" \
    >"$T/mid.out" 2>"$T/mid.err" &
MPID=$!
BG_PIDS="$BG_PIDS $MPID"
_i=0
while [ "$(wc -l <"$T/mid.out")" -lt "$(wc -l <"$T/expected")" ] &&
    [ $_i -lt 300 ]; do
	_i=$((_i + 1))
	sleep 0.1
done
# One more poll: anything read wrongly would be written by now.
n0=$(grep -c hogql "$T/S.log")
while [ "$(grep -c hogql "$T/S.log")" -lt $((n0 + 4)) ] && [ $_i -lt 600 ]
do
	_i=$((_i + 1))
	sleep 0.1
done
kill -TERM $MPID
wait $MPID 2>/dev/null
uuids "$T/mid.out" >"$T/got"
check "resume at a late event: from its timestamp, and late ones since" \
    cmp -s "$T/expected" "$T/got"

# The same state with ph-fetch's own beside it, which saw ph-send settle
# every event written by some poll, the history at least: it resumes past
# that poll, and resends none of the history.
cp "$T/mid.json" "$T/mid2.json"
cp "$T/state.json.follow" "$T/mid2.json.follow"
n0=$(grep -c hogql "$T/S.log")
: >"$T/mid2.out"
"$PH_FETCH" --host "$S_URL" --follow --lag $LAG --resume "$T/mid2.json" \
    >"$T/mid2.out" 2>"$T/mid2.err" &
MPID=$!
BG_PIDS="$BG_PIDS $MPID"
_i=0
while [ "$(grep -c hogql "$T/S.log")" -lt $((n0 + 6)) ] && [ $_i -lt 300 ]
do
	_i=$((_i + 1))
	sleep 0.1
done
kill -TERM $MPID
wait $MPID 2>/dev/null
uuids "$T/mid2.out" >"$T/got"
uuids "$T/new1.ndjson" >"$T/expected"
is "  with FILE.follow's settled poll: no history resent" \
    "$(comm -23 "$T/got" "$T/expected")" ""
has "  it says where it follows on from" "$T/mid2.err" \
    "was delivered: following on from there"

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
