#!/bin/sh
# The proof that nothing is lost, nothing duplicated, nothing altered:
# the whole pipeline over 100k events with faults on both sides, then the
# same pipeline killed with SIGKILL at five random moments, each time
# resumed by running the same command again.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_proof PH_SEND_KEY=phc_proof
FAST="--retry-wait 0.01 --retry-max-wait 0.1 --max-retries 40"
SRC=$T/source.ndjson
$GEN --count 100000 --seed 31 --clusters 3:1200 >"$SRC"

# --- faults on both sides ---------------------------------------------------

emu_start S --load "$SRC" --personal-key phx_proof --seed 3 \
    --p500 0.03 --p503 0.03 --preset 0.03 --p429 0.03 --retry-after 1 \
    --pbad 0.02 --foreign-next --rate-per-min 10 --rate-window 1
emu_start D --project-key phc_proof --seed 4 \
    --p503 0.05 --p429 0.03 --retry-after 0 --preset 0.03 --pslow 0.03 \
    --slow-ms 150 --max-body 50K
# The default path, the query API, in pages small enough to meet every
# fault.  A slow source makes ph-send send what it has, not full
# batches (a median of some 40 KB compressed here): a 50 KB limit is
# what makes some of them meet the 413.
"$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-02-01 $FAST \
    --page-size 500 2>"$T/fetch.err" | tee "$T/fetched" |
    "$PH_CLEAN" 2>"$T/clean.err" | tee "$T/cleaned" |
    "$PH_SEND" --host "$D_URL" $FAST --state "$T/state" 2>"$T/send.err"
status=$?
is_status "faults on both sides: ph-send exits 0" 0
same_events "  ph-fetch read every source event once, oldest first" "$SRC" \
    "$T/fetched"
is "  ph-clean passed every one" "$(wc -l <"$T/cleaned")" "100000"
check_store "  the destination holds each exactly once, unaltered, in order" \
    "$T/cleaned" "$T/D.store"
if python3 "$PH_SRC/tests/demo-report.py" "$SRC" "$T/D.store" \
    >"$T/report" 2>&1; then
	ok "  same names, timestamps and properties as at the source"
else
	not_ok "  same names, timestamps and properties as at the source"
	sed 's/^/#   /' "$T/report"
fi
is "  source faults all happened" \
    "$(logq "$T/S.log" 'sorted(set(r["fault"] for r in L if r["fault"]))')" \
    "['429', '500', '503', 'bad', 'reset']"
is "  the source throttled it, and its foreign next host saw nothing" \
    "$(test "$(emu_stat S rate_limited)" -gt 0 && echo throttled) $(emu_stat S foreign_hits)" \
    "throttled 0"
is "  destination faults all happened, 413 too" \
    "$(logq "$T/D.log" 'sorted(set(r["fault"] or str(r["status"]) for r in L if r["fault"] or r["status"] != 200))')" \
    "['413', '429', '503', 'reset', 'slow']"
emu_stop S
emu_stop D

# --- kill -9 at five random moments ----------------------------------------------

emu_start S --load "$SRC" --personal-key phx_proof --latency 20
# 100 ms at the destination: 400 batches over 16 lanes take some 2.5 s,
# so each kill below lands mid-run however fast the machine.
emu_start D --project-key phc_proof --latency 100
cat >"$T/migrate" <<EOF
"$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-02-01 \\
    --resume "$T/k.state" --page-size 250 -q |
  "$PH_CLEAN" |
  "$PH_SEND" --host "$D_URL" --state "$T/k.state" -q --batch-size 250
EOF
kills=0
for i in 1 2 3 4 5; do
	setsid sh "$T/migrate" 2>>"$T/k.err" &
	pid=$!
	# ph-fetch --jobs reads a run in a few seconds: kill early enough.
	sleep "$(python3 -c 'import random; print(random.uniform(0.2, 0.6))')"
	if kill -0 $pid 2>/dev/null; then
		kill_group $pid
		kills=$((kills + 1))
	fi
	wait $pid 2>/dev/null
	echo "# kill $i: $(wc -l <"$T/D.store") stored; resume point" \
	    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timestamp"])' "$T/k.state" 2>/dev/null)"
done
is "five pipelines killed with SIGKILL mid-run" "$kills" "5"
sh "$T/migrate" 2>>"$T/k.err"
is "  the same command then runs to the end" "$?" "0"
"$PH_CLEAN" "$SRC" >"$T/expected"
# What a kill may make the next run send again: 16 batches of 250 and
# the one holding the prefix's next line (ph-send(1), Resuming), five
# times.
check_store "  nothing lost, nothing altered, each person oldest first" \
    "$T/expected" "$T/D.store" --semantic --time-order --max-dups 21250
python3 "$PH_SRC/tests/check-store.py" "$T/expected" "$T/D.store" \
    --semantic --time-order --max-dups 1000000 --summary 2>/dev/null \
    >"$T/k.summary"
echo "# $(cat "$T/k.summary")"
emu_stop S
emu_stop D

done_testing
