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
