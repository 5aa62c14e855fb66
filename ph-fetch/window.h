/*
 * ph-fetch: the time window each query may scan.  PostHog's events
 * table is sorted by day, not by (timestamp, uuid), so a page costs the
 * scan of its whole time range whatever its LIMIT (doc/posthog.md
 * section 8, row 4), and API queries have 10 s.  Reads go window by
 * window, each query bounded to its window: a day at first, narrowed
 * when the server says the query ran out of time or a page is slow,
 * widened when pages come back quickly.  The one place that decides a
 * window, so that windows can later be fetched side by side.
 */
#ifndef PH_WINDOW_H
#define PH_WINDOW_H

#include <stdint.h>

struct window {
	int64_t	width;		/* microseconds a query may scan */
	double	slow;		/* seconds: a page this slow narrows */
	double	quick;		/* seconds: a page this quick widens */
	int64_t	ceiling;	/* half the last width that timed out */
	unsigned quick_run;	/* quick windows in a row since */
	/*
	 * Rows a page may hold (the page limit), or 0: set by the caller
	 * before window_read, so that a window that came back with far
	 * fewer rows than a page widens even when no reply is quick.
	 */
	unsigned long long page_rows;
	/* window_listing: a listing API without the 10 s limit. */
	int	listing;
};

/* timeout: the longest one request may take (--timeout). */
void	window_init(struct window *, double timeout);
/*
 * The listing API of an install without the query API (before 2023):
 * windows as wide as it takes at first and when empty, since a dense
 * one splits by its first page (jobs.c).  Its listing is not a HogQL
 * query, so row 4's 10 s do not bound it; a later one's is, and its
 * windows stay as the query API's.
 */
void	window_listing(struct window *);
/* The end of the window that starts at from, never past before. */
int64_t	window_end(const struct window *, int64_t from, int64_t before);
/* The query ran out of time: narrow; -1 if it is as narrow as can be. */
int	window_timed_out(struct window *);
/* A page took seconds; finished: it was the last of its window. */
void	window_took(struct window *, double seconds, int finished);
/*
 * As window_took, for a page of rows that was the whole window: widened
 * by its rows against page_rows when it was neither quick nor slow.
 */
void	window_page(struct window *, double seconds, int finished,
	    int whole, unsigned long long rows);
/*
 * --jobs: a whole window was read in pages, seconds a page, holding
 * events; timed_out: a query of it ran out of time.  Windows fetched
 * side by side are cut ahead by the width this leaves.  A window of one
 * page that is neither quick nor slow widens by its rows against
 * page_rows: up to 4 times as wide when it held under an eighth of a
 * page, twice when under a quarter.
 */
void	window_read(struct window *, double seconds, unsigned long long pages,
	    unsigned long long events, int timed_out);

#endif
