/*
 * ph-fetch: the event-listing API (doc/posthog.md section 1), oldest
 * first.  Its after and before are strict and it pages by timestamp
 * alone, so each page is asked for again from its last timestamp,
 * inclusively, and the ids already written at that timestamp are
 * dropped.  A full page that holds one timestamp only cannot be paged
 * past: those events are read by uuid through the query API, or, on an
 * old install without one, with a larger page.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "fetch.h"
#include "isotime.h"

/* Windows under the one-year range the current API accepts. */
#define WINDOW_US	(360LL * 86400 * 1000000)

static void
page_url(struct fetcher *f, int64_t after, int64_t before, unsigned limit)
{
	char a[ISOTIME_LEN], b[ISOTIME_LEN], n[16];
	struct buf path = { 0 };

	if (f->o.legacy)
		buf_addstr(&path, "/api/event/");
	else
		buf_printf(&path, "/api/projects/%s/events/", f->o.project);
	url_start(f, path.p);
	buf_free(&path);
	/* The API's bounds are strict: after - 1 us reads from after on. */
	isotime_api(after - 1, a);
	isotime_api(before, b);
	snprintf(n, sizeof(n), "%u", limit);
	url_param(f, "after", a);
	url_param(f, "before", b);
	url_param(f, "orderBy", "[\"timestamp\"]");
	url_param(f, "limit", n);
	if (f->o.event != NULL)
		url_param(f, "event", f->o.event);
}

/* Note once a next link that points elsewhere: it is never followed. */
static void
check_next(struct fetcher *f, const struct jmember *next)
{
	size_t n = strlen(f->o.base), scheme;

	f->tmp.len = 0;
	js_unescape(&f->tmp, next->val, next->vallen);
	if (f->next_noted || (f->tmp.len > n &&
	    strncmp(f->tmp.p, f->o.base, n) == 0 && f->tmp.p[n] == '/'))
		return;
	f->next_noted = 1;
	scheme = f->tmp.len > 8 && strstr(f->tmp.p, "://") != NULL ?
	    (size_t)(strstr(f->tmp.p, "://") - f->tmp.p) + 3 : 0;
	note(f, "the server's next links name %.*s; requests go to %s only",
	    (int)(strcspn(f->tmp.p + scheme, "/?") + scheme), f->tmp.p,
	    f->o.base);
}

/* The reply's results into f->items: 0, or an exit status. */
static int
parse_page(struct fetcher *f, int *has_next)
{
	const struct jmember *next;
	int r;

	if ((r = reply_results(f)) != 0)
		return r;
	next = js_get(&f->top, "next");
	*has_next = next != NULL && next->type == JT_STRING;
	if (*has_next)
		check_next(f, next);
	return 0;
}

/* An event's id, as text, into f->tmp, and its timestamp. */
static int
event_key(struct fetcher *f, const struct jitem *it, int64_t *ts)
{
	const struct jmember *id, *t;
	struct jerr e;
	size_t i;

	if (it->type != JT_OBJECT || js_parse_object(it->p, it->len, &f->ev,
	    NULL, NULL, &e) == -1)
		return -1;
	if ((id = js_get(&f->ev, "id")) == NULL)
		id = js_get(&f->ev, "uuid");
	t = js_get(&f->ev, "timestamp");
	if (id == NULL || t == NULL || t->type != JT_STRING)
		return -1;
	f->tmp.len = 0;
	js_unescape(&f->tmp, t->val, t->vallen);
	if (isotime_parse(f->tmp.p, f->tmp.len, ts) == -1)
		return -1;
	f->tmp.len = 0;
	if (id->type == JT_STRING)
		js_unescape(&f->tmp, id->val, id->vallen);
	else
		buf_add(&f->tmp, id->val, id->vallen);
	for (i = 0; i < f->tmp.len; i++)
		if (f->tmp.p[i] >= 'A' && f->tmp.p[i] <= 'F')
			f->tmp.p[i] = (char)(f->tmp.p[i] - 'A' + 'a');
	return 0;
}

/*
 * Write the page's events that are new, in [after, before): 0 with
 * *boundary (the last timestamp written), *one_time (all the page at one
 * timestamp), *past (it reached before) and *wrote set, or an exit
 * status.
 */
static int
write_page(struct fetcher *f, int64_t after, int64_t before,
    int64_t *boundary, int *one_time, int *past, size_t *wrote)
{
	int64_t ts, prev = INT64_MIN;
	size_t i;

	*one_time = f->items.n > 0;
	*past = 0;
	*wrote = 0;
	for (i = 0; i < f->items.n; i++) {
		if (event_key(f, &f->items.v[i], &ts) == -1) {
			warnx("%s: result %zu is not an event with an id and a "
			    "timestamp", f->url.p, i + 1);
			return PH_EXIT_FATAL;
		}
		if (ts < prev) {
			warnx("%s: the server does not return events oldest "
			    "first; use --api query", f->url.p);
			return PH_EXIT_FATAL;
		}
		if (i > 0 && ts != prev)
			*one_time = 0;
		prev = ts;
		if (ts >= before) {
			*past = 1;	/* a server that ignores before */
			break;
		}
		if (ts < after || ts < *boundary)
			continue;	/* nor these, written already */
		if (ts == *boundary && idset_has(&f->seen, f->tmp.p,
		    f->tmp.len)) {
			f->n.repeats++;
			continue;
		}
		if (ts != *boundary) {
			*boundary = ts;
			idset_clear(&f->seen);
		}
		idset_add(&f->seen, f->tmp.p, f->tmp.len);
		emit_event(f, f->items.v[i].p, f->items.v[i].len, ts);
		(*wrote)++;
	}
	emit_page_done(f);
	return 0;
}

/*
 * Old installs have no query API but no page cap either: ask for pages
 * twice as large until the timestamp's events fit in one.
 */
static int
grow_page(struct fetcher *f, int64_t at)
{
	unsigned limit = f->o.page_size;
	int has_next, one, past, r;
	int64_t boundary = at;
	size_t wrote;

	for (;;) {
		limit = limit < (1u << 24) ? limit * 2 : limit;
		page_url(f, at, at + 1, limit);
		if ((r = fetch_get(f, f->url.p)) != 0 ||
		    (r = parse_page(f, &has_next)) != 0 ||
		    (r = write_page(f, at, at + 1, &boundary, &one, &past,
		    &wrote)) != 0)
			return r;
		if (!has_next || past)
			return 0;
		if (f->items.n < limit || limit == 1u << 24) {
			char t[ISOTIME_LEN];

			isotime_z(at, t);
			warnx("more events share the timestamp %s than this server "
			    "returns in a page, and it has no query API to read "
			    "them by uuid", t);
			return PH_EXIT_FATAL;
		}
	}
}

static int
read_cluster(struct fetcher *f, int64_t at)
{
	int r;

	if (!f->query_missing && !f->o.legacy) {
		if ((r = query_cluster(f, at)) != -1)
			return r;
		f->query_missing = 1;
	}
	return grow_page(f, at);
}

static int
fetch_window(struct fetcher *f, int64_t after, int64_t before)
{
	int64_t from = after, boundary = INT64_MIN;
	int has_next, one_time, past, r;
	size_t wrote;

	idset_clear(&f->seen);
	for (;;) {
		page_url(f, from, before, f->o.page_size);
		if ((r = fetch_get(f, f->url.p)) != 0 ||
		    (r = parse_page(f, &has_next)) != 0 ||
		    (r = write_page(f, after, before, &boundary, &one_time,
		    &past, &wrote)) != 0)
			return r;
		if (f->items.n == 0 || !has_next || past)
			return 0;
		if (wrote == 0 && !one_time) {
			/* Only events it was not asked for: it would loop. */
			warnx("%s: the server returns events outside the range "
			    "asked for", f->url.p);
			return PH_EXIT_FATAL;
		}
		if (one_time) {
			/* Paging by time cannot pass this one: read it by uuid. */
			if ((r = read_cluster(f, boundary)) != 0)
				return r;
			from = boundary + 1;
		} else
			from = boundary;	/* again, inclusively */
	}
}

int
fetch_events(struct fetcher *f, int64_t after, int64_t before)
{
	int64_t from, to;
	int r;

	for (from = after; from < before; from = to) {
		to = before - from > WINDOW_US ? from + WINDOW_US : before;
		if ((r = fetch_window(f, from, to)) != 0)
			return r;
	}
	return 0;
}
