/* Unit tests of ph-fetch's query windows (ph-fetch/window.c). */
#include <string.h>

#include "tap.h"
#include "window.h"

#define H	(3600LL * 1000000)
#define D	(24 * H)

int
main(void)
{
	struct window w;
	int i;

	window_init(&w, 120);
	ok(window_end(&w, 0, 100 * D) == D, "a day at first");
	ok(window_end(&w, 0, 5 * H) == 5 * H, "never past before");
	window_took(&w, 0.1, 0);
	ok(w.width == D, "a quick page that is not its window's last: "
	    "the same");
	window_took(&w, 0.1, 1);
	ok(w.width == 2 * D, "a quick window: twice as wide");
	for (i = 0; i < 10; i++)
		window_took(&w, 0.1, 1);
	ok(w.width == 32 * D, "  up to a month (a partition), no more");
	window_took(&w, 6, 0);
	ok(w.width == 16 * D, "a slow page (over 5 s, half PostHog's 10): "
	    "half as wide");
	ok(window_timed_out(&w) == 0 && w.width == 4 * D,
	    "a timeout: a quarter as wide");
	window_took(&w, 0.1, 1);
	window_took(&w, 0.1, 1);
	ok(w.width == 8 * D, "  widened, but to half the width that failed, "
	    "no further");
	for (i = 0; i < 16; i++)
		window_took(&w, 0.1, 1);
	ok(w.width > 4 * D, "  until 16 quick windows in a row");
	for (i = 0; i < 20; i++)
		window_took(&w, 9, 0);
	ok(w.width >= H && w.width < 2 * H,
	    "slowness alone narrows to about an hour, no further");
	for (i = 0; i < 12 && window_timed_out(&w) == 0; i++)
		;
	ok(w.width == 1000000 && window_timed_out(&w) == -1,
	    "timeouts narrow to a second, then give up");
	window_init(&w, 2);
	window_took(&w, 0.6, 1);
	ok(w.width == D / 2, "with --timeout 2, a page of 0.6 s is slow");

	/* --jobs: how whole windows read widen or narrow the next cut. */
	window_init(&w, 120);
	window_read(&w, 1.0, 1, 0, 0);
	ok(w.width == 2 * D, "--jobs: an empty window, however slow: twice "
	    "as wide");
	window_read(&w, 1.0, 2, 3000, 0);
	ok(w.width == 2 * D, "  a window of 2 pages of 1 s: the same");
	window_read(&w, 0.1, 1, 500, 0);
	ok(w.width == 4 * D, "  a window of one quick page: twice as wide");
	window_read(&w, 0.1, 5, 5000, 0);
	ok(w.width == 2 * D, "  a window of over 4 pages: half as wide, so "
	    "that jobs share them");
	window_read(&w, 0.1, 1, 10, 1);
	ok(w.width == D / 2, "  a window whose query ran out of time: a "
	    "quarter");
	window_read(&w, 0.1, 1, 0, 0);
	window_read(&w, 0.1, 1, 0, 0);
	ok(w.width == D, "  widened again to half the width that failed, "
	    "no further");

	/* Neither quick nor slow: the rows against the page decide. */
	window_init(&w, 120);
	w.page_rows = 50000;
	window_read(&w, 1.5, 1, 20000, 0);
	ok(w.width == D, "a window of 1.5 s holding two fifths of a page: the same");
	window_read(&w, 1.5, 1, 10000, 0);
	ok(w.width == 2 * D, "  holding a fifth of a page: twice as wide");
	window_read(&w, 1.5, 1, 1000, 0);
	ok(w.width == 8 * D, "  a fiftieth: four times");
	window_read(&w, 1.5, 2, 1000, 0);
	ok(w.width == 8 * D, "  a window of two pages: the same");
	window_read(&w, 6, 1, 10, 0);
	ok(w.width == 4 * D, "  a slow page narrows, whatever its rows");
	window_read(&w, 1.5, 1, 10, 0);
	window_read(&w, 1.5, 1, 10, 0);
	ok(w.width == 32 * D, "  never past a month");
	return done_testing();
}
