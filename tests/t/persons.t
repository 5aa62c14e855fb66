#!/bin/sh
# ph-fetch --persons | ph-clean | ph-send: the persons and groups pass.
# Each case builds a source (events PostHog's ingestion processed, or a
# loaded state) and a destination that differs from it the way real
# migrations do, shows what differs, runs the pass, and compares the two
# with tests/persons-diff.py.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
Q="python3 $PH_SRC/tests/persons-q.py"
DIFF="python3 $PH_SRC/tests/persons-diff.py"

# send URL EVENT-JSON...: one /batch/ request; it must answer 200.
send() {
	_u=$1
	shift
	_s=$($Q "$_u" send "$@")
	[ "$_s" = 200 ] || echo "# /batch/ answered $_s"
}

# send_file URL FILE: every line of FILE, in order, 100 a request.
send_file() {
	python3 - "$1" "$2" <<'EOF'
import json, sys, urllib.request
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for i in range(0, len(lines), 100):
    body = json.dumps({"api_key": "phc_test", "batch": lines[i:i + 100]})
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/batch/",
        data=body.encode(), headers={"Content-Type": "application/json"}))
EOF
}

# pass SRC DST [ph-send options]: the persons pass, its stderr in
# $T/fetch.err and $T/send.err, its events in $T/pass.ndjson.
pass() {
	"$PH_FETCH" --host "$1" --persons 2>"$T/fetch.err" |
	    tee "$T/pass.ndjson" | "$PH_CLEAN" 2>"$T/clean.err" |
	    "$PH_SEND" --host "$2" -r "$T/rejected" 2>"$T/send.err"
	status=$?
}

# diff SRC DST: persons-diff's output in $T/out, status in $status.
diff_() {
	run $DIFF "$1" "$2"
}

# A three-month history: an anonymous visitor who signs up, a second
# user with a company and a team, a user whose property is unset later.
cat >"$T/history.py" <<'EOF'
import json, sys
ev = []
def e(name, did, day, props=None):
    n = len(ev) + 1
    ev.append({"event": name, "distinct_id": did,
               "uuid": "00000000-0000-4000-8000-%012d" % n,
               "timestamp": "2024-%02d-%02dT00:00:%02dZ" % (1 + day // 28, 1 + day % 28, n % 60),
               "properties": props or {}})
e("$pageview", "anon1", 0, {"$set_once": {"first": "home"}, "utm_source": "ad"})
e("signup", "anon1", 1, {"$set": {"plan": "free"}})
e("$identify", "u1", 2, {"$anon_distinct_id": "anon1", "$set": {"email": "u1@x"}})
e("$pageview", "anon2", 3, {"$groups": {"team": "t1"}})
e("$identify", "u2", 4, {"$anon_distinct_id": "anon2", "$set": {"email": "u2@x", "trial": True}})
e("$groupidentify", "u2", 5, {"$group_type": "company", "$group_key": "acme", "$group_set": {"name": "Acme", "seats": 5}})
e("$groupidentify", "u2", 6, {"$group_type": "team", "$group_key": "t1", "$group_set": {"lead": "u2"}})
e("upgrade", "u1", 30, {"$set": {"plan": "pro"}})
e("$pageview", "u2", 31, {"$unset": ["trial"], "$groups": {"company": "acme"}})
e("$groupidentify", "u2", 32, {"$group_type": "company", "$group_key": "acme", "$group_set": {"seats": 9}})
e("$pageview", "solo", 33, {"$set": {"k": 1}})
e("$pageview", "u1", 60, {"$set": {"plan": "team"}})
e("$pageview", "solo", 61, {"$set": {"k": 2}})
for x in ev:
    print(json.dumps(x))
EOF
python3 "$T/history.py" >"$T/all.ndjson"
# The window 2024-02-01 on, and the first two months.
python3 -c 'import json, sys
for l in open(sys.argv[1]):
    if json.loads(l)["timestamp"] >= "2024-02": print(l, end="")' \
    "$T/all.ndjson" >"$T/window.ndjson"
python3 -c 'import json, sys
for l in open(sys.argv[1]):
    if json.loads(l)["timestamp"] < "2024-03": print(l, end="")' \
    "$T/all.ndjson" >"$T/early.ndjson"
python3 -c 'import json, sys
for l in open(sys.argv[1]):
    if json.loads(l)["timestamp"] >= "2024-03": print(l, end="")' \
    "$T/all.ndjson" >"$T/late.ndjson"

emu_start S --persons
send_file "$S_URL" "$T/all.ndjson"

# --- a window only ---------------------------------------------------------

emu_start D --persons
send_file "$D_URL" "$T/window.ndjson"
diff_ "$S_URL" "$D_URL"
is_status "a window alone leaves the destination's persons wrong" 1
has "  the visitor who signed up before the window lacks the \$identify" \
    "$T/out" 'person "anon1": 1 distinct_ids not at the destination'
has "  and the \$set that gave the email" "$T/out" \
    'person "anon1": property email missing (source: "u1@x")'
has "  and the group types take other indexes" "$T/out" \
    "group type company: index 1 at the source, 0 at the destination"
pass "$S_URL" "$D_URL"
is_status "the persons pass: exit 0" 0
diff_ "$S_URL" "$D_URL"
is "  then every person and group is equal" "$(tail -n 1 "$T/out")" \
    "persons: 3 of 3 equal, groups: 2 of 2 equal"
is_file "  but the types keep the indexes the window gave them: the pass \
must run before the events" "$T/out" \
"group type company: index 1 at the source, 0 at the destination
group type team: index 0 at the source, 1 at the destination
persons: 3 of 3 equal, groups: 2 of 2 equal"
emu_stop D

# --- group types registered before the events -------------------------------

emu_start D --persons
pass "$S_URL" "$D_URL"
send_file "$D_URL" "$T/window.ndjson"
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
is_status "the pass, a window, the pass again: equal" 0
is "  group types at the source's indexes, groups equal" \
    "$(tail -n 1 "$T/out")" "persons: 3 of 3 equal, groups: 2 of 2 equal"
is "  types registered in index order by keyless \$groupidentify events" \
    "$(grep -o '"\$group_type":"[a-z]*","\$group_set":{}' "$T/pass.ndjson" |
    tr '\n' ' ')" \
    '"$group_type":"team","$group_set":{} "$group_type":"company","$group_set":{} '
emu_stop D

# --- windows sent out of order ------------------------------------------------

emu_start D --persons
send_file "$D_URL" "$T/late.ndjson"
send_file "$D_URL" "$T/early.ndjson"
diff_ "$S_URL" "$D_URL"
is_status "the later window sent first: the earlier one's \$set wins" 1
has "  plan goes back to pro" "$T/out" \
    'person "anon1": property plan: "team" at the source, "pro" at the destination'
has "  k back to 1" "$T/out" \
    'person "solo": property k: 2 at the source, 1 at the destination'
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
is "  the pass sets them as the source has them" "$(grep -c property "$T/out")" "0"
emu_stop D

# --- the pass twice -----------------------------------------------------------

emu_start D --persons
pass "$S_URL" "$D_URL"
cp "$T/pass.ndjson" "$T/pass1.ndjson"
pass "$S_URL" "$D_URL"
check "the pass twice: the same events, byte for byte (uuids of their text)" \
    cmp -s "$T/pass1.ndjson" "$T/pass.ndjson"
is "  the destination stores them under the same uuids (merged, not doubled)" \
    "$(python3 -c 'import json, sys
u = [json.loads(l)["uuid"] for l in open(sys.argv[1])]
print(len(u), len(set(u)))' "$T/D.store")" \
    "$(( $(wc -l <"$T/pass1.ndjson") * 2 )) $(wc -l <"$T/pass1.ndjson")"
diff_ "$S_URL" "$D_URL"
is_status "  and the persons and groups are equal" 0
has "  the summary counts persons, groups and events" "$T/fetch.err" \
    "3 persons (5 distinct_ids), 2 groups of 2 types: 10 events in"
send_file "$D_URL" "$T/all.ndjson"
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
is_status "  the whole history after the pass, then the pass again: equal" 0
emu_stop D
emu_stop S

# --- properties edited outside events ---------------------------------------------

cat >"$T/edited.ndjson" <<'EOF'
{"distinct_ids":["ed1","anon-ed1"],"properties":{"email":"new@x","plan":"pro"},"is_identified":true,"created_at":"2024-01-01T00:00:00Z"}
{"distinct_ids":["ed2"],"properties":{"$creator_event_uuid":"00000000-0000-4000-8000-0000000000e2","vip":true},"created_at":"2024-01-02T00:00:00Z"}
{"property_definition":"old_score"}
EOF
emu_start S --load-persons "$T/edited.ndjson"
emu_start D --persons
send "$D_URL" \
    '{"event":"$identify","distinct_id":"ed1","properties":{"$anon_distinct_id":"anon-ed1","$set":{"email":"old@x","old_score":3}}}' \
    '{"event":"e","distinct_id":"ed2","properties":{"$set":{"old_score":1}}}'
diff_ "$S_URL" "$D_URL"
is_status "a property edited at the source and one removed there, outside events" 1
has "  the edit" "$T/out" \
    'person "anon-ed1": property email: "new@x" at the source, "old@x" at the destination'
has "  the removal" "$T/out" \
    'person "anon-ed1": property old_score extra (destination: 3)'
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
is_status "  the pass sets the one and unsets the other (a defined person property)" 0
has "  \$unset names every defined property the person lacks" \
    "$T/pass.ndjson" '"$unset":["$creator_event_uuid","old_score","vip"]'
has "  a person with one distinct_id gets an empty \$set first (the creating event's uuid would win)" \
    "$T/pass.ndjson" '"distinct_id":"ed2","timestamp":"2024-01-02T00:00:00Z","properties":{"$set":{}}}'
emu_stop D
emu_stop S

# --- a merge PostHog refuses because both persons are identified ---------------------

cat >"$T/ident.ndjson" <<'EOF'
{"distinct_ids":["idA","anA","idB","anB"],"properties":{"email":"a@x"},"is_identified":true,"created_at":"2024-01-01T00:00:00Z"}
{"distinct_ids":["idC"],"properties":{},"created_at":"2024-01-01T00:00:00Z"}
EOF
emu_start S --load-persons "$T/ident.ndjson"
emu_start D --persons
send "$D_URL" \
    '{"event":"$identify","distinct_id":"idA","properties":{"$anon_distinct_id":"anA"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"anB"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"idA","$set":{"email":"a@x"}}}'
diff_ "$S_URL" "$D_URL"
has "the source merged two identified persons; at the destination \$identify refuses" \
    "$T/out" 'person "anA": split over 2 destination persons'
is "  with PostHog's warning" \
    "$($Q "$D_URL" 'warned("cannot_merge_already_identified")')" "1"
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
is_status "  \$merge_dangerously merges them: equal" 0
is "  one event for each distinct_id beyond the first" \
    "$(grep -c '"event":"$merge_dangerously","distinct_id":"anA"' "$T/pass.ndjson")" 3
is "  and the refusal was not repeated" \
    "$($Q "$D_URL" 'warned("cannot_merge_already_identified")')" "1"
emu_stop D
emu_stop S

# --- a person with many distinct_ids, and one with 5 MB of properties -----------------

python3 - >"$T/big.ndjson" <<'EOF'
import json
print(json.dumps({"distinct_ids": ["many"] + ["m-%05d" % i for i in range(10000)],
                  "properties": {"n": 10000}, "is_identified": True,
                  "created_at": "2024-01-01T00:00:00Z"}))
print(json.dumps({"distinct_ids": ["heavy"],
                  "properties": {"p%02d" % i: "v" * 100000 for i in range(50)},
                  "created_at": "2024-01-02T00:00:00Z"}))
print(json.dumps({"distinct_ids": ["huge"], "properties": {"blob": "x" * 1200000,
                  "small": 1}, "created_at": "2024-01-03T00:00:00Z"}))
EOF
emu_start S --load-persons "$T/big.ndjson"
emu_start D --persons
send "$D_URL" '{"event":"e","distinct_id":"m-00042"}' \
    '{"event":"e","distinct_id":"m-09999"}'
pass "$S_URL" "$D_URL"
is_status "10,000 distinct_ids, 5 MB of properties, a value capture refuses: exit 1" 1
is "  the 5 MB person in \$set events under 400,000 bytes" \
    "$(python3 -c 'import sys
L = [l for l in open(sys.argv[1]) if "\"heavy\"" in l]
print(len(L) > 12, max(len(l) for l in L) < 400500)' "$T/pass.ndjson")" \
    "True True"
has "  ph-fetch names the value that capture will refuse" "$T/fetch.err" \
    "person huge: property blob is 1200010 bytes of JSON"
has "  and counts it in its summary" "$T/fetch.err" \
    "1 values of over 400000 bytes sent alone"
has "  ph-send names it in its reject file" "$T/rejected" '"blob":"xxxx'
diff_ "$S_URL" "$D_URL"
is "  the rest is equal: only that property differs" \
    "$(cut -c1-40 "$T/out")" 'person "huge": property blob missing (so
persons: 2 of 3 equal, groups: 0 of 0 eq'
is "  the 10,000 distinct_ids are one destination person" \
    "$($Q "$D_URL" '(len(ids("many")), props("many"))')" \
    "(10001, {'n': 10000})"
emu_stop D
emu_stop S

python3 - >"$T/heavy.ndjson" <<'EOF'
import json
for i in range(14):
    print(json.dumps({"distinct_ids": ["h%02d" % i],
                      "properties": {"p%02d" % k: "v" * 100000 for k in range(50)}}))
EOF
emu_start S --load-persons "$T/heavy.ndjson"
run "$PH_FETCH" --host "$S_URL" --persons --page-size 14
is_status "a page of persons over 64 MB: exit 0" 0
has "  the page is asked for again, half as large" "$T/err" \
    "the reply is over 64 MB: asking for 7 a page"
has "  and every person is read" "$T/err" "14 persons (14 distinct_ids)"
emu_stop S

# --- groups of two types; what capture cannot do to them -----------------------------

cat >"$T/groups.ndjson" <<'EOF'
{"distinct_ids":["g-user"],"properties":{},"created_at":"2024-01-01T00:00:00Z"}
{"group_type":"company","group_type_index":0}
{"group_type":"team","group_type_index":2}
{"group_type_index":0,"group_key":"acme","group_properties":{"name":"Acme"},"created_at":"2024-01-05T00:00:00Z"}
{"group_type_index":0,"group_key":"initech","group_properties":{"name":"Initech","seats":3},"created_at":"2024-01-06T00:00:00Z"}
{"group_type_index":2,"group_key":"t1","group_properties":{"lead":"x"},"created_at":"2024-01-07T00:00:00Z"}
{"property_definition":"legacy_id","group_type_index":0}
EOF
emu_start S --load-persons "$T/groups.ndjson"
emu_start D --persons
send "$D_URL" '{"event":"$groupidentify","distinct_id":"g-user","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"legacy_id":7}}}'
pass "$S_URL" "$D_URL"
is_status "groups of two types, the second at index 2: exit 0" 0
diff_ "$S_URL" "$D_URL"
is_file "  every group arrives; the index gap and the removed property cannot" \
    "$T/out" 'group company "acme": property legacy_id extra (destination: 7)
group type team: index 2 at the source, 1 at the destination
persons: 1 of 1 equal, groups: 2 of 3 equal'
has "  ph-fetch says which type gets another index" "$T/fetch.err" \
    "group type team: index 2 at the source; the destination gives it 1"
has "  and counts both in its summary" "$T/fetch.err" \
    "1 group type index gaps, 3 group properties defined for the type and absent from the group"
is "  the groups' events carry the last person's distinct_id, in one lane" \
    "$(grep -c '"event":"$groupidentify","distinct_id":"g-user"' "$T/pass.ndjson")" 5
emu_stop D
emu_stop S

# --- kill -9 in the middle, then the same command -----------------------------------

python3 - >"$T/crowd.ndjson" <<'EOF'
import json
for i in range(3000):
    print(json.dumps({"distinct_ids": ["c%04d" % i, "anon-c%04d" % i],
                      "properties": {"i": i, "email": "c%d@x" % i},
                      "is_identified": True,
                      "created_at": "2024-01-01T%02d:%02d:00Z" % (i // 60 % 24, i % 60)}))
EOF
emu_start S --load-persons "$T/crowd.ndjson"
emu_start D --persons --latency 20
( "$PH_FETCH" --host "$S_URL" --persons -q | "$PH_CLEAN" |
    "$PH_SEND" --host "$D_URL" --batch-size 100 -q ) 2>/dev/null &
pipe=$!
n=0
while [ "$($Q "$D_URL" 'len(P)')" -lt 100 ] && [ $n -lt 500 ]; do
	sleep 0.05
	n=$((n + 1))
done
pkill -9 -P $pipe 2>/dev/null
kill -9 $pipe 2>/dev/null
wait $pipe 2>/dev/null
got=$($Q "$D_URL" 'len(P)')
check "kill -9 in the middle: the destination has part of the persons ($got)" \
    test "$got" -gt 0 -a "$got" -lt 3000
pass "$S_URL" "$D_URL"
is_status "  the same command again: exit 0" 0
diff_ "$S_URL" "$D_URL"
is_status "  and every person is equal" 0
is "  all of them" "$(tail -n 1 "$T/out")" \
    "persons: 3000 of 3000 equal, groups: 0 of 0 equal"
emu_stop D
emu_stop S

# --- faults on both sides -----------------------------------------------------------

head -n 300 "$T/crowd.ndjson" >"$T/few.ndjson"
emu_start S --load-persons "$T/few.ndjson" --p503 0.3 --p429 0.2 \
    --retry-after 0 --seed 3
emu_start D --persons --p503 0.2 --seed 4
"$PH_FETCH" --host "$S_URL" --persons --page-size 50 --retry-wait 0.01 \
    --retry-max-wait 0.05 2>"$T/fetch.err" | "$PH_CLEAN" |
    "$PH_SEND" --host "$D_URL" --batch-size 40 --retry-wait 0.01 \
    --retry-max-wait 0.05 2>"$T/send.err"
status=$?
is_status "503s and 429s from the source and the destination: exit 0" 0
check "  ph-fetch retried" grep -q "retry 1 of 10" "$T/fetch.err"
diff_ "$S_URL" "$D_URL"
is_status "  and every person is equal" 0
emu_stop D
emu_stop S

# --- usage -------------------------------------------------------------------------

run "$PH_FETCH" --host http://127.0.0.1:1 --persons --after 2024-01-01
is_status "--persons with a window: exit 2" 2
has "  the pass reads persons as they are now" "$T/err" \
    "--persons reads persons and groups as they are now: --after does not apply"

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
