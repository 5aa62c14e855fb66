/*
 * ph-fetch: the width of the time window a query scans; see window.h.
 */
#include "window.h"

#define SECOND_US	1000000LL
#define HOUR_US		(3600 * SECOND_US)
#define DAY_US		(24 * HOUR_US)

/* A day, as the events table's sort key cuts time. */
#define START_US	DAY_US
/* A month: one partition of the events table (posthog/models/event/sql.py). */
#define WIDEST_US	(32 * DAY_US)
/* A second: a window this narrow that still times out cannot be read. */
#define NARROWEST_US	SECOND_US
/*
 * Slowness alone narrows to an hour at most: a server may be slow
 * whatever the range (Cloud queues API queries for up to 30 s), and
 * only a timeout proves that a smaller range is needed.
 */
#define SLOW_FLOOR_US	HOUR_US
/* Half the 10 s PostHog gives an API query (HogQLQueryRunner, 2024). */
#define SLOW_S		5.0
#define QUICK_S		1.0
/*
 * After a timeout, widening stops short of the width that failed, so
 * that it does not cost the limit again a few windows later; this many
 * quick windows in a row lift that ceiling (the history got sparser).
 */
#define LIFT_AFTER	16

void
window_init(struct window *w, double timeout)
{
	w->width = START_US;
	w->ceiling = WIDEST_US;
	w->quick_run = 0;
	/* A page that takes a quarter of --timeout is close to failing. */
	w->slow = timeout / 4 < SLOW_S ? timeout / 4 : SLOW_S;
	w->quick = timeout / 20 < QUICK_S ? timeout / 20 : QUICK_S;
}

int64_t
window_end(const struct window *w, int64_t from, int64_t before)
{
	return before - from > w->width ? from + w->width : before;
}

int
window_timed_out(struct window *w)
{
	if (w->width <= NARROWEST_US)
		return -1;
	w->ceiling = w->width / 2;
	w->quick_run = 0;
	/* A quarter: each timeout costs the whole limit, so step down fast. */
	w->width /= 4;
	if (w->width < NARROWEST_US)
		w->width = NARROWEST_US;
	return 0;
}

void
window_took(struct window *w, double seconds, int finished)
{
	if (seconds > w->slow) {
		if (w->width / 2 >= SLOW_FLOOR_US)
			w->width /= 2;
		w->quick_run = 0;
	} else if (seconds < w->quick && finished) {
		if (++w->quick_run >= LIFT_AFTER) {
			w->ceiling = WIDEST_US;
			w->quick_run = 0;
		}
		if (w->width * 2 <= w->ceiling)
			w->width *= 2;
	} else
		w->quick_run = 0;
}
