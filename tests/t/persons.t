#!/bin/sh
# ph-fetch --persons | ph-clean | ph-send: the persons and groups pass.
# Each case builds a source (events PostHog's ingestion processed, or a
# loaded state) and a destination that differs from it the way real
# migrations do, shows what differs, runs the pass, and compares the two
# with tests/persons-diff.py.  Edge cases are in persons-cases.t, kill -9
# and faults in persons-kill.t, ph-send's identity order in
# persons-order.t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

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

# --- usage -------------------------------------------------------------------------

run "$PH_FETCH" --host http://127.0.0.1:1 --persons --after 2024-01-01
is_status "--persons with a window: exit 2" 2
has "  the pass reads persons as they are now" "$T/err" \
    "--persons reads persons and groups as they are now: --after does not apply"

done_testing
