# TAP helpers for the program tests (after mblaze's t/lib.sh).
# A test file sources this, calls the checks, and ends with done_testing.
# PH_BIN is the build directory, PH_SRC the source tree; the Makefile
# sets both.

: "${PH_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PH_BIN:=$PH_SRC}"
PH_CLEAN=$PH_BIN/ph-clean/ph-clean
PH_SEND=$PH_BIN/ph-send/ph-send
PH_FETCH=$PH_BIN/ph-fetch/ph-fetch
PH_EMU=$PH_BIN/tests/emu/ph-emu
GEN="python3 $PH_SRC/tests/gen-events.py"
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/ph-test.XXXXXX")

# python3 as the interpreter itself, without site (the helpers use the
# standard library only): a version manager's shim (pyenv's is a bash
# script) costs some 100 ms a call and site's .pth files 20 ms more, and
# the tests make hundreds of calls.  The Makefile resolves it once.  A
# script that execs, so that $! of "python3 ... &" is python's pid.
: "${PH_PYTHON:=$(python3 -c 'import sys; print(sys.executable)')}"
export PH_PYTHON
mkdir "$T/.py"
printf '#!/bin/sh\nexec "%s" -S "$@"\n' "$PH_PYTHON" >"$T/.py/python3"
chmod +x "$T/.py/python3"
PATH=$T/.py:$PATH
trap 'cleanup_test' EXIT
trap 'exit 1' INT TERM HUP

tap_n=0
tap_failed=0

cleanup_test() {
	for pid in $BG_PIDS; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}

ok() {
	tap_n=$((tap_n + 1))
	printf 'ok %d - %s\n' "$tap_n" "$1"
	[ -z "$PH_TIMING" ] || tap_time
}

# With PH_TIMING set, each ok is followed by "# T SECONDS CHILD-CPU"
# (the clock, and the user and system time of the children waited
# for): the differences between lines say where a file's time goes.
tap_time() {
	times >"$T/.times"
	{ read -r _self; read -r _children; } <"$T/.times"
	printf '# T %s %s\n' "$(date +%s.%N)" "$_children"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	printf 'not ok %d - %s\n' "$tap_n" "$1"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		printf '#   command failed: %s\n' "$*"
	fi
}

# run COMMAND...: stdout to $T/out, stderr to $T/err, status in $status.
run() {
	"$@" >"$T/out" 2>"$T/err"
	status=$?
}

# run_in INPUT COMMAND...: like run, with INPUT (a string) on stdin.
run_in() {
	input=$1
	shift
	printf '%s' "$input" | "$@" >"$T/out" 2>"$T/err"
	status=$?
}

# is DESCRIPTION GOT EXPECTED
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3" |
		    sed 's/^\([^#]\)/#   \1/'
	fi
}

# is_status DESCRIPTION EXPECTED: compare $status, show stderr if not.
is_status() {
	if [ "$status" -eq "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   exit status %s, expected %s; stderr:\n' "$status" "$2"
		sed 's/^/#     /' "$T/err" | head -20
	fi
}

# is_file DESCRIPTION FILE EXPECTED-TEXT (a trailing newline is added).
is_file() {
	printf '%s\n' "$3" >"$T/expected"
	if cmp -s "$2" "$T/expected"; then
		ok "$1"
	else
		not_ok "$1"
		diff "$T/expected" "$2" | head -20 | sed 's/^/#   /'
	fi
}

# has DESCRIPTION FILE FIXED-STRING
has() {
	if grep -qF -- "$3" "$2"; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   %s does not hold: %s\n' "$2" "$3"
		head -5 "$2" | sed 's/^/#     /'
	fi
}

# lacks DESCRIPTION FILE FIXED-STRING
lacks() {
	if grep -qF -- "$3" "$2"; then
		not_ok "$1"
		printf '#   %s holds: %s\n' "$2" "$3"
	else
		ok "$1"
	fi
}

done_testing() {
	printf '1..%d\n' "$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# emu_start NAME [ph-emu options...]: start an emulator on a free port.
# Sets NAME_URL, NAME_PID and NAME_FOREIGN (the second listener's port);
# it stores in $T/NAME.store and logs requests to $T/NAME.log.
emu_start() {
	rm -f "$T/$1.store" "$T/$1.log"
	emu_launch "$@"
}

# emu_restart NAME [ph-emu options...]: stop NAME and start it again on
# its port with these options, appending to its store and log (a run
# that needs the latency that let a signal land mid-run resumes without
# it).  Persons and groups held in memory are lost.
emu_restart() {
	eval "_port=\${${1}_URL##*:}"
	emu_stop "$1"
	_name=$1
	shift
	emu_launch "$_name" --port "$_port" "$@"
}

emu_launch() {
	_name=$1
	shift
	rm -f "$T/$_name.port"
	"$PH_EMU" --port-file "$T/$_name.port" --store "$T/$_name.store" \
	    --log "$T/$_name.log" "$@" 2>"$T/$_name.err" &
	_pid=$!
	BG_PIDS="$BG_PIDS $_pid"
	_i=0
	while [ ! -s "$T/$_name.port" ]; do
		_i=$((_i + 1))
		# 30 s: a big --load on a loaded machine.  Without its
		# emulator a test would only fail later, somewhere unrelated.
		if [ $_i -gt 3000 ] || ! kill -0 $_pid 2>/dev/null; then
			sed 's/^/# /' "$T/$_name.err"
			echo "Bail out! ph-emu $_name did not start"
			exit 1
		fi
		sleep 0.01
	done
	read -r _port _fport <"$T/$_name.port"
	eval "${_name}_URL=http://127.0.0.1:$_port"
	eval "${_name}_PID=$_pid"
	eval "${_name}_FOREIGN=$_fport"
}

# emu_stop NAME
emu_stop() {
	eval "_pid=\$${1}_PID"
	kill "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
}

# logq FILE EXPR: a Python expression over L, the list of the JSON
# lines in FILE (an emulator's request log).
logq() {
	python3 -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
print(eval(sys.argv[2]))' "$1" "$2"
}

# check_store DESCRIPTION SENT STORE [check-store.py options]
check_store() {
	_d=$1
	shift
	if python3 "$PH_SRC/tests/check-store.py" "$@" 2>"$T/check-store.err"
	then
		ok "$_d"
	else
		not_ok "$_d"
		sed 's/^/#   /' "$T/check-store.err" | head -25
	fi
}

# clean_events N SEED: N capture-ready events in $T/events-N-SEED.
clean_events() {
	_f="$T/events-$1-$2"
	[ -s "$_f" ] || $GEN --count "$1" --seed "$2" | "$PH_CLEAN" >"$_f"
	echo "$_f"
}

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

# kill_group PGID: SIGKILL a process group started with setsid, and
# return once none of its processes is left.  Waiting for the leader is
# not enough: a pipeline's other programs may still be exiting, ph-send
# holding its state file's lock, and a rerun would be refused as a
# second copy (seen in CI).
kill_group() {
	kill -9 -"$1" 2>/dev/null
	wait "$1" 2>/dev/null
	_rc=$?
	# Zombies do not count: they closed their files (and let go of
	# their locks) before they became zombies, and an orphan's zombie
	# stays until whoever adopted it reaps it.
	"$PH_PYTHON" - "$1" <<'EOF'
import os, sys, time
group = sys.argv[1]
def alive():
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if rest[2] == group and rest[0] != "Z":
            return True
    return False
end = time.time() + 20
while alive() and time.time() < end:
    time.sleep(0.01)
EOF
	return $_rc
}

# emu_stat NAME FIELD: a counter from the emulator's /_emu/stats.
emu_stat() {
	eval "_url=\$${1}_URL"
	python3 -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/_emu/stats"))[sys.argv[2]])' \
	    "$_url" "$2"
}

# same_events DESCRIPTION SOURCE FETCHED: every event of SOURCE in
# FETCHED exactly once, oldest first, with the same name, distinct_id,
# timestamp and properties; those read through the listing API (they
# carry "person") byte for byte.
same_events() {
	_d=$1
	shift
	if python3 "$PH_SRC/tests/same-events.py" "$@" >"$T/same.err" 2>&1
	then
		ok "$_d"
	else
		not_ok "$_d"
		sed 's/^/#   /' "$T/same.err" | head -20
	fi
}
