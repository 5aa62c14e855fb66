/*
 * ph-fetch: the time window each query may scan.  PostHog's events
 * table is sorted by day, not by (timestamp, uuid), so a page costs the
 * scan of its whole time range whatever its LIMIT (posthog-api.md
 * section 8, row 4); API queries have 10 s.  Reads go window by window,
 * each query bounded to its window, narrowed when the server times out
 * or a page is slow and widened when pages come back quickly.  The one
 * place that decides a window, so that windows can later be fetched
 * side by side.
 */
#ifndef PH_WINDOW_H
#define PH_WINDOW_H

#include <stdint.h>

#define WINDOW_DAY_US	(86400LL * 1000000)

struct window {
	int64_t	width;		/* microseconds a query may scan */
};

void	window_init(struct window *);
/* The end of the window that starts at from, never past before. */
int64_t	window_end(const struct window *, int64_t from, int64_t before);
/* The server timed out: narrow the window; -1 if it is as narrow as can be. */
int	window_timed_out(struct window *);
/* A page took seconds; finished: it was the last of its window. */
void	window_took(struct window *, double seconds, int finished);

#endif
