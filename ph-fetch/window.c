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
/*
 * The widest window of a listing API without the query API's time
 * limit (window_listing): the whole range, as those installs take any
 * after and before (events.c).  Its first page finds the first event
 * however many empty years come before it (an empty stretch costs no
 * scan, the table being sorted by team and day first), and a dense
 * window is split by that page (jobs.c).  A thousand years: wider than
 * any range, and still doubled without overflow.
 */
#define LISTING_WIDEST_US	(1000 * 366 * DAY_US)
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
/*
 * --jobs: a window read in more pages than this narrows, so that the
 * pages of a dense range are shared among the workers, not queued
 * behind one of them.
 */
#define MOST_PAGES	4
/*
 * A source slower than "quick" on every request (a big install, where
 * each page is a ClickHouse scan of a second or more) never widens by
 * time: its windows widen by rows instead, until a window fills about
 * a quarter of a page.  Fewer, fuller requests: each costs the scan and
 * counts against the rate limit whatever rows it returns.
 */
#define MOST_ROW_WIDEN	4

void
window_init(struct window *w, double timeout)
{
	w->width = START_US;
	w->ceiling = WIDEST_US;
	w->quick_run = 0;
	w->listing = 0;
	/* A page that takes a quarter of --timeout is close to failing. */
	w->slow = timeout / 4 < SLOW_S ? timeout / 4 : SLOW_S;
	w->quick = timeout / 20 < QUICK_S ? timeout / 20 : QUICK_S;
}

void
window_listing(struct window *w)
{
	w->listing = 1;
	if (w->ceiling == WIDEST_US && w->width < LISTING_WIDEST_US)
		w->width = LISTING_WIDEST_US;
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

/* How many times wider a window of rows may be cut: 1, 2 or 4. */
static int64_t
row_factor(const struct window *w, unsigned long long rows)
{
	int64_t k = 1;

	if (w->page_rows == 0)
		return 1;
	while (k < MOST_ROW_WIDEN && rows * (unsigned long long)k * 4 <
	    w->page_rows)
		k *= 2;
	return k;
}

/* Widen by rows a page that was neither quick nor slow: 1 if done. */
static int
widen_by_rows(struct window *w, double seconds, unsigned long long rows)
{
	int64_t k;

	if (seconds < w->quick || seconds > w->slow ||
	    (k = row_factor(w, rows)) == 1)
		return 0;
	while (k > 1 && w->width * 2 <= w->ceiling) {
		w->width *= 2;
		k /= 2;
	}
	w->quick_run = 0;
	return 1;
}

void
window_page(struct window *w, double seconds, int finished, int whole,
    unsigned long long rows)
{
	if (!finished || !whole || !widen_by_rows(w, seconds, rows))
		window_took(w, seconds, finished);
}

void
window_read(struct window *w, double seconds, unsigned long long pages,
    unsigned long long events, int timed_out)
{
	if (timed_out) {
		(void)window_timed_out(w);
		return;
	}
	if (pages > MOST_PAGES) {
		if (w->width / 2 >= NARROWEST_US)
			w->width /= 2;
		w->quick_run = 0;
		return;
	}
	/*
	 * An empty window of such a listing: the next as wide as the API
	 * takes, so that the years before the first event cost one request.
	 */
	if (events == 0 && w->listing && w->ceiling == WIDEST_US) {
		if (w->width < LISTING_WIDEST_US)
			w->width = LISTING_WIDEST_US;
		return;
	}
	/* An empty window says nothing of a scan's cost but its width. */
	if (events == 0 && w->width * 2 <= w->ceiling) {
		w->width *= 2;
		return;
	}
	window_page(w, seconds, pages <= 1, pages <= 1, events);
}
