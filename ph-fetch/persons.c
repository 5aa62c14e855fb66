/*
 * ph-fetch --persons: the source's persons and groups, written as the
 * capture events that give a destination the same ones (ph-fetch(1),
 * ph(7)).  The rules of PostHog's ingestion they rely on are those
 * tests/emu/persons.c copies, with its citations:
 *
 * - Persons are read by keyset through the query API (see "reading by
 *   keyset" below), through the persons API where there is none.
 * - A person: its first distinct_id (the persons API lists non-anonymous
 *   ids first; the query API, in order) is the primary.  Each other id
 *   is tied to it by $merge_dangerously (alias = that id; $create_alias
 *   with --create-alias, for 2021): unlike $identify and
 *   $create_alias it merges even when both persons are identified, and
 *   it names two ids of one source person only, so it never joins two
 *   source persons.  Then $set events carry every property, and the
 *   last one $unset every person property the project ever defined
 *   (property_definitions) that the person lacks, and
 *   $creator_event_uuid when the source has none.  The person's first
 *   event creates it when the destination lacks it, and a creating
 *   event writes its own uuid as $creator_event_uuid and ignores $unset
 *   (createPerson): so the properties always come in a later event, and
 *   a person with one distinct_id gets an empty $set first.
 * - Groups: a keyless $groupidentify per group type, in the source's
 *   index order, registers the types (updateGroupsAndFirstEvent), then a
 *   $groupidentify per group sets its properties.  All of them carry
 *   the distinct_id of the last person read (the oldest), so ph-send
 *   keeps them in one lane and in order, and no person is made up.
 * - Each event's timestamp is the created_at of its person or group
 *   (the destination's created_at is the earliest of its events), and
 *   its uuid a version 5 uuid of its own text: an unchanged source
 *   gives the same events, which the destination merges.
 *
 * What capture cannot reach is counted in the summary: a group property
 * cannot be removed, a gap in the group type indexes cannot be kept,
 * is_identified is not in the persons API.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "clock.h"
#include "exitcode.h"
#include "fetch.h"
#include "http.h"
#include "isotime.h"
#include "jtree.h"
#include "uuid.h"
#include "xalloc.h"

/*
 * Capture refuses an event whose doubly serialised form passes 1 MB
 * (posthog-api.md section 8 row 7): properties go in events of at most
 * this many bytes of JSON, which stays under it even when every
 * character doubles.
 */
#define EVENT_BUDGET	400000
#define NO_PERSON_ID	"ph-groups"
#define EPOCH		"1970-01-01T00:00:00Z"

struct names {
	json_object	*set;		/* name -> NULL */
	const char	**v;		/* its names, sorted */
	size_t		 n;
};

struct pass {
	struct fetcher	*f;
	struct names	 defs;		/* person property definitions */
	struct names	 gdefs;		/* the current group type's */
	char		*gdid;		/* the groups' distinct_id */
	char		*gts;		/* and their registrations' timestamp */
	int64_t		 gus;		/* that, in microseconds */
	unsigned long long persons, ids, groups, types, events;
	unsigned long long oversize, gaps, group_keep, unreadable, huge;
};

/* --- reading ------------------------------------------------------------ */

/*
 * Halve the limit= of f->c.url, for a reply over HTTP_BODY_MAX (persons
 * with megabytes of properties): 0, or -1 when it is 1 already.
 */
static int
shrink_limit(struct pass *p)
{
	struct fetcher *f = p->f;
	char *at = strstr(f->c.url.p, "limit="), *end;
	struct buf u = { 0 };
	unsigned long n;

	if (at == NULL || (n = strtoul(at + 6, &end, 10)) <= 1)
		return -1;
	buf_add(&u, f->c.url.p + strlen(f->o.base),
	    (size_t)(at - f->c.url.p) - strlen(f->o.base));
	buf_printf(&u, "limit=%lu%s", n / 2, end);
	note(f, "%s: the reply is over %d MB: asking for %lu a page",
	    f->c.url.p, HTTP_BODY_MAX >> 20, n / 2);
	url_start(f, u.p);
	buf_free(&u);
	return 0;
}

/*
 * The reply as a tree whose values print as the source wrote them: json-c
 * alone would turn 123456789012345678901234567890 into
 * 18446744073709551615.  NULL, said, when it is not JSON.
 */
static json_object *
parse_reply(struct fetcher *f)
{
	struct jerr e;
	json_object *o;
	char msg[128];

	if ((o = jtree_parse(f->c.reply.p, f->c.reply.len, &e)) == NULL)
		warnx("%s: the reply is not JSON: %s", f->c.url.p,
		    js_strerror(&e, f->c.reply.p, msg, sizeof(msg)));
	return o;
}

/* GET f->c.url, the reply parsed into *out: 0, or an exit status. */
static int
get_json(struct pass *p, json_object **out)
{
	struct fetcher *f = p->f;
	int r;

	while ((r = fetch_get_page(f, f->c.url.p)) == -2)
		if (shrink_limit(p) == -1) {
			warnx("%s: the reply is over %d MB even one item a "
			    "page", f->c.url.p, HTTP_BODY_MAX >> 20);
			return PH_EXIT_FATAL;
		}
	if (r != 0)
		return r;
	f->n.pages++;
	if ((*out = parse_reply(f)) == NULL)
		return PH_EXIT_FATAL;
	return 0;
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static json_object *
results_of(json_object *page, const char *url)
{
	json_object *res = json_object_is_type(page, json_type_array) ? page :
	    member(page, "results");

	if (!json_object_is_type(res, json_type_array))
		warnx("%s: the reply has no results list", url);
	return json_object_is_type(res, json_type_array) ? res : NULL;
}

/*
 * The page after this one: its next link, asked of --host whatever host
 * the link names (Django builds it from the Host header).  0 with the
 * URL in f->c.url, 1 at the end, or an exit status when next repeats the
 * page (a DRF cursor stuck at its offset cutoff).
 */
static int
next_page(struct pass *p, json_object *page)
{
	struct fetcher *f = p->f;
	json_object *next = member(page, "next");
	const char *s, *path;

	if (!json_object_is_type(next, json_type_string))
		return 1;
	s = json_object_get_string(next);
	path = strstr(s, "://") != NULL ? strchr(strstr(s, "://") + 3, '/') :
	    s;
	if (path == NULL)
		path = "/";
	if (strncmp(f->c.url.p + strlen(f->o.base), path, strlen(path)) == 0 &&
	    f->c.url.p[strlen(f->o.base) + strlen(path)] == '\0') {
		warnx("%s: next names this page again: the API cannot page "
		    "further (more than 1000 groups with one created_at)",
		    f->c.url.p);
		return PH_EXIT_FATAL;
	}
	url_start(f, path);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
names_free(struct names *nm)
{
	json_object_put(nm->set);
	free(nm->v);
	memset(nm, 0, sizeof(*nm));
}

/* Every page from f->c.url on, into nm: 0, or an exit status. */
static int
read_names(struct pass *p, struct names *nm)
{
	json_object *page, *res, *name;
	size_t i, n;
	int r;

	if (nm->set == NULL)
		nm->set = json_object_new_object();
	for (;;) {
		if ((r = get_json(p, &page)) != 0)
			return r;
		if ((res = results_of(page, p->f->c.url.p)) == NULL) {
			json_object_put(page);
			return PH_EXIT_FATAL;
		}
		n = json_object_array_length(res);
		for (i = 0; i < n; i++) {
			name = member(json_object_array_get_idx(res, i), "name");
			if (json_object_is_type(name, json_type_string))
				json_object_object_add(nm->set,
				    json_object_get_string(name), NULL);
		}
		r = n == 0 ? 1 : next_page(p, page);
		json_object_put(page);
		if (r == 1)
			break;
		if (r != 0)
			return r;
	}
	nm->v = xreallocarray(NULL, (size_t)json_object_object_length(
	    nm->set) + 1, sizeof(*nm->v));
	json_object_object_foreach(nm->set, k, v) {
		(void)v;
		nm->v[nm->n++] = k;
	}
	qsort(nm->v, nm->n, sizeof(*nm->v), by_name);
	return 0;
}

static void
definitions_url(struct pass *p, const char *type, const char *index)
{
	url_start(p->f, "");
	buf_printf(&p->f->c.url, "/api/projects/%s/property_definitions/",
	    p->f->o.project);
	url_param(p->f, "type", type);
	if (index != NULL)
		url_param(p->f, "group_type_index", index);
	url_param(p->f, "limit", "1000");
}

/*
 * Every person property the project defined: what a replayed $set may
 * have left at the destination that the source no longer has.
 */
static int
read_definitions(struct pass *p)
{
	p->defs.set = json_object_new_object();
	json_object_object_add(p->defs.set, "$creator_event_uuid", NULL);
	definitions_url(p, "person", NULL);
	return read_names(p, &p->defs);
}

/* Names of nm that o lacks. */
static unsigned long long
lacking(const struct names *nm, json_object *o)
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < nm->n; i++)
		n += o == NULL || !json_object_object_get_ex(o, nm->v[i], NULL);
	return n;
}

/* --- writing ---------------------------------------------------------- */

/*
 * One event: its uuid derived from its text without one, so the same
 * event is the same line on every run.
 */
static void
write_event(struct pass *p, const char *name, const char *did,
    const char *ts, json_object *props)
{
	struct fetcher *f = p->f;
	json_object *e = json_object_new_object();
	unsigned char ns[16], u[16];
	char id[UUID_STRLEN + 1];
	const char *s;
	size_t len;

	json_object_object_add(e, "event", json_object_new_string(name));
	json_object_object_add(e, "distinct_id", json_object_new_string(did));
	json_object_object_add(e, "timestamp", json_object_new_string(ts));
	json_object_object_add(e, "properties", props);
	s = json_object_to_json_string_length(e, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	uuid_parse(PH_UUID_NAMESPACE, UUID_STRLEN, ns);
	uuid_v5(ns, "ph-persons:", s, len, u);
	uuid_format(u, id);
	ow_write(&f->out, "{\"uuid\":\"", 9);
	ow_write(&f->out, id, UUID_STRLEN);
	ow_write(&f->out, "\",", 2);
	ow_write(&f->out, s + 1, len - 1);
	ow_write(&f->out, "\n", 1);
	json_object_put(e);
	p->events++;
	f->n.events++;
}

static size_t
json_size(json_object *v)
{
	size_t len;

	json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return len;
}

static void
note_oversize(struct pass *p, const char *what, const char *id,
    const char *key, size_t size)
{
	p->oversize++;
	note(p->f, "%s %s: property %s is %zu bytes of JSON: sent in an "
	    "event of its own, which ph-send refuses, into its reject file, "
	    "if capture would", what, id, key, size);
}

/*
 * Whether a value holds a number beyond a double (Postgres's jsonb keeps
 * 1e400 as numeric): capture's serde_json refuses it, and the whole
 * request with it (tests/emu/capture.c cites where).
 */
static int
holds_huge(json_object *v)
{
	const char *t;
	size_t i;

	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		return (t = jtree_text(v)) != NULL &&
		    js_number_huge(t, strlen(t));
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++)
			if (holds_huge(json_object_array_get_idx(v, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, k, x) {
			(void)k;
			if (holds_huge(x))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static void
note_huge(struct pass *p, const char *what, const char *id, const char *key)
{
	p->huge++;
	warnx("%s %s: property %s holds a number beyond a double's range, "
	    "which capture refuses: not sent", what, id, key);
}

/*
 * Properties in chunks under EVENT_BUDGET: *chunk is filled from the
 * members of props starting at *it; returns 0 when props are used up.
 */
struct chunker {
	json_object	*props;
	struct json_object_iterator it, end;
};

/* props may be NULL, a person or group without properties. */
static void
chunker_init(struct chunker *c, json_object *props)
{
	c->props = props;
	if (props == NULL)
		return;		/* json_object_iter_begin(NULL) crashes */
	c->it = json_object_iter_begin(props);
	c->end = json_object_iter_end(props);
}

static int
chunker_done(const struct chunker *c)
{
	return c->props == NULL || json_object_iter_equal(&c->it, &c->end);
}

/* The next chunk; *size the bytes it holds. */
static json_object *
chunk_next(struct pass *p, struct chunker *c, const char *what,
    const char *id, size_t *size)
{
	json_object *chunk = json_object_new_object(), *v;
	const char *k;
	size_t n;

	*size = 2;
	while (!chunker_done(c)) {
		k = json_object_iter_peek_name(&c->it);
		v = json_object_iter_peek_value(&c->it);
		if (holds_huge(v)) {
			note_huge(p, what, id, k);
			json_object_iter_next(&c->it);
			continue;
		}
		n = json_size(v) + strlen(k) + 4;
		if (*size > 2 && *size + n > EVENT_BUDGET)
			break;
		if (n > EVENT_BUDGET)
			note_oversize(p, what, id, k, n);
		json_object_object_add(chunk, k, json_object_get(v));
		*size += n;
		json_object_iter_next(&c->it);
	}
	return chunk;
}

static json_object *
props_with(const char *key, json_object *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, v);
	return o;
}

/* The names the person must lose, in chunks added to events. */
static json_object *
unset_list(struct pass *p, json_object *props, size_t *from, size_t room)
{
	json_object *l = json_object_new_array();
	size_t size = 2;

	for (; *from < p->defs.n; (*from)++) {
		if (props != NULL && json_object_object_get_ex(props,
		    p->defs.v[*from], NULL))
			continue;
		if (size + strlen(p->defs.v[*from]) + 4 > room &&
		    json_object_array_length(l) > 0)
			break;
		size += strlen(p->defs.v[*from]) + 4;
		json_object_array_add(l,
		    json_object_new_string(p->defs.v[*from]));
	}
	return l;
}

/* $set events with every property, the last with $unset. */
static void
write_properties(struct pass *p, const char *did, const char *ts,
    json_object *props)
{
	json_object *o, *unset;
	struct chunker c;
	size_t size, from = 0;

	chunker_init(&c, props);
	do {
		o = props_with("$set", chunk_next(p, &c, "person", did, &size));
		if (chunker_done(&c)) {
			unset = unset_list(p, props, &from, size < EVENT_BUDGET ?
			    EVENT_BUDGET - size : 0);
			if (json_object_array_length(unset) > 0)
				json_object_object_add(o, "$unset", unset);
			else
				json_object_put(unset);
		}
		write_event(p, "$set", did, ts, o);
	} while (!chunker_done(&c));
	while (from < p->defs.n) {
		unset = unset_list(p, props, &from, EVENT_BUDGET);
		if (json_object_array_length(unset) == 0) {
			json_object_put(unset);
			break;
		}
		write_event(p, "$set", did, ts, props_with("$unset", unset));
	}
}

/*
 * The event that ties an id to the primary.  PostHog 2021's plugin
 * server has no $merge_dangerously (handleIdentifyOrAlias in
 * plugin-server/src/worker/ingestion/process-event.ts, 2021: only
 * $create_alias and $identify), and there $create_alias merges any two
 * persons ("an explicit call to merge 2 users, so we'll merge
 * anything"); since 2022 it refuses an identified one, as $identify does.
 */
static const char *
merge_event(const struct pass *p)
{
	return p->f->o.create_alias ? "$create_alias" : "$merge_dangerously";
}

static const char *
time_of(json_object *o)
{
	json_object *t = member(o, "created_at");

	return json_object_is_type(t, json_type_string) ?
	    json_object_get_string(t) : EPOCH;
}

static void
remember_for_groups(struct pass *p, const char *did, const char *ts)
{
	free(p->gdid);
	free(p->gts);
	p->gdid = xstrdup(did);
	p->gts = xstrdup(ts);
}

/* One source person: 0, or -1 when it has no usable distinct_id. */
static int
write_person(struct pass *p, json_object *person)
{
	json_object *ids = member(person, "distinct_ids"), *props, *d;
	const char *primary, *ts = time_of(person);
	size_t i, n;

	if (!json_object_is_type(ids, json_type_array) ||
	    (n = json_object_array_length(ids)) == 0 ||
	    !json_object_is_type(json_object_array_get_idx(ids, 0),
	    json_type_string))
		return -1;
	primary = json_object_get_string(json_object_array_get_idx(ids, 0));
	props = member(person, "properties");
	if (!json_object_is_type(props, json_type_object))
		props = NULL;
	if (n == 1)
		write_event(p, "$set", primary, ts,
		    props_with("$set", json_object_new_object()));
	for (i = 1; i < n; i++) {
		d = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(d, json_type_string))
			continue;
		write_event(p, merge_event(p), primary, ts,
		    props_with("alias", json_object_get(d)));
	}
	write_properties(p, primary, ts, props);
	remember_for_groups(p, primary, ts);
	p->persons++;
	p->ids += n;
	return 0;
}

static void
show_progress(struct pass *p)
{
	struct fetcher *f = p->f;
	double now = clock_now(), t = now - f->started;
	char line[256];

	if (!progress_due(&f->prog, now))
		return;
	snprintf(line, sizeof(line), "ph-fetch: %llu persons, %llu groups, "
	    "%llu events, %llu pages, %.0f persons/s", p->persons, p->groups,
	    p->events, f->n.pages, t > 0 ? (double)p->persons / t : 0.0);
	progress_show(&f->prog, line);
}

/* Every page of a list, each item to fn: 0, or an exit status. */
static int
each_item(struct pass *p, int (*fn)(struct pass *, json_object *))
{
	struct fetcher *f = p->f;
	json_object *page, *res;
	size_t i, n;
	int r;

	for (;;) {
		if ((r = get_json(p, &page)) != 0)
			return r;
		if ((res = results_of(page, f->c.url.p)) == NULL) {
			json_object_put(page);
			return PH_EXIT_FATAL;
		}
		n = json_object_array_length(res);
		for (i = 0; i < n; i++)
			if (fn(p, json_object_array_get_idx(res, i)) == -1)
				note(f, "%s: item %zu has no distinct_ids or "
				    "group_key: left out", f->c.url.p, i);
		ow_flush(&f->out);
		show_progress(p);
		r = n == 0 ? 1 : next_page(p, page);
		json_object_put(page);
		if (r == 1)
			return 0;
		if (r != 0)
			return r;
	}
}

/* --- reading by keyset: the query API ------------------------------------ */

/*
 * HogQL's persons and person_distinct_ids tables (posthog/hogql/database/
 * schema/persons.py and person_distinct_ids.py, 2023-26: every version
 * with a query API) hold the latest version of each row, deleted ones
 * left out.  Persons are read in id order from past the last id read:
 * a page costs the same at any depth, and a person merged away while
 * the pass reads shifts no page (with offsets, the persons after it
 * would move up one and one would be skipped).  Each page's
 * distinct_ids come from a second query bounded by the page's first
 * and last id, in (person_id, distinct_id) order, by keyset pages too,
 * so a person with any number of them is written as it streams in.
 */
#define IDS_PAGE	10000	/* MAX_SELECT_RETURNED_ROWS, 2023-24: fits every cap */

struct kpage {
	json_object	*rows;		/* [id, created_at, properties] */
	size_t		 n, at;		/* rows, the one being written */
	char		*primary;	/* its first distinct_id, or NULL */
	size_t		 ids;		/* distinct_ids written for it */
	char		 ts[ISOTIME_LEN];
	int64_t		 us;
};

/* POST a query, its reply parsed into *out: 0, -1, -2, or an exit status. */
static int
query_json(struct pass *p, const struct buf *sql, int flags, json_object **out)
{
	struct fetcher *f = p->f;
	int r;

	if ((r = post_query(f, sql, flags | FETCH_TOO_LARGE)) != 0)
		return r;
	f->n.pages++;
	*out = parse_reply(f);
	if (*out == NULL || results_of(*out, f->c.url.p) == NULL) {
		json_object_put(*out);
		return PH_EXIT_FATAL;
	}
	return 0;
}

/* Column i of a row when it is a string, else NULL. */
static const char *
column(json_object *row, size_t i)
{
	json_object *c = json_object_is_type(row, json_type_array) ?
	    json_object_array_get_idx(row, i) : NULL;

	return json_object_is_type(c, json_type_string) ?
	    json_object_get_string(c) : NULL;
}

static const char *
row_id(const struct kpage *pg, size_t i)
{
	return column(json_object_array_get_idx(pg->rows, i), 0);
}

/*
 * created_at as the persons API writes it (DRF: Z, no fraction when
 * there is none), so that both APIs give one person the same events.
 */
static void
person_time(const char *s, char ts[ISOTIME_LEN], int64_t *us)
{
	size_t n;

	if (s == NULL || isotime_parse(s, strlen(s), us) == -1) {
		snprintf(ts, ISOTIME_LEN, "%s", EPOCH);
		*us = 0;
		return;
	}
	isotime_z(*us, ts);
	if (*us % 1000000 == 0 && (n = strlen(ts)) > 8 && ts[n - 8] == '.')
		memmove(ts + n - 8, ts + n - 1, 2);
}

/* The groups go under the oldest person, as from the persons API. */
static void
keep_oldest(struct pass *p, const char *did, const char *ts, int64_t us)
{
	if (p->gdid != NULL && us >= p->gus)
		return;
	remember_for_groups(p, did, ts);
	p->gus = us;
}

/*
 * The properties column: JSON text, read so that its values print as
 * they are written.  A text that cannot be read (a lone surrogate, which
 * no PostHog stores: Postgres refuses it) is said and counted, and the
 * person's properties left out rather than sent altered or $unset.
 */
static json_object *
person_properties(struct pass *p, const char *id, const char *text)
{
	struct jerr e;
	json_object *o;
	char msg[128];

	if ((o = jtree_parse(text, strlen(text), &e)) != NULL &&
	    json_object_is_type(o, json_type_object))
		return o;
	if (o != NULL)
		e.kind = JE_NOT_OBJECT;
	json_object_put(o);
	warnx("person %s: its properties are not a JSON object: %s: left "
	    "out", id != NULL ? id : "?",
	    js_strerror(&e, text, msg, sizeof(msg)));
	p->unreadable++;
	return NULL;
}

/* The person at pg->at has all its distinct_ids: its properties. */
static void
finish_person(struct pass *p, struct kpage *pg)
{
	json_object *row = json_object_array_get_idx(pg->rows, pg->at);
	json_object *props = NULL;
	const char *text = column(row, 2);

	if (pg->primary == NULL) {
		note(p->f, "person %s: no distinct_id (merged away while the "
		    "pass read): left out", row_id(pg, pg->at) != NULL ?
		    row_id(pg, pg->at) : "?");
	} else {
		/* An empty column is a person without properties. */
		if (text != NULL && text[strspn(text, " \t\r\n")] == '\0')
			text = NULL;
		if (text != NULL)
			props = person_properties(p, row_id(pg, pg->at), text);
		if (pg->ids == 1)
			write_event(p, "$set", pg->primary, pg->ts,
			    props_with("$set", json_object_new_object()));
		if (text == NULL || props != NULL)
			write_properties(p, pg->primary, pg->ts, props);
		keep_oldest(p, pg->primary, pg->ts, pg->us);
		json_object_put(props);
		p->persons++;
		p->ids += pg->ids;
	}
	free(pg->primary);
	pg->primary = NULL;
	pg->ids = 0;
	pg->at++;
}

/* One person_distinct_ids row: the first names the primary, the rest merge. */
static void
take_id(struct pass *p, struct kpage *pg, const char *pid, const char *did)
{
	while (pg->at < pg->n && (row_id(pg, pg->at) == NULL ||
	    strcmp(row_id(pg, pg->at), pid) != 0))
		finish_person(p, pg);
	if (pg->at == pg->n)
		return;
	if (pg->primary == NULL) {
		pg->primary = xstrdup(did);
		person_time(column(json_object_array_get_idx(pg->rows, pg->at),
		    1), pg->ts, &pg->us);
	} else
		write_event(p, merge_event(p), pg->primary, pg->ts,
		    props_with("alias", json_object_new_string(did)));
	pg->ids++;
}

static void
ids_sql(struct buf *q, const char *lo, const char *hi, const char *pid,
    const char *did)
{
	buf_addstr(q, "SELECT person_id, distinct_id FROM person_distinct_ids "
	    "WHERE person_id >= toUUID(");
	sql_string(q, lo);
	buf_addstr(q, ") AND person_id <= toUUID(");
	sql_string(q, hi);
	buf_addc(q, ')');
	if (pid != NULL) {
		buf_addstr(q, " AND (person_id > toUUID(");
		sql_string(q, pid);
		buf_addstr(q, ") OR (person_id = toUUID(");
		sql_string(q, pid);
		buf_addstr(q, ") AND distinct_id > ");
		sql_string(q, did);
		buf_addstr(q, "))");
	}
	buf_printf(q, " ORDER BY person_id ASC, distinct_id ASC LIMIT %d",
	    IDS_PAGE);
}

/* The page's distinct_ids and its persons' events: 0, or an exit status. */
static int
write_kpage(struct pass *p, struct kpage *pg)
{
	json_object *reply, *res, *row;
	struct buf sql = { 0 };
	char *pid = NULL, *did = NULL;
	size_t i, n;
	int r;

	do {
		sql.len = 0;
		ids_sql(&sql, row_id(pg, 0), row_id(pg, pg->n - 1), pid, did);
		if ((r = query_json(p, &sql, 0, &reply)) != 0) {
			if (r == -2)
				warnx("%s: the reply is over %d MB",
				    p->f->c.url.p, HTTP_BODY_MAX >> 20);
			r = r == -2 ? PH_EXIT_FATAL : r;
			break;
		}
		res = results_of(reply, p->f->c.url.p);
		n = json_object_array_length(res);
		for (i = 0; i < n; i++) {
			row = json_object_array_get_idx(res, i);
			if (column(row, 0) != NULL && column(row, 1) != NULL)
				take_id(p, pg, column(row, 0), column(row, 1));
		}
		if (n > 0 && column(json_object_array_get_idx(res, n - 1), 0) !=
		    NULL && column(json_object_array_get_idx(res, n - 1), 1) !=
		    NULL) {
			free(pid);
			free(did);
			row = json_object_array_get_idx(res, n - 1);
			pid = xstrdup(column(row, 0));
			did = xstrdup(column(row, 1));
		}
		json_object_put(reply);
	} while (n >= IDS_PAGE);
	while (r == 0 && pg->at < pg->n)
		finish_person(p, pg);
	free(pg->primary);
	pg->primary = NULL;
	free(pid);
	free(did);
	buf_free(&sql);
	return r;
}

static void
persons_sql(struct buf *q, const char *after, unsigned limit)
{
	buf_addstr(q, "SELECT id, toString(toTimeZone(created_at, 'UTC')), "
	    "properties FROM persons");
	if (after != NULL) {
		buf_addstr(q, " WHERE id > toUUID(");
		sql_string(q, after);
		buf_addc(q, ')');
	}
	buf_printf(q, " ORDER BY id ASC LIMIT %u", limit);
}

/*
 * Every person by keyset pages: 0, an exit status, or -1 when the source
 * has no query API (its first query answered 404).
 */
static int
read_persons_query(struct pass *p)
{
	struct fetcher *f = p->f;
	struct kpage pg;
	struct buf sql = { 0 };
	json_object *reply;
	char *last = NULL;
	unsigned limit = f->o.page_size;
	int r, more;

	do {
		sql.len = 0;
		persons_sql(&sql, last, limit);
		r = query_json(p, &sql, last == NULL ? FETCH_NO_ROUTE : 0,
		    &reply);
		if (r == -2 && limit > 1) {
			limit /= 2;
			note(f, "%s: the reply is over %d MB: asking for %u a "
			    "page", f->c.url.p, HTTP_BODY_MAX >> 20, limit);
			r = 0;
			more = 1;
			continue;
		}
		if (r == -2)
			warnx("%s: the reply is over %d MB even one person a "
			    "page", f->c.url.p, HTTP_BODY_MAX >> 20);
		if (r != 0)
			break;
		memset(&pg, 0, sizeof(pg));
		pg.rows = results_of(reply, f->c.url.p);
		pg.n = json_object_array_length(pg.rows);
		more = pg.n > 0 && (pg.n >= limit || pg.n >= IDS_PAGE);
		if (pg.n > 0 && row_id(&pg, pg.n - 1) != NULL) {
			r = write_kpage(p, &pg);
			free(last);
			last = xstrdup(row_id(&pg, pg.n - 1));
		} else if (pg.n > 0) {
			warnx("%s: a person without an id", f->c.url.p);
			r = PH_EXIT_FATAL;
		}
		json_object_put(reply);
		ow_flush(&f->out);
		show_progress(p);
	} while (r == 0 && more);
	free(last);
	buf_free(&sql);
	return r == -2 ? PH_EXIT_FATAL : r;
}

/* --- reading through the persons API ------------------------------------ */

static int
read_persons_rest(struct pass *p)
{
	struct fetcher *f = p->f;
	char n[16];

	url_start(f, "");
	buf_printf(&f->c.url, "/api/projects/%s/persons/", f->o.project);
	snprintf(n, sizeof(n), "%u", f->o.page_size);
	url_param(f, "limit", n);
	return each_item(p, write_person);
}

/*
 * By keyset through the query API; through the persons API where there
 * is none (before 2023: it pages by a DRF cursor on -id there, which does
 * not slow down with depth either), or with --api events; --api query
 * allows no fallback.
 */
static int
read_persons(struct pass *p)
{
	int r;

	if (p->f->o.api == API_EVENTS)
		return read_persons_rest(p);
	if ((r = read_persons_query(p)) != -1)
		return r;
	if (p->f->o.api == API_QUERY) {
		warnx("%s: no query API (404), and --api query asks for it",
		    p->f->c.url.p);
		return PH_EXIT_FATAL;
	}
	note(p->f, "%s: no query API (404): reading persons through the "
	    "persons API", p->f->c.url.p);
	return read_persons_rest(p);
}

/* --- groups ------------------------------------------------------------- */

static const char *current_type;	/* the type each_item is reading */

static int
write_group(struct pass *p, json_object *g)
{
	json_object *key = member(g, "group_key"), *props, *o;
	const char *ts = time_of(g);
	struct chunker c;
	size_t size;

	if (!json_object_is_type(key, json_type_string))
		return -1;
	props = member(g, "group_properties");
	if (!json_object_is_type(props, json_type_object))
		props = NULL;
	p->group_keep += lacking(&p->gdefs, props);
	chunker_init(&c, props);
	do {
		o = json_object_new_object();
		json_object_object_add(o, "$group_type",
		    json_object_new_string(current_type));
		json_object_object_add(o, "$group_key", json_object_get(key));
		json_object_object_add(o, "$group_set", chunk_next(p, &c,
		    "group", json_object_get_string(key), &size));
		write_event(p, "$groupidentify", p->gdid, ts, o);
	} while (!chunker_done(&c));
	p->groups++;
	return 0;
}

/*
 * Register each type in index order; the destination numbers them from
 * 0 in that order, so a gap at the source (a deleted type) cannot be
 * kept: counted.
 */
static int
register_types(struct pass *p, json_object *types)
{
	json_object *t, *name, *idx, *o;
	size_t i, n = json_object_array_length(types);

	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(types, i);
		name = member(t, "group_type");
		idx = member(t, "group_type_index");
		if (!json_object_is_type(name, json_type_string) ||
		    !json_object_is_type(idx, json_type_int))
			continue;
		if (json_object_get_int(idx) != (int)p->types) {
			p->gaps++;
			note(p->f, "group type %s: index %d at the source; the "
			    "destination gives it %llu (it numbers types in the "
			    "order they come)", json_object_get_string(name),
			    json_object_get_int(idx), p->types);
		}
		o = json_object_new_object();
		json_object_object_add(o, "$group_type", json_object_get(name));
		json_object_object_add(o, "$group_set",
		    json_object_new_object());
		write_event(p, "$groupidentify", p->gdid, p->gts, o);
		p->types++;
	}
	return 0;
}

static int
by_index(const void *a, const void *b)
{
	int x = json_object_get_int(member(*(json_object *const *)a,
	    "group_type_index"));
	int y = json_object_get_int(member(*(json_object *const *)b,
	    "group_type_index"));

	return x < y ? -1 : x > y;
}

static int
read_groups(struct pass *p)
{
	struct fetcher *f = p->f;
	json_object *types, *t, *sorted;
	char idx[16];
	size_t i;
	int r;

	if (p->gdid == NULL)
		remember_for_groups(p, NO_PERSON_ID, EPOCH);
	url_start(f, "");
	buf_printf(&f->c.url, "/api/projects/%s/groups_types/", f->o.project);
	f->array_ok = 1;
	r = get_json(p, &types);
	f->array_ok = 0;
	if (r != 0)
		return r;
	if ((sorted = results_of(types, f->c.url.p)) == NULL) {
		json_object_put(types);
		return PH_EXIT_FATAL;
	}
	json_object_array_sort(sorted, by_index);
	register_types(p, sorted);
	for (i = 0; r == 0 && i < json_object_array_length(sorted); i++) {
		t = json_object_array_get_idx(sorted, i);
		if (!json_object_is_type(member(t, "group_type"),
		    json_type_string))
			continue;
		current_type = json_object_get_string(member(t, "group_type"));
		snprintf(idx, sizeof(idx), "%d", json_object_get_int(member(t,
		    "group_type_index")));
		names_free(&p->gdefs);
		definitions_url(p, "group", idx);
		if ((r = read_names(p, &p->gdefs)) != 0)
			break;
		url_start(f, "");
		buf_printf(&f->c.url, "/api/projects/%s/groups/", f->o.project);
		url_param(f, "group_type_index", idx);
		r = each_item(p, write_group);
	}
	json_object_put(types);
	return r;
}

/* --- the pass ----------------------------------------------------------- */

static void
persons_summary(struct pass *p)
{
	struct fetcher *f = p->f;
	double t = clock_now() - f->started;

	if (f->o.quiet)
		return;
	progress_end(&f->prog);
	warnx("%llu persons (%llu distinct_ids), %llu groups of %llu types: "
	    "%llu events in %llu pages, %llu retries, %llu rate-limit waits; "
	    "%.2f s, %.0f persons/s", p->persons, p->ids, p->groups, p->types,
	    p->events, f->n.pages, f->n.retries, f->n.waits, t,
	    t > 0 ? (double)p->persons / t : 0.0);
	warnx("out of capture's reach: %llu group type index gaps, %llu "
	    "group properties defined for the type and absent from the group "
	    "(capture cannot remove one), is_identified; %llu values of over "
	    "%d bytes sent alone, which capture may refuse; %llu values with "
	    "a number beyond a double's range, not sent (see ph-fetch(1))",
	    p->gaps, p->group_keep, p->oversize, EVENT_BUDGET, p->huge);
}

int
fetch_persons(struct fetcher *f)
{
	struct pass p;
	int r;

	memset(&p, 0, sizeof(p));
	p.f = f;
	if ((r = read_definitions(&p)) == 0 && (r = read_persons(&p)) == 0)
		r = read_groups(&p);
	ow_flush(&f->out);
	persons_summary(&p);
	if (r == 0 && (p.unreadable > 0 || p.huge > 0))
		r = PH_EXIT_REJECTED;
	names_free(&p.defs);
	names_free(&p.gdefs);
	free(p.gdid);
	free(p.gts);
	return r;
}
