#!/bin/sh
# ph-clean as a program: the rules end to end, bad input, exit statuses,
# Unix behaviour.  Unit tests of the rules' exact output are in
# tests/unit/test-clean.c.
. "$(dirname "$0")/../lib.sh"

U=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
NS=0203f60f-eeb8-4a67-b122-d62af66ea6f1

# uuid5 NAME: Python's answer, an oracle independent of our code.
uuid5() {
	python3 -c 'import sys, uuid
print(uuid.uuid5(uuid.UUID(sys.argv[1]), sys.argv[2]))' "$NS" "$1"
}

# jget EXPR < json-lines: evaluate a Python expression on each line as e.
jget() {
	python3 -c 'import sys, json
for line in sys.stdin:
    e = json.loads(line)
    print(eval(sys.argv[1]))' "$1"
}

# --- rules -----------------------------------------------------------

ev='{"id":"'$U'","event":"$pageview","distinct_id":"u1","properties":{"$browser":"Chrome"},"timestamp":"2024-01-01T00:00:00.000001+00:00","person":{"is_identified":true},"elements":[],"elements_chain":"","sent_at":"2024-01-02","offset":3,"now":"x","team_id":2}'
run_in "$ev
" "$PH_CLEAN"
is_status "a listing-API event is accepted" 0
is_file "rules 1, 4, 5 on a listing-API event" "$T/out" \
'{"uuid":"'$U'","event":"$pageview","distinct_id":"u1","properties":{"$browser":"Chrome","distinct_id":"u1","$geoip_disable":true},"timestamp":"2024-01-01T00:00:00.000001+00:00"}'
is "nothing on stderr for good input" "$(cat "$T/err")" ""

for did in '' '"distinct_id":null,' '"distinct_id":"",' \
    '"distinct_id":"  None ",' '"distinct_id":"nOnE",'; do
	run_in '{"id":"'$U'",'"$did"'"event":"e"}
' "$PH_CLEAN"
	is "rule 2: blank distinct_id [$did] is uuid5 of the uuid" \
	    "$(jget 'e["distinct_id"], e["properties"]["distinct_id"]' \
	    <"$T/out")" "('$(uuid5 $U)', '$(uuid5 $U)')"
done

# Identity: the one capture would use (top-level distinct_id, else
# $distinct_id, else properties.distinct_id), filled only when none is.
run_in '{"id":"'$U'","event":"e","properties":{"distinct_id":"realuser"}}
{"id":"'$U'","event":"e","$distinct_id":"person-1","properties":{}}
{"id":"'$U'","event":"e","distinct_id":"a","$distinct_id":"b","properties":{"distinct_id":"c"}}
{"id":"'$U'","event":"e","distinct_id":null,"$distinct_id":"b","properties":{"distinct_id":"c"}}
{"id":"'$U'","event":"e","distinct_id":"","$distinct_id":" ","properties":{"distinct_id":"c"}}
{"id":"'$U'","event":"e","distinct_id":"","$distinct_id":null,"properties":{"distinct_id":null}}
{"id":"'$U'","event":"e","distinct_id":7}
' "$PH_CLEAN"
is_status "identity cases: all accepted" 0
python3 - "$T/out" >"$T/ids" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    pairs = json.loads(line, object_pairs_hook=lambda p: p)
    keys = [k for k, v in pairs]
    print(keys.count("distinct_id") + keys.count("$distinct_id"),
          dict(pairs)["distinct_id"])
EOF
is_file "each comes out with one distinct_id, the one capture would use" \
    "$T/ids" "1 realuser
1 person-1
1 a
1 b
1 c
1 $(uuid5 $U)
1 7"

python3 "$PH_SRC/tests/gen-events.py" --count 500 --seed 3 >"$T/gen"
"$PH_CLEAN" "$T/gen" >"$T/run1"
"$PH_CLEAN" <"$T/gen" >"$T/run2"
check "derived ids are the same on every run" cmp -s "$T/run1" "$T/run2"
is "every event gets a uuid and a distinct_id" "$(jget \
    'bool(e["uuid"]) and e["distinct_id"] not in (None, "")' \
    <"$T/run1" | sort -u)" "True"
is "one output line per input event" "$(wc -l <"$T/run1")" "500"

run_in '{"id":"'$U'","event":"e"}
{"id":"'$U'","event":"e"}
' "$PH_CLEAN" --random-distinct-id
is "--random-distinct-id gives a fresh v4 uuid each time" "$(jget \
    'e["distinct_id"][14]' <"$T/out" | sort -u) $(jget 'e["distinct_id"]' \
    <"$T/out" | sort -u | wc -l)" "4 2"

run_in '{"id":"'$U'","event":"e","distinct_id":"d","properties":{"distinct_id":" none"}}
{"id":"'$U'","event":"e","distinct_id":"d","properties":{"distinct_id":"keep"}}
{"id":"'$U'","event":"e","distinct_id":"d"}
' "$PH_CLEAN"
is "rule 3: properties.distinct_id filled only when blank" \
    "$(jget 'e["properties"]["distinct_id"]' <"$T/out" | tr '\n' ' ')" \
    "d keep d "

run_in '{"id":"'$U'","event":"$autocapture","distinct_id":"d","elements":[{"tag_name":"a"}],"elements_chain":"a.link:nth-child=\"1\"","properties":{}}
{"id":"'$U'","event":"$autocapture","distinct_id":"d","elements_chain":"new","properties":{"$elements_chain":"old"}}
' "$PH_CLEAN"
is "rule 4: elements_chain moves into properties unless there already" \
    "$(jget 'e["properties"]["$elements_chain"], "elements" in e, "elements_chain" in e' \
    <"$T/out" | tr '\n' ' ')" \
    "('a.link:nth-child=\"1\"', False, False) ('old', False, False) "

# A Postgres-era listing (2021-22): integer ids, an "elements" array and
# no elements_chain.  The array becomes the chain PostHog writes.
printf '%s\n' \
    '{"id":1017,"distinct_id":"u1","properties":{"$current_url":"/"},"elements":[{"text":"Buy","tag_name":"button","attr_class":["primary","btn"],"href":null,"attr_id":"buy","nth_child":3,"nth_of_type":1,"attributes":{"attr__class":"btn primary","attr__data-say":"\"hi\""},"order":0},{"text":null,"tag_name":"form","attr_class":null,"href":null,"attr_id":null,"nth_child":1,"nth_of_type":1,"attributes":{},"order":1}],"event":"$autocapture","timestamp":"2021-06-01T10:00:00.000000Z","person":"u1@example.com"}' \
    '{"id":1018,"distinct_id":"u1","properties":{},"elements":[{"tag_name":"a","nth_child":2.5}],"event":"$autocapture","timestamp":"2021-06-01T10:00:01.000000Z"}' \
    '{"id":1019,"distinct_id":"u1","properties":{},"elements":[],"event":"$pageview","timestamp":"2021-06-01T10:00:02.000000Z"}' \
    >"$T/pg"
run "$PH_CLEAN" "$T/pg"
is_status "Postgres-era events: the one with a float nth_child is refused" 1
is "  the chain, as PostHog's elements_to_string writes it" \
    "$(jget 'e["properties"].get("$elements_chain")' <"$T/out")" \
    'button.btn.primary:attr__class="btn primary"attr__data-say="\"hi\""attr_id="buy"nth-child="3"nth-of-type="1"text="Buy";form:nth-child="1"nth-of-type="1"
None'
is "  no elements left, uuids derived from the integer ids" \
    "$(jget '"elements" in e, e["uuid"]' <"$T/out" | tr '\n' ' ')" \
    "(False, '$(uuid5 id:1017)') (False, '$(uuid5 id:1019)') "
is_file "  the refused line is named, with the element" "$T/err" \
    "ph-clean: $T/pg:2: elements[0].nth_child: a float, array or object, whose text in a chain would be Python's"

run_in '{"id":"'$U'","event":"e","distinct_id":"d","properties":{"$geoip_disable":false}}
' "$PH_CLEAN"
is "rule 5: \$geoip_disable set to true" \
    "$(jget 'e["properties"]["$geoip_disable"]' <"$T/out")" "True"
run_in '{"id":"'$U'","event":"e","distinct_id":"d","properties":{"$geoip_disable":false}}
' "$PH_CLEAN" --keep-geoip
is "--keep-geoip leaves it alone" \
    "$(jget 'e["properties"]["$geoip_disable"]' <"$T/out")" "False"

python3 "$PH_SRC/tests/gen-events.py" --count 200 --seed 5 --shape query \
    >"$T/query"
"$PH_CLEAN" "$T/query" >"$T/out"
is "rule 6: query rows' string properties become objects" \
    "$(jget 'type(e["properties"]).__name__' <"$T/out" | sort -u)" "dict"
python3 - "$T/query" "$T/out" >"$T/diff" <<'EOF'
import json, sys
# Every property of the row arrives, with the same value.
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    src = json.loads(json.loads(a)["properties"])
    dst = json.loads(b)["properties"]
    for k, v in src.items():
        if k == "distinct_id" and (v is None or str(v).strip().lower() in ("", "none")):
            continue
        if dst.get(k) != v:
            print("changed", k)
EOF
is "rule 6: their values arrive unchanged" "$(cat "$T/diff")" ""

# Rule 7: values that a parse-and-print round trip would change.
raw='{"id":"'$U'","event":"e","distinct_id":"d","n":123456789012345678901234567890,"f":[1e-7,1.0,-0,1E+2,0.1000],"s":"\/\u00e9\ud83d\ude00 é 😀 \"q\" \t","k\u00e9y":{"deep":[{"x":null}]},"properties":{"big":-98765432109876543210.000000000001,"u":"中文"}}'
run_in "$raw
" "$PH_CLEAN"
for part in '"n":123456789012345678901234567890' '"f":[1e-7,1.0,-0,1E+2,0.1000]' \
    '"s":"\/\u00e9\ud83d\ude00 é 😀 \"q\" \t"' '"k\u00e9y":{"deep":[{"x":null}]}' \
    '"big":-98765432109876543210.000000000001' '"u":"中文"'; do
	has "rule 7: $part passes byte for byte" "$T/out" "$part"
done

# --- bad input ---------------------------------------------------------

printf '%s\n' \
    '{"event":"good 1","distinct_id":"d"}' \
    'not json' \
    '[1,2]' \
    '{"distinct_id":"d"}' \
    '{"event":42}' \
    '{"event":""}' \
    '{"event":"a","event":"b"}' \
    '{"event":"bad \ud800"}' \
    '{"event":"x","properties":7}' \
    '' \
    '   ' \
    '{"event":"good 2"}' >"$T/bad"
printf '{"event":"caf\351"}\n{"event":"good 3"}' >>"$T/bad"
run "$PH_CLEAN" -r "$T/rejects" "$T/bad"
is_status "rejected lines: exit status 1" 1
is "the good lines all come out, in order" \
    "$(jget 'e["event"]' <"$T/out" | tr '\n' ' ')" "good 1 good 2 good 3 "
is_file "each bad line is named with file, line and reason" "$T/err" \
"ph-clean: $T/bad:2: invalid JSON at byte 1: expected a value
ph-clean: $T/bad:3: not a JSON object
ph-clean: $T/bad:4: no \"event\"
ph-clean: $T/bad:5: \"event\" is not a string
ph-clean: $T/bad:6: \"event\" is empty
ph-clean: $T/bad:7: duplicate key \"event\"
ph-clean: $T/bad:8: invalid JSON at byte 15: lone surrogate in \\u escape
ph-clean: $T/bad:9: \"properties\" is not an object
ph-clean: $T/bad:13: invalid UTF-8 at byte 14"
sed -n '2,9p;13p' "$T/bad" >"$T/expected-rejects"
check "--reject gets each bad line unchanged" \
    cmp -s "$T/rejects" "$T/expected-rejects"
run "$PH_CLEAN" -r "$T/rejects" "$T/bad"
is "--reject appends, never truncates" "$(wc -l <"$T/rejects")" "18"

run "$PH_CLEAN" --strict "$T/bad"
is_status "--strict: exit status 1" 1
is "--strict stops at the first bad line" \
    "$(jget 'e["event"]' <"$T/out") $(wc -l <"$T/err")" "good 1 1"

run_in '{"event":"a"}' "$PH_CLEAN" - "$T/nonexistent" "$T/query"
is_status "an unreadable file: exit status 3" 3
has "it is named" "$T/err" "ph-clean: $T/nonexistent: No such file or directory"
is "the other inputs are still cleaned" "$(wc -l <"$T/out")" "201"

mkdir "$T/adir"
run_in '{"event":"a"}' "$PH_CLEAN" "$T/adir" - "$T/query"
is_status "a file that cannot be read: exit status 3" 3
is_file "  it is named, with the reason" "$T/err" \
    "ph-clean: $T/adir: Is a directory"
is "  the other inputs are still cleaned" "$(wc -l <"$T/out")" "201"

"$PH_CLEAN" <&- >"$T/out" 2>"$T/err"
is "a closed stdin is an error, not an empty input" \
    "$? $(cat "$T/err") $(wc -c <"$T/out")" \
    "3 ph-clean: stdin: Bad file descriptor 0"
"$PH_CLEAN" "$T/query" - "$T/query" <&- >"$T/out" 2>"$T/err"
is "  with - among files: the files are still cleaned" \
    "$? $(cat "$T/err") $(wc -l <"$T/out")" \
    "3 ph-clean: stdin: Bad file descriptor 400"
"$PH_CLEAN" "$T/query" <&- >"$T/out" 2>"$T/err"
is "  and without -, a closed stdin does not matter" \
    "$? $(cat "$T/err") $(wc -l <"$T/out")" "0  200"

printf '\357\273\277{"event":"bom"}\r\n{"event":"crlf"}\r\n\r\n{"event":"last"}' \
    >"$T/crlf"
printf '\357\273\277{"bad":1}\r\n{"event":"ok"}\r\nnope\r\n' >"$T/bomcr"
run "$PH_CLEAN" -r "$T/bomcr-rej" "$T/bomcr"
printf '\357\273\277{"bad":1}\r\nnope\r\n' >"$T/bomcr-want"
check "--reject keeps a BOM and CRLF endings: lines truly unchanged" \
    cmp -s "$T/bomcr-rej" "$T/bomcr-want"

run "$PH_CLEAN" "$T/crlf"
is_status "BOM, CRLF, blank lines, no final newline" 0
is "  all read" "$(jget 'e["event"]' <"$T/out" | tr '\n' ' ')" "bom crlf last "

# --- a 10 MB line --------------------------------------------------------

python3 -c 'import json
print(json.dumps({"id": "'$U'", "event": "big", "distinct_id": "d",
  "properties": {"blob": "x\u00e9" * 3500000}}, ensure_ascii=False))' \
    >"$T/big"
run "$PH_CLEAN" "$T/big"
is_status "a 10 MB line is cleaned" 0
is "its 10 MB value arrives whole" "$(jget \
    'len(e["properties"]["blob"]), e["properties"]["blob"] == "x\u00e9" * 3500000' \
    <"$T/out")" "(7000000, True)"

# --- Unix behaviour -------------------------------------------------------

python3 "$PH_SRC/tests/gen-events.py" --count 20000 --seed 2 >"$T/many"
# Its output is megabytes, far more than a pipe holds: once head has
# gone, ph-clean's next write must kill it, whatever the timing.
{ "$PH_CLEAN" "$T/many" 2>"$T/err"; echo $? >"$T/st"; } | head -1 >"$T/head"
is "| head -1: killed quietly by SIGPIPE (exit 141, nothing on stderr)" \
    "$(cat "$T/st") $(cat "$T/err")" "141 "
"$PH_CLEAN" "$T/many" | sed 1q >"$T/first-event"
check "| head -1: the line head printed is the first event" \
    cmp -s "$T/head" "$T/first-event"

printf '{"event":"x"}\nbad\n' >"$T/rejects-then-head"
for i in 1 2 3 4 5 6 7 8; do cat "$T/rejects-then-head"; done >"$T/rth"
cat "$T/many" >>"$T/rth"
"$PH_CLEAN" -r "$T/rth-rej" "$T/rth" 2>/dev/null | head -1 >/dev/null
is "rejects are on disk even when | head ends the run" \
    "$(wc -l <"$T/rth-rej")" "8"
"$PH_CLEAN" -r "$T/closed-rej" "$T/crlf" >&- 2>"$T/err"
is "a closed stdout is an error, not a write into the reject file" \
    "$? $(cat "$T/closed-rej" 2>/dev/null | wc -c) $(cat "$T/err")" \
    "3 0 ph-clean: stdout: Bad file descriptor"
run "$PH_CLEAN" "$T/crlf"
"$PH_CLEAN" "$T/crlf" >/dev/full 2>"$T/err"
is "a failed write: exit status 3" "$?" "3"
is_file "  and a message" "$T/err" "ph-clean: stdout: No space left on device"

# -u: the first event must come out while the input is still open.  The
# input waits for the reader to acknowledge the first event before it
# goes on; a buffering ph-clean would hold that event back until the
# end of the input, so the acknowledgement never comes.  timeout only
# keeps such a failure from hanging the test.
mkfifo "$T/ack"
{ exec 3<>"$T/ack"	# open before the reader can answer: nothing is lost
  printf '{"event":"first"}\n'
  if timeout 60 sh -c 'read -r x' <&3; then
	echo acked >"$T/acked"
  else
	echo "no acknowledgement" >"$T/acked"
  fi
  printf '{"event":"second"}\n'; } |
    "$PH_CLEAN" -u | { IFS= read -r line; printf '%s\n' "$line" >"$T/first"
	echo ok 1<>"$T/ack"; cat >/dev/null; }
is "-u writes each event before the next input line comes" \
    "$(cat "$T/acked")" "acked"
has "  (and it is the first event)" "$T/first" '"event":"first"'

run "$PH_CLEAN" --help
is_status "--help: exit 0" 0
has "  usage on stdout" "$T/out" "usage: ph-clean"
run "$PH_CLEAN" -h
has "-h: the same" "$T/out" "--random-distinct-id"
run "$PH_CLEAN" --frobnicate
is_status "an unknown option: exit 2" 2
has "  names it" "$T/err" "ph-clean: unrecognized option '--frobnicate'"
has "  usage on stderr" "$T/err" "usage: ph-clean"
is "  nothing on stdout" "$(cat "$T/out")" ""
run "$PH_CLEAN" --version
is "--version" "$(cat "$T/out")" "ph-clean 0.1.0"

done_testing
