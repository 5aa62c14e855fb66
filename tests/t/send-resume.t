#!/bin/sh
# ph-send --state: records, resume, other input, a BOM, waiting without
# spinning, kill -9 mid-run, SIGTERM and SIGINT.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

EV=$(clean_events 3000 11)
EV20=$(clean_events 20000 12)

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

# kill -9 in the middle, then the same command: nothing lost.  The last
# line's batch is answered 503 until the emulator restarts, so the run
# cannot end before the kill, however fast or loaded the machine.
sed '$s/"event":"[^"]*"/"event":"hold"/' "$EV20" >"$T/ev20h"
emu_start D --latency 100 --refuse-event hold --refuse-status 503
"$PH_SEND" --host "$D_URL" --batch-size 500 --state "$T/k9" -q "$T/ev20h" &
pid=$!
wait_stored D 10000
kill -9 $pid
wait $pid 2>/dev/null
before=$(wc -l <"$T/D.store")
check "kill -9 came mid-run ($before of 20000 stored)" \
    test "$before" -gt 0 -a "$before" -lt 20000
emu_restart D
run "$PH_SEND" --host "$D_URL" --batch-size 500 --state "$T/k9" "$T/ev20h"
is_status "  the resumed run: exit 0" 0
has "  it resumed past the delivered prefix" "$T/err" "resuming after line"
check_store "  nothing lost; resent only what was in flight" "$T/ev20h" \
    "$T/D.store" --max-dups 8000
emu_stop D

# SIGTERM and SIGINT: finish what is in flight, write the state, die by it.
for sig in TERM INT; do
	# 200 ms a request: seven rounds, the signal in the second.
	emu_start D --latency 200
	rm -f "$T/sig"
	"$PH_SEND" --host "$D_URL" --batch-size 200 --state "$T/sig" \
	    "$EV20" 2>"$T/err" &
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
	emu_restart D
	run "$PH_SEND" --host "$D_URL" --batch-size 200 --state "$T/sig" "$EV20"
	check_store "  resumed: everything there" "$EV20" "$T/D.store" \
	    --max-dups 4000
	emu_stop D
done

done_testing
