#!/bin/sh
# The options ph-fetch and ph-send share through common/cli.c
# (cli_retry_option): the same names, ranges and messages in both.
. "$(dirname "$0")/../lib.sh"

export PH_SEND_KEY=phc_test
unset PH_SEND_HOST PH_FETCH_HOST
EV=$(clean_events 3 1)

for prog in "$PH_SEND" "$PH_FETCH"; do
	name=${prog##*/}
	for bad in "--max-retries 1001:too large" "--max-retries -1:too small" \
	    "--retry-wait 3601:too large" "--retry-wait x:invalid" \
	    "--retry-max-wait 86401:too large" "--timeout 0:too small" \
	    "--timeout 86401:too large"; do
		opt=${bad%:*}
		run "$prog" $opt "$EV"
		is_status "$name $opt: exit 2" 2
		has "  $name: ${opt% *} ${bad#*:}: ${opt#* }" "$T/err" \
		    "$name: ${opt% *} ${bad#*:}: ${opt#* }"
	done
done

# The largest and smallest values are taken: the run goes past the options.
ALL="--max-retries 1000 --retry-wait 3600 --retry-max-wait 86400 --timeout 0.01"
run "$PH_SEND" -n -q $ALL "$EV"
is_status "ph-send -n with every retry option at its bound: exit 0" 0
is "  with nothing said" "$(cat "$T/err")" ""
run "$PH_SEND" -n -q --max-retries 0 --retry-wait 0 --retry-max-wait 0 \
    --timeout 86400 "$EV"
is_status "ph-send -n with the lower bounds: exit 0" 0
is "  with nothing said" "$(cat "$T/err")" ""
run "$PH_FETCH" $ALL
is_status "ph-fetch with every retry option at its bound: past them to" 2
has "  the missing source" "$T/err" \
    "ph-fetch: no source: give --host or set PH_FETCH_HOST"

done_testing
