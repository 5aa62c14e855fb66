#!/bin/sh
# ph-fetch's query windows: narrowed to a second under a scan limit,
# widened when quick, halved after slow pages; --split counted by month.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
RANGE="--after 2024-01-01 --before 2024-02-01"

# 12000 events over 30 days, two clusters of 300 at one microsecond.
SRC=$T/source.ndjson
$GEN --count 12000 --seed 41 --clusters 2:300 >"$SRC"

# spans LOG: the hours each events query of the log scanned, in order.
spans() {
	logq "$1" '[round((__import__("datetime").datetime.fromisoformat(r["hogql"].split("timestamp < toDateTime64(\x27")[1][:26]) - __import__("datetime").datetime.fromisoformat(r["hogql"].split("timestamp >= toDateTime64(\x27")[1][:26])).total_seconds() / 3600, 2) for r in L if "count()" not in r.get("hogql", "count()")]'
}

emu_start S --profile 2026 --load "$SRC" --scan-limit 100
run "$PH_FETCH" --host "$S_URL" $RANGE $FAST --max-retries 2
is_status "300 events in one microsecond, a scan limit of 100: exit 5" 5
has "  narrowed to a second, then retried as a passing failure" "$T/err" \
    "a query of one second of events ran out of time; retrying it"
has "  and gave up after the retries" "$T/err" "giving up"
emu_stop S

emu_start S --profile 2026 --load "$SRC"
run "$PH_FETCH" --host "$S_URL" $RANGE
is "quick windows widen: a quiet month in fewer queries than days" \
    "$(spans "$T/S.log" | python3 -c 'import sys; s = eval(sys.stdin.read()); print(s[0], len(s) < 30, max(s) > 24)')" \
    "24.0 True True"
emu_stop S

emu_start S --profile 2026 --load "$SRC" --latency 600
run "$PH_FETCH" --host "$S_URL" --after 2024-01-01 --before 2024-01-03 \
    --timeout 2 --jobs 1
is_status "slow pages (600 ms, --timeout 2): exit 0" 0
same_events "  every event once" "$SRC" "$T/out" --after 2024-01-01 \
    --before 2024-01-03
is "  the window halves after each slow page" \
    "$(spans "$T/S.log" | python3 -c 'import sys; s = eval(sys.stdin.read()); print(s[0], max(s[1:]) <= 12)')" \
    "24.0 True"
emu_stop S

emu_start S --profile 2026 --load "$SRC"
run "$PH_FETCH" --host "$S_URL" --after 2023-12-01 --before 2024-02-15 \
    --split 4
is_status "--split over 76 days: exit 0" 0
is "  counted a month at a time at most" \
    "$(logq "$T/S.log" 'sum(1 for r in L if "count()" in r.get("hogql", ""))')" "3"
python3 - "$T/out" "$SRC" >"$T/split-check" <<'PY'
import datetime, json, sys
w = [l.split() for l in open(sys.argv[1])]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
ev = [t(json.loads(l)["timestamp"]) for l in open(sys.argv[2])]
counts = [sum(1 for e in ev if t(a) <= e < t(b)) for a, b in w]
print(len(w), all(a[1] == b[0] for a, b in zip(w, w[1:])),
    max(counts) < 1.6 * len(ev) / len(w))
PY
is "  four windows end to end, about equal counts" "$(cat "$T/split-check")" \
    "4 True True"
emu_stop S

done_testing
