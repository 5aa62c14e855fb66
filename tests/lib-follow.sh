# Helpers of the --follow tests (tests/t/follow*.t), sourced after
# tests/lib.sh.

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
unset PH_FETCH_HOST PH_SEND_HOST
LAG=0.3

# events FILE N KIND AGE-HOURS: N capture-ready events named KIND with
# timestamps AGE-HOURS ago (spread over minutes for the history).
events() {
	python3 - "$@" <<'PY'
import datetime, json, sys, uuid
path, n, kind, age = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
now = datetime.datetime.now(datetime.timezone.utc)
with open(path, "a") as f:
    for i in range(n):
        t = now - datetime.timedelta(hours=age) + datetime.timedelta(
            minutes=9 * i if kind == "history" else 0, microseconds=i)
        e = {"distinct_id": "user-%d" % (i % 7), "event": kind,
             "timestamp": t.isoformat(), "properties": {"i": i}}
        e["id" if kind == "history" else "uuid"] = str(uuid.uuid4())
        f.write(json.dumps(e) + "\n")
PY
}

# arrive FILE: events reach S through its capture endpoint, now.
arrive() {
	"$PH_SEND" --host "$S_URL" <"$1" 2>>"$T/arrive.err"
}

# wait_store N: until D's store holds N lines (at most 30 s).
wait_store() {
	_i=0
	while [ "$(wc -l <"$T/D.store" | tr -d ' ')" -lt "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt 300 ] && return 1
		sleep 0.1
	done
	return 0
}

# follow: the pipeline in the background, ph-fetch's pid in FPID and
# ph-send's in SPID.
follow() {
	rm -f "$T/pipe"
	mkfifo "$T/pipe"
	"$PH_FETCH" --host "$S_URL" --after "$AFTER" --follow --lag $LAG \
	    --resume "$T/state.json" >"$T/pipe" 2>>"$T/fetch.err" &
	FPID=$!
	"$PH_CLEAN" -u <"$T/pipe" |
	    "$PH_SEND" --host "$D_URL" --state "$T/state.json" \
	    2>>"$T/send.err" &
	SPID=$!
	BG_PIDS="$BG_PIDS $FPID $SPID"
}

# uuids FILE...: the ids (or uuids) of the events in FILEs, sorted.
uuids() {
	python3 -c 'import json, sys
for p in sys.argv[1:]:
    for l in open(p):
        if l.strip():
            e = json.loads(l)
            print(e.get("uuid") or e.get("id"))' "$@" | sort
}
