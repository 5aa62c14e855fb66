#!/bin/sh
# ph-fetch's windows side by side, for STRESS_SECONDS (default 300):
# dense and clustered data, both APIs, --jobs 1 to 8 and auto, the
# read-ahead bound at a byte (every page waits in a file), 5,000 bytes
# and its default, pages of 100, 300 and the default.  Each run must end
# (60 s at most: a deadlock between the workers and the writer hung
# runs for good) with every event once, in order.  make stress runs it;
# make check does not (it is long, and its point is many runs).
. "$(dirname "$0")/../lib.sh"
export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST

$GEN --count 6000 --seed 5 --days 3 >"$T/dense"
$GEN --count 8000 --seed 7 --days 40 --clusters 3:700 >"$T/mixed"
emu_start A --load "$T/dense"
emu_start B --load "$T/mixed"

# one DATA SOURCE-FILE API JOBS AHEAD PAGE: a run, its failure told.
one() {
	_opts="--after 2024-01-01 --before 2024-03-01 --api $3 --jobs $4"
	[ -n "$6" ] && _opts="$_opts --page-size $6"
	{ PH_FETCH_TEST_AHEAD=$5 timeout 60 "$PH_FETCH" --host "$1" $_opts \
	    2>"$T/err"; echo $? >"$T/st"; } | cat >"$T/out"
	if [ "$(cat "$T/st")" = 0 ] &&
	    python3 "$PH_SRC/tests/same-events.py" "$2" "$T/out" \
	    >"$T/same.err" 2>&1; then
		return 0
	fi
	not_ok "$_opts, bound ${5:-default}: exit $(cat "$T/st")"
	sed 's/^/#   /' "$T/err" "$T/same.err" | head -10
	return 1
}

n=0
bad=0
end=$(($(date +%s) + ${STRESS_SECONDS:-300}))
while [ "$(date +%s)" -lt $end ]; do
	for d in A B; do
	for api in events query; do
	for j in 1 2 3 5 8 auto; do
	for ahead in 1 5000 ""; do
	for page in 100 300 ""; do
		[ "$(date +%s)" -lt $end ] || break
		eval "url=\$${d}_URL"
		[ $d = A ] && src=$T/dense || src=$T/mixed
		n=$((n + 1))
		one "$url" "$src" $api $j "$ahead" "$page" || bad=$((bad + 1))
	done; done; done; done; done
done
is "$n runs: each ended, every event once, in order" "$bad" 0

emu_stop A
emu_stop B
done_testing
