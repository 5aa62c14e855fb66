# Helpers of the persons-pass tests (tests/t/persons*.t), sourced after
# tests/lib.sh.

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

# pass SRC DST [ph-send options]: the persons pass (ph-fetch with
# $FETCH_OPTS), its stderr in $T/fetch.err and $T/send.err, its events in
# $T/pass.ndjson.
pass() {
	_src=$1
	_dst=$2
	shift 2
	"$PH_FETCH" --host "$_src" --persons $FETCH_OPTS 2>"$T/fetch.err" |
	    tee "$T/pass.ndjson" | "$PH_CLEAN" 2>"$T/clean.err" |
	    "$PH_SEND" --host "$_dst" -r "$T/rejected" "$@" 2>"$T/send.err"
	status=$?
}

# diff SRC DST: persons-diff's output in $T/out, status in $status.
diff_() {
	run $DIFF "$1" "$2"
}

# crowd N FILE: N persons with two distinct_ids each, uuid i in order,
# created newest first (so the persons API lists them in the same order).
crowd() {
	python3 - "$1" >"$2" <<'EOF'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({"distinct_ids": ["p%05d" % i, "anon-p%05d" % i],
        "uuid": "00000000-0000-4000-8000-%012d" % i,
        "properties": {"i": i, "email": "p%d@x" % i}, "is_identified": True,
        "created_at": "2024-01-%02dT%02d:%02d:00Z" % (28 - i // 1440,
            23 - i // 60 % 24, 59 - i % 60)}))
EOF
}
