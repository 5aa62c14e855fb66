#!/bin/sh
# A number beyond a double's range (1e400): PostHog's Rust capture
# (serde_json) refuses the whole request holding it, so ph-clean and
# ph-send name the line and keep the rest; ph-fetch copies it from a
# source as it is.  ph-emu copies capture per version.
. "$(dirname "$0")/../lib.sh"

KEY=phc_test
export PH_SEND_KEY=$KEY
unset PH_SEND_HOST

# Four events, each with one number at the edge of a double's range.
ev() {
	printf '{"event":"e%s","distinct_id":"d%s","uuid":"0190c0de-0000-7000-8000-00000000000%s","timestamp":"2024-01-0%sT00:00:00Z","properties":{"n":%s}}\n' \
	    "$1" "$1" "$1" "$1" "$2"
}
{
	ev 1 1.7976931348623157e308
	ev 2 1e400
	ev 3 1e-400
	ev 4 -2E+308
	ev 5 0e999
} >"$T/in"

# ph-clean: lines 2 and 4 are named and kept in the reject file.
run "$PH_CLEAN" -r "$T/rej" "$T/in"
is_status "ph-clean: numbers past a double rejected: exit 1" 1
is "  the others cleaned, their numbers' text as it was" \
    "$(grep -o '"n":[^,}]*' "$T/out" | tr '\n' ' ')" \
    '"n":1.7976931348623157e308 "n":1e-400 "n":0e999 '
is "  each named, file and line" "$(cat "$T/err")" \
"ph-clean: $T/in:2: invalid JSON at byte 133: number out of range
ph-clean: $T/in:4: invalid JSON at byte 133: number out of range"
is "  the reject file holds them unchanged" "$(cat "$T/rej")" \
    "$(sed -n '2p;4p' "$T/in")"

# ph-send without ph-clean: the same two refused before they are sent,
# the other three delivered.
emu_start D
run "$PH_SEND" --host "$D_URL" --batch-size 10 "$T/in"
is_status "ph-send: refused locally, the rest delivered: exit 1" 1
has "  line 2 named" "$T/err" "in:2: invalid JSON at byte 133: number out of range"
has "  line 4 named" "$T/err" "in:4: invalid JSON at byte 133: number out of range"
is "  three stored" "$(wc -l <"$T/D.store")" 3
is "  no request refused" \
    "$(logq "$T/D.log" 'sum(1 for r in L if r["status"] == 400)')" 0

# ph-emu copies capture: Rust capture (2024 on) answers 400 to the whole
# batch; Django capture (before) read 1e400 as Python's inf.
post() {
	python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request, urllib.error
body = ('{"api_key":"phc_test","batch":[%s]}' % sys.argv[2]).encode()
req = urllib.request.Request(sys.argv[1] + "/batch/", body,
    {"Content-Type": "application/json"})
try:
    print(urllib.request.urlopen(req).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
is "ph-emu 2026: a batch holding 1e400 is refused whole, 400" \
    "$(post "$D_URL" "$(sed -n '1p' "$T/in"),$(sed -n '2p' "$T/in")")" 400
is "  1.7976931348623157e308 and 1e-400 are taken" \
    "$(post "$D_URL" "$(sed -n '1p' "$T/in"),$(sed -n '3p' "$T/in")")" 200
emu_stop D
for P in 2024 clickhouse-2022 postgres-2021; do
	emu_start O --profile $P
	case $P in
	2024) want=400 ;;
	*) want=200 ;;
	esac
	is "ph-emu $P: a batch holding 1e400: $want" \
	    "$(post "$O_URL" "$(sed -n '2p' "$T/in")")" $want
	emu_stop O
done

done_testing
