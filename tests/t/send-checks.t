#!/bin/sh
# ph-send's local checks (lines it refuses without sending them),
# --dry-run and --progress.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

EV=$(clean_events 3000 11)

# --- local checks ---------------------------------------------------------------

head -3 "$EV" >"$T/local"
cat >>"$T/local" <<'EOF'
not json
{"distinct_id":"d","uuid":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
{"event":"e","uuid":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
{"event":"e","distinct_id":null,"properties":{"distinct_id":""}}
{"event":"e","distinct_id":"d","uuid":"42"}
{"event":"e","event":"f","distinct_id":"d"}

EOF
python3 -c 'print("{\"event\":\"e\",\"distinct_id\":\"d\",\"properties\":{\"s\":\"%s\"}}" % ("x" * 3000))' >>"$T/local"
sed -n 4,9p "$T/local" >"$T/want-local"
sed -n 11p "$T/local" >>"$T/want-local"
tail -2 "$EV" >>"$T/local"
emu_start D
run "$PH_SEND" --host "$D_URL" --max-event 3000 -r "$T/rej-local" "$T/local"
is_status "bad lines: exit 1" 1
grep -v 'sent,' "$T/err" >"$T/err-local"
is_file "  each is named with its line and reason" "$T/err-local" \
"ph-send: $T/local:4: invalid JSON at byte 1: expected a value
ph-send: $T/local:5: no event name
ph-send: $T/local:6: no distinct_id
ph-send: $T/local:7: no distinct_id
ph-send: $T/local:8: \"uuid\" is not a UUID
ph-send: $T/local:9: duplicate key \"event\"
ph-send: $T/local:11: event of 3053 bytes: capture makes a 3312-byte Kafka message of it, over the 3000-byte limit"
check "  and kept in --reject, unchanged" cmp -s "$T/rej-local" "$T/want-local"
is "  none of them was sent: no request was refused" \
    "$(logq "$T/D.log" 'sorted(set(r["status"] for r in L)), sum(r["events"] for r in L)')" \
    "([200], 5)"
emu_stop D
head -3 "$EV" >"$T/want-sent"
tail -2 "$EV" >>"$T/want-sent"
emu_start D
run "$PH_SEND" --host "$D_URL" --max-event 3000 -r "$T/rej-local2" "$T/local"
check_store "  the good lines around them arrive" "$T/want-sent" "$T/D.store" \
    --expect-missing "$T/want-local"
emu_stop D

# --- dry run, progress ------------------------------------------------------------

emu_start D
run "$PH_SEND" --host "$D_URL" --dry-run "$EV"
is_status "--dry-run: exit 0" 0
is "  no request reaches the server" "$(wc -c <"$T/D.log")" "0"
has "  the summary says what would have gone" "$T/err" \
    "dry run, nothing sent: would have 3000 sent, 0 rejected;"
run "$PH_SEND" --host "$D_URL" --progress --batch-size 100 "$EV"
has "--progress forces progress lines off a terminal" "$T/err" \
    "ph-send: 3000 sent, "
emu_stop D

done_testing
