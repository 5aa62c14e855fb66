#!/bin/sh
# The persons pass on awkward sources: properties edited outside events,
# a merge PostHog refuses, a person with 10,000 distinct_ids or 5 MB of
# properties, a page over 64 MB, groups capture cannot fully copy.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

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

done_testing
