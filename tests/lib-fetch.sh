# The setting of the ph-fetch test files (tests/t/fetch*.t), sourced
# after tests/lib.sh: the listing API over January 2024, and its events.

export PH_FETCH_KEY=phx_test
unset PH_FETCH_HOST
FAST="--retry-wait 0.01 --retry-max-wait 0.05"
# The listing API is asked for by name: the default is the query API.
RANGE="--after 2024-01-01 --before 2024-02-01 --api events"

# 12000 events over 30 days, with 4 clusters of 1500 events that share
# one microsecond: more than a page, so every cluster crosses pages.
SRC=$T/source.ndjson
$GEN --count 12000 --seed 21 --clusters 4:1500 >"$SRC"
