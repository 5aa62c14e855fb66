/*
 * ph-fetch: the width of the time window a query scans; see window.h.
 */
#include "window.h"

/* A day, as PostHog's own sort key and partitions cut time. */
#define START_US	WINDOW_DAY_US
/* A month: one partition of the events table (posthog/models/event/sql.py). */
#define WIDEST_US	(31 * WINDOW_DAY_US)
/* A second: a window this narrow that still times out cannot be read. */
#define NARROWEST_US	1000000LL
/* Half the 10 s PostHog gives an API query (HogQLQueryRunner, 2024). */
#define SLOW_S		5.0
/* Quick enough that twice the window stays well inside the limit. */
#define QUICK_S		1.0

void
window_init(struct window *w)
{
	w->width = START_US;
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
	/* A quarter: a timeout costs the whole limit, so step down fast. */
	w->width /= 4;
	if (w->width < NARROWEST_US)
		w->width = NARROWEST_US;
	return 0;
}

void
window_took(struct window *w, double seconds, int finished)
{
	if (seconds > SLOW_S && w->width > NARROWEST_US)
		w->width /= 2;
	else if (seconds < QUICK_S && finished && w->width < WIDEST_US)
		w->width *= 2;
	if (w->width < NARROWEST_US)
		w->width = NARROWEST_US;
	if (w->width > WIDEST_US)
		w->width = WIDEST_US;
}
