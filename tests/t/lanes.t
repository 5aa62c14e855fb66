#!/bin/sh
# ph-send's lanes keep identity events in order by id, not by lane
# (doc/design.md, "Lanes by distinct_id"): the persons pass, where every
# event's ids are new, waits for nothing and sends one batch a lane; a
# stream of logins, whose $identify must follow the anonymous id's
# events, arrives with every id's events in input order.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test

# --- the persons pass: no merge waits for another lane --------------------------

python3 - >"$T/crowd.ndjson" <<'PY'
import json
for i in range(300):
    print(json.dumps({"distinct_ids": ["p%05d" % i, "anon-p%05d" % i],
        "properties": {"i": i}, "is_identified": True,
        "created_at": "2024-01-01T00:00:00Z"}))
PY
emu_start S --load-persons "$T/crowd.ndjson"
emu_start D --persons --latency 100
"$PH_FETCH" --host "$S_URL" --persons -q | "$PH_CLEAN" >"$T/pass.ndjson"
is "300 persons read: a \$merge_dangerously and a \$set each" \
    "$(grep -c '"\$merge_dangerously"' "$T/pass.ndjson") $(wc -l <"$T/pass.ndjson")" \
    "300 600"
run "$PH_SEND" --host "$D_URL" -q "$T/pass.ndjson"
is_status "the pass sent at 100 ms latency, 16 lanes: exit 0" 0
# Each merge's alias has no event before it: nothing waits, the input
# is read at once, and each lane sends its events in one batch.  A merge
# that waited for its alias's lane to drain cost a request or more.
is "  one batch a lane: 16 requests for the 600 events" \
    "$(logq "$T/D.log" 'len(L), sum(x["events"] for x in L)')" "(16, 600)"
# The emulator counts requests being answered at once: no clock.
is "  the lanes' requests overlap" \
    "$(python3 -c 'import sys; print(int(sys.argv[1]) > 1)' \
    "$(emu_stat D max_in_flight)")" "True"
run python3 "$PH_SRC/tests/persons-diff.py" "$S_URL" "$D_URL"
is_status "  the destination's persons are the source's" 0
emu_stop D
emu_stop S

# --- logins: $identify after the anonymous id's events, before the user's -----------

# 200 visitors in turn, interleaved: pageviews as anon-K, a $identify
# of user-K naming anon-K, pageviews as user-K, some a second login
# from a new anonymous id, some a $create_alias.
python3 - >"$T/logins.ndjson" <<'PY'
import json, random
random.seed(9)
steps = []
for k in range(200):
    s = []
    for a in range(1 + k % 2):
        anon = "anon-%d-%d" % (k, a)
        s += [("$pageview", anon, {})] * random.randint(1, 4)
        s += [("$identify", "user-%d" % k, {"$anon_distinct_id": anon})]
        s += [("$pageview", "user-%d" % k, {})] * random.randint(0, 3)
    if k % 7 == 0:
        s += [("$create_alias", "user-%d" % k, {"alias": "mail-%d" % k})]
        s += [("$pageview", "mail-%d" % k, {})]
    steps.append(s)
n = 0
while any(steps):
    s = random.choice([s for s in steps if s])
    name, did, props = s.pop(0)
    n += 1
    print(json.dumps({"event": name, "distinct_id": did,
        "uuid": "00000000-0000-4000-8000-%012d" % n,
        "timestamp": "2024-01-01T00:00:00Z", "properties": props}))
PY
emu_start D --persons --latency 20
run "$PH_SEND" --host "$D_URL" --batch-size 10 --parallel 8 -q \
    "$T/logins.ndjson"
is_status "logins sent, 8 lanes, batches of 10: exit 0" 0
check_store "  every event once, each distinct_id's in order" \
    "$T/logins.ndjson" "$T/D.store"
# Arrival order at the destination, for each id: its own events and the
# identity events naming it, in input order.
is "  each id's events and the identity events naming it, in input order" \
    "$(python3 - "$T/logins.ndjson" "$T/D.store" <<'PY'
import json, sys
def named(e):
    p = e.get("properties", {})
    o = p.get("$anon_distinct_id", p.get("alias"))
    return {e["distinct_id"]} | ({o} if o else set())
def orders(path):
    by = {}
    for l in open(path):
        if l.strip():
            e = json.loads(l)
            for i in named(e):
                by.setdefault(i, []).append(e["uuid"])
    return by
want, got = orders(sys.argv[1]), orders(sys.argv[2])
print(sum(want[i] != got.get(i) for i in want), len(want))
PY
)" "0 529"
emu_stop D

done_testing
