#!/bin/sh
# The proof per PostHog version (doc/posthog.md section 8): the whole
# pipeline with the README's default flags, from a source of each
# ph-emu profile into a 2026 destination that stores part of a batch
# before it fails (row 8) and answers some 503s.  Then a kill -9 and the
# same command again on a query-API source.
#
# The flags are the README's: ph-fetch --host --after --before --resume,
# ph-clean, ph-send --host --state, keys from PH_FETCH_KEY and
# PH_SEND_KEY.  Only the retry waits are shortened (--retry-wait,
# --retry-max-wait), for time; they change no result.
. "$(dirname "$0")/../lib.sh"

export PH_FETCH_KEY=phx_proof PH_SEND_KEY=phc_proof
WAIT="--retry-wait 0.01 --retry-max-wait 0.1"
AFTER=2024-01-01
BEFORE=2024-02-01
# The Postgres-era source's clock: Wednesday 2024-01-17, so "this Monday"
# is 2024-01-15T00:00:00.345678Z, inside the window (row 2).
NOW=2024-01-17T12:00:00.345678Z

# shape.py uuid|pg: the generated events with the awkward cases added.
# A third carry string values with leading or trailing '"' (row 1); one
# is big, near capture's 1,000,000-byte Kafka message, its quotes
# counting twice (row 7).  pg: the Postgres-era shape (integer ids, an
# elements array, no elements_chain), as tests/t/listing.t builds it.
cat >"$T/shape.py" <<'EOF'
import json, sys
pg = sys.argv[1] == "pg"
out = []
for i, line in enumerate(sys.stdin):
    e = json.loads(line)
    if i % 3 == 0:
        e["properties"]["said"] = "\"hello\""
        e["properties"]["inch"] = "12\""
    out.append(e)
big = dict(out[7])
big["id"] = "00000000-0000-4000-8000-00000000b16e"
big["properties"] = dict(big["properties"],
                         blob="x" * 860000 + "\"" * 30000 + "y")
out.insert(len(out) // 2, big)
for i, e in enumerate(out):
    if pg:
        e = {"id": i + 1, "distinct_id": e.get("distinct_id"),
             "properties": e["properties"],
             "elements": [{"tag_name": "a", "text": "x", "order": 0}]
             if e["elements_chain"] else [],
             "event": e["event"], "timestamp": e["timestamp"],
             "person": e["person"]}
    sys.stdout.write(json.dumps(e, ensure_ascii=False,
                                separators=(",", ":")) + "\n")
EOF
# strip.py: the source as the ClickHouse-era listing API serves it,
# leading and trailing '"' stripped from each top-level string property
# (parse_properties, posthog/models/event/util.py).
cat >"$T/strip.py" <<'EOF'
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    e["properties"] = {k: v.strip('"') if isinstance(v, str) else v
                       for k, v in e["properties"].items()}
    sys.stdout.write(json.dumps(e, ensure_ascii=False,
                                separators=(",", ":")) + "\n")
EOF

$GEN --count 4000 --seed 41 --clusters 3:300 | python3 "$T/shape.py" uuid \
    >"$T/src-uuid"
# Before the Postgres source's now: a Postgres install has no events
# from its future.
$GEN --count 4000 --seed 42 --clusters 3:300 --days 16.4 |
    python3 "$T/shape.py" pg >"$T/src-pg"

partials=0

# pipeline PROFILE SOURCE: the README's command, into a fresh 2026
# destination with partial acceptance and 503s.
pipeline() {
	_p=$1
	_extra=
	[ "$_p" = postgres-2021 ] && _extra="--now $NOW"
	emu_start S --load "$2" --profile "$_p" --personal-key phx_proof $_extra
	emu_start D --project-key phc_proof --profile 2026 --seed 7 \
	    --pmid 0.5 --p503 0.1
	rm -f "$T/st"
	{ "$PH_FETCH" --host "$S_URL" --after $AFTER --before $BEFORE \
	    --resume "$T/st" $WAIT 2>"$T/fetch.err"; echo $? >"$T/rc"; } |
	    tee "$T/fetched" |
	    { "$PH_CLEAN" 2>"$T/clean.err"; echo $? >>"$T/rc"; } |
	    "$PH_SEND" --host "$D_URL" --state "$T/st" $WAIT 2>"$T/send.err"
	echo $? >>"$T/rc"
	is "$_p: ph-fetch, ph-clean, ph-send exit 0; every event fetched" \
	    "$(tr '\n' ' ' <"$T/rc")$(wc -l <"$T/fetched")" "0 0 0 4001"
	sed 's/^/#   fetch: /' "$T/fetch.err" | head -5
	again=$(sed -n 's/^ph-send: \([0-9]*\) events sent again;.*/\1/p' \
	    "$T/send.err")
	echo "# ph-send: ${again:-0} events sent again"
	_n=$(logq "$T/D.log" 'sum(1 for r in L if r["fault"] == "partial" and r["stored"] > 0)')
	partials=$((partials + _n))
	echo "# destination faults: $(logq "$T/D.log" 'sorted(r["fault"] for r in L if r["fault"])')"
	emu_stop S
	emu_stop D
}

# arrived EXPECTED DESC: each expected event in the store, equal as JSON,
# once by uuid but for the copies capture stored before a failure
# (row 8), which PostHog merges by uuid: no more than the destination
# logged as stored by the requests it failed.  (ph-send's "sent again"
# counts events, not copies: a batch that fails part-way twice leaves
# two copies of its first half.)
arrived() {
	_dups=$(logq "$T/D.log" 'sum(r.get("stored", 0) for r in L if r["status"] != 200)')
	check_store "$2" "$1" "$T/D.store" --semantic --time-order \
	    --max-dups "$_dups"
	is "  ph-send counted the events it sent again (${again:-0}) if any batch was partly stored ($_n)" \
	    "$(test "$_n" -eq 0 || test "${again:-0}" -gt 0 && echo yes)" yes
}

# --- the query-API versions: nothing altered ----------------------------------

for p in 2026 2024; do
	pipeline $p "$T/src-uuid"
	"$PH_CLEAN" "$T/src-uuid" >"$T/expected" 2>/dev/null
	arrived "$T/expected" \
	    "  every source event arrived once by uuid, unaltered"
	lacks "  ph-fetch used the query API, said nothing of quotes" \
	    "$T/fetch.err" "no query API"
done

# --- clickhouse-2022: the listing API, quotes stripped, said once ---------------

pipeline clickhouse-2022 "$T/src-uuid"
python3 "$T/strip.py" <"$T/src-uuid" | "$PH_CLEAN" >"$T/expected" 2>/dev/null
arrived "$T/expected" \
    "  every source event arrived once, altered only by the listing's quote stripping"
is "  ph-fetch said so once" \
    "$(grep -c 'no query API (404); reading through the listing API, which strips' \
    "$T/fetch.err")" "1"
is "  and the stripping did happen" "$(grep -c '"said":"hello","inch":"12"' \
    "$T/fetched")" "$(grep -c '"said":"\\"hello\\""' "$T/src-uuid")"

# --- postgres-2021: integer ids, elements, this Monday, quotes kept ------------

pipeline postgres-2021 "$T/src-pg"
"$PH_CLEAN" "$T/src-pg" >"$T/expected" 2>/dev/null
arrived "$T/expected" "  every source event arrived once, unaltered (no stripping)"
is "  ph-fetch said once that it reads the listing API" \
    "$(grep -c 'no query API (404)' "$T/fetch.err")" "1"
has "  and read around the server's \"this Monday\" page (row 2)" \
    "$T/fetch.err" "each window is cut where the server's week begins"
is "  the quotes kept" "$(grep '"said":"\\"hello\\"","inch":"12\\""' \
    "$T/D.store" | sort -u | wc -l)" "$(grep -c '"said":"\\"hello\\""' "$T/src-pg")"
is "  autocapture elements arrived as \$elements_chain, elements dropped" \
    "$(python3 -c '
import json, sys
src = [json.loads(l) for l in open(sys.argv[1])]
st = [json.loads(l) for l in open(sys.argv[2])]
want = sum(1 for e in src if e["elements"])
got = sum(1 for e in st if e["properties"].get("$elements_chain"))
print(want > 0 and got >= want, any("elements" in e for e in st))' \
    "$T/src-pg" "$T/D.store")" "True False"

# Some 5 batches a run, each failing part-way with probability 0.5: a run
# may meet none, but not all four.
check "the destination stored part of a failed batch $partials times" \
    test "$partials" -gt 0

# --- kill -9, then the same command, on a query-API source --------------------

# 20,000 events, so that the kill leaves batches behind it.
$GEN --count 20000 --seed 43 --clusters 3:300 | python3 "$T/shape.py" uuid \
    >"$T/src-kill"
emu_start S --load "$T/src-kill" --profile 2024 --personal-key phx_proof \
    --latency 20
# A second a request: the first round of batches is settled a full
# round before the last can be, so the kill lands mid-run however fast
# or loaded the machine.
emu_start D --project-key phc_proof --profile 2026 --latency 1000
rm -f "$T/st"
cat >"$T/migrate" <<EOF
"$PH_FETCH" --host "$S_URL" --after $AFTER --before $BEFORE \\
    --resume "$T/st" $WAIT |
  "$PH_CLEAN" |
  "$PH_SEND" --host "$D_URL" --state "$T/st" $WAIT
EOF
setsid sh "$T/migrate" 2>"$T/k.err" &
pid=$!
i=0
# Killed once 6,000 events are stored and ph-send's state records some:
# with 16 lanes the first 16 batches are stored together, a moment
# before the state that settles them is written.
settled() { grep -q '"lines":[1-9]' "$T/st" 2>/dev/null; }
while { [ "$(wc -l <"$T/D.store" 2>/dev/null || echo 0)" -lt 6000 ] ||
    ! settled; } && [ $i -lt 3000 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.01
	i=$((i + 1))
done
kill_group $pid
killed=$?
# Mid-run by what ph-send settled, not by what the destination stored:
# the emulator goes on storing the killed run's requests in flight.
settled_lines=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["lines"])' "$T/st")
is "2024 source: the pipeline killed with SIGKILL mid-run" \
    "$killed $(test "$settled_lines" -lt 20001 && echo midway)" "137 midway"
echo "# killed with $settled_lines of 20001 lines settled, $(wc -l <"$T/D.store") stored"
sh "$T/migrate" 2>>"$T/k.err"
is "  the same command then runs to the end" "$?" "0"
has "  it resumed from the state file" "$T/k.err" "resuming"
"$PH_CLEAN" "$T/src-kill" >"$T/expected" 2>/dev/null
check_store "  nothing lost, nothing altered, not everything sent twice" \
    "$T/expected" "$T/D.store" --semantic --time-order --max-dups 19999
python3 "$PH_SRC/tests/check-store.py" "$T/expected" "$T/D.store" \
    --semantic --time-order --max-dups 1000000 --summary 2>/dev/null >"$T/k.summary"
echo "# $(cat "$T/k.summary")"
emu_stop S
emu_stop D

done_testing
