#!/bin/sh
# make bench, compression part: zlib against libdeflate on the bodies
# ph-send builds (gzbench), then ph-send's own CPU time (user + sys) per
# million events, sending 200k events to the emulator with no latency.
#   compress.sh BUILD-DIR DATA-DIR
set -eu
B=$1
D=$2
export PH_SEND_KEY=phc_bench
EV=$D/clean-200k.ndjson
[ -s "$EV" ] || "$B/ph-clean/ph-clean" "$D/200k.ndjson" >"$EV"

echo "== gzip: zlib against libdeflate on ph-send's bodies, 200k events =="
"$B/tests/bench/gzbench" "$EV"

echo
echo "== ph-send: CPU seconds per million events, 200k events sent =="
rm -f "$D/emu.port" "$D/emu.store"
"$B/tests/emu/ph-emu" --port-file "$D/emu.port" --store "$D/emu.store" \
    --project-key "$PH_SEND_KEY" 2>/dev/null &
emu_pid=$!
trap 'kill "$emu_pid" 2>/dev/null || true' EXIT
while [ ! -s "$D/emu.port" ]; do sleep 0.01; done
url=http://127.0.0.1:$(cut -d' ' -f1 "$D/emu.port")
n=$(wc -l <"$EV")
for run in 1 2 3; do
	: >"$D/emu.store"
	/usr/bin/time -o "$D/send.cpu" -f '%U %S' \
	    "$B/ph-send/ph-send" --host "$url" -q "$EV"
	got=$(wc -l <"$D/emu.store")
	python3 -c 'import sys
u, s = map(float, open(sys.argv[1]).read().split()[-2:])
n, got = int(sys.argv[2]), int(sys.argv[3])
print("  run %s: %.2f s user + %.2f s sys = %.2f s CPU per million events"
      "  (%d/%d stored)" % (sys.argv[4], u, s, (u + s) * 1e6 / n, got, n))' \
	    "$D/send.cpu" "$n" "$got" "$run"
done
