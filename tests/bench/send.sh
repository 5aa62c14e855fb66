#!/bin/sh
# make bench, ph-send part: events a second into the local emulator, with
# no added latency and with 50 ms a request, for ph-send's defaults, the
# original script's approach (one request at a time, 100 events, no gzip)
# and posthog-node; 100k events at 50 ms, a migration's steady rate;
# then ph-send's peak memory on 1M events.
#   send.sh BUILD-DIR DATA-DIR
set -eu
B=$1
D=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export PH_SEND_KEY=phc_bench
EMU="$B/tests/emu/ph-emu"

# A node_modules with posthog-node, set up once; none if npm cannot.
NODE_DIR=$D/node
if [ ! -d "$NODE_DIR/node_modules/posthog-node" ] && command -v npm >/dev/null
then
	mkdir -p "$NODE_DIR"
	(cd "$NODE_DIR" && npm init -y >/dev/null 2>&1 &&
	    npm install --no-audit --no-fund posthog-node@5 >/dev/null 2>&1) ||
	    echo "(posthog-node could not be installed: left out)"
fi

emu_pid=
start_emu() {	# start_emu LATENCY-MS
	rm -f "$D/emu.port" "$D/emu.store"
	"$EMU" --port-file "$D/emu.port" --store "$D/emu.store" \
	    --project-key "$PH_SEND_KEY" --latency "$1" 2>/dev/null &
	emu_pid=$!
	while [ ! -s "$D/emu.port" ]; do sleep 0.01; done
	url=http://127.0.0.1:$(cut -d' ' -f1 "$D/emu.port")
}
stop_emu() {
	kill "$emu_pid"
	wait "$emu_pid" 2>/dev/null || true
}
cpu_of() {	# CPU seconds a process has used so far
	awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"
}

# one NAME EVENTS-FILE COMMAND...: run it against the emulator at $url.
one() {
	name=$1
	file=$2
	shift 2
	n=$(wc -l <"$file")
	c0=$(cpu_of "$emu_pid")
	s=$(date +%s.%N)
	"$@" >/dev/null 2>"$D/bench.err" || { echo "$name failed:";
	    cat "$D/bench.err"; }
	e=$(date +%s.%N)
	c1=$(cpu_of "$emu_pid")
	got=$(wc -l <"$D/emu.store")
	python3 -c 'import sys
name, n, got, t, emu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])
print("  %-44s %7.2f s %9.0f ev/s  %6d/%d stored  emulator %.1f s CPU" %
      (name, t, n / t, got, n, emu))' "$name" "$n" "$got" \
	    "$(python3 -c "print($e - $s)")" \
	    "$(python3 -c "print($c1 - $c0)")"
	: >"$D/emu.store"
}

contenders() {	# contenders EVENTS-FILE
	one "ph-send (defaults)" "$1" "$B/ph-send/ph-send" --host "$url" \
	    "$1"
	one "ph-send --no-gzip" "$1" "$B/ph-send/ph-send" --host "$url" \
	    --no-gzip "$1"
	one "ph-send --parallel 1 --batch-size 100 --no-gzip" "$1" \
	    "$B/ph-send/ph-send" --host "$url" --parallel 1 \
	    --batch-size 100 --no-gzip "$1"
	if [ -d "$NODE_DIR/node_modules/posthog-node" ]; then
		cp "$SRC/tests/bench/posthog-node.mjs" "$NODE_DIR/"
		one "posthog-node $(node -p "require('$NODE_DIR/node_modules/posthog-node/package.json').version") (flushAt 1000)" \
		    "$1" node "$NODE_DIR/posthog-node.mjs" "$url" "$1"
	fi
}

[ -s "$D/clean-200k.ndjson" ] ||
    "$B/ph-clean/ph-clean" "$D/200k.ndjson" >"$D/clean-200k.ndjson"
head -20000 "$D/clean-200k.ndjson" >"$D/clean-20k.ndjson"

echo "== ph-send: 200k events, no added latency =="
start_emu 0
contenders "$D/clean-200k.ndjson"
stop_emu

echo
echo "== ph-send: 20k events, 50 ms added to every request =="
start_emu 50
contenders "$D/clean-20k.ndjson"
stop_emu

# A migration's steady rate: 20k events are 20 requests, mostly the
# ramp; 100k are 100, against the one contender that keeps up.
head -100000 "$D/clean-200k.ndjson" >"$D/clean-100k.ndjson"
echo
echo "== ph-send: 100k events, 50 ms added to every request =="
start_emu 50
one "ph-send (defaults)" "$D/clean-100k.ndjson" "$B/ph-send/ph-send" \
    --host "$url" "$D/clean-100k.ndjson"
rm -f "$D/send.state" "$D/send.state.lock" "$D/send.state.rejected.ndjson"
one "ph-send --state" "$D/clean-100k.ndjson" "$B/ph-send/ph-send" \
    --host "$url" --state "$D/send.state" "$D/clean-100k.ndjson"
rm -f "$D/send.state" "$D/send.state.lock" "$D/send.state.rejected.ndjson"
if [ -d "$NODE_DIR/node_modules/posthog-node" ]; then
	one "posthog-node (flushAt 1000)" "$D/clean-100k.ndjson" node \
	    "$NODE_DIR/posthog-node.mjs" "$url" "$D/clean-100k.ndjson"
fi
stop_emu

echo
echo "== ph-send: peak memory on 1M events (no added latency) =="
[ -s "$D/clean-1m.ndjson" ] ||
    "$B/ph-clean/ph-clean" "$D/1m.ndjson" >"$D/clean-1m.ndjson"
start_emu 0
/usr/bin/time -f "  ph-send 1M events: %M KiB peak RSS, %e s" \
    "$B/ph-send/ph-send" --host "$url" -q "$D/clean-1m.ndjson"
/usr/bin/time -f "  ph-send 200k events: %M KiB peak RSS, %e s" \
    "$B/ph-send/ph-send" --host "$url" -q "$D/clean-200k.ndjson"
stop_emu
