/*
 * ph-fetch: the query API (doc/posthog.md section 2), HogQL in time
 * windows (window.c), each read by keyset pages on (timestamp, uuid) as
 * PostHog's own runners page: no ties to lose, no query that scans more
 * than its window, timestamps in UTC whatever the project's timezone.
 * Each row is written in the event-listing API's shape, its properties
 * (a JSON string here) as the object they hold.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "exitcode.h"
#include "fetch.h"
#include "isotime.h"
#include "window.h"
#include "xalloc.h"

/* Where a read stands: from lo on, past uuid at lo if set. */
struct cursor {
	int64_t		 lo;
	struct buf	 uuid;
	int		 set;
};

enum { C_UUID, C_EVENT, C_DISTINCT_ID, C_PROPERTIES, C_TIMESTAMP, C_CHAIN,
	NCOLUMNS };

/* A HogQL string literal: backslash and quote escaped. */
void
sql_string(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

void
sql_time(struct buf *b, int64_t us)
{
	char t[ISOTIME_LEN];

	isotime_ch(us, t);
	buf_printf(b, "toDateTime64('%s', 6, 'UTC')", t);
}

/* The events of [lo, hi), of --event's name if given. */
void
sql_range(const struct fetcher *f, struct buf *b, int64_t lo, int64_t hi)
{
	buf_addstr(b, "timestamp >= ");
	sql_time(b, lo);
	buf_addstr(b, " AND timestamp < ");
	sql_time(b, hi);
	if (f->o.event != NULL) {
		buf_addstr(b, " AND event = ");
		sql_string(b, f->o.event);
	}
}

/*
 * The rows of [lo, hi) past the cursor (lo, from_uuid), oldest first.
 * The keyset is written as PostHog's own runners write it, timestamp >
 * X OR (timestamp = X AND uuid > toUUID(Y)): a tuple compared with
 * toUUID(), which is accurateCastOrNull, compares against
 * Nullable(UUID) (doc/posthog.md section 8, row 5).  The timestamp is
 * converted to UTC in the SQL, so no modifier is needed for a project
 * in another timezone (rows 3 and 10).
 */
static void
events_sql(struct fetcher *f, struct buf *q, int64_t lo, int64_t hi,
    const char *from_uuid, unsigned limit)
{
	buf_addstr(q, "SELECT uuid, event, distinct_id, properties, "
	    "toString(toTimeZone(timestamp, 'UTC')), elements_chain "
	    "FROM events WHERE ");
	sql_range(f, q, lo, hi);
	if (from_uuid != NULL) {
		buf_addstr(q, " AND (timestamp > ");
		sql_time(q, lo);
		buf_addstr(q, " OR (timestamp = ");
		sql_time(q, lo);
		buf_addstr(q, " AND uuid > toUUID(");
		sql_string(q, from_uuid);
		buf_addstr(q, ")))");
	}
	if (f->where.len > 0)	/* --follow's bounds on created_at */
		buf_add(q, f->where.p, f->where.len);
	buf_printf(q, " ORDER BY timestamp ASC, uuid ASC LIMIT %u", limit);
}

/*
 * POST the HogQL query: 0 with the reply, or what fetch_post answers.
 * The body holds the query and nothing else: 2024-era schemas refuse
 * any field they do not know (pydantic extra="forbid"), and fields
 * were added since (section 8, row 3).
 */
int
post_query(struct fetcher *f, const struct buf *sql, int flags)
{
	struct buf body = { 0 }, path = { 0 };
	int r;

	buf_addstr(&body, "{\"query\":{\"kind\":\"HogQLQuery\",\"query\":");
	js_escape(&body, sql->p, sql->len);
	buf_addstr(&body, "}}");
	buf_addc(&body, '\0');
	buf_printf(&path, "/api/projects/%s/query/", f->o.project);
	url_start(f, path.p);
	r = fetch_post(f, f->c.url.p, body.p, flags);
	buf_free(&body);
	buf_free(&path);
	return r;
}

/* A column's string value decoded into out; -1 if not a string. */
static int
column_text(const struct jitem *c, struct buf *out)
{
	out->len = 0;
	if (c->type != JT_STRING)
		return -1;
	js_unescape(out, c->p, c->len);
	buf_addc(out, '\0');
	out->len--;
	return 0;
}

/* Properties: the object the string holds, or the value as it came. */
static void
put_properties(struct fetcher *f, struct buf *ev, const struct jitem *c)
{
	struct jerr e;

	if (c->type == JT_STRING && column_text(c, &f->s.tmp) == 0 &&
	    js_parse_object(f->s.tmp.p, f->s.tmp.len, &f->s.ev, NULL, NULL,
	    &e) == 0)
		buf_add(ev, f->s.tmp.p, f->s.tmp.len);
	else
		buf_add(ev, c->p, c->len);
}

/*
 * A row as the event-listing API writes an event: 0, 1 if it was
 * written before (skip_seen), or -1 if it is not a row of ours.
 */
static int
emit_row(struct fetcher *f, const struct jitem *row, struct buf *ev,
    int64_t *ts, struct buf *uuid, int skip_seen)
{
	const struct jitem *c;
	char t[ISOTIME_LEN];
	struct jerr e;

	if (row->type != JT_ARRAY || js_array(row->p, row->p + row->len,
	    &f->s.row, &e) == NULL || f->s.row.n != NCOLUMNS)
		return -1;
	c = f->s.row.v;
	if (column_text(&c[C_TIMESTAMP], &f->s.tmp) == -1 ||
	    isotime_parse(f->s.tmp.p, f->s.tmp.len, ts) == -1 ||
	    column_text(&c[C_UUID], uuid) == -1)
		return -1;
	if (skip_seen && !idset_add(&f->seen, uuid->p, uuid->len))
		return 1;
	isotime_api(*ts, t);
	ev->len = 0;
	buf_addstr(ev, "{\"id\":");
	buf_add(ev, c[C_UUID].p, c[C_UUID].len);
	buf_addstr(ev, ",\"distinct_id\":");
	buf_add(ev, c[C_DISTINCT_ID].p, c[C_DISTINCT_ID].len);
	buf_addstr(ev, ",\"properties\":");
	put_properties(f, ev, &c[C_PROPERTIES]);
	buf_addstr(ev, ",\"event\":");
	buf_add(ev, c[C_EVENT].p, c[C_EVENT].len);
	buf_printf(ev, ",\"timestamp\":\"%s\",\"elements_chain\":", t);
	buf_add(ev, c[C_CHAIN].p, c[C_CHAIN].len);
	buf_addc(ev, '}');
	return 0;
}

/*
 * A row outside the window, or older than the one before, is a server
 * that does not answer the SQL as asked (one that shifted timestamps
 * into the project's timezone would): nothing it returns can be trusted.
 */
static int
out_of_order(struct fetcher *f, const struct cursor *c, int64_t hi,
    int64_t ts, size_t i)
{
	if (ts >= c->lo && ts < hi)
		return 0;
	warnx("%s: row %zu has a timestamp outside the window asked for, or "
	    "older than the row before", f->c.url.p, i + 1);
	return 1;
}

/* Write one page of rows, and move the cursor to its last row. */
static int
write_rows(struct fetcher *f, struct cursor *c, int64_t hi, int skip_seen)
{
	struct buf ev = { 0 };
	int64_t ts;
	size_t i;
	int r = 0;

	for (i = 0; i < f->s.items.n && r == 0; i++) {
		switch (emit_row(f, &f->s.items.v[i], &ev, &ts, &c->uuid,
		    skip_seen)) {
		case 0:
			if (out_of_order(f, c, hi, ts, i)) {
				r = PH_EXIT_FATAL;
				continue;
			}
			emit_event(f, ev.p, ev.len, ts);
			break;
		case 1:
			f->n.repeats++;
			break;
		default:
			warnx("%s: row %zu is not [uuid, event, distinct_id, "
			    "properties, timestamp, elements_chain]",
			    f->c.url.p, i + 1);
			r = PH_EXIT_FATAL;
			continue;
		}
		c->lo = ts;
		c->set = 1;
	}
	buf_free(&ev);
	emit_page_done(f);
	return r;
}

/*
 * A page too large for the reply cap, or failing: ask for half, down to
 * a floor where failures are retried up to --max-retries instead.
 */
#define QUERY_PAGE_FLOOR	100

static int
shrink(struct fetcher *f)
{
	f->qpage /= 2;
	if (f->qpage < QUERY_PAGE_FLOOR)
		f->qpage = QUERY_PAGE_FLOOR;
	note(f, "%s: the reply to a query page is too large, or it keeps "
	    "failing; asking for %u rows a page", f->c.url.p, f->qpage);
	return 0;
}

/*
 * Whether rows may remain past a page of n rows.  PostHog caps LIMIT
 * silently (MAX_SELECT_RETURNED_ROWS in posthog/hogql/constants.py:
 * 10,000 in 2023-24, 50,000 since) and its hasMore is null when the
 * query has a LIMIT (section 8, row 6), so the cap applied is learnt: it
 * is at least 10,000, and at least the most rows any page held.  A page
 * short of both that and what was asked is the last of its window; one
 * that reaches either may have been cut, and the next query says.
 */
#define LEAST_CAP	10000

/* The rows a query page can hold: what is asked, or the cap learnt. */
unsigned long long
query_page_rows(const struct fetcher *f)
{
	size_t cap = f->most_rows > LEAST_CAP ? f->most_rows : LEAST_CAP;

	return f->qpage < cap ? f->qpage : cap;
}

static int
rows_may_remain(struct fetcher *f, size_t n)
{
	int more;

	if (f->most_rows < LEAST_CAP)
		f->most_rows = LEAST_CAP;
	more = n > 0 && (n >= f->qpage || n >= f->most_rows);
	if (n > f->most_rows)
		f->most_rows = n;
	return more;
}

/*
 * The window ran out of time: narrow it.  At a second it cannot narrow
 * further: the query is then retried as any failure is (*narrowable
 * cleared), up to --max-retries, in case the server was only busy.
 */
static void
narrow(struct fetcher *f, struct window *w, int *narrowable)
{
	f->narrowed++;
	if (window_timed_out(w) == -1) {
		note(f, "%s: a query of one second of events ran out of time; "
		    "retrying it as a passing failure", f->c.url.p);
		*narrowable = 0;
		return;
	}
	note(f, "%s: the query ran out of time; reading %.0f s at a time",
	    f->c.url.p, (double)w->width / 1e6);
}

/*
 * One query of the window [c->lo, hi) past the cursor: 0 with *done
 * set when the window is read to its end, -1 (no query API, as flags
 * ask), -2 (too large), -3 (out of time), or an exit status.
 */
static int
query_page(struct fetcher *f, struct cursor *c, int64_t hi, int skip_seen,
    int flags, int *done)
{
	struct buf sql = { 0 };
	int r;

	events_sql(f, &sql, c->lo, hi, c->set ? c->uuid.p : NULL, f->qpage);
	/* At the floor a failing page is retried as any failure is. */
	r = post_query(f, &sql, flags |
	    (f->qpage > QUERY_PAGE_FLOOR ? FETCH_SHRINK : 0));
	buf_free(&sql);
	if (r != 0 || (r = reply_results(f)) != 0)
		return r;
	*done = !rows_may_remain(f, f->s.items.n);
	return write_rows(f, c, hi, skip_seen);
}

/*
 * Every event of [after, before), window by window (window.c), each
 * window by keyset pages; -1 when the server has no query API (as flags
 * ask, and only before anything is written).
 */
static int
query_range(struct fetcher *f, int64_t after, int64_t before, int skip_seen,
    int flags)
{
	struct cursor c = { after, { 0 }, 0 };
	struct window w;
	int64_t hi = after;
	double t0;
	int done = 0, whole, narrowable = 1, r = 0;

	window_init(&w, f->o.timeout);
	/* A --jobs window was cut as wide as the windows before allowed. */
	if (f->width > 0)
		w.width = f->width;
	while (c.lo < before && r == 0) {
		/* The rest of a window keeps its end: its scan stays inside. */
		if (!c.set || c.lo >= hi)
			hi = window_end(&w, c.lo, before);
		t0 = clock_now();
		whole = !c.set;		/* a first page, if also the last */
		r = query_page(f, &c, hi, skip_seen, flags |
		    (narrowable ? FETCH_NARROW : 0), &done);
		/* The first reply settled whether the route exists. */
		flags &= ~FETCH_NO_ROUTE;
		if (r == -2)
			r = shrink(f);
		else if (r == -3) {
			narrow(f, &w, &narrowable);
			hi = window_end(&w, c.lo, hi);
			r = 0;
		} else if (r == 0) {
			narrowable = 1;
			w.page_rows = query_page_rows(f);
			window_page(&w, clock_now() - t0, done, whole,
			    f->s.items.n);
			if (done) {
				c.lo = hi;
				c.set = 0;
			}
		}
	}
	buf_free(&c.uuid);
	return r;
}

int
fetch_query(struct fetcher *f, int64_t after, int64_t before)
{
	return query_range(f, after, before, 0,
	    f->o.api == API_AUTO ? FETCH_NO_ROUTE : 0);
}

int
query_cluster(struct fetcher *f, int64_t at)
{
	return query_range(f, at, at + 1, 1, FETCH_QUIET_404);
}

/* The events a bucket of [lo, hi), as count() by the bucket. */
static void
count_sql(struct fetcher *f, struct buf *sql, int64_t lo, int64_t hi,
    int by_day)
{
	buf_printf(sql, "SELECT toString(%s(toTimeZone(timestamp, 'UTC'))) "
	    "AS hour, count() AS c FROM events WHERE ",
	    by_day ? "toStartOfDay" : "toStartOfHour");
	sql_range(f, sql, lo, hi);
	buf_addstr(sql, " GROUP BY hour ORDER BY hour LIMIT 1000000");
}

/* Append the reply's [bucket, count] rows: 0, or -1 for a bad row. */
static int
add_counts(struct fetcher *f, int64_t **hours, unsigned long long **counts,
    size_t *n)
{
	struct jerr e;
	size_t i;

	*hours = xreallocarray(*hours, *n + f->s.items.n + 1, sizeof(**hours));
	*counts = xreallocarray(*counts, *n + f->s.items.n + 1,
	    sizeof(**counts));
	for (i = 0; i < f->s.items.n; i++, (*n)++) {
		const struct jitem *row = &f->s.items.v[i];

		if (row->type != JT_ARRAY || js_array(row->p, row->p + row->len,
		    &f->s.row, &e) == NULL || f->s.row.n != 2 ||
		    column_text(&f->s.row.v[0], &f->s.tmp) == -1 ||
		    isotime_parse(f->s.tmp.p, f->s.tmp.len,
		    &(*hours)[*n]) == -1)
			return -1;
		/* A 64-bit count may come quoted. */
		if (column_text(&f->s.row.v[1], &f->s.tmp) == 0)
			(*counts)[*n] = strtoull(f->s.tmp.p, NULL, 10);
		else
			(*counts)[*n] = strtoull(f->s.row.v[1].p, NULL, 10);
	}
	return 0;
}

/*
 * Events a bucket (an hour, or a day for long ranges: BUCKET_BY_DAY) in
 * [after, before), for --split: 0, -1 (no query API), or an exit
 * status.  One query a month at most, so that a count too scans a
 * bounded range (doc/posthog.md section 8, row 4), and its rows stay
 * under the 10,000 that 2023-24 servers return.
 */
#define COUNT_SPAN_US	(32LL * 86400 * 1000000)

int
query_hours(struct fetcher *f, int64_t after, int64_t before,
    int64_t **hours, unsigned long long **counts, size_t *n)
{
	int by_day = BUCKET_BY_DAY(after, before);
	struct buf sql = { 0 };
	int64_t lo, hi;
	int r = 0;

	*n = 0;
	for (lo = after; lo < before && r == 0; lo = hi) {
		hi = before - lo > COUNT_SPAN_US ? lo + COUNT_SPAN_US : before;
		sql.len = 0;
		count_sql(f, &sql, lo, hi, by_day);
		r = post_query(f, &sql, lo == after ? FETCH_QUIET_404 : 0);
		if (r == 0 && (r = reply_results(f)) == 0)
			r = add_counts(f, hours, counts, n);
	}
	buf_free(&sql);
	return r;
}
