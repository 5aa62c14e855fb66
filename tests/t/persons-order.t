#!/bin/sh
# ph-send: an identity event waits for the events of both ids, so
# PostHog merges them between the same events as at the source.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

# --- ph-send: identity events in order with the events of both ids -----------------

python3 - >"$T/order.ndjson" <<'EOF'
import json
n = 0
def e(name, did, props):
    global n
    n += 1
    print(json.dumps({"event": name, "distinct_id": did, "properties": props,
        "uuid": "00000000-0000-4000-8000-%012d" % n,
        "timestamp": "2024-01-01T00:00:%02d.%06dZ" % (n // 1000000, n % 1000000)}))
for i in range(60):
    e("$pageview", "visitor", {"$set": {"plan": "free-%d" % i}})
e("$identify", "member", {"$anon_distinct_id": "visitor", "$set": {"plan": "pro"}})
for i in range(30):
    e("$pageview", "other-%d" % i, {})
e("$pageview", "visitor", {"$set": {"after": True}})
EOF
"$PH_CLEAN" "$T/order.ndjson" >"$T/order.clean"
emu_start D --persons --latency 30
run "$PH_SEND" --host "$D_URL" --batch-size 10 --parallel 4 -q "$T/order.clean"
is_status "an \$identify behind 60 events of the id it names: sent, exit 0" 0
is "  it reaches PostHog after them: its \$set wins, and the event after it joins the person" \
    "$($Q "$D_URL" '(props("member")["plan"], props("member").get("after"), ids("visitor"))')" \
    "('pro', True, ['member', 'visitor'])"
emu_stop D

done_testing
