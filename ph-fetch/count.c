/*
 * ph-fetch --count: the events of [after, before) a day or an hour (and
 * an event name), and how many distinct uuids among them, one line a
 * period, so that two instances compare with diff, join or awk.  One
 * grouped query a window through the query API, windows ending on
 * period starts (window.c decides their width), never an event
 * fetched.  Without a query API (404: an install before HogQL) it
 * counts the listing API's pages, slowly.  --compare counts a second
 * instance the same way and prints both side by side.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "exitcode.h"
#include "fetch.h"
#include "http.h"
#include "idset.h"
#include "isotime.h"
#include "secret.h"
#include "window.h"
#include "xalloc.h"

#define HOUR_US		(3600LL * 1000000)
#define DAY_US		(24 * HOUR_US)
/*
 * Rows a count query may return before the cap could have cut it
 * (10,000 in 2023-24: posthog/hogql/constants.py); a reply this long
 * narrows its window and is asked again.
 */
#define ROW_CAP		10000

struct crow {
	int64_t			 period;	/* its start, UTC */
	char			*event;		/* NULL unless --by-event */
	unsigned long long	 n, distinct;
};

struct ctable {
	struct crow	*v;
	size_t		 n, cap;
};

static int
utc_zone(const struct fetcher *f)
{
	return f->o.tz == NULL || strcmp(f->o.tz, "UTC") == 0;
}

static time_t
secs_of(int64_t us)
{
	return (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
}

/* The start of the period holding us, in the zone --tz set (TZ). */
static int64_t
period_start(const struct fetcher *f, int64_t us)
{
	int64_t p = f->o.by_hour ? HOUR_US : DAY_US;
	time_t s = secs_of(us);
	struct tm tm;

	if (utc_zone(f))
		return us - ((us % p) + p) % p;
	localtime_r(&s, &tm);
	tm.tm_min = tm.tm_sec = 0;
	if (!f->o.by_hour) {
		tm.tm_hour = 0;
		tm.tm_isdst = -1;
	}
	return (int64_t)mktime(&tm) * 1000000;
}

/* The start of the next period: a local day may be 23 or 25 hours. */
static int64_t
period_next(const struct fetcher *f, int64_t us)
{
	int64_t start = period_start(f, us), next;
	time_t s;
	struct tm tm;

	if (utc_zone(f) || f->o.by_hour)
		return start + HOUR_US * (f->o.by_hour ? 1 : 24);
	s = secs_of(start);
	localtime_r(&s, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	next = (int64_t)mktime(&tm) * 1000000;
	return next > start ? next : start + DAY_US;
}

/* A window's end moved back to a period start, so no period is cut. */
static int64_t
snap(const struct fetcher *f, int64_t lo, int64_t hi, int64_t before)
{
	int64_t p;

	if (hi >= before)
		return before;
	if ((p = period_start(f, hi)) > lo)
		return p;
	p = period_next(f, lo);
	return p < before ? p : before;
}

static void
period_text(const struct fetcher *f, int64_t us, char *t, size_t size)
{
	time_t s = secs_of(us);
	struct tm tm;
	size_t n;

	if (utc_zone(f))
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	if (!f->o.by_hour) {
		strftime(t, size, "%Y-%m-%d", &tm);
		return;
	}
	n = strftime(t, size, "%Y-%m-%dT%H:00", &tm);
	if (utc_zone(f))
		snprintf(t + n, size - n, "Z");
	else	/* an hour of the autumn change happens twice: say which */
		snprintf(t + n, size - n, "%+03ld:%02ld", tm.tm_gmtoff / 3600,
		    labs(tm.tm_gmtoff % 3600) / 60);
}

static void
add_row(struct ctable *t, int64_t period, const char *event,
    unsigned long long n, unsigned long long distinct)
{
	if (t->n == t->cap)
		t->v = xreallocarray(t->v, t->cap = t->cap ? t->cap * 2 : 256,
		    sizeof(*t->v));
	t->v[t->n++] = (struct crow){ period, event ? xstrdup(event) : NULL,
	    n, distinct };
}

static void
free_table(struct ctable *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].event);
	free(t->v);
}

/*
 * The grouped query of [lo, hi): each period's start as an instant in
 * UTC, so an hour that the autumn change repeats stays two rows.
 */
static void
count_query(struct fetcher *f, struct buf *sql, int64_t lo, int64_t hi)
{
	sql->len = 0;
	buf_printf(sql, "SELECT toString(toTimeZone(%s(toTimeZone(timestamp, ",
	    f->o.by_hour ? "toStartOfHour" : "toStartOfDay");
	sql_string(sql, f->o.tz != NULL ? f->o.tz : "UTC");
	buf_printf(sql, ")), 'UTC')) AS period%s, count() AS c, "
	    "count(DISTINCT uuid) AS d FROM events WHERE ",
	    f->o.by_event ? ", event" : "");
	sql_range(f, sql, lo, hi);
	buf_printf(sql, " GROUP BY period%s ORDER BY period%s LIMIT %d",
	    f->o.by_event ? ", event" : "", f->o.by_event ? ", event" : "",
	    ROW_CAP);
}

static int
number(struct fetcher *f, const struct jitem *c, unsigned long long *v)
{
	char *end;

	f->s.tmp.len = 0;
	if (c->type == JT_STRING)	/* a 64-bit count may come quoted */
		js_unescape(&f->s.tmp, c->p, c->len);
	else
		buf_add(&f->s.tmp, c->p, c->len);
	buf_addc(&f->s.tmp, '\0');
	*v = strtoull(f->s.tmp.p, &end, 10);
	return end == f->s.tmp.p || *end != '\0' ? -1 : 0;
}

/* The reply's rows into t: 0, or an exit status for a row not ours. */
static int
take_rows(struct fetcher *f, struct ctable *t)
{
	size_t i, cols = f->o.by_event ? 4 : 3;
	unsigned long long n, d;
	struct buf ev = { 0 };
	int64_t period;
	struct jerr e;

	for (i = 0; i < f->s.items.n; i++) {
		const struct jitem *row = &f->s.items.v[i], *c;

		if (row->type != JT_ARRAY || js_array(row->p, row->p + row->len,
		    &f->s.row, &e) == NULL || f->s.row.n != cols)
			goto bad;
		c = f->s.row.v;
		f->s.tmp.len = 0;
		if (c[0].type != JT_STRING)
			goto bad;
		js_unescape(&f->s.tmp, c[0].p, c[0].len);
		if (isotime_parse(f->s.tmp.p, f->s.tmp.len, &period) == -1)
			goto bad;
		ev.len = 0;
		if (f->o.by_event) {
			if (c[1].type != JT_STRING)
				goto bad;
			js_unescape(&ev, c[1].p, c[1].len);
			buf_addc(&ev, '\0');
		}
		if (number(f, &c[cols - 2], &n) == -1 ||
		    number(f, &c[cols - 1], &d) == -1)
			goto bad;
		add_row(t, period, f->o.by_event ? ev.p : NULL, n, d);
	}
	buf_free(&ev);
	return 0;
bad:
	warnx("%s: count row %zu is not [period,%s count, distinct]",
	    f->c.url.p, i + 1, f->o.by_event ? " event," : "");
	buf_free(&ev);
	return PH_EXIT_FATAL;
}

/*
 * Every window of [after, before) by the query API: 0, -1 when the
 * server has none (and nothing was counted), or an exit status.
 */
static int
count_by_query(struct fetcher *f, struct ctable *t)
{
	struct buf sql = { 0 };
	struct window w;
	int64_t lo = f->o.after, hi;
	int flags = f->o.api == API_AUTO ? FETCH_NO_ROUTE : 0, r = 0;
	double t0;

	window_init(&w, f->o.timeout);
	while (lo < f->o.before && r == 0) {
		hi = snap(f, lo, window_end(&w, lo, f->o.before), f->o.before);
		count_query(f, &sql, lo, hi);
		t0 = clock_now();
		r = post_query(f, &sql, flags | FETCH_NARROW);
		flags &= ~FETCH_NO_ROUTE;
		if (r == 0 && (r = reply_results(f)) == 0 &&
		    f->s.items.n >= ROW_CAP) {
			if (hi <= period_next(f, lo)) {
				warnx("%s: one period holds %d rows or more, "
				    "the most a reply is sure to hold: count "
				    "without --by-event, or by hour",
				    f->c.url.p, ROW_CAP);
				r = PH_EXIT_FATAL;
				break;
			}
			r = -3;		/* maybe cut: ask for less */
		}
		if (r == -3) {
			if (window_timed_out(&w) == -1) {
				warnx("%s: a count of one period fails",
				    f->c.url.p);
				r = PH_EXIT_TEMPFAIL;
			} else
				r = 0;
			continue;
		}
		if (r != 0)
			break;
		if ((r = take_rows(f, t)) == 0) {
			window_took(&w, clock_now() - t0, 1);
			f->n.pages++;
			lo = hi;
		}
	}
	buf_free(&sql);
	return r;
}

/* --- counting the listing API's pages ----------------------------------- */

/* The period being counted, a row an event name, uuids seen in each. */
struct tally {
	struct ctable	*t;
	int64_t		 period;
	size_t		 first;		/* its rows start here in t */
	struct idset	*ids;		/* one a row */
	size_t		 nids;
	struct buf	 name;
};

static int
by_period_event(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;

	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	if (x->event == NULL || y->event == NULL)
		return 0;
	return strcmp(x->event, y->event);
}

static void
tally_close(struct tally *ty)
{
	size_t i;

	if (ty->t->n - ty->first > 1)
		qsort(ty->t->v + ty->first, ty->t->n - ty->first,
		    sizeof(*ty->t->v), by_period_event);
	for (i = 0; i < ty->nids; i++)
		idset_clear(&ty->ids[i]);
	ty->first = ty->t->n;
}

/* An event's name and id as the listing API writes them. */
static int
name_and_id(struct fetcher *f, const char *p, size_t n, struct tally *ty)
{
	const struct jmember *ev, *id;
	struct jerr e;

	if (js_parse_object(p, n, &f->s.ev, NULL, NULL, &e) == -1 ||
	    (ev = js_get(&f->s.ev, "event")) == NULL ||
	    ((id = js_get(&f->s.ev, "id")) == NULL &&
	    (id = js_get(&f->s.ev, "uuid")) == NULL))
		return -1;
	ty->name.len = 0;
	js_unescape(&ty->name, ev->val, ev->vallen);
	buf_addc(&ty->name, '\0');
	f->s.tmp.len = 0;
	buf_add(&f->s.tmp, id->val, id->vallen);
	return 0;
}

static void
tally_event(struct fetcher *f, const char *p, size_t n, int64_t ts)
{
	struct tally *ty = f->sink_arg;
	int64_t period = period_start(f, ts);
	size_t i;

	if (name_and_id(f, p, n, ty) == -1)
		return;		/* events.c checked id and timestamp */
	if (period != ty->period)
		tally_close(ty);
	ty->period = period;
	for (i = ty->first; i < ty->t->n && f->o.by_event &&
	    strcmp(ty->t->v[i].event, ty->name.p) != 0; i++)
		;
	if (i == ty->t->n)
		add_row(ty->t, period, f->o.by_event ? ty->name.p : NULL, 0, 0);
	if (i - ty->first >= ty->nids) {
		ty->ids = xreallocarray(ty->ids, i - ty->first + 1,
		    sizeof(*ty->ids));
		for (; ty->nids <= i - ty->first; ty->nids++)
			memset(&ty->ids[ty->nids], 0, sizeof(*ty->ids));
	}
	ty->t->v[i].n++;
	if (idset_add(&ty->ids[i - ty->first], f->s.tmp.p, f->s.tmp.len))
		ty->t->v[i].distinct++;
	f->n.events++;
	f->at = ts;
}

static int
count_by_listing(struct fetcher *f, struct ctable *t)
{
	struct tally ty = { t, INT64_MIN, t->n, NULL, 0, { 0 } };
	size_t i;
	int r;

	note(f, "%s: counting through the listing API, page by page: this "
	    "reads every event, slowly", f->o.base);
	f->sink = tally_event;
	f->sink_arg = &ty;
	r = fetch_events(f, f->o.after, f->o.before);
	tally_close(&ty);
	f->sink = NULL;
	for (i = 0; i < ty.nids; i++)
		idset_free(&ty.ids[i]);
	free(ty.ids);
	buf_free(&ty.name);
	return r;
}

static int
count_all(struct fetcher *f, struct ctable *t)
{
	int r;

	if (f->o.api != API_EVENTS && !f->o.legacy &&
	    (r = count_by_query(f, t)) != -1)
		return r;
	return count_by_listing(f, t);
}

/* --- output -------------------------------------------------------------- */

static void
put_key(struct fetcher *f, struct buf *b, const struct crow *c)
{
	char t[64];

	period_text(f, c->period, t, sizeof(t));
	buf_addstr(b, t);
	if (f->o.by_event) {
		buf_addc(b, '\t');
		buf_addstr(b, c->event);
	}
}

static void
print_table(struct fetcher *f, const struct ctable *t)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < t->n; i++) {
		b.len = 0;
		put_key(f, &b, &t->v[i]);
		buf_printf(&b, "\t%llu\t%llu\n", t->v[i].n, t->v[i].distinct);
		ow_write(&f->out, b.p, b.len);
	}
	buf_free(&b);
}

/*
 * Both sides, period by period: "=" when the distinct uuids agree and
 * the rows too, "dup" when only the rows differ (a resend not yet
 * merged), "DIFF" when the distinct uuids differ.  1 if any DIFF.
 */
static int
print_sides(struct fetcher *f, const struct ctable *a, const struct ctable *b)
{
	static const struct crow none = { 0, NULL, 0, 0 };
	struct buf line = { 0 };
	size_t i = 0, j = 0;
	int c, differ = 0;

	buf_printf(&line, "# period%s\tsource\tdistinct\tdestination\t"
	    "distinct\n", f->o.by_event ? "\tevent" : "");
	ow_write(&f->out, line.p, line.len);
	while (i < a->n || j < b->n) {
		const struct crow *x, *y;

		c = i == a->n ? 1 : j == b->n ? -1 :
		    by_period_event(&a->v[i], &b->v[j]);
		x = c <= 0 ? &a->v[i++] : &none;
		y = c >= 0 ? &b->v[j++] : &none;
		line.len = 0;
		put_key(f, &line, c <= 0 ? x : y);
		buf_printf(&line, "\t%llu\t%llu\t%llu\t%llu\t%s\n", x->n,
		    x->distinct, y->n, y->distinct, x->distinct != y->distinct ?
		    "DIFF" : x->n != y->n ? "dup" : "=");
		if (x->distinct != y->distinct)
			differ = 1;
		ow_write(&f->out, line.p, line.len);
	}
	buf_free(&line);
	return differ;
}

/* The second instance, with PH_FETCH_COMPARE_KEY or its key file. */
static void
other_side(const struct fetcher *f, struct fetcher *g)
{
	memset(g, 0, sizeof(*g));
	g->o = f->o;
	if ((g->o.base = http_base_url(f->o.compare)) == NULL)
		errx(PH_EXIT_USAGE, "--compare: %s: not an http:// or https:// "
		    "URL", f->o.compare);
	g->o.key = secret_require("PH_FETCH_COMPARE_KEY",
	    f->o.compare_key_file);
	secret_check_url(g->o.base);
	g->o.api = API_AUTO;
	g->o.legacy = 0;
	g->qpage = f->qpage;
	progress_init(&g->prog, 0, 1);
	ow_init(&g->out, 1, "stdout");
	conn_open(&g->c, &g->o);
}

int
fetch_count(struct fetcher *f)
{
	struct ctable a = { 0 }, b = { 0 };
	struct fetcher g;
	int r;

	if ((r = count_all(f, &a)) != 0 || f->o.compare == NULL) {
		if (r == 0)
			print_table(f, &a);
		free_table(&a);
		return r;
	}
	other_side(f, &g);
	if ((r = count_all(&g, &b)) == 0 && print_sides(f, &a, &b)) {
		warnx("the counts differ: see the lines marked DIFF");
		r = PH_EXIT_REJECTED;
	}
	fetch_cleanup(&g);
	secret_free(g.o.key);
	free(g.o.base);
	free_table(&a);
	free_table(&b);
	return r;
}
