#!/bin/sh
# The persons pass alters no value: property values of persons and groups
# leave ph-fetch as the source wrote them (integers beyond 64 bits, every
# digit of a float, escapes), through the query API (2026) and through
# the persons API (clickhouse-2022, no query API).  The destination then
# holds what PostHog's ingestion makes of them: JSON.parse reads every
# number as a double, and Postgres gets U+FFFD for \u0000 (ph-emu's
# persons.c, which cites the PostHog code).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

# The values, as JSON text: name, then text.
cat >"$T/values" <<'EOF'
big 123456789012345678901234567890
neg -123456789012345678901234567890
two64 18446744073709551616
odd 9007199254740993
f 1.10
d 0.1000000000000000055511151231257827
huge 1e400
tiny 4.9e-324
nz -0.0
exp 1E5
s "a\u2028b\u0000c\/d\ud83d\ude00\"e"
nest {"x":[1.0,123456789012345678901234567890,"\u00e9"]}
EOF
python3 - "$T/values" >"$T/load.ndjson" <<'EOF'
import sys
body = ",".join('"%s":%s' % tuple(l.split(" ", 1))
                for l in open(sys.argv[1]).read().splitlines())
print('{"group_type":"company","group_type_index":0}')
print('{"distinct_ids":["u1","anon1"],"properties":{%s},"is_identified":true,'
      '"created_at":"2024-01-02T00:00:00Z"}' % body)
print('{"distinct_ids":["u2"],"properties":{"n":%s},"created_at":"2024-01-01T00:00:00Z"}'
      % "123456789012345678901234567890.5e-3")
print('{"group_type_index":0,"group_key":"acme","group_properties":{%s},'
      '"created_at":"2024-01-01T00:00:00Z"}' % body)
EOF

# holds FILE [N [VALUES]]: every "name":text of VALUES ($T/values) N
# times in FILE (2: for the person u1 and for the group); prints what is
# missing.
holds() {
	python3 - "${3:-$T/values}" "$1" "${2:-2}" <<'EOF'
import sys
data = open(sys.argv[2], encoding="utf-8", errors="replace").read()
for l in open(sys.argv[1]).read().splitlines():
    k, v = l.split(" ", 1)
    n = data.count('"%s":%s' % (k, v))
    if n < int(sys.argv[3]):
        print("%s: %d of %s" % (k, n, sys.argv[3]))
EOF
}

# What ph-fetch sends: all but 1e400, which capture refuses (with the
# whole batch it is in: ph-emu's capture.c cites serde_json).
grep -v '^huge ' "$T/values" >"$T/values.sent"

# The destination, read by Python (which keeps big integers), against what
# ingestion makes of each value: a double, \u0000 as U+FFFD.  1e400 was
# not sent, and is not there.
cat >"$T/dest.py" <<'EOF'
import json, sys, urllib.request
values = dict(l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines())
def js(v):
    if isinstance(v, str):
        return v.replace("\0", "\ufffd")
    if isinstance(v, dict):
        return {k: js(x) for k, x in v.items()}
    if isinstance(v, list):
        return [js(x) for x in v]
    return v
def same(got, want):
    if isinstance(want, float):
        return (isinstance(got, (int, float)) and not isinstance(got, bool)
                and float(got) == want)
    if isinstance(want, dict):
        return (isinstance(got, dict) and got.keys() == want.keys() and
                all(same(got[k], want[k]) for k in want))
    if isinstance(want, list):
        return (isinstance(got, list) and len(got) == len(want) and
                all(same(a, b) for a, b in zip(got, want)))
    return got == want and type(got) == type(want)
want = {k: js(json.loads(t, parse_int=float)) for k, t in values.items()
        if k != "huge"}
base = sys.argv[2]
p = json.load(urllib.request.urlopen(base + "/_emu/persons"))["persons"]
g = json.load(urllib.request.urlopen(base + "/_emu/groups"))["groups"]
u1 = [x for x in p if "u1" in x["distinct_ids"]][0]["properties"]
acme = [x for x in g if x["group_key"] == "acme"][0]["group_properties"]
for who, got in (("person", u1), ("group", acme)):
    for k, v in want.items():
        if not same(got.get(k), v):
            print("%s %s: %r, expected %r" % (who, k, got.get(k), v))
    if "huge" in got:
        print("%s huge: %r, expected none" % (who, got["huge"]))
EOF

# check_pass PROFILE: the pass from a source of that profile.
check_pass() {
	emu_start S --load-persons "$T/load.ndjson" --profile "$1"
	emu_start D --persons
	pass "$S_URL" "$D_URL"
	is_status "$1: the pass delivers what it was given: exit 0" 0
	is "  ph-fetch wrote every value text as the source did" \
	    "$(holds "$T/pass.ndjson" 2 "$T/values.sent")" ""
	is "  but for 1e400, which capture refuses: named, for the person \
and the group" "$(grep -c "property huge holds a number beyond a double's \
range, which capture refuses: not sent" "$T/fetch.err") \
$(grep -c '1e400' "$T/pass.ndjson")" "2 0"
	has "  counted in the summary" "$T/fetch.err" \
	    "2 values with a number beyond a double's range, not sent"
	run "$PH_FETCH" --host "$S_URL" --persons --quiet
	is_status "  and ph-fetch exits 1" 1
	has "  a decimal text is left as it is written" "$T/pass.ndjson" \
	    '"n":123456789012345678901234567890.5e-3'
	is "  the destination holds what JavaScript makes of them" \
	    "$(python3 "$T/dest.py" "$T/values" "$D_URL" 2>&1)" ""
	curl -s --noproxy '*' "$D_URL/_emu/persons" >"$T/dump"
	has "  written as JSON.stringify writes it" "$T/dump" \
	    '"big":1.2345678901234568e+29,"neg":-1.2345678901234568e+29,"two64":18446744073709552000,"odd":9007199254740992,"f":1.1,"d":0.1,'
	has "  -0 too" "$T/dump" '"tiny":5e-324,"nz":0,"exp":100000,'
	has "  the other person's too" "$T/dump" '"n":1.2345678901234568e+26'
}

# --- the query API (2026) ---------------------------------------------------

check_pass 2026
is "  persons were read through the query API" \
    "$(logq "$T/S.log" '([x.get("table") for x in L].count("persons") > 0,
sum("/persons" in x["path"] for x in L))')" "(True, 0)"
emu_stop D
emu_stop S

# --- the persons API (no query API) ------------------------------------------------

check_pass clickhouse-2022
has "  persons were read through the persons API" "$T/fetch.err" \
    "no query API (404): reading persons through the persons API"
curl -s --noproxy '*' "$S_URL/api/projects/1/persons/" \
    -H "Authorization: Bearer phx_test" >"$T/rest"
is "  which serves every value text as loaded" "$(holds "$T/rest" 1)" ""
emu_stop D
emu_stop S

# --- what cannot be carried ------------------------------------------------------

printf '%s\n' '{"distinct_ids":["x"],"properties":{"s":"\ud800"}}' \
    >"$T/lone.ndjson"
run timeout 10 "$PH_EMU" --load-persons "$T/lone.ndjson" \
    --port-file "$T/lone.port"
is_status "a lone surrogate, which Postgres refuses, is not loaded: exit 1" 1
has "  said where" "$T/err" \
    "lone.ndjson:1: invalid JSON at byte 42: lone surrogate in \\u escape"

# No PostHog serves one, but ph-fetch neither sends it altered nor takes
# the person for one without properties (which would $unset them all): a
# source whose query API has a person with a lone surrogate.
cat >"$T/lone.py" <<'EOF'
import http.server, json, sys
PERSON = "00000000-0000-4000-8000-000000000001"
EMPTY = "00000000-0000-4000-8000-000000000002"
REST = sys.argv[2] == "rest"
class H(http.server.BaseHTTPRequestHandler):
    def send(self, body):
        b = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        if "property_definitions" in self.path:
            self.send({"results": [{"name": "s"}], "next": None})
        elif "/persons/" in self.path:
            self.send({"results": [{"distinct_ids": ["x"], "properties":
                                    {"s": "\ud800"}}], "next": None})
        else:
            self.send([])
    def do_POST(self):
        if REST:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        n = int(self.headers["Content-Length"])
        q = json.loads(self.rfile.read(n))["query"]["query"]
        if "FROM persons" in q:
            self.send({"results": [[PERSON, "2024-01-01 00:00:00.000",
                                    '{"s":"\\ud800","k":1}'],
                                   [EMPTY, "2024-01-01 00:00:00.000", ""]]})
        else:
            self.send({"results": [[PERSON, "x"], [EMPTY, "y"]]})
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write("%d\n" % s.server_port)
s.serve_forever()
EOF
python3 "$T/lone.py" "$T/fake.port" query &
BG_PIDS="$BG_PIDS $!"
while [ ! -s "$T/fake.port" ]; do sleep 0.01; done
run "$PH_FETCH" --host "http://127.0.0.1:$(cat "$T/fake.port")" --persons
is_status "a person's properties that cannot be read: exit 1" 1
has "  said" "$T/err" "person 00000000-0000-4000-8000-000000000001: its \
properties are not a JSON object: invalid JSON at byte 7: lone surrogate in \
\\u escape: left out"
is "  the person is still created, and nothing set or unset; a person \
whose column is empty has no properties" \
    "$(python3 -c 'import json, sys
print([(json.loads(l)["distinct_id"], json.loads(l)["properties"])
       for l in open(sys.argv[1])])' "$T/out")" \
    "[('x', {'\$set': {}}), ('y', {'\$set': {}}), ('y', {'\$set': {}, '\$unset': ['\$creator_event_uuid', 's']})]"

# And one whose persons API does (no query API): its reply cannot be read.
python3 "$T/lone.py" "$T/rest.port" rest &
BG_PIDS="$BG_PIDS $!"
while [ ! -s "$T/rest.port" ]; do sleep 0.01; done
run "$PH_FETCH" --host "http://127.0.0.1:$(cat "$T/rest.port")" --persons \
    --max-retries 1 --retry-wait 0
is_status "a persons API reply that cannot be read is a broken reply: exit 5" 5
has "  said" "$T/err" \
    "200 with a reply that is not a JSON object: invalid JSON at byte 59: lone surrogate in \\u escape; giving up after 1 retries"
is "  and nothing written for it" "$(wc -l <"$T/out")" "0"

done_testing
