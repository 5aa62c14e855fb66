#!/bin/sh
# ph-fetch --jobs and its reader: a closed pipe, a reader that is
# behind, windows read ahead in memory, past its bound in unnamed files
# of TMPDIR.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-fetch.sh"

# quiet FILE: until FILE has not grown for half a second (20 s at most).
quiet() {
	_n=-1
	_i=0
	while [ $_i -lt 40 ]; do
		sleep 0.5
		_m=$(wc -c <"$1")
		[ "$_m" = "$_n" ] && break
		_n=$_m
		_i=$((_i + 1))
	done
}

emu_start S --load "$SRC"

# | head: a closed pipe ends it quietly.
for J in 1 4; do
	{ "$PH_FETCH" --host "$S_URL" $RANGE --jobs $J 2>"$T/err"
	    echo $? >"$T/st"; } | head -1 >/dev/null
	is "| head -1, --jobs $J: ends quietly (SIGPIPE)" \
	    "$(cat "$T/st") $(cat "$T/err")" "141 "
done

# Pages past the bound in memory (PH_FETCH_TEST_AHEAD makes it a few
# bytes: every page) go from their files to stdout by sendfile(2), which
# a pipe and a plain file take; one opened for appending (>>) it refuses
# (EINVAL), and the windows are copied as before.  (Events of one
# instant may come in another order, as a source orders such ties.)
export PH_FETCH_TEST_AHEAD=1
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 4 2>/dev/null | cat >"$T/piped"
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 4 >"$T/plain" 2>/dev/null
printf 'before\n' >"$T/appended"
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 4 >>"$T/appended" 2>/dev/null
unset PH_FETCH_TEST_AHEAD
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 4 2>/dev/null | cat >"$T/held"
same_events "--jobs 4, pages held in memory: every event, once, in order" \
    "$SRC" "$T/held"
same_events "--jobs 4, pages in files, to a pipe: the same" "$SRC" \
    "$T/piped"
same_events "  to a file: the same" "$SRC" "$T/plain"
is "  to a file appended to: after what it held" \
    "$(head -1 "$T/appended")" "before"
sed 1d "$T/appended" >"$T/appended.events"
same_events "  and the same events" "$SRC" "$T/appended.events"

# A window split off that no worker reads yet, at the writer: the
# workers, each waiting for the writer to take its pages, must not all
# wait, or nothing moves again.  Dense events (a first page of 100 covers
# a sliver of a day's window, which then splits) and every page past the
# bound made each run hang for good; timeout(1) stands guard.
$GEN --count 6000 --seed 5 --days 3 >"$T/dense"
emu_start D --load "$T/dense"
for J in 2 3 4 8; do
	{ PH_FETCH_TEST_AHEAD=1 timeout 60 "$PH_FETCH" --host "$D_URL" \
	    --after 2024-01-01 --before 2024-01-05 --api events \
	    --page-size 100 --jobs $J 2>"$T/err"
	    echo $? >"$T/st"; } | cat >"$T/dense.out"
	is "split windows, every page past the bound, --jobs $J: it ends, exit 0" \
	    "$(cat "$T/st")" 0
	same_events "  every event, once, in order" "$T/dense" "$T/dense.out"
done
emu_stop D

# A reader that is behind holds the workers back: while it reads nothing, no
# more than 2 x --jobs windows are asked for (a window is more than a
# pipe holds), and then all the rest arrives.  A window ends on an hour;
# the reads of a timestamp cluster and the timezone probes inside one
# end anywhere, and are not windows.  The reader counts once the
# requests have stopped coming (the workers wait), not after a fixed
# time: the count is then the most the workers ever ask for, however
# fast or slow the build.
: >"$T/S.log"
"$PH_FETCH" --host "$S_URL" $RANGE --jobs 2 2>"$T/err" | {
	quiet "$T/S.log"
	cp "$T/S.log" "$T/asked.log"
	logq "$T/asked.log" 'len(set(r["query"].split("before=")[1].split("&")[0] for r in L if r["path"].endswith("/events/") and __import__("re").search(r"before=[^&]*T[0-9][0-9]:00:00[.]000000", r["query"])))' >"$T/asked"
	cat >"$T/out"
}
# The window being written to the pipe is not one waiting: 4 + 1.
asked=$(cat "$T/asked")
is "a reader behind: at most 5 windows asked for, --jobs 2" \
    "$(test "$asked" -le 5 && echo yes || echo "$asked")" "yes"
# If not, the requests it counted, to tell why.
test "$asked" -le 5 2>/dev/null ||
    logq "$T/asked.log" '"\n".join("#   %s %s" % (r["path"], r["query"]) for r in L)'
same_events "  then every event, once, in order" "$SRC" "$T/out"
is "  the range took more windows than that" \
    "$(logq "$T/S.log" 'len(set(r["query"].split("before=")[1].split("&")[0] for r in L if r["path"].endswith("/events/") and __import__("re").search(r"before=[^&]*T[0-9][0-9]:00:00[.]000000", r["query"]))) > 4')" \
    "True"

# Windows read ahead past the bound in memory wait in files of TMPDIR
# that have no name: none is ever seen there, even after kill -9 (and a
# TMPDIR that is not there is said plainly).
mkdir "$T/tmp"
{ PH_FETCH_TEST_AHEAD=1 TMPDIR=$T/tmp "$PH_FETCH" --host "$S_URL" $RANGE \
    --jobs 4 2>/dev/null &
    echo $! >"$T/pid"; wait; } | {
	# Until a window waits in a file (20 s at most), not a fixed time.
	_i=0
	until [ "$(id -u)" -ne 0 ] ||
	    { ls -l "/proc/$(cat "$T/pid")/fd" >"$T/fds" 2>&1 &&
	    grep -q "$T/tmp/.*(deleted)" "$T/fds"; } || [ $_i -ge 400 ]; do
		_i=$((_i + 1))
		sleep 0.05
	done
	ls -A "$T/tmp" >"$T/during"
	kill -9 "$(cat "$T/pid")"
	cat >/dev/null
}
# ph-fetch is not dumpable (it holds a key): only root reads its fds.
if [ "$(id -u)" -eq 0 ]; then
	is "--jobs 4 with a reader behind: windows wait in unnamed files of TMPDIR" \
	    "$(test "$(grep -c "$T/tmp/.*(deleted)" "$T/fds")" -gt 0 && echo yes)" "yes"
else
	ok "--jobs 4 with a reader behind: windows in TMPDIR # SKIP not root"
fi
is "  no name there while it runs, nor after kill -9" \
    "$(cat "$T/during")$(ls -A "$T/tmp")" ""
PH_FETCH_TEST_AHEAD=1 TMPDIR=$T/not-there run "$PH_FETCH" --host "$S_URL" \
    $RANGE --jobs 2
is_status "  a TMPDIR that is not there: exit 3" 3
has "  says so" "$T/err" \
    "$T/not-there: cannot make a temporary file for the windows read ahead"
# Under the bound, pages wait in memory alone: no file is made at all.
TMPDIR=$T/not-there run "$PH_FETCH" --host "$S_URL" $RANGE --jobs 4
is_status "  pages under the bound in memory: no file needed, exit 0" 0
same_events "  every event, once, in order" "$SRC" "$T/out"

emu_stop S

done_testing
