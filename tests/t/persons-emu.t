#!/bin/sh
# ph-emu's destination persons and groups: each rule of PostHog's
# ingestion that tests/emu/persons.c copies, checked through
# GET /_emu/persons and /_emu/groups after crafted capture batches.
. "$(dirname "$0")/../lib.sh"

Q="python3 $PH_SRC/tests/persons-q.py"

# send EVENT-JSON...: one /batch/ request to D; it must answer 200.
send() {
	_s=$($Q "$D_URL" send "$@")
	[ "$_s" = 200 ] || echo "# /batch/ answered $_s"
}

# q EXPR: evaluate EXPR over D's dump (see tests/persons-q.py).
q() {
	$Q "$D_URL" "$1"
}

# --- off by default -----------------------------------------------------------

emu_start D
send '{"event":"e","distinct_id":"a","properties":{"$set":{"x":1}}}'
is "without --persons, events build no persons (benchmarks pay nothing)" \
    "$(q '(len(P), D["events"])')" "(0, 0)"
emu_stop D

# --- $set, $set_once, $unset ------------------------------------------------

emu_start D --persons
send '{"event":"e","distinct_id":"a","uuid":"00000000-0000-4000-8000-000000000001","properties":{"$set":{"x":1},"$set_once":{"y":1}}}' \
    '{"event":"e","distinct_id":"a","properties":{"$set":{"x":2},"$set_once":{"y":2,"z":2}}}'
is "\$set overwrites, \$set_once keeps the first value" \
    "$(q 'sorted(props("a").items())')" "[('x', 2), ('y', 1), ('z', 2)]"
is "a new person records the event that created it" \
    "$(q 'who("a")["properties"]["$creator_event_uuid"]')" \
    "00000000-0000-4000-8000-000000000001"
send '{"event":"e","distinct_id":"a","properties":{"$unset":["x"]}}' \
    '{"event":"e","distinct_id":"a","properties":{"$unset":{"y":null}}}'
is "\$unset as an array and as an object removes the keys" \
    "$(q 'sorted(props("a").items())')" "[('z', 2)]"
send '{"event":"e","distinct_id":"a","$set":{"t":"top"},"properties":{"$set":{"t":"inner","u":1}}}'
is "a top-level \$set is merged into properties.\$set, the top level winning" \
    "$(q 'sorted(props("a").items())')" "[('t', 'top'), ('u', 1), ('z', 2)]"
send '{"event":"e","distinct_id":"a","$unset":["u"]}'
is "a top-level \$unset is not read (event.ts: only properties.\$unset)" \
    "$(q 'props("a").get("u")')" "1"
send '{"event":"e","distinct_id":"a","properties":{"$set":{"v":1},"$unset":["v"]}}' \
    '{"event":"e","distinct_id":"a","properties":{"$set_once":{"w":1},"$unset":["w"]}}'
is "2026: \$unset counts keys the person had before the event" \
    "$(q '(props("a").get("v"), props("a").get("w"))')" "(1, 1)"
is "every event went through person processing" "$(q 'D["events"]')" "8"
deep=$(python3 -c 'print("{\"a\":" * 100 + "1" + "}" * 100)')
send "{\"event\":\"e\",\"distinct_id\":\"deep\",\"properties\":{\"\$set\":{\"d\":$deep}}}"
is "a value nested 100 deep, as capture accepts it, is processed" \
    "$(q 'str(props("deep")).count("{")')" "101"
emu_stop D

emu_start D --persons --profile 2024
send '{"event":"e","distinct_id":"a"}' \
    '{"event":"e","distinct_id":"a","properties":{"$set_once":{"w":1},"$unset":["w"]}}' \
    '{"event":"e","distinct_id":"a","properties":{"$set":{"v":1}}}' \
    '{"event":"e","distinct_id":"a","properties":{"$set":{"v":2},"$unset":["v"]}}'
is "2024: \$set_once, \$set, \$unset apply one after the other" \
    "$(q 'sorted(props("a").items())')" "[]"
emu_stop D

# --- properties copied from the event ------------------------------------------

emu_start D --persons
send '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Chrome","utm_source":"ad"}}' \
    '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Firefox","utm_source":"ad"}}'
is "\$browser and utm_ go to \$set and \$initial_ to \$set_once; a change of filtered \$browser alone is not written (2026)" \
    "$(q 'sorted(props("b").items())')" \
    "[('\$browser', 'Chrome'), ('\$initial_browser', 'Chrome'), ('\$initial_utm_source', 'ad'), ('utm_source', 'ad')]"
send '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Firefox","utm_source":"mail"}}'
is "  but with an unfiltered one (utm_source) it is" \
    "$(q '(props("b")["$browser"], props("b")["utm_source"])')" "('Firefox', 'mail')"
send '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Safari"}}' \
    '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Edge","$set":{"plan":"pro"}}}'
is "  it is written with an unfiltered change" \
    "$(q '(props("b")["$browser"], props("b")["plan"])')" "('Edge', 'pro')"
send '{"event":"$set","distinct_id":"b","properties":{"$browser":"Opera"}}'
is "  and by a person event (\$set, \$identify, ...)" \
    "$(q 'props("b")["$browser"]')" "Opera"
emu_stop D

emu_start D --persons --profile 2024
send '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Chrome"}}' \
    '{"event":"$pageview","distinct_id":"b","properties":{"$browser":"Firefox"}}'
is "2024: no filter, \$browser follows the last event" \
    "$(q 'props("b")["$browser"]')" "Firefox"
emu_stop D

# --- $identify ---------------------------------------------------------------------

emu_start D --persons
send '{"event":"e","distinct_id":"anon","properties":{"$set":{"a":1,"shared":"anon"}}}' \
    '{"event":"e","distinct_id":"user","properties":{"$set":{"u":1,"shared":"user"}}}' \
    '{"event":"$identify","distinct_id":"user","properties":{"$anon_distinct_id":"anon","$set":{"email":"u@x"}}}'
is "\$identify merges the anonymous person into the user's" \
    "$(q '(len(P), ids("anon"))')" "(1, ['anon', 'user'])"
is "  the user's properties win, then the event's \$set" \
    "$(q 'sorted(props("user").items())')" \
    "[('a', 1), ('email', 'u@x'), ('shared', 'user'), ('u', 1)]"
is "  and the person is identified" "$(q 'idf("anon")')" "True"
send '{"event":"e","distinct_id":"anon2"}' \
    '{"event":"$identify","distinct_id":"user2","properties":{"$anon_distinct_id":"anon2"}}'
is "\$identify of an id without a person adds it to the other's person" \
    "$(q '(ids("anon2"), idf("user2"))')" "(['anon2', 'user2'], True)"
send '{"event":"$identify","distinct_id":"user3","properties":{"$anon_distinct_id":"anon3","$set":{"k":1}}}'
is "\$identify when neither id has a person creates one with both" \
    "$(q '(ids("user3"), idf("user3"), props("user3"))')" \
    "(['anon3', 'user3'], True, {'k': 1})"
send '{"event":"$identify","distinct_id":"user4","properties":{"$anon_distinct_id":"user4"}}'
is "\$identify of an id with itself does not identify" \
    "$(q '(ids("user4"), idf("user4"))')" "(['user4'], False)"
send '{"event":"$identify","distinct_id":"user5"}'
is "\$identify without \$anon_distinct_id only processes properties" \
    "$(q 'idf("user5")')" "False"
emu_stop D

# --- $create_alias and the refusals ------------------------------------------------

emu_start D --persons
send '{"event":"e","distinct_id":"al1","properties":{"$set":{"p":1}}}' \
    '{"event":"$create_alias","distinct_id":"main","properties":{"alias":"al1"}}'
is "\$create_alias links alias to the event's distinct_id" \
    "$(q '(ids("al1"), idf("main"), props("main"))')" \
    "(['al1', 'main'], True, {'p': 1})"
send '{"event":"$identify","distinct_id":"idA","properties":{"$anon_distinct_id":"anA"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"anB"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"idA","$set":{"seen":1}}}'
is "\$identify refuses to merge two identified persons" \
    "$(q '(ids("idA"), ids("idB"))')" "(['anA', 'idA'], ['anB', 'idB'])"
is "  with the ingestion warning cannot_merge_already_identified" \
    "$(q 'warned("cannot_merge_already_identified")')" "1"
is "  and the event's \$set goes to its own person" \
    "$(q '(props("idA"), props("idB"))')" "({}, {'seen': 1})"
send '{"event":"$create_alias","distinct_id":"idB","properties":{"alias":"idA"}}'
is "\$create_alias refuses it too" \
    "$(q '(len(P), warned("cannot_merge_already_identified"))')" "(3, 2)"
send '{"event":"$merge_dangerously","distinct_id":"idB","properties":{"alias":"idA"}}'
is "\$merge_dangerously merges them" \
    "$(q '(ids("idB"), len(P))')" "(['anA', 'anB', 'idA', 'idB'], 2)"
emu_stop D

emu_start D --persons --profile postgres-2021
send '{"event":"$identify","distinct_id":"idA","properties":{"$anon_distinct_id":"anA"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"anB"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"idA"}}'
is "2021: \$identify refuses too" "$(q 'len(P)')" "2"
send '{"event":"$create_alias","distinct_id":"idB","properties":{"alias":"idA"}}' \
    '{"event":"$create_alias","distinct_id":"c1","properties":{"alias":"c2"}}' \
    '{"event":"$merge_dangerously","distinct_id":"m1","properties":{"alias":"m2"}}'
is "  but \$create_alias merges them, identifies no one; no \$merge_dangerously" \
    "$(q '(ids("idA"), idf("c1"), ids("m1"))')" \
    "(['anA', 'anB', 'idA', 'idB'], False, ['m1'])"
emu_stop D

emu_start D --persons
send '{"event":"e","distinct_id":"u9","properties":{"$set":{"k":1}}}' \
    '{"event":"$identify","distinct_id":"u9","properties":{"$anon_distinct_id":"anonymous"}}' \
    '{"event":"$identify","distinct_id":"u9","properties":{"$anon_distinct_id":"\"null\""}}' \
    '{"event":"$identify","distinct_id":"u9","properties":{"$anon_distinct_id":"  "}}' \
    '{"event":"$create_alias","distinct_id":"u9","properties":{"alias":0}}' \
    '{"event":"$identify","distinct_id":"u9","properties":{"$anon_distinct_id":null}}' \
    '{"event":"$identify","distinct_id":"None","properties":{"$anon_distinct_id":"u9"}}'
is "illegal ids (anonymous, \"null\", blanks, null, None) are never merged" \
    "$(q '(ids("u9"), idf("u9"), warned("cannot_merge_with_illegal_distinct_id"))')" \
    "(['u9'], False, 5)"
is "  and a falsy alias (0) is no alias at all" \
    "$(q 'len(P)')" "2"
send '{"event":"$identify","distinct_id":"u9","properties":{"$anon_distinct_id":"nan"}}'
is "  NaN is illegal only in that case: nan merges" \
    "$(q 'ids("u9")')" "['nan', 'u9']"
emu_stop D

# --- $process_person_profile: false ----------------------------------------------

emu_start D --persons
send '{"event":"e","distinct_id":"pl","properties":{"$process_person_profile":false,"$set":{"a":1}}}'
is "\$process_person_profile false creates no person" "$(q 'len(P)')" "0"
send '{"event":"e","distinct_id":"pl","properties":{"$set":{"a":1}}}' \
    '{"event":"e","distinct_id":"pl","properties":{"$process_person_profile":false,"$set":{"a":2},"$groups":{"company":"c"}}}' \
    '{"event":"$identify","distinct_id":"pl","properties":{"$process_person_profile":false,"$anon_distinct_id":"x"}}' \
    '{"event":"$groupidentify","distinct_id":"pl","properties":{"$process_person_profile":false,"$group_type":"company","$group_key":"c","$group_set":{}}}'
is "  nor changes one, nor registers a group type" \
    "$(q '(props("pl"), types())')" "({'a': 1}, {})"
is "  identity events with it are dropped, with a warning" \
    "$(q '(ids("pl"), D["dropped"], warned("invalid_event_when_process_person_profile_is_false"))')" \
    "(['pl'], 2, 2)"
emu_stop D

emu_start D --persons --profile clickhouse-2022
send '{"event":"e","distinct_id":"pl","properties":{"$process_person_profile":false,"$set":{"a":1}}}'
is "before 2024 the property does not exist: the person is processed" \
    "$(q 'props("pl")')" "{'a': 1}"
emu_stop D

# --- groups ---------------------------------------------------------------------

emu_start D --persons
send '{"event":"e","distinct_id":"g","properties":{"$groups":{"project":"p1"}}}' \
    '{"event":"$groupidentify","distinct_id":"g","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"name":"Acme","size":1}}}' \
    '{"event":"$groupidentify","distinct_id":"g","properties":{"$groups":{"team":"t"},"$group_type":"org","$group_key":42,"$group_set":{"n":1}}}'
is "group types take indexes in first-seen order, \$group_type before \$groups" \
    "$(q 'sorted(types().items(), key=lambda t: t[1])')" \
    "[('project', 0), ('company', 1), ('org', 2), ('team', 3)]"
is "\$groupidentify creates the group; a number key becomes a string" \
    "$(q '(group("company", "acme"), group("org", "42"))')" \
    "({'name': 'Acme', 'size': 1}, {'n': 1})"
is "\$groups alone creates no group" "$(q 'group("project", "p1")')" "None"
send '{"event":"$groupidentify","distinct_id":"g","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"size":2},"$set":{"s":1}}}'
is "a later \$groupidentify assigns over the group's properties" \
    "$(q 'group("company", "acme")')" "{'name': 'Acme', 'size': 2}"
is "  and its \$set does not touch the person" "$(q 'props("g")')" "{}"
send '{"event":"e","distinct_id":"g","properties":{"$groups":{"t5":"x","t6":"y"}}}' \
    '{"event":"$groupidentify","distinct_id":"g","properties":{"$group_type":"t6","$group_key":"y","$group_set":{"a":1}}}'
is "at most 5 group types; a sixth gets no index and no group" \
    "$(q '(types().get("t5"), types().get("t6"), group("t6", "y"))')" \
    "(4, None, None)"
long=$(python3 -c 'print("k" * 401)')
send "{\"event\":\"\$groupidentify\",\"distinct_id\":\"g2\",\"properties\":{\"\$group_type\":\"company\",\"\$group_key\":\"$long\",\"\$group_set\":{}}}"
is "a group key over 400 characters drops the event (2026)" \
    "$(q '(D["dropped"], warned("group_key_too_long"), who("g2"))')" \
    "(1, 1, None)"
emu_stop D

# --- persons-diff.py: a source's persons and groups against a destination's ------

DIFF="python3 $PH_SRC/tests/persons-diff.py"
E1='{"event":"e","distinct_id":"anon","properties":{"$set":{"plan":"free"}}}'
E2='{"event":"$identify","distinct_id":"user","properties":{"$anon_distinct_id":"anon","$set":{"email":"u@x"}}}'
E3='{"event":"e","distinct_id":"user","properties":{"$set":{"plan":"pro"}}}'
E4='{"event":"$groupidentify","distinct_id":"user","properties":{"$group_type":"company","$group_key":"acme","$group_set":{"name":"Acme"}}}'
E5='{"event":"$groupidentify","distinct_id":"user","properties":{"$group_type":"team","$group_key":"t1","$group_set":{"size":3}}}'
E6='{"event":"e","distinct_id":"other","properties":{"$set":{"k":1}}}'

emu_start S --persons
emu_start D --persons
D_URL=$S_URL send "$E1" "$E2" "$E3" "$E4" "$E5" "$E6"
send "$E1" "$E2" "$E3" "$E4" "$E5" "$E6"
run $DIFF --ignore '$creator_event_uuid' "$S_URL" "$D_URL"
is_status "the same events in the same order: equal, exit 0" 0
is_file "  and the summary line says so" "$T/out" \
    "persons: 2 of 2 equal, groups: 2 of 2 equal"
emu_stop D

# A window without the $identify, the $set that came last sent first, the
# group types registered the other way round.
emu_start D --persons
send "$E3" "$E1" "$E5" "$E4" "$E6"
run $DIFF --ignore '$creator_event_uuid' "$S_URL" "$D_URL"
is_status "a window and a different order: exit 1" 1
has "  the person left split" "$T/out" \
    'person "anon": split over 2 destination persons'
has "  the group type at another index" "$T/out" \
    "group type company: index 0 at the source, 1 at the destination"
is "  the summary counts what is equal" "$(tail -n 1 "$T/out")" \
    "persons: 1 of 2 equal, groups: 2 of 2 equal"
emu_stop D

cat >"$T/src.ndjson" <<'EOF'
{"distinct_ids":["user","anon"],"properties":{"plan":"pro","email":"u@x"},"is_identified":true}
{"distinct_ids":["other"],"properties":{"k":2}}
{"group_type":"company","group_type_index":0}
{"group_type_index":0,"group_key":"acme","group_properties":{"name":"Acme"}}
EOF
run $DIFF --ignore '$creator_event_uuid' "$T/src.ndjson" "$S_URL"
is_status "an NDJSON source file against an emulator: exit 1" 1
is_file "  one property differs, one group and one type only at the destination" \
    "$T/out" 'person "other": property k: 2 at the source, 1 at the destination
group team "t1": only at the destination
group type team: index null at the source, 1 at the destination
persons: 1 of 2 equal, groups: 1 of 1 equal'
run $DIFF "$T/src.ndjson" "$S_URL"
has "without --ignore, \$creator_event_uuid is compared too" "$T/out" \
    'person "anon": property $creator_event_uuid extra'
echo '{"x":1}' >"$T/bad.ndjson"
run $DIFF "$T/bad.ndjson" "$S_URL"
is_status "a record that is none of the three: exit 2" 2
has "  with the file and line" "$T/err" "bad.ndjson:1: not a person"
emu_stop S

# --- the source half: --load-persons and the read APIs ---------------------------

python3 -c '
import json
for i in range(250):
    print(json.dumps({"distinct_ids": ["d%03d" % i, "0a1b2c3d-aaaa-bbbb-cccc-%012d" % i],
                      "properties": {"i": i}, "is_identified": i % 2 == 0,
                      "created_at": "2024-01-01T00:%02d:00Z" % (i // 5)}))
print(json.dumps({"distinct_ids": ["mail"], "properties": {"email": "m@x"},
                  "created_at": "2023-01-01T00:00:00.5Z"}))
print(json.dumps({"group_type": "company", "group_type_index": 0}))
print(json.dumps({"group_type": "team", "group_type_index": 2}))
for i in range(205):
    print(json.dumps({"group_type_index": 0, "group_key": "g%d" % i,
                      "group_properties": {"i": i},
                      "created_at": "2024-02-01T00:00:%02d.5Z" % (i // 10)}))
for i in range(1150):
    print(json.dumps({"group_type": "team", "group_key": "t%d" % i,
                      "created_at": "2024-03-01T00:00:00Z"}))
' >"$T/load.ndjson"
emu_start S --persons --load-persons "$T/load.ndjson"
is "--load-persons: the dump holds what the file holds" \
    "$(S_URL=$S_URL; $Q "$S_URL" '(len(P), len(G["groups"]), types())')" \
    "(251, 1355, {'company': 0, 'team': 2})"
is "persons/: 100 a page, next by offset, each person once, 251 in 3 pages" \
    "$($Q "$S_URL" walk /api/projects/1/persons/ 10)" "3 251 251 True"
is "  ?limit=50: 6 pages" \
    "$($Q "$S_URL" walk '/api/projects/@current/persons/?limit=50' 10)" \
    "6 251 251 True"
is "  a full last page is followed by an empty one (limit=251)" \
    "$($Q "$S_URL" walk '/api/environments/1/persons/?limit=251' 10)" \
    "2 251 251 True"
is "  newest first, then by id; next sets offset, previous is null" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?limit=3' '([p["id"] for p in J["results"]], J["next"].split("?")[1], J["previous"])')" \
    "([250, 249, 248], 'limit=3&offset=3', None)"
is "  previous of the second page is the request itself (offset 0 is falsy)" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?limit=3&offset=3' 'J["previous"].split("?")[1]')" \
    "limit=3&offset=3"
is "  a person: named by email or its first non-anonymous id, no is_identified" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?distinct_id=d007' '(J["results"][0]["name"], J["results"][0]["distinct_ids"], sorted(J["results"][0]))')" \
    "('d007', ['d007', '0a1b2c3d-aaaa-bbbb-cccc-000000000007'], ['created_at', 'distinct_ids', 'id', 'name', 'properties', 'uuid'])"
is "  created_at as DRF writes it" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?distinct_id=mail' '(J["results"][0]["name"], J["results"][0]["created_at"])')" \
    "('m@x', '2023-01-01T00:00:00.500000Z')"
is "groups_types/: a plain array by index" \
    "$($Q "$S_URL" get /api/projects/1/groups_types/ '[(t["group_type"], t["group_type_index"]) for t in J]')" \
    "[('company', 0), ('team', 2)]"
is "groups/: a DRF cursor on -created_at, 100 a page, each group once" \
    "$($Q "$S_URL" walk '/api/projects/1/groups/?group_type_index=0' 10)" \
    "3 205 205 True"
is "  next sorts the arguments; its cursor marks the last item whose successor differs (p=) and the items after it (o=)" \
    "$($Q "$S_URL" get '/api/projects/1/groups/?group_type_index=0' '__import__("base64").b64decode(__import__("urllib.parse").parse.unquote(J["next"].split("cursor=")[1].split("&")[0])).decode(), J["next"].split("&")[1]')" \
    "('o=5&p=2024-02-01+00%3A00%3A11.500000%2B00%3A00', 'group_type_index=0')"
is "  over 1000 groups with one created_at: offsets stop at 1000, next never runs out" \
    "$($Q "$S_URL" walk '/api/projects/1/groups/?group_type_index=2' 15)" \
    "15 1500 1100 False"
is "  without group_type_index Django answers 500" \
    "$($Q "$S_URL" get /api/projects/1/groups/ 'S')" "500"
is "  ?group_key= filters by substring, case-insensitive" \
    "$($Q "$S_URL" get '/api/projects/1/groups/?group_type_index=0&group_key=G20' 'sorted(g["group_key"] for g in J["results"])')" \
    "['g20', 'g200', 'g201', 'g202', 'g203', 'g204']"
run python3 -c 'import urllib.request, sys
try:
    urllib.request.urlopen(sys.argv[1] + "/api/projects/1/persons/")
except Exception as e:
    print(e.code)' "$S_URL"
is "  no personal key: 401" "$(cat "$T/out")" "401"
D_URL=$S_URL send '{"event":"e","distinct_id":"new","timestamp":"2025-01-01T00:00:00Z","properties":{"$set":{"n":1}}}'
is "ingested persons are served too, created_at from the event" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?limit=1' '(J["results"][0]["distinct_ids"], J["results"][0]["created_at"])')" \
    "(['new'], '2025-01-01T00:00:00Z')"
emu_stop S

python3 -c '
import json
for i in range(1200):
    print(json.dumps({"distinct_ids": ["p%d" % i]}))' >"$T/many.ndjson"
emu_start S --persons --profile clickhouse-2022 --load-persons "$T/many.ndjson"
is "2021-22 persons/: a cursor on -id, limit capped at 1000" \
    "$($Q "$S_URL" get '/api/projects/1/persons/?limit=5000' '(len(J["results"]), J["results"][0]["id"], __import__("base64").b64decode(__import__("urllib.parse").parse.unquote(J["next"].split("cursor=")[1].split("&")[0])).decode())')" \
    "(1000, 1200, 'p=201')"
is "  each person once" \
    "$($Q "$S_URL" walk '/api/projects/1/persons/' 20)" "12 1200 1200 True"
emu_stop S

emu_start S --persons
D_URL=$S_URL send '{"event":"e","distinct_id":"pd","properties":{"$set":{"b":1,"a":1},"$set_once":{"c":1}}}' \
    '{"event":"e","distinct_id":"pd","properties":{"$unset":["a"]}}' \
    '{"event":"$groupidentify","distinct_id":"pd","properties":{"$group_type":"company","$group_key":"k","$group_set":{"n":1}}}'
is "property_definitions/?type=person: every key ever set, by name, kept after \$unset" \
    "$($Q "$S_URL" get '/api/projects/1/property_definitions/?type=person' '([r["name"] for r in J["results"]], J["count"], J["next"])')" \
    "(['a', 'b', 'c'], 3, None)"
is "  limit and offset, next while more" \
    "$($Q "$S_URL" walk '/api/projects/1/property_definitions/?type=person&limit=1' 10)" \
    "3 3 3 True"
is "  ?type=group&group_type_index=N: the keys \$group_set gave that type" \
    "$($Q "$S_URL" get '/api/projects/1/property_definitions/?type=group&group_type_index=0' '[r["name"] for r in J["results"]]')" \
    "['n']"
emu_stop S

printf '%s\n' '{"distinct_ids":["a"]}' '{"distinct_ids":["a"]}' >"$T/dup.ndjson"
run "$PH_EMU" --port-file "$T/x.port" --load-persons "$T/dup.ndjson"
is_status "--load-persons: a distinct_id held twice stops ph-emu" 1
has "  naming the file and line" "$T/err" \
    "dup.ndjson:2: a distinct_id that another person holds"

done_testing
