#!/bin/sh
# ph-send places an id no lane holds in the least loaded lane (doc/
# design.md, "Lanes by distinct_id"): one busy distinct_id does not hold
# the other ids back, every lane has a request in flight, and each id's
# events still arrive in input order.
. "$(dirname "$0")/../lib.sh"

export PH_SEND_KEY=phc_test

# 3000 events: "heavy" on every other line, a new light id on each of
# the others, and every 25th light id then logs in: a $identify of
# user-K naming it, and a pageview as user-K.
python3 - >"$T/skew.ndjson" <<'PY'
import json
n = 0
def ev(name, did, props):
    global n
    n += 1
    print(json.dumps({"event": name, "distinct_id": did,
        "uuid": "00000000-0000-4000-8000-%012d" % n,
        "timestamp": "2024-01-01T00:00:00Z", "properties": props}))
k = 0
while n < 3000:
    ev("$pageview", "heavy", {"n": n})
    ev("$pageview", "light-%d" % k, {})
    if k % 25 == 0:
        ev("$identify", "user-%d" % k, {"$anon_distinct_id": "light-%d" % k})
        ev("$pageview", "user-%d" % k, {})
    k += 1
PY
n=$(wc -l <"$T/skew.ndjson")

# Arrival order, for each id: its own events and the identity events
# naming it, in input order.
in_order() {
	python3 - "$T/skew.ndjson" "$T/D.store" <<'PY'
import json, sys
def ids(e):
    p = e.get("properties", {})
    return {e["distinct_id"], p.get("$anon_distinct_id", e["distinct_id"])}
def seqs(path):
    s = {}
    for line in open(path):
        if line.strip():
            e = json.loads(line)
            for i in ids(e):
                s.setdefault(i, []).append(e["uuid"])
    return s
print(seqs(sys.argv[1]) == seqs(sys.argv[2]))
PY
}

for lanes in 4 default; do
	opt="--parallel $lanes"
	want=$lanes
	[ $lanes = default ] && opt= && want=16
	emu_start D --latency 200
	run "$PH_SEND" --host "$D_URL" --batch-size 50 $opt -q "$T/skew.ndjson"
	is_status "one busy id, $lanes lanes: exit 0" 0
	check_store "  every event once, each distinct_id's in order" \
	    "$T/skew.ndjson" "$T/D.store"
	is "  each id's events and the identity events naming it, in order" \
	    "$(in_order)" "True"
	# Counted by the emulator: requests being answered at once.
	is "  every lane had a request in flight at once" \
	    "$(emu_stat D max_in_flight)" "$want"
	is "  every request accepted, none retried" \
	    "$(logq "$T/D.log" 'all(x["status"] == 200 for x in L) and sum(x["events"] for x in L)')" \
	    "$n"
	emu_stop D
done

done_testing
