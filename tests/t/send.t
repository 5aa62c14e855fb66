#!/bin/sh
# ph-send against the local emulator: delivery, batching, every failure
# the server can answer with, local checks, state and resume, signals,
# exit statuses.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

EV=$(clean_events 3000 11)

# wait_stored NAME N: until the emulator stored N events (at most 20 s),
# so that a signal lands mid-run however loaded the machine is.
wait_stored() {
	_i=0
	while [ "$(wc -l <"$T/$1.store" 2>/dev/null || echo 0)" -lt "$2" ] &&
	    [ $_i -lt 2000 ]; do
		_i=$((_i + 1))
		sleep 0.01
	done
}

# --- delivery ------------------------------------------------------------

emu_start D
run "$PH_SEND" --host "$D_URL" "$EV"
is_status "3000 events: exit 0" 0
check_store "each arrives once, unaltered, in order per distinct_id" \
    "$EV" "$T/D.store"
is "every request: POST /batch/, gzip, historical, no sent_at" \
    "$(logq "$T/D.log" 'sorted(set((r["method"], r["path"], r["gzip"], r["historical"], r["sent_at"]) for r in L))')" \
    "[('POST', '/batch/', True, True, False)]"
is "batches hold at most 1000 events" \
    "$(logq "$T/D.log" 'max(r["events"] for r in L) <= 1000 and sum(r["events"] for r in L)')" \
    "3000"
has "a summary line at the end" "$T/err" "ph-send: 3000 sent, 0 rejected;"
lacks "the key is never printed" "$T/err" "$KEY"
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL/" --no-gzip --no-historical --batch-size 7 \
    -q "$EV"
is_status "--no-gzip --no-historical --batch-size 7: exit 0" 0
is "  plain JSON, no historical_migration, 7 events a batch" \
    "$(logq "$T/D.log" 'sorted(set((r["gzip"], r["historical"], r["events"] <= 7) for r in L)), sum(r["events"] for r in L)')" \
    "([(False, False, True)], 3000)"
is "-q: nothing on stderr" "$(cat "$T/err")" ""
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL/batch" --no-gzip --batch-bytes 20K -q "$EV"
is_status "--batch-bytes 20K: exit 0" 0
is "  every body at most 20 KiB, all events there" \
    "$(logq "$T/D.log" 'max(r["bytes"] for r in L) <= 20480, sum(r["events"] for r in L)')" \
    "(True, 3000)"
emu_stop D

# --- parallel lanes and the rate cap -----------------------------------------

emu_start D --latency 100
run "$PH_SEND" --host "$D_URL" --batch-size 100 --parallel 8 -q "$EV"
is_status "--parallel 8 with 100 ms latency: exit 0" 0
# The emulator counts requests being answered at once: no clock.
is "  8 requests in flight at once, as many as lanes, no more" \
    "$(emu_stat D max_in_flight)" "8"
check_store "  and order per distinct_id holds" "$EV" "$T/D.store"
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL" --batch-size 100 --rate 1000 -q "$EV"
is_status "--rate 1000: exit 0" 0
# The first batch goes at once, the rest spaced by their size: the
# server sees the last one no sooner than (3000 - its size) / 1000 s.
is "  the server saw them spread over 3000 events / 1000 a second" \
    "$(logq "$T/D.log" 'max(r["t"] for r in L) - min(r["t"] for r in L) >= (3000 - max(r["events"] for r in L)) / 1000 - 0.05')" \
    "True"
emu_stop D

# --- the server fails ---------------------------------------------------------

EV50=$(clean_events 50000 12)
emu_start D --p503 0.08 --p429 0.05 --retry-after 0 --preset 0.05 \
    --pslow 0.05 --slow-ms 200 --seed 7
run "$PH_SEND" --host "$D_URL" $FAST --max-retries 20 --batch-size 200 "$EV50"
is_status "50k events through 503s, 429s, resets, slow replies: exit 0" 0
check_store "  every event exactly once, order per distinct_id kept" \
    "$EV50" "$T/D.store"
is "  the faults happened" \
    "$(logq "$T/D.log" 'all(any(r["fault"] == f for r in L) for f in ("503", "429", "reset", "slow"))')" \
    "True"
has "  retries are announced" "$T/err" "; retry 1 of 20 in"
has "  and counted in the summary" "$T/err" "50000 sent, 0 rejected;"
emu_stop D

emu_start D --p429 0.5 --retry-after 2 --seed 3
run "$PH_SEND" --host "$D_URL" $FAST --parallel 1 -q "$EV"
is_status "429 with Retry-After: 2: exit 0" 0
is "  each retry waits the 2 s the server asked for" \
    "$(logq "$T/D.log" 'all(b["t"] - a["t"] >= 1.95 for a, b in zip(L, L[1:]) if a["status"] == 429) and any(r["status"] == 429 for r in L)')" \
    "True"
emu_stop D

emu_start D --p503 1
run "$PH_SEND" --host "$D_URL" $FAST --max-retries 3 --state "$T/st" "$EV"
is_status "503 for ever: exit 5 after --max-retries" 5
has "  says it gave up" "$T/err" "giving up after 3 retries"
is "  4 attempts of the batch that gave up, no more" \
    "$(logq "$T/D.log" 'max(__import__("collections").Counter(r["bytes"] for r in L).values())')" \
    "4"
emu_stop D

# 413: the body limit splits batches; the event limit rejects one event.
python3 - "$EV" >"$T/big-in" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[10])
e["properties"]["blob"] = "x" * 20000
lines[10] = json.dumps(e)
print("\n".join(lines))
EOF
emu_start D --max-body 60K --max-event 12000
run "$PH_SEND" --host "$D_URL" --no-gzip -r "$T/rej413" "$T/big-in"
is_status "413s: exit 1, one event rejected" 1
is "  the over-size event is named by line" \
    "$(grep -c "ph-send: $T/big-in:11: 413: maximum event size exceeded" "$T/err")" "1"
sed -n 11p "$T/big-in" >"$T/want413"
check "  and written unchanged to --reject" cmp -s "$T/rej413" "$T/want413"
# Capture stored the events before the big one in each batch it refused.
again=$(sed -n 's/^ph-send: \([0-9]*\) events sent again; .*/\1/p' "$T/err")
check_store "  all the others arrive, resent no more than counted ($again)" \
    "$T/big-in" "$T/D.store" --expect-missing "$T/want413" \
    --max-dups "${again:-0}"
is "  bodies over the limit were split, not retried whole" \
    "$(logq "$T/D.log" 'any(r["status"] == 413 for r in L) and max(r["bytes"] for r in L if r["status"] == 200) <= 61440')" \
    "True"
emu_stop D

# 400: one event the server refuses spoils its batch.
python3 - "$EV" >"$T/bad-in" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for n in (1500, 2222):
    e = json.loads(lines[n - 1])
    e["event"] = "refuse me"
    lines[n - 1] = json.dumps(e)
print("\n".join(lines))
EOF
sed -n '1500p;2222p' "$T/bad-in" >"$T/want400"
for fmt in text json django; do
	emu_start D --refuse-event "refuse me" --error-format $fmt
	run "$PH_SEND" --host "$D_URL" -r "$T/rej400-$fmt" "$T/bad-in"
	is_status "400 ($fmt errors): exit 1" 1
	# Lanes run side by side: the two may be refused in either order.
	grep '400:' "$T/err" | sort >"$T/rejects-$fmt"
	is "  each refused event named with its line and the reason" \
	    "$(cat "$T/rejects-$fmt")" \
	    "ph-send: $T/bad-in:1500: 400: failed to decode request: event refused by validation
ph-send: $T/bad-in:2222: 400: failed to decode request: event refused by validation"
	sort "$T/rej400-$fmt" >"$T/rej400-sorted"
	sort "$T/want400" >"$T/want400-sorted"
	check "  both written unchanged to --reject" \
	    cmp -s "$T/rej400-sorted" "$T/want400-sorted"
	check_store "  the other 2998 arrive once, in order" "$T/bad-in" \
	    "$T/D.store" --expect-missing "$T/want400"
	emu_stop D
done

for code in 401 403; do
	emu_start D --auth-status $code
	PH_SEND_KEY=phc_wrong run "$PH_SEND" --host "$D_URL" $FAST "$EV"
	is_status "a wrong key ($code): exit 4" 4
	has "  the message names the likely cause" "$T/err" \
	    "$code: Project API key invalid. You can find your project API key in PostHog project settings.: the key was refused; check that PH_SEND_KEY"
	lacks "  and does not print the key" "$T/err" "phc_wrong"
	is "  no retries: at most one request per lane" \
	    "$(logq "$T/D.log" 'len(L) <= 4 and all(r["status"] == '$code' for r in L)')" \
	    "True"
	emu_stop D
done

printf '%s\n' phx_personal >"$T/keyfile"
run "$PH_SEND" --host http://127.0.0.1:9 --key-file "$T/keyfile" "$EV"
is_status "a personal key: exit 4 before any request" 4
has "  explained" "$T/err" "personal API key (phx_...)"
lacks "  without printing it" "$T/err" "phx_personal"

emu_start D --quota-limited
run "$PH_SEND" --host "$D_URL" "$EV"
has "a quota-limited destination is reported" "$T/err" \
    "quota is used up: PostHog drops such events"
emu_stop D

emu_start D --legacy-status --error-format django
printf '%s\n' "$KEY" >"$T/keyfile"
env -u PH_SEND_KEY "$PH_SEND" --host "$D_URL" --key-file "$T/keyfile" -q \
    "$EV" >"$T/out" 2>"$T/err"
status=$?
is_status "old Django capture, key from --key-file: exit 0" 0
check_store "  all delivered" "$EV" "$T/D.store"
emu_stop D

run "$PH_SEND" --host http://127.0.0.1:9 --max-retries 1 $FAST "$EV"
is_status "nothing listening: retried, then exit 5" 5
has "  the connection error is named" "$T/err" "Couldn't connect to server"

emu_start D
run "$PH_SEND" --host "$D_URL/nowhere/else/" "$EV"
is_status "a 404: exit 3 at once" 3
has "  with a hint" "$T/err" "is --host a PostHog capture host?"
emu_stop D

# --- local checks ---------------------------------------------------------------

head -3 "$EV" >"$T/local"
cat >>"$T/local" <<'EOF'
not json
{"distinct_id":"d","uuid":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
{"event":"e","uuid":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
{"event":"e","distinct_id":null,"properties":{"distinct_id":""}}
{"event":"e","distinct_id":"d","uuid":"42"}
{"event":"e","event":"f","distinct_id":"d"}

EOF
python3 -c 'print("{\"event\":\"e\",\"distinct_id\":\"d\",\"properties\":{\"s\":\"%s\"}}" % ("x" * 3000))' >>"$T/local"
sed -n 4,9p "$T/local" >"$T/want-local"
sed -n 11p "$T/local" >>"$T/want-local"
tail -2 "$EV" >>"$T/local"
emu_start D
run "$PH_SEND" --host "$D_URL" --max-event 3000 -r "$T/rej-local" "$T/local"
is_status "bad lines: exit 1" 1
grep -v 'sent,' "$T/err" >"$T/err-local"
is_file "  each is named with its line and reason" "$T/err-local" \
"ph-send: $T/local:4: invalid JSON at byte 1: expected a value
ph-send: $T/local:5: no event name
ph-send: $T/local:6: no distinct_id
ph-send: $T/local:7: no distinct_id
ph-send: $T/local:8: \"uuid\" is not a UUID
ph-send: $T/local:9: duplicate key \"event\"
ph-send: $T/local:11: event of 3053 bytes: capture makes a 3312-byte Kafka message of it, over the 3000-byte limit"
check "  and kept in --reject, unchanged" cmp -s "$T/rej-local" "$T/want-local"
is "  none of them was sent: no request was refused" \
    "$(logq "$T/D.log" 'sorted(set(r["status"] for r in L)), sum(r["events"] for r in L)')" \
    "([200], 5)"
emu_stop D
head -3 "$EV" >"$T/want-sent"
tail -2 "$EV" >>"$T/want-sent"
emu_start D
run "$PH_SEND" --host "$D_URL" --max-event 3000 -r "$T/rej-local2" "$T/local"
check_store "  the good lines around them arrive" "$T/want-sent" "$T/D.store" \
    --expect-missing "$T/want-local"
emu_stop D

# --- dry run, progress ------------------------------------------------------------

emu_start D
run "$PH_SEND" --host "$D_URL" --dry-run "$EV"
is_status "--dry-run: exit 0" 0
is "  no request reaches the server" "$(wc -c <"$T/D.log")" "0"
has "  the summary says what would have gone" "$T/err" \
    "dry run, nothing sent: would have 3000 sent, 0 rejected;"
run "$PH_SEND" --host "$D_URL" --progress --batch-size 100 "$EV"
has "--progress forces progress lines off a terminal" "$T/err" \
    "ph-send: 3000 sent, "
emu_stop D

# --- state and resume -----------------------------------------------------------------

emu_start D
run "$PH_SEND" --host "$D_URL" --state "$T/state" -q "$EV"
is "--state records every line delivered" \
    "$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); print(s["lines"], s["sent"], s["uuid"] == json.loads(open(sys.argv[2]).read().splitlines()[-1])["uuid"])' "$T/state" "$EV")" \
    "3000 3000 True"
run "$PH_SEND" --host "$D_URL" --state "$T/state" "$EV"
is_status "the same command again: exit 0" 0
has "  it skips what was delivered" "$T/err" "resuming after line 3000"
is "  and sends nothing again" "$(wc -l <"$T/D.store")" "3000"
sed 1d "$EV" >"$T/other"
run "$PH_SEND" --host "$D_URL" --state "$T/state" "$T/other"
is_status "other input with that state file: exit 3" 3
has "  explained" "$T/err" "are not the ones an earlier run delivered"
emu_stop D

printf '\357\273\277' >"$T/bom"
head -5 "$EV" >>"$T/bom"
emu_start D
run "$PH_SEND" --host "$D_URL" --state "$T/bom-state" "$T/bom"
run "$PH_SEND" --host "$D_URL" --state "$T/bom-state" "$T/bom"
is_status "a file that opens with a BOM: the rerun skips it all" 0
has "  (it resumes after its last line)" "$T/err" "resuming after line 5"
is "  and nothing is sent twice" "$(wc -l <"$T/D.store")" "5"
emu_stop D

# Waiting (for --rate, a slow server, a retry) must not spin the CPU.
head -3 "$EV" >"$T/three"
python3 - "$PH_SEND" "$T/three" >"$T/cpu" <<'EOF'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "--dry-run", "-q", "--rate", "1",
                "--batch-size", "1", sys.argv[2]])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime + r.ru_stime < 0.5)
EOF
is "--rate 1 on 3 events waits 2 s without spinning the CPU" \
    "$(cat "$T/cpu")" "True"

# kill -9 in the middle, then the same command: nothing lost.
emu_start D --latency 30
"$PH_SEND" --host "$D_URL" --batch-size 500 --state "$T/k9" -q "$EV50" &
pid=$!
wait_stored D 10000
kill -9 $pid
wait $pid 2>/dev/null
before=$(wc -l <"$T/D.store")
check "kill -9 came mid-run ($before of 50000 stored)" \
    test "$before" -gt 0 -a "$before" -lt 50000
run "$PH_SEND" --host "$D_URL" --batch-size 500 --state "$T/k9" "$EV50"
is_status "  the resumed run: exit 0" 0
has "  it resumed past the delivered prefix" "$T/err" "resuming after line"
check_store "  nothing lost; resent only what was in flight" "$EV50" \
    "$T/D.store" --max-dups 8000
emu_stop D

# SIGTERM and SIGINT: finish what is in flight, write the state, die by it.
for sig in TERM INT; do
	emu_start D --latency 50
	rm -f "$T/sig"
	"$PH_SEND" --host "$D_URL" --batch-size 200 --state "$T/sig" \
	    "$EV50" 2>"$T/err" &
	pid=$!
	wait_stored D 4000
	kill -$sig $pid
	wait $pid 2>/dev/null
	status=$?
	case $sig in TERM) want=143 ;; INT) want=130 ;; esac
	is "SIG$sig: the shell sees death by the signal" "$status" "$want"
	has "  it says so" "$T/err" "finishing the requests in flight"
	stored=$(wc -l <"$T/D.store")
	is "  the state counts no more than was stored" \
	    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"] <= int(sys.argv[2]))' "$T/sig" "$stored")" \
	    "True"
	run "$PH_SEND" --host "$D_URL" --batch-size 200 --state "$T/sig" "$EV50"
	check_store "  resumed: everything there" "$EV50" "$T/D.store" \
	    --max-dups 4000
	emu_stop D
done

# --- usage ----------------------------------------------------------------------------

run "$PH_SEND" --parallel 0 "$EV"
is_status "--parallel 0: exit 2" 2
has "  with the option and the reason" "$T/err" \
    "ph-send: --parallel too small: 0"
run "$PH_SEND" --batch-bytes 5Q "$EV"
has "--batch-bytes 5Q: invalid" "$T/err" "ph-send: --batch-bytes invalid: 5Q"
run "$PH_SEND" --host ftp://x "$EV"
is_status "--host ftp://x: exit 2" 2
env -u PH_SEND_KEY "$PH_SEND" "$EV" >"$T/out" 2>"$T/err"
status=$?
is_status "no key: exit 2" 2
has "  says where a key comes from" "$T/err" \
    "no API key: set PH_SEND_KEY or use --key-file"
run "$PH_SEND" --host http://127.0.0.1:9 "$T/no-such-file"
is_status "an unreadable input: exit 3 before sending" 3
has "  named" "$T/err" "ph-send: $T/no-such-file: No such file or directory"
run "$PH_SEND" --help
is_status "--help: exit 0" 0
has "  on stdout" "$T/out" "usage: ph-send"
run "$PH_SEND" --version
is "--version" "$(cat "$T/out")" "ph-send 0.1.0"

done_testing
