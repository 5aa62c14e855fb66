/*
 * ph-fetch: the event-listing API (doc/posthog.md section 1), oldest
 * first.  Its after and before are strict and it pages by timestamp
 * alone, so each page is asked for again from its last timestamp,
 * inclusively, and the ids already written at that timestamp are
 * dropped.  A full page that holds one timestamp only cannot be paged
 * past: those events are read by uuid through the query API, or, on an
 * old install without one, with a larger page.
 *
 * A Postgres-era install (integer ids, posthog/api/event.py of 2021)
 * first runs each request from this Monday on and answers with that page
 * when it is full, whatever after says: a window that starts before
 * Monday would lose its events up to Monday.  So on such a source a
 * full page that starts later than asked is not trusted: the range up
 * to its first event is read first, on its own.  That range holds none
 * of the events since the server's Monday, so the shortcut cannot fire
 * there: the window is cut where the server's Monday begins, to the
 * microsecond and by its own clock.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "fetch.h"
#include "http.h"
#include "isotime.h"
#include "xalloc.h"

/*
 * Windows under the one-year range the current API accepts ("Date range
 * cannot exceed 1 year").  An install without the query API (before
 * 2023) has no such limit: its list() filters by after and before as
 * given (posthog/api/event.py, 2021; query_event_list.py, 2022), so it
 * is read in one window, whose first page is the first event.
 */
#define WINDOW_US	(360LL * 86400 * 1000000)
/* Events a page of a listing API without a cap (events_before_2023). */
#define UNCAPPED_PAGE	2000

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

	f->s.tmp.len = 0;
	js_unescape(&f->s.tmp, next->val, next->vallen);
	if (f->next_noted || (f->s.tmp.len > n &&
	    strncmp(f->s.tmp.p, f->o.base, n) == 0 && f->s.tmp.p[n] == '/'))
		return;
	f->next_noted = 1;
	scheme = f->s.tmp.len > 8 && strstr(f->s.tmp.p, "://") != NULL ?
	    (size_t)(strstr(f->s.tmp.p, "://") - f->s.tmp.p) + 3 : 0;
	note(f, "the server's next links name %.*s; requests go to %s only",
	    (int)(strcspn(f->s.tmp.p + scheme, "/?") + scheme), f->s.tmp.p,
	    f->o.base);
}

/* The reply's results into f->s.items: 0, or an exit status. */
static int
parse_page(struct fetcher *f, int *has_next)
{
	const struct jmember *next;
	int r;

	if ((r = reply_results(f)) != 0)
		return r;
	next = js_get(&f->s.top, "next");
	*has_next = next != NULL && next->type == JT_STRING;
	if (*has_next)
		check_next(f, next);
	return 0;
}

/*
 * A page of [from, before) into f->s.items: 0, or an exit status.  A reply
 * over the cap (big events, a large page) can never come through: it
 * is asked for again with half the limit, down to one event, and the
 * limit grows back while replies stay well under the cap.
 */
static int
get_page(struct fetcher *f, int64_t from, int64_t before, int *has_next)
{
	int r;

	for (;;) {
		page_url(f, from, before, f->page);
		if ((r = fetch_get_page(f, f->c.url.p)) != -2)
			break;
		if (f->page == 1) {
			warnx("%s: one event makes a reply over the %d MiB "
			    "ph-fetch accepts", f->c.url.p,
			    HTTP_BODY_MAX >> 20);
			return PH_EXIT_FATAL;
		}
		f->page /= 2;
		note(f, "a page passed %d MiB; asking for %u events a page",
		    HTTP_BODY_MAX >> 20, f->page);
	}
	if (r != 0)
		return r;
	if (f->page < f->o.page_size && f->c.reply.len < HTTP_BODY_MAX / 4)
		f->page = f->page * 2 < f->o.page_size ? f->page * 2 :
		    f->o.page_size;
	return parse_page(f, has_next);
}

/* An event's id, as text, into f->s.tmp, and its timestamp. */
static int
event_key(struct fetcher *f, const struct jitem *it, int64_t *ts)
{
	const struct jmember *id, *t;
	struct jerr e;
	size_t i;

	if (it->type != JT_OBJECT || js_parse_object(it->p, it->len, &f->s.ev,
	    NULL, NULL, &e) == -1)
		return -1;
	if ((id = js_get(&f->s.ev, "id")) == NULL)
		id = js_get(&f->s.ev, "uuid");
	t = js_get(&f->s.ev, "timestamp");
	if (id == NULL || t == NULL || t->type != JT_STRING)
		return -1;
	f->s.tmp.len = 0;
	js_unescape(&f->s.tmp, t->val, t->vallen);
	if (isotime_parse(f->s.tmp.p, f->s.tmp.len, ts) == -1)
		return -1;
	f->s.tmp.len = 0;
	if (id->type == JT_STRING)
		js_unescape(&f->s.tmp, id->val, id->vallen);
	else
		buf_add(&f->s.tmp, id->val, id->vallen);
	for (i = 0; i < f->s.tmp.len; i++)
		if (f->s.tmp.p[i] >= 'A' && f->s.tmp.p[i] <= 'F')
			f->s.tmp.p[i] = (char)(f->s.tmp.p[i] - 'A' + 'a');
	return 0;
}

/* What write_page found in a page. */
struct page_result {
	int	 one_time;	/* all the page at one timestamp */
	int	 past;		/* it reached before */
	size_t	 wrote;		/* events written */
};

/*
 * Write the page's events that are new, in [after, before): 0 with
 * *boundary (the last timestamp written, carried from page to page) and
 * *pr set, or an exit status.
 */
static int
write_page(struct fetcher *f, int64_t after, int64_t before,
    int64_t *boundary, struct page_result *pr)
{
	int64_t ts, prev = INT64_MIN;
	size_t i;

	pr->one_time = f->s.items.n > 0;
	pr->past = 0;
	pr->wrote = 0;
	for (i = 0; i < f->s.items.n; i++) {
		if (event_key(f, &f->s.items.v[i], &ts) == -1) {
			warnx("%s: result %zu is not an event with an id and a "
			    "timestamp", f->c.url.p, i + 1);
			return PH_EXIT_FATAL;
		}
		if (ts < prev) {
			warnx("%s: the server does not return events oldest "
			    "first; use --api query", f->c.url.p);
			return PH_EXIT_FATAL;
		}
		if (i > 0 && ts != prev)
			pr->one_time = 0;
		prev = ts;
		if (ts >= before) {
			pr->past = 1;	/* a server that ignores before */
			break;
		}
		if (ts < after || ts < *boundary)
			continue;	/* nor these, written already */
		if (ts == *boundary && idset_has(&f->seen, f->s.tmp.p,
		    f->s.tmp.len)) {
			f->n.repeats++;
			continue;
		}
		if (ts != *boundary) {
			*boundary = ts;
			idset_clear(&f->seen);
		}
		idset_add(&f->seen, f->s.tmp.p, f->s.tmp.len);
		emit_event(f, f->s.items.v[i].p, f->s.items.v[i].len, ts);
		pr->wrote++;
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
	struct page_result pr;
	int has_next, r;
	int64_t boundary = at;

	for (;;) {
		limit = limit < (1u << 24) ? limit * 2 : limit;
		page_url(f, at, at + 1, limit);
		if ((r = fetch_get_page(f, f->c.url.p)) == -2) {
			warnx("%s: the events of one timestamp make a reply over "
			    "the %d MiB ph-fetch accepts", f->c.url.p,
			    HTTP_BODY_MAX >> 20);
			return PH_EXIT_FATAL;
		}
		if (r != 0 ||
		    (r = parse_page(f, &has_next)) != 0 ||
		    (r = write_page(f, at, at + 1, &boundary, &pr)) != 0)
			return r;
		if (!has_next || pr.past)
			return 0;
		if (f->s.items.n < limit || limit == 1u << 24) {
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

/* Note a Postgres-era source by its first event's integer id. */
static void
check_era(struct fetcher *f)
{
	const struct jmember *id;
	struct jerr e;

	if (f->postgres || f->s.items.n == 0 ||
	    f->s.items.v[0].type != JT_OBJECT ||
	    js_parse_object(f->s.items.v[0].p, f->s.items.v[0].len, &f->s.ev,
	    NULL, NULL, &e) == -1 || (id = js_get(&f->s.ev, "id")) == NULL ||
	    id->type != JT_NUMBER)
		return;
	f->postgres = 1;
	f->query_missing = 1;
	note(f, "a Postgres-era source (integer ids): each window is cut where "
	    "the server's week begins, which its listing API answers first");
}

/*
 * Whether a Postgres-era page may be the server's "this Monday" page
 * rather than the one asked for: full, and starting later than from.
 */
static int
may_skip(struct fetcher *f, int64_t from, int has_next, int64_t *first)
{
	if (!f->postgres || !has_next || f->s.items.n == 0 ||
	    event_key(f, &f->s.items.v[0], first) == -1)
		return 0;
	return *first > from;
}

/* Refuse a listing whose timestamps are not the events' instants. */
static int
shifted(struct fetcher *f, int64_t at, const char *how)
{
	char t[ISOTIME_LEN];

	isotime_api(at, t);
	warnx("%s: the listing API labels events with times they do not have "
	    "(%s %s): this PostHog version writes a project's own timezone "
	    "as UTC (PostHog issue #67175); read with --api query, or set the "
	    "project's timezone to UTC while ph-fetch runs", f->c.url.p, how,
	    t);
	return PH_EXIT_FATAL;
}

/* The page set aside (its reply, url and parse), or brought back. */
static void
swap_pages(struct fetcher *f)
{
	struct buf r = f->c.reply, u = f->c.url;
	struct jmembers t = f->s.top;
	struct jitems i = f->s.items;

	f->c.reply = f->s.aside.reply;
	f->c.url = f->s.aside.url;
	f->s.top = f->s.aside.top;
	f->s.items = f->s.aside.items;
	f->s.aside.reply = r;
	f->s.aside.url = u;
	f->s.aside.top = t;
	f->s.aside.items = i;
}

/*
 * Whether an event a page lists at "at" is there: asked for alone,
 * [at, at + 1 us) must answer that timestamp.  0 with *missing set, or
 * an exit status.
 */
static int
find_event(struct fetcher *f, int64_t at, int *missing)
{
	int64_t ts;
	int has_next, r;

	page_url(f, at, at + 1, 1);
	if ((r = fetch_get(f, f->c.url.p)) != 0 ||
	    (r = parse_page(f, &has_next)) != 0)
		return r;
	*missing = f->s.items.n == 0 || event_key(f, &f->s.items.v[0],
	    &ts) == -1 || ts != at;
	return 0;
}

/* As find_event, refused when missing; the page is set aside meanwhile. */
static int
probe(struct fetcher *f, int64_t at, const char *how)
{
	int missing = 0, r;

	swap_pages(f);
	if ((r = find_event(f, at, &missing)) == 0 && missing)
		r = shifted(f, at, how);
	swap_pages(f);
	return r;
}

/*
 * A probe run beside the page's next request, so that it costs no round
 * of requests of its own on a slow source: in a thread, on a fetcher of
 * its own (connection and parse scratch; the options copied).
 */
struct side_probe {
	struct fetcher	*f;
	int64_t		 at;
	int		 r;		/* find_event's */
	int		 missing;
	pthread_t	 t;
};

/*
 * Whether probes may run beside a request: --jobs auto, whose readers
 * are not a number of requests at once the user chose (--jobs N keeps
 * to N, and 1 to one request at a time).
 */
static int
beside(const struct fetcher *f)
{
	return f->job != NULL && f->o.jobs == 0;
}

static struct fetcher *
side_fetcher(struct fetcher *f)
{
	struct fetcher *s = f->side;

	if (s != NULL)
		return s;
	s = xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->o = f->o;
	/* Its replies count for --jobs auto, and its 429s too. */
	s->job = f->job;
	progress_init(&s->prog, 0, f->o.quiet);
	conn_open(&s->c, &s->o);
	return f->side = s;
}

static void *
side_run(void *arg)
{
	struct side_probe *p = arg;

	p->missing = 0;
	p->r = find_event(p->f, p->at, &p->missing);
	return NULL;
}

static void
side_start(struct fetcher *f, struct side_probe *p, int64_t at)
{
	p->f = side_fetcher(f);
	p->at = at;
	if ((errno = pthread_create(&p->t, NULL, side_run, p)) != 0)
		err(PH_EXIT_FATAL, "cannot start a thread for a probe");
}

/* The side probe's answer, once it is back: 0, or an exit status. */
static int
side_end(struct fetcher *f, struct side_probe *p, const char *how)
{
	pthread_join(p->t, NULL);
	f->n.retries += p->f->n.retries;
	f->n.waits += p->f->n.waits;
	p->f->n.retries = p->f->n.waits = 0;
	if (p->r != 0)
		return p->r;
	return p->missing ? shifted(p->f, p->at, how) : 0;
}

/*
 * Whether the page's events are where their timestamps say, before any
 * is written.  The 2026 listing API of a project outside UTC labels
 * each event with the project's wall-clock time and +00:00, while after
 * and before still select true instants; the offset may change inside
 * a page (summer time).  A page asked from the last timestamp written
 * must begin there.  Its last event is checked by asking for the next
 * page, from it, now: that page must begin there, and it is the one
 * read next (on a last page the event is asked for alone, [t, t + 1 us)
 * must answer t).  A shifted first event then shows in the last one,
 * unless the offset changes twice within the page, so the first event
 * is asked for alone only at the start of a range and when it is the
 * page's only timestamp.  Postgres-era installs predate it, and so
 * does every install without the query API (the HogQL listing came
 * later): the checks cost two requests a window, spent only where the
 * shift can happen.  With --jobs auto the first event's probe runs
 * beside the last one's check (side_probe), so they cost one round of
 * requests, not two; a refusal is still the first event's first, and
 * nothing of the page is written before both are back.  *ahead tells
 * that the next page waits in f->s.aside.
 */
static int
check_times(struct fetcher *f, int64_t from, int goes_on, int at_start,
    int64_t before, int has_next, int *ahead)
{
	static const char first_how[] = "no event is found at the time of "
	    "the first one listed,";
	struct side_probe p;
	int64_t first, last, next;
	int r, r_first, need_first, on, bad = 0;

	*ahead = 0;
	if (f->postgres || f->query_missing || f->s.items.n == 0 ||
	    event_key(f, &f->s.items.v[0], &first) == -1 ||
	    event_key(f, &f->s.items.v[f->s.items.n - 1], &last) == -1)
		return 0;
	if (goes_on && first != from)
		return shifted(f, from, "a page asked from the last timestamp "
		    "written does not begin there:");
	need_first = !goes_on && (at_start || first == last);
	if (last == first || (need_first && !beside(f))) {
		if (need_first && (r = probe(f, first, first_how)) != 0)
			return r;
		if (last == first)
			return 0;
		need_first = 0;
	}
	/* The first event's probe beside the last one's check. */
	if (need_first)
		side_start(f, &p, first);
	on = has_next && last < before;
	swap_pages(f);
	if (!on)
		r = find_event(f, last, &bad);
	else
		bad = (r = get_page(f, last, before,
		    &f->s.aside.has_next)) == 0 && (f->s.items.n == 0 ||
		    event_key(f, &f->s.items.v[0], &next) == -1 || next != last);
	/* One refusal, the first event's first, as when one after the other. */
	if (need_first && (r_first = side_end(f, &p, first_how)) != 0)
		r = r_first;
	else if (r == 0 && bad)
		r = shifted(f, last, on ? "the page asked from the last time "
		    "listed does not begin there:" : "no event is found at the "
		    "time of the last one listed,");
	swap_pages(f);
	*ahead = on && r == 0;
	return r;
}

static int	read_range(struct fetcher *, int64_t, int64_t, int64_t *,
		    int);

static int
fetch_window(struct fetcher *f, int64_t after, int64_t before)
{
	int64_t boundary = INT64_MIN;

	idset_clear(&f->seen);
	return read_range(f, after, before, &boundary, 1);
}

/*
 * --jobs: the window's first page, full, tells how much more there is;
 * what would take more pages goes to other workers (jobs.c).  Only a
 * page that begins where it was asked from tells the window's density.
 */
static int64_t
split_window(struct fetcher *f, int64_t before)
{
	int64_t first, last;

	if (f->job == NULL || f->s.items.n < 2 ||
	    event_key(f, &f->s.items.v[0], &first) == -1 ||
	    event_key(f, &f->s.items.v[f->s.items.n - 1], &last) == -1 ||
	    last >= before)
		return before;
	return jobs_split(f, first, last, before);
}

/*
 * Read [after, before) on from *boundary, the last timestamp written;
 * whole: [after, before) is the worker's window, which may be split.
 */
static int
read_range(struct fetcher *f, int64_t after, int64_t before,
    int64_t *boundary_p, int whole)
{
	int64_t from = after, first, boundary = *boundary_p;
	struct page_result pr;
	int has_next, r, ahead = 0;

	for (;;) {
		if (ahead) {
			/* The page asked for ahead, from the boundary. */
			swap_pages(f);
			has_next = f->s.aside.has_next;
		} else if ((r = get_page(f, from, before, &has_next)) != 0)
			return r;
		check_era(f);
		if (may_skip(f, from, has_next, &first)) {
			/* What lies before its first event, on its own first. */
			if ((r = read_range(f, from, first, &boundary, 0)) != 0)
				return r;
			from = first;
			continue;
		}
		if (whole && from == after && has_next)
			before = split_window(f, before);
		if ((r = check_times(f, from, from == boundary, from == after,
		    before, has_next, &ahead)) != 0)
			return r;
		if ((r = write_page(f, after, before, &boundary, &pr)) != 0)
			return r;
		*boundary_p = boundary;
		if (f->s.items.n == 0 || !has_next || pr.past)
			return 0;
		if (pr.wrote == 0 && !pr.one_time) {
			/* Only events it was not asked for: it would loop. */
			warnx("%s: the server returns events outside the range "
			    "asked for", f->c.url.p);
			return PH_EXIT_FATAL;
		}
		if (pr.one_time) {
			/* Paging by time cannot pass this one: read it by uuid. */
			if ((r = read_cluster(f, boundary)) != 0)
				return r;
			from = boundary + 1;
		} else
			from = boundary;	/* again, inclusively */
	}
}

/*
 * The listing API of an install without the query API (its route
 * answered 404: before 2023) takes any range in one window (WINDOW_US)
 * and caps no page: query_events_list (posthog/models/event/
 * query_event_list.py, 2022) takes any limit, as list() did
 * (posthog/api/event.py, 2021), and each request costs the scan of its
 * range whatever its rows.  So unless --page-size was given, its pages
 * are UNCAPPED_PAGE events, the current API's cap being 1000.
 */
void
events_before_2023(struct fetcher *f)
{
	f->any_range = 1;
	if (f->o.page_given || f->o.page_size >= UNCAPPED_PAGE)
		return;
	if (f->page == f->o.page_size)
		f->page = UNCAPPED_PAGE;
	f->o.page_size = UNCAPPED_PAGE;
}

int
fetch_events(struct fetcher *f, int64_t after, int64_t before)
{
	int64_t from, to;
	int r;

	if (f->page == 0)
		f->page = f->o.page_size;
	for (from = after; from < before; from = to) {
		to = before - from > WINDOW_US && !f->any_range ?
		    from + WINDOW_US : before;
		if ((r = fetch_window(f, from, to)) != 0)
			return r;
	}
	return 0;
}
