#!/bin/sh
# ph-send against the local emulator: delivery, batching, every failure
# the server can answer with, local checks, state and resume, signals,
# exit statuses.  The server's failures are in send-faults.t, local
# checks and --dry-run in send-checks.t, state, resume and signals in
# send-resume.t.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

EV=$(clean_events 3000 11)

# --- delivery ------------------------------------------------------------

emu_start D
run "$PH_SEND" --host "$D_URL" "$EV"
is_status "3000 events: exit 0" 0
check_store "each arrives once, unaltered, in order per distinct_id" \
    "$EV" "$T/D.store"
is "every request: POST /batch/, gzip, historical, no sent_at" \
    "$(logq "$T/D.log" 'sorted(set((r["method"], r["path"], r["gzip"], r["historical"], r["sent_at"]) for r in L))')" \
    "[('POST', '/batch/', True, True, False)]"
is "batches hold at most 1000 events" \
    "$(logq "$T/D.log" 'max(r["events"] for r in L) <= 1000 and sum(r["events"] for r in L)')" \
    "3000"
has "a summary line at the end" "$T/err" "ph-send: 3000 sent, 0 rejected;"
lacks "the key is never printed" "$T/err" "$KEY"
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL/" --no-gzip --no-historical --batch-size 7 \
    -q "$EV"
is_status "--no-gzip --no-historical --batch-size 7: exit 0" 0
is "  plain JSON, no historical_migration, 7 events a batch" \
    "$(logq "$T/D.log" 'sorted(set((r["gzip"], r["historical"], r["events"] <= 7) for r in L)), sum(r["events"] for r in L)')" \
    "([(False, False, True)], 3000)"
is "-q: nothing on stderr" "$(cat "$T/err")" ""
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL/batch" --no-gzip --batch-bytes 20K -q "$EV"
is_status "--batch-bytes 20K: exit 0" 0
is "  every body at most 20 KiB, all events there" \
    "$(logq "$T/D.log" 'max(r["bytes"] for r in L) <= 20480, sum(r["events"] for r in L)')" \
    "(True, 3000)"
emu_stop D

# --- parallel lanes and the rate cap -----------------------------------------

emu_start D --latency 100
run "$PH_SEND" --host "$D_URL" --batch-size 100 --parallel 8 -q "$EV"
is_status "--parallel 8 with 100 ms latency: exit 0" 0
# The emulator counts requests being answered at once: no clock.
is "  8 requests in flight at once, as many as lanes, no more" \
    "$(emu_stat D max_in_flight)" "8"
check_store "  and order per distinct_id holds" "$EV" "$T/D.store"
emu_stop D

emu_start D
run "$PH_SEND" --host "$D_URL" --batch-size 100 --rate 1000 -q "$EV"
is_status "--rate 1000: exit 0" 0
# The first batch goes at once, the rest spaced by their size: the
# server sees the last one no sooner than (3000 - its size) / 1000 s.
is "  the server saw them spread over 3000 events / 1000 a second" \
    "$(logq "$T/D.log" 'max(r["t"] for r in L) - min(r["t"] for r in L) >= (3000 - max(r["events"] for r in L)) / 1000 - 0.05')" \
    "True"
emu_stop D

# --- usage ----------------------------------------------------------------------------

run "$PH_SEND" --parallel 0 "$EV"
is_status "--parallel 0: exit 2" 2
has "  with the option and the reason" "$T/err" \
    "ph-send: --parallel too small: 0"
run "$PH_SEND" --batch-bytes 5Q "$EV"
has "--batch-bytes 5Q: invalid" "$T/err" "ph-send: --batch-bytes invalid: 5Q"
run "$PH_SEND" --host ftp://x "$EV"
is_status "--host ftp://x: exit 2" 2
env -u PH_SEND_KEY "$PH_SEND" "$EV" >"$T/out" 2>"$T/err"
status=$?
is_status "no key: exit 2" 2
has "  says where a key comes from" "$T/err" \
    "no API key: set PH_SEND_KEY or use --key-file"
run "$PH_SEND" --host http://127.0.0.1:9 "$T/no-such-file"
is_status "an unreadable input: exit 3 before sending" 3
has "  named" "$T/err" "ph-send: $T/no-such-file: No such file or directory"
run "$PH_SEND" --help
is_status "--help: exit 0" 0
has "  on stdout" "$T/out" "usage: ph-send"
run "$PH_SEND" --version
is "--version" "$(cat "$T/out")" "ph-send 0.1.0"

done_testing
