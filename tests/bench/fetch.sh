#!/bin/sh
# make bench, ph-fetch part: events a second out of the emulator with
# 50 ms added to every request, for the event-listing API, the query API,
# and the original script's 100-event pages fetched one at a time.
#   fetch.sh BUILD-DIR DATA-DIR
set -eu
B=$1
D=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export PH_FETCH_KEY=phx_bench

N=50000
[ -s "$D/source-50k.ndjson" ] ||
    python3 "$SRC/tests/gen-events.py" --count $N --seed 8 \
    --clusters 5:300 >"$D/source-50k.ndjson"

rm -f "$D/src.port"
"$B/tests/emu/ph-emu" --port-file "$D/src.port" --load "$D/source-50k.ndjson" \
    --personal-key "$PH_FETCH_KEY" --latency 50 --page-cap 0 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
while [ ! -s "$D/src.port" ]; do sleep 0.01; done
url=http://127.0.0.1:$(cut -d' ' -f1 "$D/src.port")

# one NAME COMMAND...: events a second, and how many of the N it got.
one() {
	name=$1
	shift
	s=$(date +%s.%N)
	"$@" >"$D/fetched.ndjson" 2>"$D/fetch.err" || {
	    echo "$name failed:"; cat "$D/fetch.err"; }
	e=$(date +%s.%N)
	python3 - "$name" "$s" "$e" "$D/fetched.ndjson" $N <<'PY'
import json, sys
name, s, e, path, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), \
    sys.argv[4], int(sys.argv[5])
ids = [json.loads(l)["id"] for l in open(path)]
t = e - s
print("  %-42s %7.2f s %8.0f ev/s  %d of %d events, %d unique" %
      (name, t, len(ids) / t, len(ids), n, len(set(ids))))
PY
}

echo "== ph-fetch: $N events, 50 ms added to every request =="
one "ph-fetch --api events (1000 a page)" "$B/ph-fetch/ph-fetch" \
    --host "$url" --after 2024-01-01 --before 2024-03-01 --api events -q
one "ph-fetch --api query (50000 a page)" "$B/ph-fetch/ph-fetch" \
    --host "$url" --after 2024-01-01 --before 2024-03-01 --api query -q
one "original: 100 a page, newest first, serial" python3 \
    "$SRC/tests/bench/original-fetch.py" "$url" "$PH_FETCH_KEY"
