#!/bin/sh
# make bench: throughput and memory, side by side with what a user would
# otherwise run.  Figures vary with the machine's load: compare ratios
# taken in one run.   usage: run.sh BUILD-DIR
set -eu
B=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
D=$SRC/tests/bench/data
mkdir -p "$D"

# gen N FILE: N realistic events, generated once and kept.
gen() {
	[ -s "$2" ] || python3 "$SRC/tests/gen-events.py" --count "$1" \
	    --seed 7 >"$2.tmp" && mv "$2.tmp" "$2" 2>/dev/null || true
}

# secs COMMAND...: wall-clock seconds of one run, output discarded.
secs() {
	s=$(date +%s.%N)
	"$@" >/dev/null
	e=$(date +%s.%N)
	python3 -c "print($e - $s)"
}

row() {	# row NAME SECONDS EVENTS BYTES
	python3 -c 'import sys
name, t, n, b = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print("%-34s %8.2f s %12.0f ev/s %9.1f MB/s" % (name, t, n / t, b / t / 1e6))' "$@"
}

echo "== ph-clean: 200k events of about 1 KB (tests/gen-events.py) =="
gen 200000 "$D/200k.ndjson"
n=$(wc -l <"$D/200k.ndjson")
bytes=$(wc -c <"$D/200k.ndjson")
cat "$D/200k.ndjson" >/dev/null	# warm the page cache
t_cat=$(secs cat "$D/200k.ndjson")
t_clean=$(secs "$B/ph-clean/ph-clean" "$D/200k.ndjson")
t_jq=$(secs jq -c -f "$SRC/tests/bench/clean.jq" "$D/200k.ndjson")
row "cat" "$t_cat" "$n" "$bytes"
row "ph-clean" "$t_clean" "$n" "$bytes"
row "jq -c -f tests/bench/clean.jq" "$t_jq" "$n" "$bytes"
python3 -c 'import sys; print("ph-clean is %.1fx jq" % (float(sys.argv[2]) / float(sys.argv[1])))' \
    "$t_clean" "$t_jq"
big='"big_int":123456789012345678901234567890'
in_n=$(grep -c "$big" "$D/200k.ndjson" || true)
clean_n=$("$B/ph-clean/ph-clean" "$D/200k.ndjson" | grep -c "$big" || true)
jq_n=$(jq -c -f "$SRC/tests/bench/clean.jq" "$D/200k.ndjson" |
    grep -c "$big" || true)
echo "events holding a 30-digit integer: $in_n in, $clean_n intact after ph-clean, $jq_n after jq"

echo
echo "== ph-clean: peak memory, 200k vs 1M events =="
gen 1000000 "$D/1m.ndjson"
for f in 200k 1m; do
	/usr/bin/time -f "ph-clean $f: %M KiB peak RSS, %e s" \
	    "$B/ph-clean/ph-clean" "$D/$f.ndjson" >/dev/null
done

echo
sh "$SRC/tests/bench/send.sh" "$B" "$D"

echo
sh "$SRC/tests/bench/compress.sh" "$B" "$D"

echo
sh "$SRC/tests/bench/fetch.sh" "$B" "$D"

echo
sh "$SRC/tests/bench/pipeline.sh" "$B" "$D"

echo
sh "$SRC/tests/bench/slow.sh" "$B" "$D"
sh "$SRC/tests/bench/persons.sh" "$B" "$D"
