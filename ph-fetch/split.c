/*
 * ph-fetch --split N: N windows covering [after, before), one per line,
 * "AFTER BEFORE", for GNU parallel to run one pipeline each.  Windows
 * hold about equal numbers of events when the query API can count them
 * by the hour, else equal spans of time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "fetch.h"
#include "isotime.h"
#include "xalloc.h"

/* Cut points after each hour where the running count passes k/N. */
static size_t
count_cuts(const struct fetcher *f, const int64_t *hours,
    const unsigned long long *counts, size_t n, int64_t *cuts)
{
	int64_t width = BUCKET_US(f->o.after, f->o.before);
	unsigned long long total = 0, sum = 0;
	unsigned k = 1;
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		total += counts[i];
	for (i = 0; i < n && total > 0; i++) {
		sum += counts[i];
		while (k < f->o.split && sum * f->o.split >= total * k) {
			int64_t c = hours[i] + width;

			if (c > f->o.after && c < f->o.before &&
			    (m == 0 || c > cuts[m - 1]))
				cuts[m++] = c;
			k++;
		}
	}
	return m;
}

/* Split the widest window in two until there are N. */
static size_t
fill_by_time(const struct fetcher *f, int64_t *cuts, size_t m)
{
	size_t i, widest;
	int64_t lo, hi, w, best;

	while (m + 1 < f->o.split) {
		best = -1;
		widest = 0;
		for (i = 0; i <= m; i++) {
			lo = i == 0 ? f->o.after : cuts[i - 1];
			hi = i == m ? f->o.before : cuts[i];
			if ((w = hi - lo) > best) {
				best = w;
				widest = i;
			}
		}
		if (best < 2)
			break;
		lo = widest == 0 ? f->o.after : cuts[widest - 1];
		memmove(cuts + widest + 1, cuts + widest,
		    (m - widest) * sizeof(*cuts));
		cuts[widest] = lo + best / 2;
		m++;
	}
	return m;
}

static size_t
equal_cuts(const struct fetcher *f, int64_t *cuts)
{
	int64_t span = f->o.before - f->o.after;
	size_t k, m = 0;

	for (k = 1; k < f->o.split; k++) {
		int64_t c = f->o.after + (int64_t)((double)span * (double)k /
		    (double)f->o.split);

		if (c > f->o.after && (m == 0 || c > cuts[m - 1]))
			cuts[m++] = c;
	}
	return m;
}

int
fetch_split(struct fetcher *f)
{
	int64_t *hours = NULL, *cuts = xcalloc(f->o.split, sizeof(*cuts));
	unsigned long long *counts = NULL;
	char a[ISOTIME_LEN], b[ISOTIME_LEN], line[100];
	size_t n = 0, m = 0, i;
	int r = -1;

	if (f->o.after >= f->o.before)
		goto out;	/* resumed past the end: no window is left */
	if (!f->o.legacy)
		r = query_hours(f, f->o.after, f->o.before, &hours, &counts, &n);
	if (r > 0)
		goto out;
	if (r == 0)
		m = count_cuts(f, hours, counts, n, cuts);
	else
		m = equal_cuts(f, cuts);
	note(f, "--split %u: %s", f->o.split, r == 0 ? "windows of about "
	    "equal counts, from the query API" : "windows of equal time "
	    "(the server cannot count its events)");
	m = fill_by_time(f, cuts, m);
	for (i = 0; i <= m; i++) {
		isotime_z(i == 0 ? f->o.after : cuts[i - 1], a);
		isotime_z(i == m ? f->o.before : cuts[i], b);
		snprintf(line, sizeof(line), "%s %s\n", a, b);
		ow_write(&f->out, line, strlen(line));
	}
	r = 0;
out:
	free(hours);
	free(counts);
	free(cuts);
	return r;
}
