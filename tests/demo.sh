#!/bin/sh
# make demo: the whole migration, ph-fetch | ph-clean | ph-send, from one
# local PostHog emulator loaded with a month of realistic history into
# another, then what arrived against what was there.
#   demo.sh BUILD-DIR
set -eu
B=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$SRC/demo
rm -rf "$W"
mkdir -p "$W"
cd "$W"

pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== 1. A month of history: 200,000 events, every awkward case =="
python3 "$SRC/tests/gen-events.py" --count 200000 --seed 42 \
    --start 2024-01-01T00:00:00+00:00 --days 31 --clusters 3:1500 \
    >source.ndjson
# Two events too large for capture, to show what happens to them.
python3 - >>source.ndjson <<'PY'
import json
for i in range(2):
    print(json.dumps({"id": "0190d1a0-0000-7000-8000-00000000000%d" % i,
        "distinct_id": "user-big-%d" % i, "event": "huge export",
        "timestamp": "2024-01-15T12:00:0%d.000000+00:00" % i,
        "properties": {"payload": "x" * 1200000}, "person": None,
        "elements": [], "elements_chain": ""}))
PY
echo "   $(wc -l <source.ndjson) events, $(du -h source.ndjson | cut -f1)" \
    "(tests/gen-events.py)"

echo "== 2. Two local PostHogs: the old instance, and the new project =="
# The source's persons and groups: its history processed in order by
# PostHog's ingestion (ph-emu --persons), then merges and edits made
# outside events (tests/demo-persons.py).
"$B/tests/emu/ph-emu" --port-file hist.port --persons \
    --project-key phc_demo 2>hist.err &
hist=$!
pids="$pids $hist"
while [ ! -s hist.port ]; do sleep 0.05; done
HIST_URL=http://127.0.0.1:$(cut -d' ' -f1 hist.port)
"$B/ph-clean/ph-clean" -r /dev/null <source.ndjson 2>/dev/null |
    PH_SEND_KEY=phc_demo "$B/ph-send/ph-send" --host "$HIST_URL" \
    --parallel 1 -r /dev/null -q 2>/dev/null || true
python3 "$SRC/tests/demo-persons.py" "$HIST_URL" >source-persons.ndjson
kill "$hist"
echo "   $(grep -c distinct_ids source-persons.ndjson) persons and" \
    "$(grep -c group_key source-persons.ndjson) groups, some merged and" \
    "edited outside events"
"$B/tests/emu/ph-emu" --port-file src.port --load source.ndjson \
    --load-persons source-persons.ndjson --personal-key phx_demo \
    2>src.err &
pids="$pids $!"
"$B/tests/emu/ph-emu" --port-file dst.port --store destination.ndjson \
    --project-key phc_demo --persons 2>dst.err &
pids="$pids $!"
while [ ! -s src.port ] || [ ! -s dst.port ]; do sleep 0.05; done
SRC_URL=http://127.0.0.1:$(cut -d' ' -f1 src.port)
DST_URL=http://127.0.0.1:$(cut -d' ' -f1 dst.port)
echo "   source $SRC_URL, destination $DST_URL"

echo "== 3. The migration =="
persons_pass() {
	"$B/ph-fetch/ph-fetch" --host "$SRC_URL" --persons -q |
	    tee -a persons-pass.ndjson | "$B/ph-clean/ph-clean" |
	    "$B/ph-send/ph-send" --host "$DST_URL" -q -r rejected-persons.ndjson \
	    || true
}
echo "   the persons pass first, which numbers the group types as the source:"
echo "   ph-fetch --host $SRC_URL --persons | ph-clean | ph-send --host $DST_URL"
export PH_FETCH_KEY=phx_demo PH_SEND_KEY=phc_demo
persons_pass
cat <<EOT
   PH_FETCH_KEY=phx_demo PH_SEND_KEY=phc_demo
   ph-fetch --host $SRC_URL --after 2024-01-01 --before 2024-02-01 \\
       --resume state.json |
     ph-clean -r rejected-clean.ndjson |
     ph-send --host $DST_URL --state state.json -r rejected-send.ndjson
EOT
# Messages go to the terminal and, through tee, to logs for the report.
mkfifo clean.fifo send.fifo
tee clean.log <clean.fifo >&2 &
tees=$!
tee send.log <send.fifo >&2 &
tees="$tees $!"
start=$(date +%s.%N)
"$B/ph-fetch/ph-fetch" --host "$SRC_URL" --after 2024-01-01 \
    --before 2024-02-01 --resume state.json --progress |
    "$B/ph-clean/ph-clean" -r rejected-clean.ndjson 2>clean.fifo |
    "$B/ph-send/ph-send" --host "$DST_URL" --state state.json \
    -r rejected-send.ndjson --progress 2>send.fifo || true
wait $tees
end=$(date +%s.%N)
python3 -c "print('   took %.1f s' % ($end - $start))"

echo "   after the events, persons and groups against the source's:"
python3 "$SRC/tests/persons-diff.py" --show 0 "$SRC_URL" "$DST_URL" |
    sed 's/^/   /' || true
echo "   the persons pass again sets what the events could not:"
persons_pass

echo "== 4. What arrived against what was there =="
# The events, less the persons pass's own.
python3 - <<'PY'
import json
ours = {json.loads(l)["uuid"] for l in open("persons-pass.ndjson")}
with open("destination-events.ndjson", "w") as out:
    for l in open("destination.ndjson"):
        if json.loads(l).get("uuid") not in ours:
            out.write(l)
PY
python3 "$SRC/tests/demo-report.py" source.ndjson destination-events.ndjson \
    rejected-clean.ndjson rejected-send.ndjson --log clean.log \
    --log send.log

echo "== 5. Counts, day by day, read from both PostHogs =="
echo "   ph-fetch --count --after 2024-01-01 --before 2024-02-01 --compare $DST_URL"
# The destination's personal key is ph-emu's default.
status=0
PH_FETCH_COMPARE_KEY=phx_test "$B/ph-fetch/ph-fetch" --host "$SRC_URL" \
    --after 2024-01-01 --before 2024-02-01 --count --compare "$DST_URL" \
    >counts.txt 2>counts.err || status=$?
sed 's/^/   /' counts.txt
# A day may differ only by the events refused on the way, each in a
# reject file with its reason; any other difference fails the demo.
python3 - counts.txt rejected-clean.ndjson rejected-send.ndjson <<'PY'
import collections, json, sys
refused = collections.Counter()
for path in sys.argv[2:]:
    try:
        for line in open(path, encoding="utf-8"):
            e = json.loads(line)
            refused[e["timestamp"][:10]] += 1
    except FileNotFoundError:
        pass
bad = 0
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if line.startswith("#") or f[5] != "DIFF":
        continue
    short = int(f[2]) - int(f[4])
    if short == refused[f[0]]:
        print("   %s: %d short, the %d events refused on the way (reject "
              "files)" % (f[0], short, short))
    else:
        print("   %s: %d short, %d refused: NOT EXPLAINED" % (f[0], short,
              refused[f[0]]))
        bad = 1
sys.exit(bad)
PY
if [ "$status" -gt 1 ]; then
	cat counts.err >&2
	exit "$status"
fi
echo
python3 "$SRC/tests/persons-diff.py" --show 5 "$SRC_URL" "$DST_URL" |
    sed 's/^/  /'
echo
echo "Files are in demo/.  Next: man man/ph.7 for a real migration."
