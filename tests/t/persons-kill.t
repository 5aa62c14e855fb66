#!/bin/sh
# The persons pass killed with -9 and run again, and through faults on
# both sides.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

# --- kill -9 in the middle, then the same command -----------------------------------

# 3000 persons, each a $merge_dangerously and a $set, sent 100 events a
# batch: some 15 rounds of 200 ms over the lanes, killed once 100
# persons are there (after the first round or two).  The same command
# again sends 1000 a batch.

python3 - >"$T/crowd.ndjson" <<'EOF'
import json
for i in range(3000):
    print(json.dumps({"distinct_ids": ["c%04d" % i, "anon-c%04d" % i],
                      "properties": {"i": i, "email": "c%d@x" % i},
                      "is_identified": True,
                      "created_at": "2024-01-01T%02d:%02d:00Z" % (i // 60 % 24, i % 60)}))
EOF
emu_start S --load-persons "$T/crowd.ndjson"
emu_start D --persons --latency 200
( "$PH_FETCH" --host "$S_URL" --persons -q | "$PH_CLEAN" |
    "$PH_SEND" --host "$D_URL" --batch-size 100 -q ) 2>/dev/null &
pipe=$!
n=0
while [ "$($Q "$D_URL" 'len(P)')" -lt 100 ] && [ $n -lt 500 ]; do
	sleep 0.05
	n=$((n + 1))
done
pkill -9 -P $pipe 2>/dev/null
kill -9 $pipe 2>/dev/null
wait $pipe 2>/dev/null
got=$($Q "$D_URL" 'len(P)')
check "kill -9 in the middle: the destination has part of the persons ($got)" \
    test "$got" -gt 0 -a "$got" -lt 3000
pass "$S_URL" "$D_URL"
is_status "  the same command again: exit 0" 0
diff_ "$S_URL" "$D_URL"
is_status "  and every person is equal" 0
is "  all of them" "$(tail -n 1 "$T/out")" \
    "persons: 3000 of 3000 equal, groups: 0 of 0 equal"
emu_stop D
emu_stop S

# --- faults on both sides -----------------------------------------------------------

head -n 300 "$T/crowd.ndjson" >"$T/few.ndjson"
emu_start S --load-persons "$T/few.ndjson" --p503 0.3 --p429 0.2 \
    --retry-after 0 --seed 3
emu_start D --persons --p503 0.2 --seed 4
"$PH_FETCH" --host "$S_URL" --persons --page-size 50 --retry-wait 0.01 \
    --retry-max-wait 0.05 2>"$T/fetch.err" | "$PH_CLEAN" |
    "$PH_SEND" --host "$D_URL" --batch-size 40 --retry-wait 0.01 \
    --retry-max-wait 0.05 2>"$T/send.err"
status=$?
is_status "503s and 429s from the source and the destination: exit 0" 0
check "  ph-fetch retried" grep -q "retry 1 of 10" "$T/fetch.err"
diff_ "$S_URL" "$D_URL"
is_status "  and every person is equal" 0
emu_stop D
emu_stop S

done_testing
