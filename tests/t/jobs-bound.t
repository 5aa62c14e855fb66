#!/bin/sh
# ph-fetch --jobs: the bound on what waits ahead of the writer, and a
# failed window that stops the requests of the windows after it.
# (From jobs.t, to run beside it.)
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# --- the bound ahead of the writer ------------------------------------------

# 2000 events on one day, read 20 a page: some 100 pages.  A reader
# that reads nothing holds the writer; the workers stop once more than
# the bound waits unwritten (lowered to 32 KiB by the test-only
# PH_FETCH_TEST_AHEAD), so the emulator sees a few pages asked for, not
# all of them; once read, the rest arrives.  With the bound as it is
# (64 MiB), the same run asks for every page while the reader waits.
DAY=$T/day.ndjson
$GEN --count 2000 --seed 33 --days 0.5 >"$DAY"
mkfifo "$T/fifo"
# asked_while_held AHEAD: pages of rows asked for while nothing is read
# (the other workers read the empty days meanwhile).
asked_while_held() {
	: >"$T/S.log"
	PH_FETCH_TEST_AHEAD=$1 "$PH_FETCH" --host "$S_URL" $RANGE \
	    --api query --page-size 20 >"$T/fifo" 2>"$T/err" &
	_fetch=$!
	exec 3<"$T/fifo"
	# Until the requests stop coming (the workers wait), 20 s at most.
	_n=-1
	_i=0
	while [ $_i -lt 20 ]; do
		sleep 1
		_m=$(grep -c . "$T/S.log")
		[ "$_m" = "$_n" ] && break
		_n=$_m
		_i=$((_i + 1))
	done
	logq "$T/S.log" 'sum(1 for r in L if r.get("rows", 0) > 0)' >"$T/held"
	cat <&3 >"$T/out"
	exec 3<&-
	wait $_fetch
	status=$?
}
emu_start S --load "$DAY"
asked_while_held 32768
is_status "the writer held, a 32 KiB bound: exit 0" 0
is "  at most 12 pages were asked for while the writer was held" \
    "$(test "$(cat "$T/held")" -le 12 && echo yes || cat "$T/held")" "yes"
same_events "  then every event, once, oldest first" "$DAY" "$T/out"
is "  the day took some 100 pages" \
    "$(logq "$T/S.log" 'sum(1 for r in L if r["path"].endswith("/query/")) >= 100')" \
    "True"
asked_while_held 0
is_status "the writer held, the 64 MiB bound: exit 0" 0
is "  every page was asked for while the writer was held" \
    "$(test "$(cat "$T/held")" -ge 100 && echo yes)" "yes"
emu_stop S

# --- a failed window --------------------------------------------------------

# A query API of its own, to say which window does what: the first day
# is empty, the second day's query fails (500, and no retries), every
# later window's query takes 30 s.  Those requests are abandoned and
# their workers joined: the run ends without their answers, and says
# nothing of them.  Each request is logged when it comes and when it
# is answered.
cat >"$T/src.py" <<'PY'
import http.server, json, sys, threading, time
port_file, log = sys.argv[1:3]
lock = threading.Lock()
def note(what):
    with lock, open(log, "a") as f:
        f.write(what + "\n")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        sql = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["query"]["query"]
        lo = sql.split("toDateTime64('")[1][:10]
        note("asked " + lo)
        if lo == "2024-01-01":
            code, body = 200, b'{"results": []}'
        elif lo == "2024-01-02":
            code, body = 500, b'{"detail": "internal"}'
        else:
            time.sleep(30)
            code, body = 200, b'{"results": []}'
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
        note("answered " + lo)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/src.py" "$T/src.port" "$T/src.log" &
BG_PIDS="$BG_PIDS $!"
while [ ! -s "$T/src.port" ]; do sleep 0.05; done
run "$PH_FETCH" --host "http://127.0.0.1:$(cat "$T/src.port")" $RANGE \
    --api query --max-retries 0 $FAST
is_status "the second window fails, later ones wait 30 s: exit 5" 5
has "  the failure is said" "$T/err" "500"
is "  said once, nothing of the abandoned requests" \
    "$(grep -c "ph-fetch: http" "$T/err")" "1"
is "  later windows were asked for, and not answered when it ended" \
    "$(grep -c "^asked 2024-01-0[4-9]" "$T/src.log") $(grep -c "^answered 2024-01-0[4-9]" "$T/src.log")" \
    "$(grep -c "^asked 2024-01-0[4-9]" "$T/src.log") 0"
is "  and there were some" \
    "$(test "$(grep -c "^asked 2024-01-0[4-9]" "$T/src.log")" -gt 0 && echo yes)" "yes"

done_testing
