#!/bin/sh
# ph-fetch --resume from a ph-send state, and --split.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-fetch.sh"

emu_start S --load "$SRC"

# --- resume and split ---------------------------------------------------------

python3 - "$SRC" >"$T/state" <<'EOF'
import json, sys
evs = sorted((json.loads(l) for l in open(sys.argv[1])),
             key=lambda e: e["timestamp"])
print(json.dumps({"version": 1, "pipe": True, "lines": 9000,
                  "timestamp": evs[9000]["timestamp"], "uuid": evs[9000]["id"]}))
EOF
at=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["timestamp"])' "$T/state")
run "$PH_FETCH" --host "$S_URL" --resume "$T/state" --after 2020-01-01 \
    --before 2024-02-01
is_status "--resume with a ph-send state: exit 0" 0
has "  it says where it starts" "$T/err" "resuming at $at"
same_events "  from the recorded timestamp on, that one included" "$SRC" \
    "$T/out" --after "$at" --before 2024-02-01
run "$PH_FETCH" --host "$S_URL" --resume "$T/no-state-yet" $RANGE
same_events "--resume without a state file yet: from --after" "$SRC" "$T/out"

run "$PH_FETCH" --host "$S_URL" $RANGE --split 4
is_status "--split 4: exit 0" 0
is "  four windows" "$(wc -l <"$T/out")" "4"
cp "$T/out" "$T/windows"
python3 - "$T/windows" "$SRC" >"$T/split-check" <<'EOF'
import datetime, json, sys
w = [l.split() for l in open(sys.argv[1])]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
ev = [t(json.loads(l)["timestamp"]) for l in open(sys.argv[2])]
cover = w[0][0] == "2024-01-01T00:00:00.000000Z" and \
    w[-1][1] == "2024-02-01T00:00:00.000000Z" and \
    all(a[1] == b[0] for a, b in zip(w, w[1:]))
counts = [sum(1 for e in ev if t(a) <= e < t(b)) for a, b in w]
print(cover, max(counts) < 1.6 * len(ev) / len(w))
EOF
is "  they cover the range end to end, about equal counts" \
    "$(cat "$T/split-check")" "True True"
: >"$T/all"
while read -r a b; do
	"$PH_FETCH" --host "$S_URL" --after "$a" --before "$b" -q >>"$T/all"
done <"$T/windows"
same_events "  fetching each window: every event once" "$SRC" "$T/all"
emu_stop S

emu_start S --load "$SRC" --no-query
run "$PH_FETCH" --host "$S_URL" $RANGE --split 3
is "--split without a query API: equal time" "$(cat "$T/out")" \
"2024-01-01T00:00:00.000000Z 2024-01-11T08:00:00.000000Z
2024-01-11T08:00:00.000000Z 2024-01-21T16:00:00.000000Z
2024-01-21T16:00:00.000000Z 2024-02-01T00:00:00.000000Z"
emu_stop S

done_testing
