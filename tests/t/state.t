#!/bin/sh
# A state file belongs to one run: ph-fetch --resume records the run it
# was made for and refuses another; ph-send locks it, keeps refused lines
# beside it, exactly as read and once; keys are guarded.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
unset PH_FETCH_HOST PH_SEND_HOST
DEC="--after 2024-12-01 --before 2025-01-01"
NOV="--after 2024-11-01 --before 2024-12-01"

# November and December 2024.
SRC=$T/source.ndjson
$GEN --count 3000 --seed 41 --start 2024-11-01T00:00:00+00:00 --days 61 \
    >"$SRC"
"$PH_CLEAN" "$SRC" >"$T/cleaned" 2>/dev/null

# pipeline STATE FETCH-OPTIONS...: ph-fetch | ph-clean | ph-send, with
# the state on both ends; statuses in $T/fetch.st and $T/send.st.
pipeline() {
	_st=$1
	shift
	{ "$PH_FETCH" --host "$S_URL" --resume "$_st" "$@" 2>"$T/fetch.err"
	  echo $? >"$T/fetch.st"; } |
	    "$PH_CLEAN" 2>/dev/null |
	    { "$PH_SEND" --host "$D_URL" --state "$_st" 2>"$T/send.err"
	      echo $? >"$T/send.st"; }
}

# window FILE AFTER BEFORE: the events of FILE in [AFTER, BEFORE).
window() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    if sys.argv[2] <= json.loads(l)["timestamp"] < sys.argv[3]:
        sys.stdout.write(l)' "$@"
}

# --- a state reused for another window ----------------------------------

emu_start S --load "$SRC"
emu_start D
pipeline "$T/s" $DEC
is "December: both ends exit 0" "$(cat "$T/fetch.st") $(cat "$T/send.st")" \
    "0 0"
is "  the state names its run" \
    "$(python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["run"]; print(r["after"], r["before"], r["api"], r["source"] == sys.argv[2])' "$T/s" "$S_URL")" \
    "2024-12-01T00:00:00.000000Z 2025-01-01T00:00:00.000000Z events True"
dec=$(wc -l <"$T/D.store")

run "$PH_FETCH" --host "$S_URL" --resume "$T/s" $NOV
is_status "November with December's state: exit 2" 2
is "  not one event written" "$(wc -c <"$T/out")" "0"
has "  it says what differs" "$T/err" \
    "made for another run (after 2024-11-01T00:00:00.000000Z here, 2024-12-01T00:00:00.000000Z in the state; before 2024-12-01T00:00:00.000000Z here, 2025-01-01T00:00:00.000000Z in the state)"
has "  and what to do" "$T/err" "use a new state file for each window"
lacks "  no backwards range" "$T/err" " to 2024-12-01"
pipeline "$T/s" $NOV
is "  the whole pipeline: ph-fetch 2, nothing sent" \
    "$(cat "$T/fetch.st") $(wc -l <"$T/D.store")" "2 $dec"

run "$PH_FETCH" --host "$S_URL" --resume "$T/s" $DEC --api query
is_status "another API with that state: exit 2" 2
has "  named" "$T/err" "api query here, events in the state"

# A state with no run object (ph-send alone, or an older ph-fetch).
python3 - "$T/s" >"$T/legacy" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
del s["run"]
print(json.dumps(s))
EOF
run "$PH_FETCH" --host "$S_URL" --resume "$T/legacy" $NOV
is_status "a December resume point, November window: exit 2" 2
has "  the point lies outside the window" "$T/err" \
    "lies outside [2024-11-01T00:00:00.000000Z, 2024-12-01T00:00:00.000000Z)"
is "  not one event written" "$(wc -c <"$T/out")" "0"

# --- the same run again ------------------------------------------------

at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timestamp"])' "$T/s")
pipeline "$T/s" $DEC
is "the same December command again: exit 0 on both ends" \
    "$(cat "$T/fetch.st") $(cat "$T/send.st")" "0 0"
has "  it resumes at the last delivered event" "$T/fetch.err" \
    "resuming at $at"
run "$PH_FETCH" --host "$S_URL" --resume "$T/s"
is_status "  without --after and --before: the recorded window, exit 0" 0
has "  from the same point" "$T/err" "resuming at $at"
has "  and says which window" "$T/err" \
    "the window it records: 2024-12-01T00:00:00.000000Z to 2025-01-01T00:00:00.000000Z"
window "$T/cleaned" 2024-12-01 2025-01-01 >"$T/dec"
check_store "  December arrived whole; only the resume point's events again" \
    "$T/dec" "$T/D.store" --semantic --max-dups 20
emu_stop D

run "$PH_SEND" --host http://127.0.0.1:9 --state "$T/s" "$T/dec"
is_status "ph-send with that state to another destination: exit 3" 3
has "  saying so" "$T/err" \
    "made for another destination (http://127.0.0.1:9/batch/ here, $D_URL/batch/ in the state)"

# --- the lock --------------------------------------------------------------

# Half a second a batch: the first pipeline still holds the lock when
# the second ph-send starts, however loaded the machine.
emu_start D --latency 500
rm -f "$T/l"
pipeline "$T/l" $NOV &
first=$!
i=0
while [ ! -s "$T/l.lock" ] && [ $i -lt 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
"$PH_FETCH" --host "$S_URL" --resume "$T/l" $NOV -q 2>/dev/null |
    "$PH_CLEAN" 2>/dev/null |
    "$PH_SEND" --host "$D_URL" --state "$T/l" >/dev/null 2>"$T/err"
status=$?
wait $first
is_status "two pipelines on one state: the second ph-send exits 3" 3
has "  saying why, with the holder's pid" "$T/err" \
    "$T/l is in use by another ph-send (pid "
is "  the first completes" "$(cat "$T/send.st")" "0"
window "$T/cleaned" 2024-11-01 2024-12-01 >"$T/nov"
check_store "  nothing lost, nothing twice" "$T/nov" "$T/D.store" --semantic
emu_stop D

# --- temporary files, unwritable states -------------------------------------

EV=$(clean_events 200 42)
emu_start D
: >"$T/t.tmp"
: >"$T/t.31337.tmp"
: >"$T/t.keep"
run "$PH_SEND" --host "$D_URL" --state "$T/t" "$EV"
is_status "temporary files a killed run left: exit 0" 0
is "  they are gone; other files stay" \
    "$(cd "$T" && ls t t.* | tr '\n' ' ')" "t t.keep t.lock t.rejected.ndjson "

mkdir "$T/isdir"
: >"$T/D.log"
run "$PH_SEND" --host "$D_URL" --state "$T/isdir" "$EV"
is_status "a state that cannot be replaced: exit 3" 3
has "  said at once" "$T/err" "$T/isdir: cannot be written: Is a directory"
is "  before anything is sent" "$(wc -c <"$T/D.log")" "0"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T/ro"
	chmod 555 "$T/ro"
	ro=$T/ro
else
	ro=/proc/1	# root writes through chmod 555: use /proc instead
fi
run "$PH_SEND" --host "$D_URL" --state "$ro/state" "$EV"
is_status "a read-only state directory: exit 3" 3
has "  named" "$T/err" "$ro/state"
is "  before anything is sent" "$(wc -c <"$T/D.log")" "0"
emu_stop D
run "$PH_FETCH" --host "$S_URL" --resume "$ro/state" $NOV
is_status "ph-fetch --resume there: exit 3" 3
is "  before any output" "$(wc -c <"$T/out")" "0"

# --- refused lines -----------------------------------------------------------

emu_start D --refuse-event refuse_me
head -3 "$EV" >"$T/r-in"
echo 'not json' >>"$T/r-in"
sed -n 4,6p "$EV" >>"$T/r-in"
run "$PH_SEND" --host "$D_URL" --state "$T/r" "$T/r-in"
is_status "a refused line, --state and no -r: exit 1" 1
is_file "  it is in the reject file beside the state" "$T/r.rejected.ndjson" \
    "not json"
has "  which the summary names" "$T/err" \
    "1 rejected (kept in $T/r.rejected.ndjson);"
run "$PH_SEND" --host "$D_URL" "$T/r-in"
has "without --state or -r: the summary says they were not kept" \
    "$T/err" "1 rejected (not kept: give -r file or --state);"

# Exactly as read: a byte order mark and CRLF stay.
python3 - "$EV" "$T/bom-in" "$T/bom-want" <<'EOF'
import json, sys
ev = open(sys.argv[1], "rb").read().splitlines()
refused = json.loads(ev[5])
refused["event"] = "refuse_me"
refused = json.dumps(refused).encode()
lines = [b"\xef\xbb\xbfnot json", ev[1], b"{\"event\":1}", refused, ev[2]]
open(sys.argv[2], "wb").write(b"".join(l + b"\r\n" for l in lines))
want = [lines[0], lines[2], lines[3]]
open(sys.argv[3], "wb").write(b"".join(l + b"\r\n" for l in want))
EOF
run "$PH_SEND" --host "$D_URL" -r "$T/bom-rej" --batch-size 1 "$T/bom-in"
is_status "CRLF lines, a BOM, refused here and by the server: exit 1" 1
check "  the reject file holds them byte for byte, in input order" \
    cmp "$T/bom-rej" "$T/bom-want"

# A killed run may have written refused lines past its settled prefix:
# the resumed run trims them and checks those lines again, so none is
# kept twice.
head -6 "$EV" >"$T/k-in"
echo 'bad one' >>"$T/k-in"
run "$PH_SEND" --host "$D_URL" --state "$T/k" "$T/k-in"
sed -n 7,8p "$EV" >>"$T/k-in"
echo 'bad two' >>"$T/k-in"
echo 'bad two' >>"$T/k.rejected.ndjson"	# as a killed run would leave
run "$PH_SEND" --host "$D_URL" --state "$T/k" "$T/k-in"
is_status "resumed after a killed run's stray reject: exit 1" 1
has "  it resumed" "$T/err" "resuming after line 7"
is_file "  each refused line is kept once" "$T/k.rejected.ndjson" \
"bad one
bad two"
is "  the state records the reject file's size" \
    "$(python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); print(s["reject_bytes"], s["reject_file"] == sys.argv[2])' "$T/k" "$T/k.rejected.ndjson")" \
    "16 True"
emu_stop D

# --- input and keys -------------------------------------------------------------

run "$PH_SEND" --host http://127.0.0.1:9 <&-
is_status "ph-send <&-: exit 3" 3
has "  stdin named" "$T/err" "ph-send: stdin: Bad file descriptor"

printf 'phc_test\n' >"$T/key"
chmod 644 "$T/key"
run "$PH_SEND" --host http://127.0.0.1:9 --key-file "$T/key" </dev/null
has "a key file others can read: a warning" "$T/err" \
    "$T/key: permissions 0644 let others read the key; chmod 600 $T/key"
run "$PH_FETCH" --host http://127.0.0.1:9 --key-file "$T/key" \
    --max-retries 0 $NOV
has "  ph-fetch too" "$T/err" "permissions 0644"
chmod 600 "$T/key"
run "$PH_SEND" --host http://127.0.0.1:9 --key-file "$T/key" </dev/null
lacks "  none at 0600" "$T/err" "permissions"

run "$PH_SEND" --host http://example.com </dev/null
has "a key bound for http:// to another machine: a warning" "$T/err" \
    "example.com: the key would go over plain http:// to another machine"
for h in http://127.0.0.1:9 http://localhost:9 'http://[::1]:9' \
    https://example.com; do
	run "$PH_SEND" --host "$h" </dev/null
	lacks "  none for $h" "$T/err" "plain http://"
done
run "$PH_FETCH" --host http://example.invalid --max-retries 0 $NOV
has "  ph-fetch too" "$T/err" "example.invalid: the key would go over"

mkfifo "$T/fifo"
# Started with cores allowed, where the hard limit lets us, so that the
# check sees ph-send's own doing.
(ulimit -S -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)"
    exec "$PH_SEND" --host http://127.0.0.1:9) <"$T/fifo" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
# ph-send sets the limit once it has read its options: until then
# /proc shows the shell's (at most 10 s, however loaded the machine).
core_limit() { awk '/Max core file size/ { print $5, $6 }' /proc/$pid/limits; }
i=0
until [ "$(core_limit)" = "0 0" ] || [ $i -ge 1000 ]; do
	i=$((i + 1))
	sleep 0.01
done
is "a process that holds a key dumps no core" "$(core_limit)" "0 0"
exec 3>&-
wait $pid

emu_stop S
done_testing
