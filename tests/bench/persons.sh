#!/bin/sh
# make bench, persons part: the persons pass over 100,000 persons (two
# distinct_ids and ten properties each, 20 groups): persons a second
# read (ph-fetch --persons) and sent (ph-clean | ph-send into a ph-emu
# that processes them, --persons), peak memory, and the time a page of
# 1,000 persons takes at the start and at the end of the read (keyset
# pages through the query API: flat with depth), from the source
# emulator's request log.
#   persons.sh BUILD-DIR DATA-DIR [N]
set -eu
B=$1
D=$2
N=${3:-100000}
export PH_FETCH_KEY=phx_bench PH_SEND_KEY=phc_bench

[ -s "$D/persons-$N.ndjson" ] || python3 - "$N" >"$D/persons-$N.ndjson" <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({"distinct_ids": ["user-%07d" % i, "anon-%07d" % i],
        "properties": {"email": "u%d@example.com" % i, "plan": "pro",
                       "n": i, "city": "Paris", "a": 1, "b": 2, "c": "x" * 40,
                       "d": [1, 2], "e": {"k": "v"}, "f": True},
        "is_identified": True,
        "created_at": "2024-01-%02dT00:00:00Z" % (1 + i % 28)}))
print(json.dumps({"group_type": "company", "group_type_index": 0}))
for i in range(20):
    print(json.dumps({"group_type_index": 0, "group_key": "c%d" % i,
                      "group_properties": {"name": "C%d" % i}}))
PY

rm -f "$D/psrc.port" "$D/pdst.port" "$D/psrc.log"
"$B/tests/emu/ph-emu" --port-file "$D/psrc.port" \
    --load-persons "$D/persons-$N.ndjson" --personal-key phx_bench \
    --log "$D/psrc.log" 2>/dev/null &
spid=$!
"$B/tests/emu/ph-emu" --port-file "$D/pdst.port" --persons \
    --project-key phc_bench 2>/dev/null &
dpid=$!
trap 'kill $spid $dpid 2>/dev/null' EXIT
while [ ! -s "$D/psrc.port" ] || [ ! -s "$D/pdst.port" ]; do sleep 0.05; done
S=http://127.0.0.1:$(cut -d' ' -f1 "$D/psrc.port")
T=http://127.0.0.1:$(cut -d' ' -f1 "$D/pdst.port")

echo "== the persons pass: $N persons =="
s=$(date +%s.%N)
/usr/bin/time -f "%M %e" -o "$D/fetch.time" "$B/ph-fetch/ph-fetch" \
    --host "$S" --persons -q >"$D/pass.ndjson"
e=$(date +%s.%N)
/usr/bin/time -f "%M %e" -o "$D/send.time" sh -c \
    '"$1/ph-clean/ph-clean" <"$2" | "$1/ph-send/ph-send" --host "$3" -q' \
    sh "$B" "$D/pass.ndjson" "$T"
python3 - "$N" "$D/fetch.time" "$D/send.time" "$D/pass.ndjson" <<'PY'
import sys
n = int(sys.argv[1])
fm, ft = open(sys.argv[2]).read().split()[-2:]
sm, st = open(sys.argv[3]).read().split()[-2:]
ev = sum(1 for _ in open(sys.argv[4]))
print("  ph-fetch --persons: %8.0f persons/s read, %d events, peak RSS %d KiB"
      % (n / float(ft), ev, int(fm)))
print("  ph-clean | ph-send: %8.0f persons/s sent (%0.f events/s), peak RSS "
      "%d KiB (the larger of the two)" % (n / float(st), ev / float(st),
                                          int(sm)))
PY
# The same pass into a destination 100 ms away: lanes wait for order
# by id, so merges do not cost a round trip each (doc/design.md).
rm -f "$D/plat.port"
"$B/tests/emu/ph-emu" --port-file "$D/plat.port" --latency 100 \
    --project-key phc_bench 2>/dev/null &
lpid=$!
trap 'kill $spid $dpid $lpid 2>/dev/null' EXIT
while [ ! -s "$D/plat.port" ]; do sleep 0.05; done
/usr/bin/time -f "%e" -o "$D/lat.time" sh -c \
    '"$1/ph-clean/ph-clean" <"$2" | "$1/ph-send/ph-send" --host "$3" -q' \
    sh "$B" "$D/pass.ndjson" "http://127.0.0.1:$(cut -d' ' -f1 "$D/plat.port")"
python3 -c 'import sys; print("  at 100 ms latency:  %8.0f persons/s sent"
    % (int(sys.argv[1]) / float(open(sys.argv[2]).read().split()[-1])))' \
    "$N" "$D/lat.time"
python3 - "$D/psrc.log" <<'PY'
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])
     if '"table":"persons"' in l]
d = [b - a for a, b in zip(t, t[1:])]
k = min(10, len(d) // 2)
if k > 0:
    print("  time a page (1,000 persons and their distinct_ids): first %d "
          "pages %.1f ms, last %d %.1f ms (%d pages)"
          % (k, 1000 * sum(d[:k]) / k, k, 1000 * sum(d[-k:]) / k, len(t)))
PY
python3 "$(dirname "$0")/../persons-diff.py" --show 3 "$S" "$T" |
    sed 's/^/  /' || true
