#!/bin/sh
# make bench, a slow source: 1 s added to every source request (a big
# self-hosted install, where each page is a ClickHouse scan), 50 ms at
# the destination.  ph-fetch | ph-clean | ph-send with the default
# (--jobs auto), --jobs 1, 4 and 16, for both APIs, against the original
# script's approach on the same emulators: events a second, the requests
# the source received (its log), that every event arrived once
# (same-events.py, check-store.py), and each program's peak memory.  The original script runs one request at a time, so its rate
# is steady: it runs for SLOW_ORIGINAL_S seconds (default 60), not
# through all the events.
# Then the default command, no --api, against sources without the query
# API (ph-emu --profile clickhouse-2022 and postgres-2021: ph-fetch falls
# back to the listing API), from 2000-01-01 on as a user who migrates
# everything asks: empty years first, then the events.
#   slow.sh BUILD-DIR DATA-DIR   (SLOW_EVENTS, default 50000;
#   SLOW_PARTS, default "query events fallback": which runs)
set -eu
B=$1
D=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
N=${SLOW_EVENTS:-50000}
ORIG_S=${SLOW_ORIGINAL_S:-60}
PARTS=${SLOW_PARTS:-query events fallback}
export PH_FETCH_KEY=phx_bench PH_SEND_KEY=phc_bench
F=$D/slow-$N.ndjson
[ -s "$F" ] || python3 "$SRC/tests/gen-events.py" --count "$N" --seed 8 \
    --clusters 5:300 >"$F"

pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
# start_emus [PROFILE]: the source (ph-emu's default profile, 2026, or
# the one named) and the destination.
start_emus() {
	rm -f "$D"/s-src.port "$D"/s-dst.port "$D"/s-dst.store "$D"/s-src.log
	"$B/tests/emu/ph-emu" --profile "${1:-2026}" \
	    --port-file "$D/s-src.port" --load "$F" \
	    --personal-key phx_bench --latency 1000 --log "$D/s-src.log" \
	    2>/dev/null &
	pids="$pids $!"
	"$B/tests/emu/ph-emu" --port-file "$D/s-dst.port" --store \
	    "$D/s-dst.store" --project-key phc_bench --latency 50 2>/dev/null &
	pids="$pids $!"
	while [ ! -s "$D/s-src.port" ] || [ ! -s "$D/s-dst.port" ]; do
		sleep 0.05
	done
	S=http://127.0.0.1:$(cut -d' ' -f1 "$D/s-src.port")
	T=http://127.0.0.1:$(cut -d' ' -f1 "$D/s-dst.port")
}
stop_emus() { cleanup; wait 2>/dev/null || true; pids=; }

# rate NAME START END EVENTS: prints the line, and the rate alone in $D/rate.
rate() {
	python3 - "$@" "$D/rate" <<'PY'
import sys
name, s, e, n, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5]
t = e - s
open(out, "w").write("%f\n" % (n / t))
print("  %-34s %7.1f s %8.0f ev/s" % (name, t, n / t), end="")
PY
}

checks() {
	if python3 "$SRC/tests/same-events.py" "$F" "$D/s-fetched" \
	    >"$D/s-check" 2>&1 && python3 "$SRC/tests/check-store.py" \
	    "$D/s-cleaned" "$D/s-dst.store" >>"$D/s-check" 2>&1; then
		echo "  all $N arrived once"
	else
		echo "  NOT ALL ARRIVED ONCE:"
		sed 's/^/    /' "$D/s-check" | head -10
	fi
}

echo "== a slow source: $N events, 1 s a source request, 50 ms at the destination =="
start_emus
s=$(date +%s.%N)
timeout "$ORIG_S" python3 "$SRC/tests/bench/original-pipeline.py" "$S" \
    phx_bench "$T" phc_bench 2>/dev/null || true
e=$(date +%s.%N)
got=$(wc -l <"$D/s-dst.store")
rate "original script's approach" "$s" "$e" "$got"
echo "  ($got events in its first $ORIG_S s)"
orig=$(cat "$D/rate")
stop_emus

# report NAME: the rate, its ratio to the original's, the checks, the
# requests and peak memory of the run just made.
report() {
	rate "$1" "$s" "$e" "$N"
	python3 -c 'import sys; print("  %5.0fx" % (float(sys.argv[1]) / float(sys.argv[2])))' \
	    "$(cat "$D/rate")" "$orig"
	checks
	echo "    $(grep -c . "$D/s-src.log") requests to the source"
	echo "    peak RSS: ph-fetch $(cat "$D/m.fetch") KiB," \
	    "ph-clean $(cat "$D/m.clean") KiB, ph-send $(cat "$D/m.send") KiB"
}

# pipeline FETCH-OPTIONS...: ph-fetch | ph-clean | ph-send, timed.
pipeline() {
	s=$(date +%s.%N)
	/usr/bin/time -o "$D/m.fetch" -f %M "$B/ph-fetch/ph-fetch" \
	    --host "$S" -q "$@" | tee "$D/s-fetched" |
	    /usr/bin/time -o "$D/m.clean" -f %M "$B/ph-clean/ph-clean" |
	    tee "$D/s-cleaned" |
	    /usr/bin/time -o "$D/m.send" -f %M "$B/ph-send/ph-send" \
	    --host "$T" -q
	e=$(date +%s.%N)
}

for api in query events; do
	case " $PARTS " in *" $api "*) ;; *) continue ;; esac
	for jobs in auto 1 4 16; do
		start_emus
		pipeline --after 2024-01-01 --before 2024-03-01 --api $api \
		    --jobs $jobs
		report "ph --api $api --jobs $jobs$([ $jobs = auto ] &&
		    echo ' (default)')"
		stop_emus
	done
done

case " $PARTS " in *" fallback "*) ;; *) exit 0 ;; esac
echo "== the default command against sources without the query API =="
for profile in clickhouse-2022 postgres-2021; do
	start_emus $profile
	pipeline --project 1 --after 2000-01-01
	report "ph (default), $profile"
	stop_emus
done
