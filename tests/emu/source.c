/*
 * ph-emu: the source API, as doc/posthog.md sections 1 to 3 describe it.
 *
 * The event-listing routes (/api/event/, /api/projects/ID/events/,
 * /api/environments/ID/events/): strict after and before, the limit cap,
 * newest first unless orderBy=["timestamp"], next built from the request
 * by overwriting after (or before) with the last row's timestamp, and
 * events of equal timestamp in a different order on every request, as
 * ClickHouse gives them.  The query route answers the HogQL ph-fetch
 * sends.  Personal-key authentication; a per-minute rate limit answered
 * with PostHog's 429 body, which carries no Retry-After.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "clock.h"
#include "emu.h"
#include "isotime.h"
#include "jscan.h"
#include "persons-api.h"
#include "xalloc.h"

/*
 * A line capture stored, kept as text until a read: when it came (its
 * created_at, and its timestamp when it has none) and, when it has no
 * uuid, the one capture made for it then.
 */
struct pline {
	size_t		 off, len;	/* in source.ptext */
	int64_t		 now;
	int		 drawn;
	char		 uuid[36];
};

struct sevent {
	int64_t		 ts;
	const char	*line;		/* the event as stored */
	size_t		 len;
	char		*listed;	/* as the listing API serves it, or NULL */
	size_t		 listedlen;
	char		*uuid;		/* its id, decoded, lower case */
	char		*name;		/* its event name, decoded */
	const char	*did, *props, *chain;	/* values, as written */
	size_t		 didlen, propslen, chainlen;
	int64_t		 created;	/* ingestion time: created_at */
	char		*own;		/* a captured event's line, owned */
};

/*
 * The events the source API serves: those --load gave, and those its
 * own capture endpoint stored since, so that one emulator can be read
 * while it receives events (new ones, and late ones with old
 * timestamps).  Readers hold lock for reading while they use ev.
 */
struct source {
	char			*data;
	struct sevent		*ev;
	size_t			 n, cap;
	pthread_rwlock_t	 lock;
	/* Captured, not yet merged in: capture appends, a read merges. */
	struct sevent		*pend;
	size_t			 npend, cappend;
	/*
	 * Captured, not yet even parsed: the lines as stored, turned into
	 * pend in arrival order by the next read (source_settle).
	 */
	struct buf		 ptext;
	struct pline		*pl;
	size_t			 npl, cappl;
};

#define HOUR_US	(3600LL * 1000000)
#define DAY_US	(86400LL * 1000000)

/* --- loading ------------------------------------------------------------ */

static char *
lower_text(const struct jmember *v)
{
	struct buf b = { 0 };
	size_t i;

	if (v->type == JT_STRING)
		js_unescape(&b, v->val, v->vallen);
	else
		buf_add(&b, v->val, v->vallen);
	buf_addc(&b, '\0');
	for (i = 0; b.p[i] != '\0'; i++)
		if (b.p[i] >= 'A' && b.p[i] <= 'Z')
			b.p[i] = (char)(b.p[i] - 'A' + 'a');
	return b.p;
}

/*
 * NaN, Infinity and -Infinity outside strings, as Python's json writes
 * them, masked as numbers of the same length: jscan refuses them, and
 * equal lengths keep its spans valid for the line itself.
 */
static char *
mask_constants(const char *p, size_t n)
{
	static const struct { const char *from, *to; } k[] = {
		{ "-Infinity", "-0.000000" }, { "Infinity", "0.000000" },
		{ "NaN", "0.0" }
	};
	char *m = xmalloc(n + 1);
	int in_str = 0;
	size_t i, j;

	memcpy(m, p, n);
	m[n] = '\0';
	for (i = 0; i < n; i++) {
		if (in_str) {
			if (m[i] == '\\')
				i++;
			else if (m[i] == '"')
				in_str = 0;
			continue;
		}
		if (m[i] == '"') {
			in_str = 1;
			continue;
		}
		for (j = 0; j < sizeof(k) / sizeof(k[0]); j++)
			if (strncmp(m + i, k[j].from, strlen(k[j].from)) == 0) {
				memcpy(m + i, k[j].to, strlen(k[j].to));
				i += strlen(k[j].to) - 1;
				break;
			}
	}
	return m;
}

/* A value's text with the constants outside strings written null. */
static void
put_nulled(struct buf *b, const char *p, size_t n)
{
	int in_str = 0;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (p[i] == '\\')
				buf_addc(b, p[i++]);
			else if (p[i] == '"')
				in_str = 0;
			buf_addc(b, p[i]);
			continue;
		}
		in_str = p[i] == '"';
		/* Outside strings, N and I begin nothing else. */
		k = p[i] == 'N' ? 3 : p[i] == 'I' ? 8 : p[i] == '-' && i + 1 < n &&
		    p[i + 1] == 'I' ? 9 : 0;
		if (k > 0) {
			buf_addstr(b, "null");
			i += k - 1;
		} else
			buf_addc(b, p[i]);
	}
}

/*
 * The properties as the ClickHouse-era listing API serves them:
 * parse_properties (posthog/models/event/util.py, 2022 to 2026) reads
 * them with json.loads(parse_constant=lambda x: None), so NaN and
 * Infinity at any depth become null, and strips '"' from both ends of
 * every top-level string value (value.strip('"')).  1 if anything
 * changed, the new text in out.
 */
static int
listed_properties(const char *orig, const char *masked, size_t n,
    struct buf *out)
{
	struct jmembers m = { 0 };
	struct buf v = { 0 };
	const char *at = masked;
	struct jerr e;
	size_t i, a, z;
	int changed = memcmp(orig, masked, n) != 0;

	if (js_parse_object(masked, n, &m, NULL, NULL, &e) == -1) {
		js_members_free(&m);
		return 0;
	}
	for (i = 0; i < m.n; i++) {
		const struct jmember *mb = &m.v[i];

		buf_add(out, orig + (at - masked), (size_t)(mb->val - at));
		at = mb->val + mb->vallen;
		if (mb->type != JT_STRING) {
			put_nulled(out, orig + (mb->val - masked), mb->vallen);
			continue;
		}
		v.len = 0;
		js_unescape(&v, mb->val, mb->vallen);
		for (a = 0; a < v.len && v.p[a] == '"'; a++)
			;
		for (z = v.len; z > a && v.p[z - 1] == '"'; z--)
			;
		if (a == 0 && z == v.len) {
			buf_add(out, mb->val, mb->vallen);
			continue;
		}
		js_escape(out, v.p + a, z - a);
		changed = 1;
	}
	buf_add(out, orig + (at - masked), n - (size_t)(at - masked));
	buf_free(&v);
	js_members_free(&m);
	return changed;
}

/*
 * The offset of the project's timezone at an instant, in microseconds:
 * TZ is the project's zone once source_load has set it.
 */
static int64_t
zone_offset(int64_t us)
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int64_t)tm.tm_gmtoff * 1000000;
}

struct splice {
	size_t		 off, len;	/* the span replaced */
	struct buf	 with;
};

/*
 * The event as the listing API serves it, when that differs: its
 * properties through parse_properties unless keep_quotes, and with
 * shift_tz its timestamp as the 2026 listing API labels it for a
 * project outside UTC.  There HogQL returns toTimeZone(timestamp,
 * project zone), and ClickhouseEventSerializer.get_timestamp does
 * .replace(tzinfo=UTC): the project's wall-clock time, labelled +00:00
 * (posthog/models/event/util.py and legacy_events_query.py, 2026;
 * PostHog issue #67175, from PR #65307, fixed by PR #67205).  The
 * bounds after and before still compare true instants.
 */
static void
listed_event(struct sevent *s, const char *masked, const struct jmember *p,
    const struct jmember *ts, int keep_quotes, int shift_tz)
{
	struct splice sp[2] = { { 0, 0, { 0 } }, { 0, 0, { 0 } } };
	struct buf b = { 0 };
	size_t n = 0, at = 0, i;
	char t[ISOTIME_LEN];

	if (!keep_quotes && p != NULL && p->type == JT_OBJECT &&
	    listed_properties(s->line + (p->val - masked), p->val, p->vallen,
	    &sp[n].with)) {
		sp[n].off = (size_t)(p->val - masked);
		sp[n++].len = p->vallen;
	} else
		buf_free(&sp[n].with);
	if (shift_tz && zone_offset(s->ts) != 0) {
		isotime_api(s->ts + zone_offset(s->ts), t);
		buf_printf(&sp[n].with, "\"%s\"", t);
		sp[n].off = (size_t)(ts->val - masked);
		sp[n++].len = ts->vallen;
	}
	if (n == 0)
		return;
	if (n == 2 && sp[1].off < sp[0].off) {
		struct splice x = sp[0];

		sp[0] = sp[1];
		sp[1] = x;
	}
	for (i = 0; i < n; i++) {
		buf_add(&b, s->line + at, sp[i].off - at);
		buf_add(&b, sp[i].with.p, sp[i].with.len);
		at = sp[i].off + sp[i].len;
		buf_free(&sp[i].with);
	}
	buf_add(&b, s->line + at, s->len - at);
	s->listed = b.p;
	s->listedlen = b.len;
}

static int
load_one(struct sevent *s, const char *line, size_t len, struct jmembers *m,
    int keep_quotes, int shift_tz)
{
	const struct jmember *id, *ts, *ev, *v;
	char *masked = mask_constants(line, len);
	struct buf t = { 0 };
	struct jerr e;
	int r;

#define ORIG(x)	(line + ((x) - masked))
	if (js_parse_object(masked, len, m, NULL, NULL, &e) == -1 ||
	    (id = js_get(m, "id")) == NULL || (ts = js_get(m, "timestamp")) ==
	    NULL || (ev = js_get(m, "event")) == NULL || ts->type != JT_STRING) {
		free(masked);
		return -1;
	}
	js_unescape(&t, ts->val, ts->vallen);
	r = isotime_parse(t.p, t.len, &s->ts);
	buf_free(&t);
	if (r == -1) {
		free(masked);
		return -1;
	}
	s->line = line;
	s->len = len;
	s->listed = NULL;
	s->listedlen = 0;
	s->uuid = lower_text(id);
	s->name = lower_text(ev);
	if (ev->type == JT_STRING) {	/* names keep their case */
		struct buf n = { 0 };

		free(s->name);
		js_unescape(&n, ev->val, ev->vallen);
		buf_addc(&n, '\0');
		s->name = n.p;
	}
	v = js_get(m, "distinct_id");
	s->did = v ? ORIG(v->val) : "null", s->didlen = v ? v->vallen : 4;
	v = js_get(m, "properties");
	s->props = v ? ORIG(v->val) : "{}", s->propslen = v ? v->vallen : 2;
	listed_event(s, masked, v, ts, keep_quotes, shift_tz);
	v = js_get(m, "elements_chain");
	s->chain = v ? ORIG(v->val) : "\"\"", s->chainlen = v ? v->vallen : 2;
	s->own = NULL;
	/*
	 * A loaded event was ingested when it happened, unless the line
	 * says otherwise ("created_at", as the events table has it).
	 */
	s->created = s->ts;
	if ((v = js_get(m, "created_at")) != NULL && v->type == JT_STRING) {
		js_unescape(&t, v->val, v->vallen);
		if (isotime_parse(t.p, t.len, &s->created) == -1)
			s->created = s->ts;
		buf_free(&t);
	}
#undef ORIG
	free(masked);
	return 0;
}

/* Only the 2026 listing API (HogQL, before PR #67205) shifts. */
static int
listing_shifts(const struct emu *e)
{
	return e->c.project_tz != NULL && (e->c.profile == NULL ||
	    strcmp(e->c.profile, "2026") == 0);
}

static int
by_time_then_uuid(const void *a, const void *b)
{
	const struct sevent *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return strcmp(x->uuid, y->uuid);
}

int
source_load(struct emu *e)
{
	struct source *s = xcalloc(1, sizeof(*s));
	struct jmembers m = { 0 };
	size_t cap = 0, n = 0;
	char *p, *nl, *end;
	struct stat st;
	int fd, shift_tz;

	e->src = s;
	pthread_rwlock_init(&s->lock, NULL);
	if (e->c.load_path == NULL)
		return 0;
	shift_tz = listing_shifts(e);
	if (shift_tz && (setenv("TZ", e->c.project_tz, 1) == -1 ||
	    (tzset(), 0))) {
		warn("TZ");
		return -1;
	}
	if ((fd = open(e->c.load_path, O_RDONLY)) == -1 ||
	    fstat(fd, &st) == -1) {
		warn("%s", e->c.load_path);
		return -1;
	}
	s->data = xmalloc((size_t)st.st_size + 1);
	if (read(fd, s->data, (size_t)st.st_size) != st.st_size) {
		warn("%s", e->c.load_path);
		return -1;
	}
	close(fd);
	end = s->data + st.st_size;
	for (p = s->data; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			s->ev = xreallocarray(s->ev, cap, sizeof(*s->ev));
		}
		if (load_one(&s->ev[n], p, (size_t)(nl - p), &m,
		    e->c.keep_quotes, shift_tz) == -1) {
			warnx("%s: event %zu has no id, event or timestamp",
			    e->c.load_path, n + 1);
			return -1;
		}
		n++;
	}
	js_members_free(&m);
	qsort(s->ev, n, sizeof(*s->ev), by_time_then_uuid);
	s->n = n;
	s->cap = cap;
	e->src = s;
	return 0;
}

/* --- helpers ------------------------------------------------------------ */

int
is_source_path(const char *url)
{
	return strncmp(url, "/api/", 5) == 0;
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* The project part of /api/projects/ID/... must be @current or 1. */
static int
route_of(const char *url, const char **rest)
{
	const char *p = NULL;
	size_t n;

	if (strcmp(url, "/api/event/") == 0 || strcmp(url, "/api/event") == 0) {
		*rest = "events/";
		return 1;
	}
	if (strncmp(url, "/api/projects/", 14) == 0)
		p = url + 14;
	else if (strncmp(url, "/api/environments/", 18) == 0)
		p = url + 18;
	if (p == NULL)
		return 0;
	n = strcspn(p, "/");
	if (!((n == 8 && strncmp(p, "@current", 8) == 0) ||
	    (n == 1 && p[0] == '1')))
		return 0;
	*rest = p + n + (p[n] == '/');
	return 1;
}

static int
authorized(struct emu *e, struct MHD_Connection *c, enum MHD_Result *ret)
{
	const char *h = header(c, "Authorization"), *k = NULL;

	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		k = h + 7;
	else
		k = arg(c, "personal_api_key");
	if (k != NULL && strcmp(k, e->c.personal_key) == 0)
		return 1;
	*ret = reply_str(c, 401, k == NULL ?
	    "{\"type\":\"authentication_error\",\"code\":\"not_authenticated\","
	    "\"detail\":\"Authentication credentials were not provided.\","
	    "\"attr\":null}" :
	    "{\"type\":\"authentication_error\",\"code\":"
	    "\"authentication_failed\",\"detail\":\"Invalid personal API key.\","
	    "\"attr\":null}");
	return 0;
}

/* PostHog's throttle: a 429 whose body says when, with no Retry-After. */
static int
throttled(struct emu *e, struct MHD_Connection *c, enum MHD_Result *ret)
{
	double now = clock_now(), wait = 0;
	struct buf b = { 0 };

	if (e->c.rate_per_min == 0)
		return 0;
	pthread_mutex_lock(&e->lock);
	if (now - e->window_start >= e->c.rate_window) {
		e->window_start = now;
		e->window_count = 0;
	}
	if (++e->window_count > e->c.rate_per_min) {
		wait = e->window_start + e->c.rate_window - now;
		e->st.rate_limited++;
	}
	pthread_mutex_unlock(&e->lock);
	if (wait <= 0)
		return 0;
	buf_printf(&b, "{\"type\":\"throttled_error\",\"code\":\"throttled\","
	    "\"detail\":\"Request was throttled. Expected available in %d "
	    "seconds.\",\"attr\":null}", (int)(wait + 0.999));
	*ret = reply(c, 429, "application/json", b.p, b.len);
	buf_free(&b);
	return 1;
}

static void
url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~", ch) != NULL)
			buf_addc(b, (char)ch);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[ch >> 4]);
			buf_addc(b, hex[ch & 15]);
		}
	}
}

/* next: the request's arguments, with one of them replaced. */
struct next_args {
	struct buf	*b;
	const char	*key;
	const char	*value;
	int		 done;
	int		 drop_bounds;	/* Postgres era: after, before left out */
};

static enum MHD_Result
add_next_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct next_args *a = cls;

	(void)kind;
	if (a->drop_bounds && (strcmp(key, "after") == 0 ||
	    strcmp(key, "before") == 0))
		return MHD_YES;
	buf_addc(a->b, a->b->p[a->b->len - 1] == '?' ? '\0' : '&');
	if (a->b->p[a->b->len - 1] == '\0')
		a->b->len--;
	url_encode(a->b, key);
	buf_addc(a->b, '=');
	if (strcmp(key, a->key) == 0) {
		url_encode(a->b, a->value);
		a->done = 1;
	} else if (value != NULL)
		url_encode(a->b, value);
	return MHD_YES;
}

static void
next_url(struct emu *e, struct MHD_Connection *c, const char *url,
    const char *key, int64_t ts, struct buf *b)
{
	char t[ISOTIME_LEN];
	struct next_args a = { b, key, t, 0, e->c.this_monday };
	const char *host = header(c, "Host");
	const char *order = arg(c, "orderBy");

	isotime_api(ts, t);
	if (e->c.this_monday) {
		/*
		 * _build_next_url (posthog/api/event.py, 396436f8): both bounds
		 * dropped, then after=, or before= only for an orderBy of
		 * exactly "-timestamp", with strftime("%Y-%m-%dT%H:%M:%S.%fZ").
		 */
		key = order != NULL && strcmp(order, "-timestamp") != 0 ?
		    "after" : "before";
		isotime_z(ts, t);
	}
	if (e->c.foreign_next)
		buf_printf(b, "\"http://127.0.0.1:%u%s?", e->foreign_port, url);
	else
		buf_printf(b, "\"http://%s%s?", host ? host : "localhost", url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_next_arg, &a);
	if (e->c.this_monday) {
		if (b->p[b->len - 1] != '?')
			buf_addc(b, '&');
		buf_printf(b, "%s=%s", key, t);
	} else if (!a.done) {
		if (b->p[b->len - 1] != '?')
			buf_addc(b, '&');
		buf_printf(b, "%s=", key);
		url_encode(b, t);
	}
	buf_addc(b, '"');
}

/* --- the event-listing API ---------------------------------------------------- */

/* First index with ts > after (after strict), and first with ts >= before. */
static size_t
lower(const struct source *s, int64_t t, int strict)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strict ? s->ev[mid].ts <= t : s->ev[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
matches(const struct sevent *ev, const char *name)
{
	return name == NULL || strcmp(ev->name, name) == 0;
}

/* Shuffle each run of equal timestamps: ClickHouse has no tie order. */
static void
shuffle_ties(struct emu *e, const struct sevent **v, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j]->ts == v[i]->ts; j++)
			;
		for (k = j - 1; k > i; k--) {
			size_t r = i + (size_t)(emu_random(e) * (double)(k - i + 1));
			const struct sevent *x = v[k];

			v[k] = v[r];
			v[r] = x;
		}
	}
}

struct listing {
	int64_t		 after, before;
	int		 asc;
	size_t		 limit, offset;
	const char	*event;
};

static unsigned
parse_listing(struct emu *e, struct MHD_Connection *c, struct listing *l,
    const char **why)
{
	const char *a = arg(c, "after"), *b = arg(c, "before");
	const char *o = arg(c, "orderBy"), *lim = arg(c, "limit");
	const char *off = arg(c, "offset");

	l->before = emu_now(e);
	l->after = INT64_MIN;
	if (b != NULL && isotime_parse(b, strlen(b), &l->before) == -1)
		return *why = "Invalid before.", 400;
	if (a != NULL && isotime_parse(a, strlen(a), &l->after) == -1)
		return *why = "Invalid after.", 400;
	if (a == NULL && e->c.default_24h)
		l->after = l->before - DAY_US;
	if (a != NULL && b != NULL && !e->c.any_range &&
	    l->before - l->after > 366 * DAY_US)
		return *why = "Date range cannot exceed 1 year", 400;
	l->asc = o != NULL && strstr(o, "\"timestamp\"") != NULL;
	l->limit = lim != NULL ? strtoul(lim, NULL, 10) : 100;
	if (l->limit == 0)
		l->limit = 100;
	if (e->c.page_cap > 0 && l->limit > e->c.page_cap)
		l->limit = e->c.page_cap;
	l->offset = off != NULL ? strtoul(off, NULL, 10) : 0;
	if (l->offset > 50000)
		return *why = "Offset is deprecated. Max supported offset value "
		    "is 50000", 400;
	l->event = arg(c, "event");
	return 0;
}

/*
 * Postgres-era list() (posthog/api/event.py at PostHog/posthog commit
 * 396436f87dab7a95367c7698e9da603740a8acc5, 2021): "this Monday" is
 * now() + timedelta(days=-now().weekday()) with hour, minute and second
 * set to 0 but not the microsecond, in UTC.
 */
static int64_t
this_monday(int64_t now)
{
	int64_t days = now >= 0 ? now / DAY_US : (now - DAY_US + 1) / DAY_US;
	int64_t weekday = ((days + 3) % 7 + 7) % 7;	/* 1970-01-01: Thursday */

	return (days - weekday) * DAY_US + ((now % 1000000) + 1000000) % 1000000;
}

/* Matching events from index lo up to hi, counting at most max. */
static size_t
count_from(const struct source *s, size_t lo, size_t hi, const char *event,
    size_t max)
{
	size_t n = 0;

	for (; lo < hi && n < max; lo++)
		if (matches(&s->ev[lo], event))
			n++;
	return n;
}

/*
 * The page: candidates in order up to offset + limit, then the rest of
 * the last timestamp's events, shuffled among their ties, then cut.
 */
static size_t
select_page(struct emu *e, const struct listing *l, const struct sevent ***out,
    int *more)
{
	const struct source *s = e->src;
	size_t lo = lower(s, l->after, 1), hi = lower(s, l->before, 0);
	size_t want = l->offset + l->limit, n = 0, cap = 64, i;
	const struct sevent **v = xcalloc(cap, sizeof(*v));
	int64_t edge = 0;

	if (e->c.this_monday) {
		int64_t now = emu_now(e);
		size_t m = lower(s, this_monday(now), 0);
		size_t f = lower(s, now + 5 * 1000000LL, 1);

		/* queryset.filter(timestamp__lte=now() + timedelta(seconds=5)) */
		if (f < hi)
			hi = f;
		/*
		 * events = queryset.filter(timestamp__gte=monday)[:limit + 1],
		 * kept when full, whatever the order and after asked for.
		 */
		if (m > lo && count_from(s, m, hi, l->event, l->limit + 1) ==
		    l->limit + 1)
			lo = m;
	}
	*more = 0;
	for (i = 0; lo + i < hi; i++) {
		const struct sevent *ev = &s->ev[l->asc ? lo + i : hi - 1 - i];

		if (!matches(ev, l->event))
			continue;
		if (n >= want && ev->ts != edge) {
			*more = 1;
			break;
		}
		if (n == cap)
			v = xreallocarray(v, cap *= 2, sizeof(*v));
		v[n++] = ev;
		edge = ev->ts;
	}
	if (n > want)
		*more = 1;
	shuffle_ties(e, v, n);
	*out = v;
	return n;
}

static enum MHD_Result
list_events(struct emu *e, struct MHD_Connection *c, struct req *r,
    const char *url)
{
	const struct sevent **v;
	struct listing l;
	struct buf b = { 0 };
	enum MHD_Result ret;
	const char *why;
	size_t n, i, end;
	int more;

	if (parse_listing(e, c, &l, &why) != 0)
		return reply_error(e, c, 400, "invalid_input", why);
	source_settle(e);
	pthread_rwlock_rdlock(&((struct source *)e->src)->lock);
	n = select_page(e, &l, &v, &more);
	end = n < l.offset + l.limit ? n : l.offset + l.limit;
	buf_addstr(&b, "{\"next\":");
	if (more && end > l.offset)
		next_url(e, c, url, l.asc ? "after" : "before", v[end - 1]->ts,
		    &b);
	else
		buf_addstr(&b, "null");
	buf_addstr(&b, ",\"results\":[");
	for (i = l.offset; i < end; i++) {
		if (i > l.offset)
			buf_addc(&b, ',');
		if (v[i]->listed != NULL)
			buf_add(&b, v[i]->listed, v[i]->listedlen);
		else
			buf_add(&b, v[i]->line, v[i]->len);
	}
	buf_addstr(&b, "]}");
	pthread_rwlock_unlock(&((struct source *)e->src)->lock);
	buf_printf(&r->log, ",\"results\":%zu,\"limit\":%zu,\"more\":%s",
	    end > l.offset ? end - l.offset : 0, l.limit, more ? "true" :
	    "false");
	pthread_mutex_lock(&e->lock);
	e->st.source_pages++;
	pthread_mutex_unlock(&e->lock);
	ret = reply(c, 200, "application/json", b.p, b.len);
	buf_free(&b);
	free(v);
	return ret;
}

/* --- the query API -------------------------------------------------------------- */

struct hogql {
	int		 hours;		/* count() by the hour */
	int		 counts;	/* ph-fetch --count's grouped query */
	int		 by_day, by_event;
	char		 zone[64];	/* the periods' timezone */
	int64_t		 created_lo, created_hi;	/* created_at bounds */
	int		 utc;		/* the timestamp selected in UTC */
	int		 local;		/* DateTimes in the project's zone */
	int64_t		 after, before;
	int		 keyset;
	int64_t		 from_ts;
	char		 from_uuid[64];
	char		 event[512];
	int		 has_event;
	size_t		 limit;
};

/* The quoted literal after marker in q, unescaped, into out. */
static int
literal_after(const char *q, const char *marker, char *out, size_t size)
{
	const char *p = strstr(q, marker);
	size_t n = 0;

	if (p == NULL)
		return -1;
	for (p += strlen(marker); *p != '\0' && *p != '\''; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < size)
			out[n++] = *p;
	}
	out[n] = '\0';
	return *p == '\'' ? 0 : -1;
}

static int
time_after(const char *q, const char *marker, int64_t *us)
{
	char t[64];

	return literal_after(q, marker, t, sizeof(t)) == 0 &&
	    isotime_parse(t, strlen(t), us) == 0 ? 0 : -1;
}

/* The HogQL ph-fetch sends, and nothing else. */
static int
parse_hogql(const char *q, struct hogql *h)
{
	const char *lim;

	memset(h, 0, sizeof(*h));
	h->counts = strstr(q, "count(DISTINCT uuid)") != NULL;
	h->hours = !h->counts && strstr(q, "count()") != NULL;
	if (h->counts && (literal_after(q, "toTimeZone(timestamp, '",
	    h->zone, sizeof(h->zone)) == -1 || (strstr(q, "toStartOfDay(") ==
	    NULL && strstr(q, "toStartOfHour(") == NULL)))
		return -1;
	h->by_day = strstr(q, "toStartOfDay(") != NULL;
	h->by_event = strstr(q, "GROUP BY period, event") != NULL;
	/* The ingestion time, as the events table's created_at. */
	h->created_lo = INT64_MIN;
	h->created_hi = INT64_MAX;
	if (strstr(q, "created_at >= ") != NULL && time_after(q,
	    "created_at >= toDateTime64('", &h->created_lo) == -1)
		return -1;
	if (strstr(q, "created_at < ") != NULL && time_after(q,
	    "created_at < toDateTime64('", &h->created_hi) == -1)
		return -1;
	if (strstr(q, "FROM events") == NULL ||
	    time_after(q, "timestamp >= toDateTime64('", &h->after) == -1 ||
	    time_after(q, "timestamp < toDateTime64('", &h->before) == -1)
		return -1;
	/* The tuple form compares with Nullable(UUID): section 8, row 5. */
	if (strstr(q, "(timestamp, uuid) >") != NULL)
		return -1;
	if (strstr(q, " OR (timestamp = toDateTime64('") != NULL) {
		h->keyset = 1;
		if (time_after(q, " OR (timestamp = toDateTime64('",
		    &h->from_ts) == -1 || literal_after(q, "uuid > toUUID('",
		    h->from_uuid, sizeof(h->from_uuid)) == -1)
			return -1;
	}
	h->utc = strstr(q, "toTimeZone(timestamp, 'UTC')") != NULL;
	h->has_event = literal_after(q, " event = '", h->event,
	    sizeof(h->event)) == 0;
	h->limit = (lim = strstr(q, "LIMIT ")) != NULL ?
	    strtoul(lim + 6, NULL, 10) : 100;
	return 0;
}

/*
 * A DateTime as toString() gives it in the project's timezone, which
 * HogQL converts to by default (convertToProjectTimezone, on since
 * 2023: posthog/hogql/printer.py, posthog/schema.py).
 */
static void
local_time(int64_t us, char *t, size_t size)
{
	time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
	struct tm tm;
	size_t n;

	localtime_r(&secs, &tm);
	n = strftime(t, size, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(t + n, size - n, ".%06lld", (long long)(us - (int64_t)secs *
	    1000000));
}

static void
add_row(struct buf *b, const struct sevent *ev, int local)
{
	char t[ISOTIME_LEN + 16];

	if (local)
		local_time(ev->ts, t, sizeof(t));
	else
		isotime_ch(ev->ts, t);
	buf_addstr(b, "[");
	js_escape(b, ev->uuid, strlen(ev->uuid));
	buf_addc(b, ',');
	js_escape(b, ev->name, strlen(ev->name));
	buf_addc(b, ',');
	buf_add(b, ev->did, ev->didlen);
	buf_addc(b, ',');
	/* ClickHouse keeps properties as a JSON string. */
	js_escape(b, ev->props, ev->propslen);
	buf_printf(b, ",\"%s\",", t);
	buf_add(b, ev->chain, ev->chainlen);
	buf_addc(b, ']');
}

static size_t
event_rows(struct emu *e, const struct hogql *h, struct buf *b, int *more)
{
	const struct source *s = e->src;
	size_t i = lower(s, h->after, 0), hi = lower(s, h->before, 0), n = 0;
	size_t cap = h->limit < e->c.query_cap ? h->limit : e->c.query_cap;

	*more = 0;
	for (; i < hi; i++) {
		const struct sevent *ev = &s->ev[i];

		if (h->keyset && (ev->ts < h->from_ts || (ev->ts == h->from_ts &&
		    strcmp(ev->uuid, h->from_uuid) <= 0)))
			continue;
		if (!matches(ev, h->has_event ? h->event : NULL) ||
		    ev->created < h->created_lo || ev->created >= h->created_hi)
			continue;
		if (n == cap) {
			*more = 1;
			break;
		}
		if (n++ > 0)
			buf_addc(b, ',');
		add_row(b, ev, h->local && !h->utc);
	}
	return n;
}

static void
hour_rows(struct emu *e, const struct hogql *h, struct buf *b)
{
	const struct source *s = e->src;
	size_t i = lower(s, h->after, 0), hi = lower(s, h->before, 0);
	unsigned long long count = 0;
	int64_t hour = 0, hh;
	char t[ISOTIME_LEN];
	int rows = 0;

	for (; i <= hi; i++) {
		if (i < hi && !matches(&s->ev[i], h->has_event ? h->event :
		    NULL))
			continue;
		hh = i < hi ? s->ev[i].ts - ((s->ev[i].ts % HOUR_US) + HOUR_US) %
		    HOUR_US : 0;
		if (count > 0 && (i == hi || hh != hour)) {
			isotime_ch(hour, t);
			t[19] = '\0';
			buf_printf(b, "%s[\"%s\",%llu]", rows++ ? "," : "", t,
			    count);
			count = 0;
		}
		if (i < hi) {
			hour = hh;
			count++;
		}
	}
}

/*
 * ph-fetch --count's query: count() and count(DISTINCT uuid) by the
 * start of each day or hour in a timezone (toStartOfDay(toTimeZone(
 * timestamp, zone)), given back as that instant in UTC), and by event
 * name if asked.  Rows that repeat a uuid, as a resend does before
 * ClickHouse merges parts (doc/posthog.md section 5), count in the
 * first column and not in the second; a resend has its event's
 * timestamp, so its rows sit side by side in (timestamp, uuid) order.
 * The zone is UTC or the project's (TZ, set by --project-tz).
 */
static int64_t
period_of(const struct hogql *h, int64_t us)
{
	time_t secs = (time_t)(us >= 0 ? us / 1000000 :
	    (us - 999999) / 1000000);
	struct tm tm;

	if (strcmp(h->zone, "UTC") == 0) {
		int64_t p = h->by_day ? DAY_US : HOUR_US;

		return us - ((us % p) + p) % p;
	}
	localtime_r(&secs, &tm);
	tm.tm_min = tm.tm_sec = 0;
	if (h->by_day) {
		tm.tm_hour = 0;
		tm.tm_isdst = -1;
	}
	return (int64_t)mktime(&tm) * 1000000;
}

struct cgroup {
	const char		*name;
	unsigned long long	 n, distinct;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct cgroup *)a)->name,
	    ((const struct cgroup *)b)->name);
}

static size_t
flush_groups(const struct hogql *h, int64_t period, struct cgroup *g,
    size_t ng, struct buf *b, size_t rows)
{
	char t[ISOTIME_LEN];
	size_t i;

	isotime_ch(period, t);
	t[19] = '\0';
	qsort(g, ng, sizeof(*g), by_name);
	for (i = 0; i < ng; i++) {
		buf_printf(b, "%s[\"%s\",", rows++ ? "," : "", t);
		if (h->by_event) {
			js_escape(b, g[i].name, strlen(g[i].name));
			buf_addc(b, ',');
		}
		buf_printf(b, "%llu,%llu]", g[i].n, g[i].distinct);
	}
	return rows;
}

static size_t
count_rows(struct emu *e, const struct hogql *h, struct buf *b)
{
	const struct source *s = e->src;
	size_t i = lower(s, h->after, 0), hi = lower(s, h->before, 0);
	size_t ng = 0, cap = 16, rows = 0, k;
	struct cgroup *g = xcalloc(cap, sizeof(*g));
	const struct sevent *prev = NULL;
	int64_t period = 0, p;

	for (; i < hi; i++) {
		const struct sevent *ev = &s->ev[i];

		if (!matches(ev, h->has_event ? h->event : NULL))
			continue;
		if ((p = period_of(h, ev->ts)) != period && ng > 0) {
			rows = flush_groups(h, period, g, ng, b, rows);
			ng = 0;
		}
		period = p;
		for (k = 0; k < ng && h->by_event &&
		    strcmp(g[k].name, ev->name) != 0; k++)
			;
		if (k == ng) {
			if (ng == cap)
				g = xreallocarray(g, cap *= 2, sizeof(*g));
			g[ng++] = (struct cgroup){ ev->name, 0, 0 };
		}
		g[k].n++;
		if (prev == NULL || prev->ts != ev->ts ||
		    strcmp(prev->uuid, ev->uuid) != 0)
			g[k].distinct++;
		prev = ev;
	}
	if (ng > 0)
		rows = flush_groups(h, period, g, ng, b, rows);
	free(g);
	return rows;
}

/*
 * 2024's schema forbids extra fields (posthog/schema.py, spring 2024,
 * model_config = ConfigDict(extra="forbid")): its QueryRequest holds
 * async, client_query_id, query and refresh only (no name), and its
 * HogQLQueryModifiers has no convertToProjectTimezone; pydantic's
 * refusal becomes a 400.  The modifier, where known, turns the project
 * timezone off.
 */
static int
check_modifiers(struct emu *e, struct json_object *o, struct json_object *q,
    struct hogql *h)
{
	static const char *const known[] = { "async", "client_query_id",
	    "query", "refresh" };
	struct json_object *m, *tz;
	size_t i;

	h->local = e->c.project_tz != NULL;
	if (e->c.modifiers_2024) {
		json_object_object_foreach(o, key, val) {
			(void)val;
			for (i = 0; i < sizeof(known) / sizeof(*known); i++)
				if (strcmp(key, known[i]) == 0)
					break;
			if (i == sizeof(known) / sizeof(*known))
				return -1;
		}
	}
	if (!json_object_object_get_ex(q, "modifiers", &m) ||
	    !json_object_object_get_ex(m, "convertToProjectTimezone", &tz))
		return 0;
	if (e->c.modifiers_2024)
		return -1;
	if (!json_object_get_boolean(tz))
		h->local = 0;
	return 0;
}

/*
 * An events query's cost is the scan of its time range, whatever its
 * LIMIT: the table is sorted by toDate(timestamp), not by (timestamp,
 * uuid) (posthog/models/event/sql.py).  API queries stop at
 * max_execution_time = 10 s (HogQLQueryRunner, 2024; doc/posthog.md
 * section 8, row 4): a range of more events than --scan-limit stands
 * for one that takes longer, answered as ClickHouseQueryTimeOut
 * (posthog/exceptions.py, 504; posthog/errors.py maps TIMEOUT_EXCEEDED,
 * code 159, to it).  A range of more than four times that is refused
 * before it runs, as ClickHouse does when it estimates the query too
 * slow (TOO_SLOW, code 160: ClickHouseEstimatedQueryExecutionTimeTooLong,
 * 512).  count() reads the timestamp column only: not limited here.
 * Answers 0, or the status to refuse with.
 */
static unsigned
scan_too_long(struct emu *e, const struct hogql *h, struct req *r)
{
	const struct source *s = e->src;
	size_t lo = lower(s, h->after, 0), hi = lower(s, h->before, 0);
	size_t n = hi > lo ? hi - lo : 0;

	buf_printf(&r->log, ",\"scanned\":%zu", n);
	if (e->c.scan_limit == 0 || n <= e->c.scan_limit)
		return 0;
	return n > 4 * e->c.scan_limit ? 512 : 504;
}

static enum MHD_Result
query(struct emu *e, struct MHD_Connection *c, struct req *r)
{
	struct json_object *o, *q, *kind, *text;
	struct buf b = { 0 };
	enum MHD_Result ret;
	struct hogql h;
	unsigned too_long = 0;
	int more = 0, bad_modifier;

	if (e->c.no_query)
		return reply_error(e, c, 404, "not_found", "Not found.");
	buf_addc(&r->body, '\0');
	o = json_tokener_parse(r->body.p);
	if (o == NULL || !json_object_object_get_ex(o, "query", &q) ||
	    !json_object_object_get_ex(q, "kind", &kind) ||
	    strcmp(json_object_get_string(kind), "HogQLQuery") != 0 ||
	    !json_object_object_get_ex(q, "query", &text)) {
		json_object_put(o);
		return reply_error(e, c, 400, "invalid_input",
		    "ph-emu answers only the queries ph-fetch sends");
	}
	if (persons_query(e, c, r, json_object_get_string(text), &ret)) {
		json_object_put(o);
		return ret;
	}
	if (parse_hogql(json_object_get_string(text), &h) == -1) {
		json_object_put(o);
		return reply_error(e, c, 400, "invalid_input",
		    "ph-emu answers only the queries ph-fetch sends");
	}
	bad_modifier = check_modifiers(e, o, q, &h) == -1;
	buf_printf(&r->log, ",\"hogql\":");
	js_escape(&r->log, json_object_get_string(text),
	    strlen(json_object_get_string(text)));
	json_object_put(o);
	if (bad_modifier)
		return reply_str(c, 400, "{\"type\":\"validation_error\","
		    "\"code\":\"invalid_input\",\"detail\":\"1 validation error "
		    "for QueryRequest\\n  Extra inputs are not permitted "
		    "[type=extra_forbidden]\",\"attr\":null}");
	if (h.counts && strcmp(h.zone, "UTC") != 0 && (e->c.project_tz ==
	    NULL || strcmp(h.zone, e->c.project_tz) != 0))
		return reply_error(e, c, 400, "invalid_input", "ph-emu counts "
		    "in UTC and in its --project-tz only");
	source_settle(e);
	pthread_rwlock_rdlock(&((struct source *)e->src)->lock);
	if (!h.hours && !h.counts &&
	    (too_long = scan_too_long(e, &h, r)) == 504) {
		pthread_rwlock_unlock(&((struct source *)e->src)->lock);
		return reply_str(c, 504, "{\"type\":\"server_error\",\"code\":"
		    "\"error\",\"detail\":\"Query has hit the max execution time "
		    "before completing. See our docs for how to improve your "
		    "query performance. You may need to materialize.\",\"attr\":"
		    "null}");
	}
	if (too_long == 512) {
		pthread_rwlock_unlock(&((struct source *)e->src)->lock);
		return reply_str(c, 512, "{\"type\":\"server_error\",\"code\":"
		    "\"error\",\"detail\":\"Estimated query execution time (40 "
		    "seconds) is too long. Try reducing its scope by changing the "
		    "time range.\",\"attr\":null}");
	}
	buf_addstr(&b, "{\"results\":[");
	if (h.counts)
		buf_printf(&r->log, ",\"rows\":%zu", count_rows(e, &h, &b));
	else if (h.hours)
		hour_rows(e, &h, &b);
	else
		buf_printf(&r->log, ",\"rows\":%zu", event_rows(e, &h, &b,
		    &more));
	pthread_rwlock_unlock(&((struct source *)e->src)->lock);
	buf_addstr(&b, "],\"columns\":[],\"types\":[]");
	/* The paginator is built only for a query without its own LIMIT. */
	if (e->c.hasmore_null)
		buf_addstr(&b, ",\"hasMore\":null");
	else if (!e->c.no_hasmore)
		buf_printf(&b, ",\"hasMore\":%s", more ? "true" : "false");
	buf_addstr(&b, ",\"offset\":0,\"is_cached\":false}");
	pthread_mutex_lock(&e->lock);
	e->st.source_pages++;
	pthread_mutex_unlock(&e->lock);
	ret = reply(c, 200, "application/json", b.p, b.len);
	buf_free(&b);
	return ret;
}

enum MHD_Result
source(struct emu *e, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method)
{
	enum MHD_Result ret;
	const char *rest;

	if (!route_of(url, &rest))
		return reply_error(e, c, 404, "not_found", "Not found.");
	if (!authorized(e, c, &ret) || throttled(e, c, &ret))
		return ret;
	if ((strcmp(rest, "events/") == 0 || strcmp(rest, "events") == 0) &&
	    strcmp(method, "GET") == 0)
		return list_events(e, c, r, url);
	if ((strcmp(rest, "query/") == 0 || strcmp(rest, "query") == 0) &&
	    strcmp(method, "POST") == 0)
		return query(e, c, r);
	return reply_error(e, c, 404, "not_found", "Not found.");
}

/* An events scan of about 10 s on a modest self-hosted ClickHouse. */
#define PROFILE_SCAN_LIMIT	2000000

int
source_profile(struct emu_conf *c, const char *name)
{
	/*
	 * The query API.  2026: LIMIT capped at MAX_SELECT_RETURNED_ROWS =
	 * 50,000 (posthog/hogql/constants.py); hasMore null when the query
	 * has its own LIMIT (HogQLQueryRunner builds its paginator only
	 * without one); API queries stop at 10 s (see scan_too_long).
	 * 2024: the same, with a 10,000 cap (constants.py, 2023-24) and a
	 * request schema that refuses fields it does not know, name and
	 * convertToProjectTimezone among them (posthog/schema.py, 2024; see
	 * check_modifiers).  clickhouse-2022 and postgres-2021: no query route
	 * (posthog/api/__init__.py before HogQL, 2023): 404.
	 */
	if (strcmp(name, "2026") == 0 || strcmp(name, "2024") == 0) {
		c->no_query = 0;
		c->hasmore_null = 1;
		c->scan_limit = PROFILE_SCAN_LIMIT;
		c->query_cap = strcmp(name, "2024") == 0 ? 10000 : 50000;
		c->modifiers_2024 = strcmp(name, "2024") == 0;
		return 0;
	}
	if (strcmp(name, "postgres-2021") == 0) {
		/*
		 * posthog/api/event.py at commit 396436f8 (2021): Django over
		 * Postgres, no query API, limit 100 by default and no cap, the
		 * "this Monday" shortcut, properties served as stored (no
		 * parse_properties).  Integer ids and an elements array are the
		 * loaded events' own shape.
		 */
		c->page_cap = 0;
		c->no_query = 1;
		c->keep_quotes = 1;
		c->this_monday = 1;
		/* _filter_request: after and before, any range apart. */
		c->any_range = 1;
		return 0;
	}
	if (strcmp(name, "clickhouse-2022") == 0) {
		/*
		 * posthog/api/event.py (2022, query_events_list): limit 100 by
		 * default and never capped for JSON; no query API yet.  The
		 * one-day first query applies only without an after.
		 */
		c->page_cap = 0;
		c->no_query = 1;
		/*
		 * determine_event_conditions
		 * (posthog/models/event/query_event_list.py, 2022): after and
		 * before as given, however far apart; the one-year limit came
		 * with the HogQL listing.
		 */
		c->any_range = 1;
		return 0;
	}
	return -1;
}

/* --- events captured here, readable here -------------------------------- */

/* Capture makes a uuid for an event that has none. */
static void
make_uuid(struct emu *e, struct pline *pl)
{
	int i, k = 0;

	for (i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			pl->uuid[k++] = '-';
		pl->uuid[k++] = "0123456789abcdef"[(int)(emu_random(e) * 16)];
	}
	pl->drawn = 1;
}

/*
 * A captured event in the shape the listing API returns
 * (ClickhouseEventSerializer, posthog/models/event/util.py): the uuid
 * as id, the timestamp as capture settles it (none: now; the offset and
 * sent_at forms are not modelled: ph-send sends neither).  Its
 * created_at is now: the ingestion time PostHog's plugin server stamps
 * and HogQL's events table exposes as created_at
 * (posthog/hogql/database/schema/events.py, 2024-26).
 */
static int
captured_line(struct emu *e, const struct pline *pl, const char *p,
    struct buf *out)
{
	struct jmembers m = { 0 };
	const struct jmember *u, *ev, *did, *pr, *ts;
	char t[ISOTIME_LEN];
	struct buf tb = { 0 };
	struct jerr er;
	int64_t us = pl->now;
	size_t n = pl->len;
	int r = -1;

	if (js_parse_object(p, n, &m, NULL, NULL, &er) == -1 ||
	    (ev = js_get(&m, "event")) == NULL)
		goto out;
	if ((did = js_get(&m, "distinct_id")) == NULL)
		did = js_get(&m, "$distinct_id");
	pr = js_get(&m, "properties");
	if ((ts = js_get(&m, "timestamp")) != NULL && ts->type == JT_STRING) {
		js_unescape(&tb, ts->val, ts->vallen);
		if (isotime_parse(tb.p, tb.len, &us) == -1)
			us = pl->now;
	}
	isotime_api(us, t);
	buf_addstr(out, "{\"id\":");
	if ((u = js_get(&m, "uuid")) != NULL && u->type == JT_STRING)
		buf_add(out, u->val, u->vallen);
	else {	/* capture made a v7: see make_uuid */
		buf_addc(out, '"');
		if (pl->drawn)
			buf_add(out, pl->uuid, sizeof(pl->uuid));
		else {
			struct pline drawn;

			make_uuid(e, &drawn);
			buf_add(out, drawn.uuid, sizeof(drawn.uuid));
		}
		buf_addc(out, '"');
	}
	buf_addstr(out, ",\"distinct_id\":");
	if (did != NULL)
		buf_add(out, did->val, did->vallen);
	else
		buf_addstr(out, "null");
	buf_addstr(out, ",\"properties\":");
	if (pr != NULL)
		buf_add(out, pr->val, pr->vallen);
	else
		buf_addstr(out, "{}");
	buf_addstr(out, ",\"event\":");
	buf_add(out, ev->val, ev->vallen);
	buf_printf(out, ",\"timestamp\":\"%s\",\"elements_chain\":\"\"}", t);
	r = 0;
out:
	js_members_free(&m);
	buf_free(&tb);
	return r;
}

/* One captured line into the pending events; -1 when it is none. */
static int
pend_line(struct emu *e, struct source *s, const struct pline *pl,
    const char *p, struct jmembers *m, struct buf *b)
{
	struct sevent ev;

	b->len = 0;
	if (captured_line(e, pl, p, b) == -1)
		return -1;
	buf_addc(b, '\0');
	ev.own = xmalloc(b->len);
	memcpy(ev.own, b->p, b->len);
	if (load_one(&ev, ev.own, b->len - 1, m, e->c.keep_quotes,
	    listing_shifts(e)) == -1) {
		free(ev.own);
		return -1;
	}
	ev.own = (char *)(uintptr_t)ev.line;
	ev.created = pl->now;
	if (s->npend == s->cappend)
		s->pend = xreallocarray(s->pend, s->cappend =
		    s->cappend ? s->cappend * 2 : 1024, sizeof(*s->pend));
	s->pend[s->npend++] = ev;
	return 0;
}

/* The lines kept as text into pending events, in arrival order. */
static void
parse_captured(struct emu *e, struct source *s)
{
	struct jmembers m = { 0 };
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < s->npl; i++)
		pend_line(e, s, &s->pl[i], s->ptext.p + s->pl[i].off, &m, &b);
	s->npl = 0;
	s->ptext.len = 0;
	js_members_free(&m);
	buf_free(&b);
}

/*
 * Merge what capture appended into the sorted events, before a read:
 * capture stays cheap however its events are ordered, and a read sees
 * every event stored before it began.
 */
void
source_settle(struct emu *e)
{
	struct source *s = e->src;
	struct sevent *v;
	size_t i = 0, j = 0, k = 0;

	pthread_rwlock_wrlock(&s->lock);
	parse_captured(e, s);
	if (s->npend == 0) {
		pthread_rwlock_unlock(&s->lock);
		return;
	}
	qsort(s->pend, s->npend, sizeof(*s->pend), by_time_then_uuid);
	v = xreallocarray(NULL, s->n + s->npend, sizeof(*v));
	while (i < s->n || j < s->npend)
		v[k++] = j == s->npend || (i < s->n &&
		    by_time_then_uuid(&s->ev[i], &s->pend[j]) <= 0) ?
		    s->ev[i++] : s->pend[j++];
	free(s->ev);
	s->ev = v;
	s->n = s->cap = k;
	s->npend = 0;
	pthread_rwlock_unlock(&s->lock);
}

/*
 * Keep the lines as text, with the time they came and the uuids capture
 * makes now (the random draws in the order they came), or, when which
 * lines lack a uuid is not known (no_uuid NULL), parse them now.
 */
void
source_ingest(struct emu *e, const char *lines, size_t len,
    const unsigned char *no_uuid)
{
	struct source *s = e->src;
	const char *p = lines, *end = lines + len, *nl;
	struct pline *pl;
	size_t i = 0;

	if (s == NULL)
		return;
	pthread_rwlock_wrlock(&s->lock);
	if (no_uuid == NULL)
		parse_captured(e, s);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		if (s->npl == s->cappl)
			s->pl = xreallocarray(s->pl, s->cappl =
			    s->cappl ? s->cappl * 2 : 1024, sizeof(*s->pl));
		pl = &s->pl[s->npl++];
		pl->off = s->ptext.len;
		pl->len = (size_t)(nl - p);
		pl->now = isotime_now();
		pl->drawn = 0;
		buf_add(&s->ptext, p, pl->len);
		if (no_uuid != NULL && no_uuid[i++])
			make_uuid(e, pl);
	}
	if (no_uuid == NULL)
		parse_captured(e, s);
	pthread_rwlock_unlock(&s->lock);
}
