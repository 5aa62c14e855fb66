#!/bin/sh
# A failure that trying again cannot mend stops at once with exit 3:
# TLS spoken to a plain-HTTP port fails the handshake the same way each
# time, as a bad certificate does (common/http.c, http_transient).
. "$(dirname "$0")/../lib.sh"

export PH_SEND_KEY=phc_test PH_FETCH_KEY=phx_test
unset PH_SEND_HOST PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"

emu_start D
TLS_URL=$(printf '%s\n' "$D_URL" | sed 's/^http:/https:/')

run "$PH_SEND" $FAST --host "$TLS_URL" "$(clean_events 10 1)"
is_status "ph-send, a TLS handshake that fails: exit 3" 3
has "  no retry" "$T/err" ", 0 retries;"
lacks "  not 'giving up'" "$T/err" "giving up"

run "$PH_FETCH" $FAST --host "$TLS_URL" --after 2024-01-01
is_status "ph-fetch, a TLS handshake that fails: exit 3" 3
lacks "  no retry" "$T/err" "retry 1 of"
is "  nothing on stdout" "$(wc -c <"$T/out")" "0"
emu_stop D

done_testing
