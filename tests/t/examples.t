#!/bin/sh
# The manuals' examples run.  A display in man/*.[17] marked by a line
#   .\" example: NAME
# just before its .Dl or .Bd -literal is taken out of the page, its "$ "
# prompts and mdoc escapes removed, and run by bash with pipefail in a
# directory holding the files the examples name, against two emulators:
# --host and --key-file are dropped (PH_FETCH_HOST, PH_SEND_HOST and the
# keys come from the environment) and the placeholder "--before T"
# becomes a date.  Every ph program in it must exit 0 (141 when a later
# stage such as head closed the pipe), and so must the example; then a
# check of what it did, by name, where the example's text says what
# that is.  A page that shows a command that does not work fails here.
. "$(dirname "$0")/../lib.sh"

if ! command -v jq >/dev/null 2>&1 || ! command -v bash >/dev/null 2>&1
then
	echo "# jq and bash are needed: make deps installs them"
	not_ok "jq and bash are installed"
	done_testing
	exit
fi

export PH_FETCH_KEY=phx_test PH_SEND_KEY=phc_test
unset PH_SEND_HOST PH_FETCH_HOST

# Programs on PATH as the pages name them, each noting a failure.
mkdir "$T/bin" "$T/ex"
for p in ph-fetch ph-clean ph-send; do
	eval "real=\$PH_$(echo "${p#ph-}" | tr a-z A-Z)"
	cat >"$T/bin/$p" <<EOF
#!/bin/sh
"$real" "\$@"
s=\$?
[ \$s -eq 141 ] && exit 0	# a later stage closed the pipe
[ \$s -ne 0 ] && echo "$p exited \$s" >>"$T/failed"
exit \$s
EOF
	chmod +x "$T/bin/$p"
done

# The files the examples name.
$GEN --count 2000 --seed 7 --start 2024-05-01 --days 30 >"$T/raw.ndjson"
sed 's/"plan":/"tier":/g' "$T/raw.ndjson" >"$T/events.ndjson"
"$PH_CLEAN" "$T/raw.ndjson" >"$T/saved.ndjson"
head -50 "$T/saved.ndjson" | jq -c '.properties.huge_blob = "x"' \
    >"$T/refused.ndjson"

emu_start S --load "$T/raw.ndjson"
export PH_FETCH_HOST="$S_URL"

# extract PAGE: each marked display into $T/ex/PAGE:NAME, as shell text.
extract() {
	awk -v dir="$T/ex" -v page="${1##*/}" '
	/^\.\\" example: / { name = $3; next }
	name != "" && /^\.Dl / {
		sub(/^\.Dl /, ""); print > (dir "/" page ":" name)
		close(dir "/" page ":" name); name = ""; next
	}
	name != "" && /^\.Bd -literal/ { inb = 1; next }
	inb && /^\.Ed/ { close(dir "/" page ":" name); inb = 0; name = ""; next }
	inb { print > (dir "/" page ":" name) }' "$1"
}

for page in "$PH_SRC"/man/*.[17]; do
	extract "$page"
done

# py EXPRESSION: Python over the work directory's files, printed.
py() {
	python3 -c 'import json, re, sys
def lines(f): return [json.loads(x) for x in open(f) if x.strip()]
def strings(v):
    if isinstance(v, str): yield v
    elif isinstance(v, dict):
        for x in v.values(): yield from strings(x)
    elif isinstance(v, list):
        for x in v: yield from strings(x)
print(eval(sys.argv[1]))' "$1"
}

# What each example must have done, where that can be told.
check_example() {
	store=$T/D.store
	case $1 in
	ph.7:dry-run)
		has "  the first events, cleaned, shown by jq" out '"uuid": "'
		is "  the dry run sent nothing" "$(wc -l <"$T/D.log")" 0 ;;
	ph.7:drop-event|ph-clean.1:drop-event)
		is "  every other event arrived, no \$pageleave" \
		    "$(py "len(lines('$store')), sum(e['event'] == '\$pageleave' for e in lines('$store'))")" \
		    "$(py "sum(e['event'] != '\$pageleave' for e in lines('$T/raw.ndjson')), 0")" ;;
	ph.7:rename)
		is "  plan arrived as tier" \
		    "$(py "sum('plan' in e['properties'] for e in lines('$store')), sum('tier' in e['properties'] for e in lines('$store'))")" \
		    "$(py "0, sum('plan' in e['properties'] for e in lines('$T/raw.ndjson'))")" ;;
	ph.7:redact)
		is "  no e-mail address arrived; each became redacted" \
		    "$(py "[s for e in lines('$store') for s in strings(e) if re.match(r'^[^@ ]+@[^@ ]+[.][^@ ]+\$', s)], sum(s == 'redacted' for e in lines('$store') for s in strings(e)) > 0")" \
		    "([], True)" ;;
	ph-clean.1:clean-saved)
		is "  each event cleaned, none rejected" \
		    "$(py "len(lines('clean.ndjson')), sum(1 for x in open('rejected.ndjson'))")" \
		    "(2000, 0)" ;;
	ph-clean.1:rename-back)
		is "  tier printed as plan" \
		    "$(py "sum('tier' in e['properties'] for e in lines('out')), sum('plan' in e['properties'] for e in lines('out'))")" \
		    "$(py "0, len(lines('events.ndjson'))")" ;;
	ph-clean.1:count-derived)
		is "  the count of blank distinct_ids" "$(tr -d ' ' <out)" \
		    "$(py "sum(all(v in (None, '') for v in (e.get('distinct_id'), e.get('\$distinct_id'), (e.get('properties') or {}).get('distinct_id'))) for e in lines('events.ndjson'))")" ;;
	ph-fetch.1:count-events)
		is "  may.ndjson holds the month; the commonest event first" \
		    "$(py "len(lines('may.ndjson')), open('out').readline().split()")" \
		    "$(py "(lambda c: (sum(c.values()), [str(c.most_common(1)[0][1]), c.most_common(1)[0][0]]))(__import__('collections').Counter(e['event'] for e in lines('$T/raw.ndjson')))")" ;;
	ph-send.1:replay)
		is "  every saved event arrived; the state records them" \
		    "$(py "len(lines('$store')), json.load(open('replay.state'))['lines']")" \
		    "(2000, 2000)" ;;
	ph-send.1:drop-dry-run)
		is "  nothing sent" "$(wc -l <"$T/D.log")" 0
		has "  what it would have sent" err "dry run, nothing sent" ;;
	ph-send.1:fix-refused)
		is "  the fixed events arrived, without huge_blob" \
		    "$(py "len(lines('$store')), sum('huge_blob' in e['properties'] for e in lines('$store'))")" \
		    "(50, 0)" ;;
	*)
		not_ok "  a check for $1 in tests/t/examples.t" ;;
	esac
}

ran=""
for ex in "$T"/ex/*; do
	name=${ex##*/}
	w=$T/work-$(echo "$name" | tr ':.' '--')
	mkdir "$w"
	cp "$T/events.ndjson" "$T/saved.ndjson" "$T/refused.ndjson" "$w"
	# The page's text as a script: prompts and mdoc escapes off, then
	# the real hosts and keys from the environment, a date for T.
	sed -e 's/^\$ //' -e 's/\\e/\\/g' -e 's/\\&//g' -e 's/\\-/-/g' \
	    -e 's/--host [^ ]* *//g' -e 's/--key-file [^ ]* *//g' \
	    -e 's/--before T\([ |]\)/--before 2024-06-01\1/g' \
	    -e 's/--before T$/--before 2024-06-01/' "$ex" >"$w/example.sh"
	emu_start D || break
	rm -f "$T/failed"
	(cd "$w" && PATH="$T/bin:$PATH" PH_SEND_HOST="$D_URL" \
	    bash -e -o pipefail example.sh >out 2>err </dev/null)
	status=$?
	if [ "$status" -eq 0 ] && [ ! -s "$T/failed" ]; then
		ok "$name runs"
	else
		not_ok "$name runs"
		printf '#   exit %s\n' "$status"
		sed 's/^/#   /' "$T/failed" "$w/example.sh" 2>/dev/null
		sed 's/^/#   /' "$w/err" | head -10
	fi
	cd "$w" && check_example "$name"
	cd "$T" || exit 1
	emu_stop D
	ran="$ran $name"
done

# The examples this file checks are still in the pages, still marked.
missing=""
for want in ph.7:dry-run ph.7:drop-event ph.7:rename ph.7:redact \
    ph-clean.1:clean-saved ph-clean.1:drop-event ph-clean.1:rename-back \
    ph-clean.1:count-derived ph-fetch.1:count-events ph-send.1:replay \
    ph-send.1:drop-dry-run ph-send.1:fix-refused; do
	case " $ran " in
	*" $want "*) ;;
	*) missing="$missing $want" ;;
	esac
done
is "every example checked here is marked in its page" "$missing" ""
emu_stop S

done_testing
