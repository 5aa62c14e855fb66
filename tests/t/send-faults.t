#!/bin/sh
# ph-send against a failing emulator: 503s, 429s, resets, slow replies,
# 413s, 400s in each error format, refused keys, quota limits, nothing
# listening, a 404.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

EV=$(clean_events 3000 11)

# --- the server fails ---------------------------------------------------------

# 240 batches of 50 through the faults.
EV12=$(clean_events 12000 12)
emu_start D --p503 0.08 --p429 0.05 --retry-after 0 --preset 0.05 \
    --pslow 0.05 --slow-ms 200 --seed 7
run "$PH_SEND" --host "$D_URL" $FAST --max-retries 20 --batch-size 50 "$EV12"
is_status "12000 events through 503s, 429s, resets, slow replies: exit 0" 0
check_store "  every event exactly once, order per distinct_id kept" \
    "$EV12" "$T/D.store"
is "  the faults happened" \
    "$(logq "$T/D.log" 'all(any(r["fault"] == f for r in L) for f in ("503", "429", "reset", "slow"))')" \
    "True"
has "  retries are announced" "$T/err" "; retry 1 of 20 in"
has "  and counted in the summary" "$T/err" "12000 sent, 0 rejected;"
emu_stop D

# With --seed 3 the first request gets a 429, the next ones not.
emu_start D --p429 0.3 --retry-after 2 --seed 3
run "$PH_SEND" --host "$D_URL" $FAST --parallel 1 -q "$EV"
is_status "429 with Retry-After: 2: exit 0" 0
is "  each retry waits the 2 s the server asked for" \
    "$(logq "$T/D.log" 'all(b["t"] - a["t"] >= 1.95 for a, b in zip(L, L[1:]) if a["status"] == 429) and any(r["status"] == 429 for r in L)')" \
    "True"
emu_stop D

emu_start D --p503 1
run "$PH_SEND" --host "$D_URL" $FAST --max-retries 3 --state "$T/st" "$EV"
is_status "503 for ever: exit 5 after --max-retries" 5
has "  says it gave up" "$T/err" "giving up after 3 retries"
is "  4 attempts of the batch that gave up, no more" \
    "$(logq "$T/D.log" 'max(__import__("collections").Counter(r["bytes"] for r in L).values())')" \
    "4"
emu_stop D

# 413: the body limit splits batches; the event limit rejects one event.
python3 - "$EV" >"$T/big-in" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[10])
e["properties"]["blob"] = "x" * 20000
lines[10] = json.dumps(e)
print("\n".join(lines))
EOF
emu_start D --max-body 60K --max-event 12000
run "$PH_SEND" --host "$D_URL" --no-gzip -r "$T/rej413" "$T/big-in"
is_status "413s: exit 1, one event rejected" 1
is "  the over-size event is named by line" \
    "$(grep -c "ph-send: $T/big-in:11: 413: maximum event size exceeded" "$T/err")" "1"
sed -n 11p "$T/big-in" >"$T/want413"
check "  and written unchanged to --reject" cmp -s "$T/rej413" "$T/want413"
# Capture stored the events before the big one in each batch it refused.
again=$(sed -n 's/^ph-send: \([0-9]*\) events sent again; .*/\1/p' "$T/err")
check_store "  all the others arrive, resent no more than counted ($again)" \
    "$T/big-in" "$T/D.store" --expect-missing "$T/want413" \
    --max-dups "${again:-0}"
is "  bodies over the limit were split, not retried whole" \
    "$(logq "$T/D.log" 'any(r["status"] == 413 for r in L) and max(r["bytes"] for r in L if r["status"] == 200) <= 61440')" \
    "True"
emu_stop D

# 400: one event the server refuses spoils its batch.
python3 - "$EV" >"$T/bad-in" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for n in (1500, 2222):
    e = json.loads(lines[n - 1])
    e["event"] = "refuse me"
    lines[n - 1] = json.dumps(e)
print("\n".join(lines))
EOF
sed -n '1500p;2222p' "$T/bad-in" >"$T/want400"
for fmt in text json django; do
	emu_start D --refuse-event "refuse me" --error-format $fmt
	run "$PH_SEND" --host "$D_URL" -r "$T/rej400-$fmt" "$T/bad-in"
	is_status "400 ($fmt errors): exit 1" 1
	# Lanes run side by side: the two may be refused in either order.
	grep '400:' "$T/err" | sort >"$T/rejects-$fmt"
	is "  each refused event named with its line and the reason" \
	    "$(cat "$T/rejects-$fmt")" \
	    "ph-send: $T/bad-in:1500: 400: failed to decode request: event refused by validation
ph-send: $T/bad-in:2222: 400: failed to decode request: event refused by validation"
	sort "$T/rej400-$fmt" >"$T/rej400-sorted"
	sort "$T/want400" >"$T/want400-sorted"
	check "  both written unchanged to --reject" \
	    cmp -s "$T/rej400-sorted" "$T/want400-sorted"
	check_store "  the other 2998 arrive once, in order" "$T/bad-in" \
	    "$T/D.store" --expect-missing "$T/want400"
	emu_stop D
done

for code in 401 403; do
	emu_start D --auth-status $code
	PH_SEND_KEY=phc_wrong run "$PH_SEND" --host "$D_URL" $FAST "$EV"
	is_status "a wrong key ($code): exit 4" 4
	has "  the message names the likely cause" "$T/err" \
	    "$code: Project API key invalid. You can find your project API key in PostHog project settings.: the key was refused; check that PH_SEND_KEY"
	lacks "  and does not print the key" "$T/err" "phc_wrong"
	is "  no retries: at most one request per lane" \
	    "$(logq "$T/D.log" 'len(L) <= 16 and all(r["status"] == '$code' for r in L)')" \
	    "True"
	emu_stop D
done

printf '%s\n' phx_personal >"$T/keyfile"
run "$PH_SEND" --host http://127.0.0.1:9 --key-file "$T/keyfile" "$EV"
is_status "a personal key: exit 4 before any request" 4
has "  explained" "$T/err" "personal API key (phx_...)"
lacks "  without printing it" "$T/err" "phx_personal"

emu_start D --quota-limited
run "$PH_SEND" --host "$D_URL" "$EV"
has "a quota-limited destination is reported" "$T/err" \
    "quota is used up: PostHog drops such events"
emu_stop D

emu_start D --legacy-status --error-format django
printf '%s\n' "$KEY" >"$T/keyfile"
env -u PH_SEND_KEY "$PH_SEND" --host "$D_URL" --key-file "$T/keyfile" -q \
    "$EV" >"$T/out" 2>"$T/err"
status=$?
is_status "old Django capture, key from --key-file: exit 0" 0
check_store "  all delivered" "$EV" "$T/D.store"
emu_stop D

run "$PH_SEND" --host http://127.0.0.1:9 --max-retries 1 $FAST "$EV"
is_status "nothing listening: retried, then exit 5" 5
has "  the connection error is named" "$T/err" "Couldn't connect to server"

emu_start D
run "$PH_SEND" --host "$D_URL/nowhere/else/" "$EV"
is_status "a 404: exit 3 at once" 3
has "  with a hint" "$T/err" "is --host a PostHog capture host?"
emu_stop D

done_testing
