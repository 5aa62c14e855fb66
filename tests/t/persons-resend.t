#!/bin/sh
# ph-send on the persons pass: --dry-run, and --state resumed after kill -9.
# (From persons-scale.t, to run beside it.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-persons.sh"

# --- --dry-run ---------------------------------------------------------------------

crowd 50 "$T/fifty.ndjson"
emu_start S --load-persons "$T/fifty.ndjson"
emu_start D --persons
pass "$S_URL" "$D_URL" --dry-run
is_status "ph-send --dry-run on the persons pass: exit 0" 0
has "  ph-fetch counts the persons" "$T/fetch.err" \
    "50 persons (100 distinct_ids), 0 groups of 0 types: $(wc -l <"$T/pass.ndjson") events"
has "  ph-send counts what it would send" "$T/send.err" \
    "dry run, nothing sent: would have $(wc -l <"$T/pass.ndjson") sent"
is "  and sends nothing" \
    "$(logq "$T/D.log" 'len(L)'):$($Q "$D_URL" 'len(P)')" "0:0"
emu_stop D
emu_stop S

# --- ph-send --state: kill -9, then the same command --------------------------------

crowd 300 "$T/few.ndjson"
# Each $merge_dangerously waits for the lane of the id it names (ph-send
# keeps identity events in order with both ids' events): about a round
# trip a person.
emu_start S --load-persons "$T/few.ndjson"
"$PH_FETCH" --host "$S_URL" --persons -q | "$PH_CLEAN" >"$T/pass.clean"
emu_stop S
total=$(wc -l <"$T/pass.clean")
emu_start D --persons --latency 20
"$PH_SEND" --host "$D_URL" --state "$T/state" --batch-size 100 -q \
    "$T/pass.clean" 2>/dev/null &
snd=$!
n=0
while [ "$($Q "$D_URL" 'len(P)')" -lt 60 ] && [ $n -lt 500 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -9 $snd 2>/dev/null
wait $snd 2>/dev/null
run "$PH_SEND" --host "$D_URL" --state "$T/state" --batch-size 100 \
    "$T/pass.clean"
is_status "kill -9 during the send, then the same command: exit 0" 0
has "  it resumes past what was delivered" "$T/err" "resuming after line"
is "  every event of the pass stored, none twice by uuid (PostHog merges by it)" \
    "$(python3 -c 'import json, sys
want = set(json.loads(l)["uuid"] for l in open(sys.argv[1]))
got = [json.loads(l)["uuid"] for l in open(sys.argv[2]) if l.strip()]
print(want == set(got), len(got) - len(set(got)) < len(want) // 2)' \
    "$T/pass.clean" "$T/D.store")" "True True"
is "  the second run sent only the rest" \
    "$(sed -n 's/.*: \([0-9]*\) sent, .*/\1/p' "$T/err" | tail -n 1 |
    awk -v t="$total" '{ print ($1 < t) }')" "1"
emu_start S --load-persons "$T/few.ndjson"
diff_ "$S_URL" "$D_URL"
is_status "  and the persons are the source's" 0
emu_stop D
emu_stop S

done_testing
