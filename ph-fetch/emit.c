/* ph-fetch: events out, one line each; progress and the summary. */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "fetch.h"
#include "isotime.h"

void
emit_event(struct fetcher *f, const char *p, size_t n, int64_t ts)
{
	if (f->sink != NULL)
		f->sink(f, p, n, ts);
	else
		emit_write(f, p, n, ts);
}

void
emit_write(struct fetcher *f, const char *p, size_t n, int64_t ts)
{
	const char *nl;

	/* A pretty-printed reply breaks events over lines: join them. */
	while ((nl = memchr(p, '\n', n)) != NULL) {
		size_t k = (size_t)(nl - p);

		if (k > 0 && p[k - 1] == '\r')
			k--;
		ow_write(&f->out, p, k);
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	ow_write(&f->out, p, n);
	ow_write(&f->out, "\n", 1);
	f->n.events++;
	f->at = ts;
}

void
fetch_progress(struct fetcher *f)
{
	double now = clock_now(), t = now - f->started;
	char line[256], at[ISOTIME_LEN];

	if (!progress_due(&f->prog, now))
		return;
	isotime_z(f->at, at);
	snprintf(line, sizeof(line), "ph-fetch: %llu events, %llu pages, at "
	    "%s, %.0f events/s", f->n.events, f->n.pages, f->n.events ? at :
	    "the start", t > 0 ? (double)f->n.events / t : 0.0);
	progress_show(&f->prog, line);
}

void
emit_page_done(struct fetcher *f)
{
	f->n.pages++;
	/* Hand each page on at once: ph-send may be waiting for it. */
	if (f->job != NULL)
		jobs_page_done(f);	/* holds it for the writer */
	else {
		ow_flush(&f->out);
		fetch_progress(f);
	}
}

void
note(struct fetcher *f, const char *fmt, ...)
{
	va_list ap;

	if (f->o.quiet)
		return;
	va_start(ap, fmt);
	progress_vwarnx(&f->prog, fmt, ap);
	va_end(ap);
}

void
fetch_summary(struct fetcher *f)
{
	char a[ISOTIME_LEN], b[ISOTIME_LEN];
	double t = clock_now() - f->started;

	if (f->o.quiet)
		return;
	progress_end(&f->prog);
	isotime_z(f->o.after, a);
	isotime_z(f->o.before, b);
	warnx("%llu events in %llu pages, %llu retries, %llu rate-limit "
	    "waits, %llu repeats dropped; %s to %s; %.2f s, %.0f events/s",
	    f->n.events, f->n.pages, f->n.retries, f->n.waits, f->n.repeats,
	    a, b, t, t > 0 ? (double)f->n.events / t : 0.0);
}
