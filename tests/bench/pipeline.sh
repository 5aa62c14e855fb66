#!/bin/sh
# make bench, the whole pipeline: ph-fetch | ph-clean | ph-send between
# two emulators with 50 ms added to every request on both sides, against
# the original script's approach on the same data: wall time, events a
# second, events that arrived, and each program's peak memory.
#   pipeline.sh BUILD-DIR DATA-DIR   (PIPELINE_EVENTS, default 1000000)
set -eu
B=$1
D=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
N=${PIPELINE_EVENTS:-1000000}
export PH_FETCH_KEY=phx_bench PH_SEND_KEY=phc_bench
F=$D/pipe-$N.ndjson
[ -s "$F" ] || python3 "$SRC/tests/gen-events.py" --count "$N" --seed 9 \
    --clusters 5:1500 >"$F"

pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start_emus() {
	rm -f "$D"/p-src.port "$D"/p-dst.port "$D"/p-dst.store
	"$B/tests/emu/ph-emu" --port-file "$D/p-src.port" --load "$F" \
	    --personal-key phx_bench --latency 50 --page-cap 0 2>/dev/null &
	pids="$pids $!"
	"$B/tests/emu/ph-emu" --port-file "$D/p-dst.port" --store \
	    "$D/p-dst.store" --project-key phc_bench --latency 50 2>/dev/null &
	pids="$pids $!"
	while [ ! -s "$D/p-src.port" ] || [ ! -s "$D/p-dst.port" ]; do
		sleep 0.05
	done
	S=http://127.0.0.1:$(cut -d' ' -f1 "$D/p-src.port")
	T=http://127.0.0.1:$(cut -d' ' -f1 "$D/p-dst.port")
}
stop_emus() { cleanup; wait 2>/dev/null || true; pids=; }

report() {	# report NAME START END
	python3 - "$1" "$2" "$3" "$D/p-dst.store" "$N" <<'PY'
import json, sys
name, s, e, store, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), \
    sys.argv[4], int(sys.argv[5])
got = [json.loads(l).get("uuid") for l in open(store)]
t = e - s
print("  %-30s %8.1f s %8.0f ev/s  %d of %d arrived, %d distinct uuids" %
      (name, t, n / t, len(got), n, len(set(u for u in got if u))))
PY
}

mem() { echo "    peak RSS: ph-fetch $(cat "$D/m.fetch") KiB," \
    "ph-clean $(cat "$D/m.clean") KiB, ph-send $(cat "$D/m.send") KiB"; }

echo "== the whole pipeline: $N events, 50 ms a request on both sides =="
for api in events query; do
	start_emus
	s=$(date +%s.%N)
	/usr/bin/time -o "$D/m.fetch" -f %M "$B/ph-fetch/ph-fetch" --host "$S" \
	    --after 2024-01-01 --before 2024-03-01 --api $api -q |
	    /usr/bin/time -o "$D/m.clean" -f %M "$B/ph-clean/ph-clean" |
	    /usr/bin/time -o "$D/m.send" -f %M "$B/ph-send/ph-send" \
	    --host "$T" -q
	e=$(date +%s.%N)
	report "ph (--api $api)" "$s" "$e"
	mem
	stop_emus
done
start_emus
s=$(date +%s.%N)
/usr/bin/time -o "$D/m.orig" -f %M python3 \
    "$SRC/tests/bench/original-pipeline.py" "$S" phx_bench "$T" phc_bench \
    2>/dev/null
e=$(date +%s.%N)
report "original script's approach" "$s" "$e"
echo "    peak RSS: $(cat "$D/m.orig") KiB"
stop_emus
