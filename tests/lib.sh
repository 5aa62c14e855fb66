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
