#!/bin/sh
# The persons pass at scale: keyset pages through the query API that cost
# the same at any depth and are not shifted by a merge, the persons API
# where there is no query API, a person with 10,000 distinct_ids and one
# with megabytes of properties, and 429s while persons are read.
# ph-send --dry-run and --state on the pass are in persons-resend.t.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib-persons.sh"

# --- keyset pages through the query API ----------------------------------------------

crowd 2503 "$T/crowd.ndjson"
emu_start S --load-persons "$T/crowd.ndjson"
emu_start D --persons
FETCH_OPTS="--page-size 100" pass "$S_URL" "$D_URL" --batch-size 500
is_status "2,503 persons read by keyset, 100 a page: exit 0" 0
has "  every person read once" "$T/fetch.err" "2503 persons (5006 distinct_ids)"
is "  26 pages of persons, each past the last id of the one before" \
    "$(logq "$T/S.log" '([x.get("table") for x in L].count("persons"),
sum(1 for x in L if "WHERE id > toUUID(" in x.get("hogql", "")))')" "(26, 25)"
is "  a deep page scans what it returns, as the first does (no offset)" \
    "$(logq "$T/S.log" 'sorted(set(x["scanned"] - x["rows"] for x in L
if x.get("table") == "persons"))')" "[0]"
is "  and the last page starts at the 2,501st person" \
    "$(logq "$T/S.log" '[x["hogql"].split("toUUID(")[1][:38] for x in L
if x.get("table") == "persons" and "toUUID(" in x["hogql"]][-1]')" \
    "'00000000-0000-4000-8000-000000002499'"
is "  no request to the persons API" \
    "$(logq "$T/S.log" 'sum("/persons" in x["path"] for x in L)')" "0"
diff_ "$S_URL" "$D_URL"
is_status "  and the destination's persons are the source's" 0
emu_stop D
emu_stop S

# The 2024 query API caps rows at 10,000 and refuses fields it does not
# know: the same queries serve.
crowd 300 "$T/few.ndjson"
emu_start S --load-persons "$T/few.ndjson" --profile 2024
run "$PH_FETCH" --host "$S_URL" --persons --page-size 20000
is_status "a 2024 source, a page larger than its cap: exit 0" 0
has "  every person read" "$T/err" "300 persons (600 distinct_ids)"
emu_stop S

# --- no query API: the persons API -------------------------------------------------

emu_start S --load-persons "$T/few.ndjson" --profile clickhouse-2022
emu_start D --persons
FETCH_OPTS="--page-size 100" pass "$S_URL" "$D_URL"
is_status "a 2022 source without a query API: exit 0" 0
has "  ph-fetch says it reads through the persons API" "$T/fetch.err" \
    "no query API (404): reading persons through the persons API"
is "  which pages by a DRF cursor there" \
    "$(logq "$T/S.log" 'sum("cursor=" in x["query"] for x in L if "/persons" in x["path"])')" "2"
diff_ "$S_URL" "$D_URL"
is_status "  and the persons are equal" 0
emu_stop D
run "$PH_FETCH" --host "$S_URL" --persons --api query
is_status "--api query where there is none: exit 3" 3
has "  named" "$T/err" "no query API (404), and --api query asks for it"
emu_stop S

# --- a merge at the source while the pass reads -------------------------------------

# merged_read [ph-fetch options]: 200 persons read 10 a page, each
# request 100 ms; after the first page, p00001 absorbs p00002, a person
# already read.  Offsets then move every later person up one place: the
# person at a page boundary is skipped.  Keyset pages go on from the
# last id.  Prints the persons after the first page that are missing.
merged_read() {
	emu_start S --load-persons "$T/merging.ndjson" --persons --latency 100
	"$PH_FETCH" --host "$S_URL" --persons --page-size 10 "$@" \
	    >"$T/merged.ndjson" 2>"$T/merged.err" &
	_f=$!
	_n=0
	until grep -q '"persons":10\|"table":"persons"' "$T/S.log" 2>/dev/null ||
	    [ $_n -gt 400 ]; do
		sleep 0.02
		_n=$((_n + 1))
	done
	$Q "$S_URL" send '{"event":"$merge_dangerously","distinct_id":"p00001","properties":{"alias":"p00002"}}' >/dev/null
	wait $_f
	emu_stop S
	python3 -c 'import json, sys
seen = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "$set" and "$set" in e["properties"]:
        seen.setdefault(e["distinct_id"].replace("anon-", ""), 0)
print(sorted(set("p%05d" % i for i in range(10, 200)) - set(seen)))' \
	    "$T/merged.ndjson"
}
crowd 200 "$T/merging.ndjson"
is "a merge during a keyset read: every later person read" \
    "$(merged_read)" "[]"
is "  the same merge during an offset read skips one" \
    "$(merged_read --api events | tr -d "[]'" | wc -w)" "1"

# --- 10,000 distinct_ids, 5 MB of properties -------------------------------------------

python3 - >"$T/big.ndjson" <<'EOF'
import json
print(json.dumps({"distinct_ids": ["many"] + ["m-%05d" % i for i in range(10000)],
                  "uuid": "00000000-0000-4000-8000-000000000001",
                  "properties": {"n": 10000}, "is_identified": True,
                  "created_at": "2024-01-01T00:00:00Z"}))
print(json.dumps({"distinct_ids": ["heavy", "heavy-anon"],
                  "uuid": "00000000-0000-4000-8000-000000000002",
                  "properties": {"p%02d" % i: "v" * 100000 for i in range(50)},
                  "is_identified": True,
                  "created_at": "2024-01-02T00:00:00Z"}))
print(json.dumps({"distinct_ids": ["after"],
                  "uuid": "00000000-0000-4000-8000-000000000003",
                  "properties": {"k": 1}, "created_at": "2024-01-03T00:00:00Z"}))
EOF
emu_start S --load-persons "$T/big.ndjson"
emu_start D --persons
$Q "$D_URL" send '{"event":"e","distinct_id":"m-00042"}' \
    '{"event":"e","distinct_id":"m-09999"}' '{"event":"e","distinct_id":"heavy-anon"}' >/dev/null
pass "$S_URL" "$D_URL"
is_status "a person with 10,000 distinct_ids and one with 5 MB: exit 0" 0
is "  the distinct_ids come 10,000 a reply at most, the rest by keyset" \
    "$(logq "$T/S.log" '[x["rows"] for x in L if x.get("table") == "person_distinct_ids"]')" \
    "[10000, 4]"
is "  the merges stream out under the person's first distinct_id" \
    "$(grep -c '"event":"$merge_dangerously","distinct_id":"m-00000"' "$T/pass.ndjson")" \
    "10000"
is "  at the destination one person holds all 10,001" \
    "$($Q "$D_URL" '(len(ids("many")), props("many"))')" "(10001, {'n': 10000})"
is "  the 5 MB person in \$set events capture accepts (under 400,000 bytes each)" \
    "$(python3 -c 'import sys
L = [l for l in open(sys.argv[1]) if "\"heavy" in l and "\"$set\"" in l]
print(len(L) >= 13, max(len(l) for l in L) < 400500)' "$T/pass.ndjson")" \
    "True True"
is "  none refused" "$(wc -c <"$T/rejected" 2>/dev/null || echo 0)" "0"
diff_ "$S_URL" "$D_URL"
is_status "  every person equal, the 5 MB one too" 0
emu_stop D
emu_stop S

printf '%s\n' '{"distinct_ids":["huge"],"properties":{"blob":"'"$(head -c 1200000 /dev/zero | tr '\0' x)"'","small":1},"created_at":"2024-01-03T00:00:00Z"}' \
    >"$T/huge.ndjson"
emu_start S --load-persons "$T/huge.ndjson"
emu_start D --persons
pass "$S_URL" "$D_URL"
is_status "a value capture refuses: exit 1" 1
has "  ph-fetch names it" "$T/fetch.err" \
    "person huge: property blob is 1200010 bytes of JSON"
has "  ph-send puts it in the reject file" "$T/rejected" '"blob":"xxxx'
diff_ "$S_URL" "$D_URL"
has "  and it is the only difference" "$T/out" \
    'person "huge": property blob missing'
emu_stop D
emu_stop S

# --- 429s while persons are read ------------------------------------------------------

emu_start S --load-persons "$T/few.ndjson"
"$PH_FETCH" --host "$S_URL" --persons --page-size 20 -q >"$T/calm.ndjson"
emu_stop S
emu_start S --load-persons "$T/few.ndjson" --p429 0.4 --retry-after 0 --seed 9
run "$PH_FETCH" --host "$S_URL" --persons --page-size 20 --retry-wait 0.01 \
    --retry-max-wait 0.05
is_status "429s on four requests in ten during the read: exit 0" 0
check "  ph-fetch waited as told" \
    test "$(logq "$T/S.log" 'sum(x["status"] == 429 for x in L)')" -gt 3
has "  and counts the waits" "$T/err" "rate-limit waits"
cmp -s "$T/out" "$T/calm.ndjson"
is "  the same events, byte for byte, as without them" "$?" "0"
emu_stop S

# --- a destination from 2021: no $merge_dangerously -------------------------------------

cat >"$T/two.ndjson" <<'EOF2'
{"distinct_ids":["idA","anA","idB","anB"],"properties":{"email":"a@x"},"is_identified":true,"created_at":"2024-01-01T00:00:00Z"}
{"distinct_ids":["solo"],"properties":{"k":2},"created_at":"2024-01-02T00:00:00Z"}
EOF2
emu_start S --load-persons "$T/two.ndjson"
emu_start D --persons --profile postgres-2021
$Q "$D_URL" send \
    '{"event":"$identify","distinct_id":"idA","properties":{"$anon_distinct_id":"anA"}}' \
    '{"event":"$identify","distinct_id":"idB","properties":{"$anon_distinct_id":"anB"}}' \
    '{"event":"e","distinct_id":"solo","properties":{"$set":{"k":1}}}' >/dev/null
pass "$S_URL" "$D_URL"
diff_ "$S_URL" "$D_URL"
has "2021's ingestion ignores \$merge_dangerously: two identified persons stay apart" \
    "$T/out" 'person "anA": split over 2 destination persons'
has "  ph-send, seeing Django-era capture, says so and what to do" "$T/send.err" \
    '3 $merge_dangerously events went to Django-era capture: PostHog from 2021 ignores them and merges nothing; for such a destination, run the persons pass with ph-fetch --persons --create-alias'
FETCH_OPTS=--create-alias pass "$S_URL" "$D_URL"
is_status "  ph-fetch --persons --create-alias: exit 0" 0
is "  ties each distinct_id by \$create_alias" \
    "$(grep -c '"event":"$create_alias","distinct_id":"anA"' "$T/pass.ndjson"):$(grep -c merge_dangerously "$T/pass.ndjson")" "3:0"
lacks "  and no longer warns" "$T/send.err" "merge_dangerously"
diff_ "$S_URL" "$D_URL"
is_status "  which 2021 merges whoever is identified: equal" 0
emu_stop D
emu_stop S
run "$PH_FETCH" --host http://127.0.0.1:1 --after 2024-01-01 --create-alias
is_status "--create-alias without --persons: exit 2" 2
has "  named" "$T/err" "--create-alias applies to --persons only"

done_testing
