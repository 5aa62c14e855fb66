/*
 * ph-fetch: the query API (doc/posthog.md section 2), HogQL with keyset
 * pagination on (timestamp, uuid), as PostHog's own migration tool
 * pages: no ties to lose, pages up to 50,000 rows, timestamps in UTC.
 * Each row is written in the event-listing API's shape, its properties
 * (a JSON string here) as the object they hold.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "fetch.h"
#include "isotime.h"
#include "xalloc.h"

enum { C_UUID, C_EVENT, C_DISTINCT_ID, C_PROPERTIES, C_TIMESTAMP, C_CHAIN,
	NCOLUMNS };

/* A HogQL string literal: backslash and quote escaped. */
static void
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

static void
sql_time(struct buf *b, int64_t us)
{
	char t[ISOTIME_LEN];

	isotime_ch(us, t);
	buf_printf(b, "toDateTime64('%s', 6, 'UTC')", t);
}

/* The rows of [after, before) past the cursor (from_ts, from_uuid). */
static void
events_sql(struct fetcher *f, struct buf *q, int64_t after, int64_t before,
    int64_t from_ts, const char *from_uuid, unsigned limit)
{
	buf_addstr(q, "SELECT uuid, event, distinct_id, properties, "
	    "toString(toTimeZone(timestamp, 'UTC')), elements_chain "
	    "FROM events WHERE timestamp >= ");
	sql_time(q, after);
	buf_addstr(q, " AND timestamp < ");
	sql_time(q, before);
	if (from_uuid != NULL) {
		buf_addstr(q, " AND (timestamp, uuid) > (");
		sql_time(q, from_ts);
		buf_addstr(q, ", toUUID(");
		sql_string(q, from_uuid);
		buf_addstr(q, "))");
	}
	if (f->o.event != NULL) {
		buf_addstr(q, " AND event = ");
		sql_string(q, f->o.event);
	}
	buf_printf(q, " ORDER BY timestamp ASC, uuid ASC LIMIT %u", limit);
}

/*
 * POST the HogQL query: 0 with the reply, -1 if there is no query API
 * (with FETCH_QUIET_404), -2 when the page should shrink (FETCH_SHRINK),
 * else an exit status.
 */
static int
post_query(struct fetcher *f, const struct buf *sql, int flags)
{
	struct buf body = { 0 }, path = { 0 };
	int r;

	buf_addstr(&body, "{\"query\":{\"kind\":\"HogQLQuery\",\"query\":");
	js_escape(&body, sql->p, sql->len);
	buf_addstr(&body, ",\"modifiers\":{\"convertToProjectTimezone\":false}"
	    "},\"refresh\":\"blocking\",\"name\":\"ph-fetch\"}");
	buf_addc(&body, '\0');
	buf_printf(&path, "/api/projects/%s/query/", f->o.project);
	url_start(f, path.p);
	r = fetch_post(f, f->url.p, body.p, flags);
	buf_free(&body);
	buf_free(&path);
	return r;
}

/* The reply's rows into f->items; *more from hasMore (1 if absent). */
static int
parse_rows(struct fetcher *f, int *more)
{
	const struct jmember *has;
	int r;

	if ((r = reply_results(f)) != 0)
		return r;
	/* Old versions have no hasMore: read on until a page is empty. */
	has = js_get(&f->top, "hasMore");
	*more = has == NULL || has->type != JT_FALSE;
	return 0;
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

	if (c->type == JT_STRING && column_text(c, &f->tmp) == 0 &&
	    js_parse_object(f->tmp.p, f->tmp.len, &f->ev, NULL, NULL, &e) == 0)
		buf_add(ev, f->tmp.p, f->tmp.len);
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
	    &f->row, &e) == NULL || f->row.n != NCOLUMNS)
		return -1;
	c = f->row.v;
	if (column_text(&c[C_TIMESTAMP], &f->tmp) == -1 ||
	    isotime_parse(f->tmp.p, f->tmp.len, ts) == -1 ||
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

/* Write one page of rows; *last_ts and last_uuid: the keyset cursor. */
static int
write_rows(struct fetcher *f, int skip_seen, int64_t *last_ts,
    struct buf *last_uuid)
{
	struct buf ev = { 0 };
	int64_t ts;
	size_t i;
	int r = 0;

	for (i = 0; i < f->items.n && r == 0; i++) {
		switch (emit_row(f, &f->items.v[i], &ev, &ts, last_uuid,
		    skip_seen)) {
		case 0:
			emit_event(f, ev.p, ev.len, ts);
			*last_ts = ts;
			break;
		case 1:
			f->n.repeats++;
			*last_ts = ts;
			break;
		default:
			warnx("%s: row %zu is not [uuid, event, distinct_id, "
			    "properties, timestamp, elements_chain]", f->url.p,
			    i + 1);
			r = PH_EXIT_FATAL;
		}
	}
	buf_free(&ev);
	emit_page_done(f);
	return r;
}

/* A page too large for the reply cap or the server: ask for half. */
static int
shrink(struct fetcher *f)
{
	if (f->qpage <= 100) {
		warnx("%s: even 100 rows a page fail; giving up", f->url.p);
		return PH_EXIT_TEMPFAIL;
	}
	f->qpage /= 2;
	note(f, "%s: the reply to a query page is too large or too slow; "
	    "asking for %u rows a page", f->url.p, f->qpage);
	return 0;
}

/*
 * Every event of [after, before), by keyset pages; -1 when the server
 * has no query API (only with FETCH_QUIET_404).
 */
static int
query_range(struct fetcher *f, int64_t after, int64_t before, int skip_seen,
    int flags)
{
	struct buf sql = { 0 }, cursor = { 0 };
	int64_t last_ts = 0;
	int more = 1, r = 0;

	while (more && r == 0) {
		sql.len = 0;
		events_sql(f, &sql, after, before, last_ts,
		    cursor.len > 0 ? cursor.p : NULL, f->qpage);
		r = post_query(f, &sql, flags | FETCH_SHRINK);
		if (r == -2) {
			r = shrink(f);
			continue;
		}
		if (r != 0 || (r = parse_rows(f, &more)) != 0)
			break;
		if (f->items.n == 0)
			break;
		r = write_rows(f, skip_seen, &last_ts, &cursor);
	}
	buf_free(&sql);
	buf_free(&cursor);
	return r;
}

int
fetch_query(struct fetcher *f, int64_t after, int64_t before)
{
	return query_range(f, after, before, 0, 0);
}

int
query_cluster(struct fetcher *f, int64_t at)
{
	return query_range(f, at, at + 1, 1, FETCH_QUIET_404);
}

/*
 * Events a bucket (an hour, or a day for ranges of over 400 days, which
 * keeps the rows under the 10,000 older servers return) in [after,
 * before), for --split: 0, -1 (no query API), or an exit status.
 */
int
query_hours(struct fetcher *f, int64_t after, int64_t before,
    int64_t **hours, unsigned long long **counts, size_t *n)
{
	int by_day = before - after > 400LL * 86400 * 1000000;
	struct buf sql = { 0 };
	struct jerr e;
	int more, r;
	size_t i;

	buf_printf(&sql, "SELECT toString(%s(toTimeZone(timestamp, 'UTC'))) "
	    "AS hour, count() AS c FROM events WHERE timestamp >= ",
	    by_day ? "toStartOfDay" : "toStartOfHour");
	sql_time(&sql, after);
	buf_addstr(&sql, " AND timestamp < ");
	sql_time(&sql, before);
	if (f->o.event != NULL) {
		buf_addstr(&sql, " AND event = ");
		sql_string(&sql, f->o.event);
	}
	buf_addstr(&sql, " GROUP BY hour ORDER BY hour LIMIT 1000000");
	r = post_query(f, &sql, FETCH_QUIET_404);
	buf_free(&sql);
	if (r != 0 || (r = parse_rows(f, &more)) != 0)
		return r;
	*hours = xcalloc(f->items.n + 1, sizeof(**hours));
	*counts = xcalloc(f->items.n + 1, sizeof(**counts));
	for (i = 0; i < f->items.n; i++) {
		const struct jitem *row = &f->items.v[i];

		if (row->type != JT_ARRAY || js_array(row->p, row->p + row->len,
		    &f->row, &e) == NULL || f->row.n != 2 ||
		    column_text(&f->row.v[0], &f->tmp) == -1 ||
		    isotime_parse(f->tmp.p, f->tmp.len, &(*hours)[i]) == -1)
			return -1;
		/* A 64-bit count may come quoted. */
		if (column_text(&f->row.v[1], &f->tmp) == 0)
			(*counts)[i] = strtoull(f->tmp.p, NULL, 10);
		else
			(*counts)[i] = strtoull(f->row.v[1].p, NULL, 10);
	}
	*n = f->items.n;
	return 0;
}
