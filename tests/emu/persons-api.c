/*
 * ph-emu: the persons and groups read APIs a migration's source answers,
 * over the state persons.c keeps (loaded with --load-persons, grown by the
 * events capture accepts).  Cited from PostHog/posthog:
 *
 *   posthog/api/person.py  2023-26: PersonLimitOffsetPagination; limit
 *     (default 100, no cap), offset; ORDER BY created_at DESC, id DESC
 *     (posthog/queries/person_query.py); next is the request's absolute
 *     URL with offset replaced or appended (format_query_params_absolute_url
 *     in posthog/utils.py) whenever the page is full, so a last page that
 *     is exactly full is followed by an empty one; previous likewise, and
 *     left as requested when its offset is 0 ("if offset:").  Persons
 *     created more than a day ahead are left out (filter_future_persons).
 *     is_identified is not in the answer.
 *   posthog/api/person.py  2021-22: PersonCursorPagination, ordering -id,
 *     page_size 100, limit up to 1000, a DRF cursor.
 *   posthog/api/group.py: groups_types is a plain array ordered by index
 *     (pagination_class None); groups needs group_type_index (without it
 *     Django answers 500), filters group_key with icontains, and pages
 *     with GroupCursorPagination: ordering -created_at, page_size 100, no
 *     page size parameter.
 *   rest_framework/pagination.py CursorPagination: the cursor is base64 of
 *     "o=offset&p=position", position the ordering field of the last item
 *     whose successor differs, offset the items after it; offsets are cut
 *     to 1000 (offset_cutoff), so more than 1000 groups sharing one
 *     created_at cannot all be read; next is the URL with its arguments
 *     sorted and cursor replaced (replace_query_param).  Reverse cursors
 *     (previous) are not modelled: previous is null.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "isotime.h"
#include "jscan.h"
#include "jtree.h"
#include "persons-api.h"
#include "persons-int.h"
#include "xalloc.h"

#define PAGE		100	/* DEFAULT_PAGE_LIMIT, page_size */
#define CURSOR_PAGE_MAX	1000	/* PersonCursorPagination.max_page_size */
#define OFFSET_CUTOFF	1000	/* CursorPagination.offset_cutoff */
#define DAY_US		(86400LL * 1000000)

/* --- loading ------------------------------------------------------------ */

static int
load_time(json_object *o, const char *key, int64_t *us)
{
	json_object *t = jo_get(o, key);

	if (t == NULL) {
		*us = isotime_now();
		return 0;
	}
	if (!json_object_is_type(t, json_type_string))
		return -1;
	return isotime_parse(json_object_get_string(t),
	    (size_t)json_object_get_string_len(t), us);
}

static const char *
load_person(json_object *r)
{
	json_object *ids = jo_get(r, "distinct_ids"), *d;
	struct person *p;
	int64_t created;
	size_t i, n;

	if (!json_object_is_type(ids, json_type_array) ||
	    (n = json_object_array_length(ids)) == 0)
		return "a person needs a non-empty distinct_ids array";
	for (i = 0; i < n; i++) {
		d = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(d, json_type_string))
			return "a distinct_id that is not a string";
		if (person_of(json_object_get_string(d)) != NULL)
			return "a distinct_id that another person holds";
	}
	if (jo_get(r, "properties") != NULL && !jo_is_obj(jo_get(r,
	    "properties")))
		return "properties that are not an object";
	if (load_time(r, "created_at", &created) == -1)
		return "a created_at that is not an ISO 8601 time";
	p = person_new(created);
	for (i = 0; i < n; i++)
		add_distinct_id(p, json_object_get_string(
		    json_object_array_get_idx(ids, i)));
	copy_members(p->props, jo_get(r, "properties"));
	define_keys(p->props);
	p->identified = json_object_get_boolean(jo_get(r, "is_identified"));
	d = jo_get(r, "uuid");
	if (json_object_is_type(d, json_type_string))
		snprintf(p->uuid, sizeof(p->uuid), "%s",
		    json_object_get_string(d));
	else
		person_uuid(p, json_object_get_string(
		    json_object_array_get_idx(ids, 0)));
	if (json_object_is_type(jo_get(r, "id"), json_type_int))
		p->id = json_object_get_int64(jo_get(r, "id"));
	return NULL;
}

static const char *
load_group(json_object *r)
{
	json_object *ti = jo_get(r, "group_type_index"), *g;
	char *key;
	int64_t created;
	int idx = -1, i;

	if (json_object_is_type(ti, json_type_int))
		idx = json_object_get_int(ti);
	else if (json_object_is_type(jo_get(r, "group_type"), json_type_string))
		for (i = 0; i < MAX_GROUP_TYPES; i++)
			if (group_type_name(i) != NULL && strcmp(
			    group_type_name(i), json_object_get_string(
			    jo_get(r, "group_type"))) == 0)
				idx = i;
	if (idx < 0 || idx >= MAX_GROUP_TYPES)
		return "a group without a known group type";
	if (!truthy(jo_get(r, "group_key")))
		return "a group without a group_key";
	if (load_time(r, "created_at", &created) == -1)
		return "a created_at that is not an ISO 8601 time";
	key = js_string(jo_get(r, "group_key"));
	g = group_get(idx, key, created);
	free(key);
	copy_members(jo_get(g, "group_properties"),
	    jo_get(r, "group_properties"));
	define_group_keys(idx, jo_get(r, "group_properties"));
	return NULL;
}

static const char *
load_record(json_object *r)
{
	json_object *t = jo_get(r, "group_type"), *d;

	if (!jo_is_obj(r))
		return "not a JSON object";
	if (jo_has(r, "distinct_ids"))
		return load_person(r);
	if (jo_has(r, "group_key"))
		return load_group(r);
	if (json_object_is_type(jo_get(r, "property_definition"),
	    json_type_string)) {
		d = json_object_new_object();
		json_object_object_add(d, json_object_get_string(jo_get(r,
		    "property_definition")), NULL);
		if (json_object_is_type(jo_get(r, "group_type_index"),
		    json_type_int))
			define_group_keys(json_object_get_int(jo_get(r,
			    "group_type_index")), d);
		else
			define_keys(d);
		json_object_put(d);
		return NULL;
	}
	if (json_object_is_type(t, json_type_string) &&
	    json_object_is_type(jo_get(r, "group_type_index"), json_type_int))
		return group_type_set(json_object_get_string(t),
		    json_object_get_int(jo_get(r, "group_type_index"))) == -1 ?
		    "a group type index out of range or taken" : NULL;
	return "not a person, a group or a group type";
}

/*
 * A loaded record keeps each value's text: a source's Postgres holds
 * properties as jsonb, whose numeric has any precision, so an integer
 * beyond 64 bits or a float's digits are a source's to serve as they are
 * (json-c would saturate the one, and this emulator would hide what
 * ph-fetch does with it).  jsonb refuses lone surrogates ("Unicode low
 * surrogate must follow a high surrogate"), and so does this.  Django
 * reads jsonb through Python's json (JSONField), which makes floats
 * doubles, so the persons API (posthog/api/person.py) would print 1.10
 * as 1.1; not modelled, so that the tests see every digit ph-fetch
 * receives.
 */
int
persons_load(const char *path)
{
	struct jerr e;
	json_object *r;
	char msg[128];
	char *line = NULL;
	const char *why = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return -1;
	}
	pthread_mutex_lock(&ps.lock);
	state_init();
	while (why == NULL && (len = getline(&line, &cap, f)) != -1) {
		n++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		if ((r = jtree_parse(line, (size_t)len, &e)) == NULL)
			why = js_strerror(&e, line, msg, sizeof(msg));
		else
			why = load_record(r);
		json_object_put(r);
	}
	pthread_mutex_unlock(&ps.lock);
	free(line);
	if (why == NULL && ferror(f))
		why = "read error";
	fclose(f);
	if (why != NULL) {
		warnx("%s:%zu: %s", path, n, why);
		return -1;
	}
	return 0;
}

/* --- URLs ------------------------------------------------------------- */

/* Python's quote_plus, as urlencode writes arguments. */
static void
quote_plus(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~", ch) != NULL)
			buf_addc(b, (char)ch);
		else if (ch == ' ')
			buf_addc(b, '+');
		else
			buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
}

struct args {
	char	*k[64], *v[64];
	size_t	 n;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->n < 64) {
		a->k[a->n] = xstrdup(key);
		a->v[a->n++] = xstrdup(value != NULL ? value : "");
	}
	return MHD_YES;
}

static void
args_free(struct args *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->k[i]);
		free(a->v[i]);
	}
}

/* Set key to value, replacing an argument of that name or adding one. */
static void
args_set(struct args *a, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->k[i], key) == 0) {
			free(a->v[i]);
			a->v[i] = xstrdup(value);
			return;
		}
	if (a->n < 64) {
		a->k[a->n] = xstrdup(key);
		a->v[a->n++] = xstrdup(value);
	}
}

static void
args_sort(struct args *a)
{
	size_t i, j;
	char *t;

	for (i = 1; i < a->n; i++)
		for (j = i; j > 0 && strcmp(a->k[j - 1], a->k[j]) > 0; j--) {
			t = a->k[j], a->k[j] = a->k[j - 1], a->k[j - 1] = t;
			t = a->v[j], a->v[j] = a->v[j - 1], a->v[j - 1] = t;
		}
}

/* The absolute URL Django builds from the Host header. */
static json_object *
url_of(struct MHD_Connection *c, const char *path, const struct args *a)
{
	const char *host = header(c, "Host");
	struct buf b = { 0 };
	json_object *o;
	size_t i;

	buf_printf(&b, "http://%s%s", host != NULL ? host : "localhost", path);
	for (i = 0; i < a->n; i++) {
		buf_addc(&b, i == 0 ? '?' : '&');
		quote_plus(&b, a->k[i]);
		buf_addc(&b, '=');
		quote_plus(&b, a->v[i]);
	}
	o = json_object_new_string(b.p);
	buf_free(&b);
	return o;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64_encode(struct buf *out, const char *s, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf_addc(out, b64[v >> 18 & 63]);
		buf_addc(out, b64[v >> 12 & 63]);
		buf_addc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
		buf_addc(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

static int
base64_decode(struct buf *out, const char *s)
{
	unsigned v = 0;
	int bits = 0;
	const char *p;

	for (; *s != '\0' && *s != '='; s++) {
		if ((p = strchr(b64, *s)) == NULL)
			return -1;
		v = v << 6 | (unsigned)(p - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf_addc(out, (char)(v >> bits & 255));
		}
	}
	return 0;
}

/* --- answers --------------------------------------------------------- */

/*
 * DRF's DateTimeField: isoformat(), +00:00 written Z, no fraction when
 * the microseconds are 0.
 */
static json_object *
drf_time(int64_t us)
{
	char t[ISOTIME_LEN];
	size_t n;

	isotime_z(us, t);
	if (us % 1000000 == 0 && (n = strlen(t)) > 8 && t[n - 8] == '.')
		memmove(t + n - 8, t + n - 1, 2);
	return json_object_new_string(t);
}

static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
	enum MHD_Result r;
	const char *s;
	size_t len;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	r = reply(c, status, "application/json", s, len);
	json_object_put(o);
	return r;
}

static int
authorized(struct emu *em, struct MHD_Connection *c, enum MHD_Result *ret)
{
	const char *h = header(c, "Authorization"), *k = NULL;

	if (h != NULL && strncmp(h, "Bearer ", 7) == 0)
		k = h + 7;
	else
		k = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "personal_api_key");
	if (k != NULL && strcmp(k, em->c.personal_key) == 0)
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

/* posthog/utils.py is_anonymous_id: five [a-z0-9]+ groups joined by -. */
static int
is_anonymous_id(const char *s)
{
	int groups = 0, run = 0;

	for (;; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))
			run++;
		else if ((*s == '-' || *s == '\0') && run > 0) {
			groups++;
			run = 0;
			if (*s == '\0')
				return groups == 5;
		} else
			return 0;
	}
}

/* PersonSerializer: distinct_ids sorted with non-anonymous ones first. */
static json_object *
serialized_ids(const struct person *p)
{
	json_object *out = json_object_new_array(), *d;
	size_t i, n = json_object_array_length(p->dids);
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			d = json_object_array_get_idx(p->dids, i);
			if (is_anonymous_id(json_object_get_string(d)) == pass)
				json_object_array_add(out, json_object_get(d));
		}
	return out;
}

/* get_person_name_helper with PERSON_DEFAULT_DISPLAY_NAME_PROPERTIES. */
static json_object *
person_name(const struct person *p, json_object *ids)
{
	static const char *const keys[] = { "email", "Email", "$email",
	    "name", "Name", "username", "Username", "UserName", NULL };
	char id[32];
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (truthy(jo_get(p->props, keys[i])))
			return json_object_get(jo_get(p->props, keys[i]));
	if (json_object_array_length(ids) > 0)
		return json_object_get(json_object_array_get_idx(ids, 0));
	snprintf(id, sizeof(id), "%lld", (long long)p->id);
	return json_object_new_string(id);
}

static json_object *
serialized_person(const struct person *p)
{
	json_object *o = json_object_new_object(), *ids = serialized_ids(p);

	json_object_object_add(o, "id", json_object_new_int64(p->id));
	json_object_object_add(o, "name", person_name(p, ids));
	json_object_object_add(o, "distinct_ids", ids);
	json_object_object_add(o, "properties", json_object_get(p->props));
	json_object_object_add(o, "created_at", drf_time(p->created));
	json_object_object_add(o, "uuid", json_object_new_string(p->uuid));
	return o;
}

static const char *
arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static long long
int_arg(struct MHD_Connection *c, const char *name, long long dflt)
{
	const char *s = arg(c, name);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= 0 ? v : dflt;
}

/* Descending by created_at, then by id: the list's order. */
static int
by_created_desc(const void *a, const void *b)
{
	const struct person *x = *(struct person *const *)a;
	const struct person *y = *(struct person *const *)b;

	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static int
by_id_desc(const void *a, const void *b)
{
	const struct person *x = *(struct person *const *)a;
	const struct person *y = *(struct person *const *)b;

	return x->id > y->id ? -1 : x->id < y->id;
}

/* The listed persons, in order; the caller frees the array. */
static struct person **
listed(struct MHD_Connection *c, int legacy, size_t *n)
{
	struct person **v = xreallocarray(NULL, ps.n + 1, sizeof(*v));
	const char *did = arg(c, "distinct_id");
	int64_t horizon = isotime_now() + DAY_US;
	struct person *only = did != NULL ? person_of(did) : NULL;
	size_t i;

	*n = 0;
	for (i = 0; i < ps.n; i++)
		if (ps.p[i].alive && (did == NULL || &ps.p[i] == only) &&
		    (legacy || ps.p[i].created < horizon))
			v[(*n)++] = &ps.p[i];
	qsort(v, *n, sizeof(*v), legacy ? by_id_desc : by_created_desc);
	return v;
}

/*
 * format_query_params_absolute_url(request, offset): the request's URL
 * with offset set, unless offset is 0 ("if offset:"), then as it came.
 */
static json_object *
offset_url(struct MHD_Connection *c, const char *path, long long offset)
{
	struct args a = { .n = 0 };
	json_object *o;
	char num[32];

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	snprintf(num, sizeof(num), "%lld", offset);
	if (offset != 0)
		args_set(&a, "offset", num);
	o = url_of(c, path, &a);
	args_free(&a);
	return o;
}

static enum MHD_Result
persons_offset_page(struct MHD_Connection *c, const char *path,
    struct req *r)
{
	long long limit = int_arg(c, "limit", PAGE);
	long long offset = int_arg(c, "offset", 0);
	json_object *out = json_object_new_object(), *res;
	struct person **v;
	size_t n, i, shown = 0;

	if (limit == 0)
		limit = PAGE;
	v = listed(c, 0, &n);
	res = json_object_new_array();
	for (i = (size_t)offset; i < n && shown < (size_t)limit; i++, shown++)
		json_object_array_add(res, serialized_person(v[i]));
	json_object_object_add(out, "results", res);
	json_object_object_add(out, "next", shown >= (size_t)limit ?
	    offset_url(c, path, offset + limit) : NULL);
	json_object_object_add(out, "previous", offset - limit >= 0 ?
	    offset_url(c, path, offset - limit) : NULL);
	free(v);
	buf_printf(&r->log, ",\"persons\":%zu", shown);
	return reply_json(c, 200, out);
}

/* --- DRF cursor pagination ---------------------------------------------- */

/* Python's str() of an aware UTC datetime, as a cursor position. */
static void
position_text(int64_t pos, int is_time, char *out, size_t size)
{
	char t[ISOTIME_LEN];

	if (!is_time) {
		snprintf(out, size, "%lld", (long long)pos);
		return;
	}
	isotime_ch(pos, t);
	if (pos % 1000000 == 0)
		t[19] = '\0';	/* no microseconds: str() leaves them out */
	snprintf(out, size, "%s+00:00", t);
}

static int
position_parse(const char *s, int is_time, int64_t *pos)
{
	char *end;

	if (is_time)
		return isotime_parse(s, strlen(s), pos);
	*pos = strtoll(s, &end, 10);
	return *end == '\0' && end != s ? 0 : -1;
}

/* A DRF cursor: base64 of "o=..&r=..&p=.."; -1 when it is not one. */
static int
decode_cursor(const char *s, int is_time, long long *offset, int64_t *pos,
    int *has_pos)
{
	struct buf b = { 0 }, v = { 0 };
	char *tok, *save = NULL, *q;
	int bad = 0;

	*offset = 0, *has_pos = 0;
	if (s == NULL)
		return 0;
	if (base64_decode(&b, s) == -1 || b.p == NULL) {
		buf_free(&b);
		return -1;
	}
	for (tok = strtok_r(b.p, "&", &save); tok != NULL && !bad;
	    tok = strtok_r(NULL, "&", &save)) {
		if (strncmp(tok, "o=", 2) == 0) {
			*offset = strtoll(tok + 2, NULL, 10);
			if (*offset > OFFSET_CUTOFF)
				*offset = OFFSET_CUTOFF;
			bad = *offset < 0;
		} else if (strncmp(tok, "p=", 2) == 0) {
			v.len = 0;	/* unquote_plus */
			for (q = tok + 2; *q != '\0'; q++) {
				unsigned x;

				if (*q == '+')
					buf_addc(&v, ' ');
				else if (*q == '%' && sscanf(q + 1, "%2x", &x) == 1) {
					buf_addc(&v, (char)x);
					q += 2;
				} else
					buf_addc(&v, *q);
			}
			*has_pos = 1;
			bad = position_parse(v.p != NULL ? v.p : "", is_time,
			    pos) == -1;
		}
	}
	buf_free(&b);
	buf_free(&v);
	return bad ? -1 : 0;
}

static json_object *
cursor_url(struct MHD_Connection *c, const char *path, long long offset,
    const char *pos)
{
	struct args a = { .n = 0 };
	struct buf q = { 0 }, enc = { 0 };
	json_object *o;

	if (offset != 0)
		buf_printf(&q, "o=%lld", offset);
	if (pos != NULL) {
		buf_addstr(&q, q.len > 0 ? "&p=" : "p=");
		quote_plus(&q, pos);
	}
	base64_encode(&enc, q.p != NULL ? q.p : "", q.len);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	args_set(&a, "cursor", enc.p != NULL ? enc.p : "");
	args_sort(&a);
	o = url_of(c, path, &a);
	args_free(&a);
	buf_free(&q);
	buf_free(&enc);
	return o;
}

/* Items in the ordering's order, descending by position. */
struct cpage {
	const int64_t	*pos;
	size_t		 n;
	size_t		 size;
	int		 is_time;
	size_t		 begin, end;	/* the page: [begin, end) */
};

/*
 * paginate_queryset and get_next_link: the items after the cursor's
 * position, past its offset; next marks the last item whose successor has
 * another position and counts the items after it.  -1: an invalid cursor.
 */
static int
cursor_page(struct MHD_Connection *c, const char *path, struct cpage *pg,
    json_object *out)
{
	long long offset, noff = 0;
	int64_t cur = 0, compare, mark = 0;
	int has_pos, unique = 0;
	char text[64];
	size_t i;

	if (decode_cursor(arg(c, "cursor"), pg->is_time, &offset, &cur,
	    &has_pos) == -1)
		return -1;
	for (i = 0; has_pos && i < pg->n && pg->pos[i] >= cur; i++)
		;
	pg->begin = i + (size_t)offset < pg->n ? i + (size_t)offset : pg->n;
	pg->end = pg->begin + pg->size < pg->n ? pg->begin + pg->size : pg->n;
	json_object_object_add(out, "previous", NULL);
	if (pg->begin + pg->size >= pg->n) {
		json_object_object_add(out, "next", NULL);
		return 0;
	}
	compare = pg->pos[pg->end];
	for (i = pg->end; i > pg->begin; i--) {
		if (pg->pos[i - 1] != compare) {
			unique = 1;
			mark = pg->pos[i - 1];
			break;
		}
		compare = pg->pos[i - 1];
		noff++;
	}
	if (!unique && !(has_pos || offset > 0)) {
		json_object_object_add(out, "next", cursor_url(c, path,
		    (long long)pg->size, NULL));
		return 0;
	}
	if (!unique) {
		noff = offset + (long long)pg->size;
		mark = cur;
		if (!has_pos) {
			json_object_object_add(out, "next", cursor_url(c, path,
			    noff, NULL));
			return 0;
		}
	}
	position_text(mark, pg->is_time, text, sizeof(text));
	json_object_object_add(out, "next", cursor_url(c, path, noff, text));
	return 0;
}

static enum MHD_Result
invalid_cursor(struct MHD_Connection *c)
{
	return reply_str(c, 404, "{\"type\":\"invalid_request\",\"code\":"
	    "\"not_found\",\"detail\":\"Invalid cursor\",\"attr\":null}");
}

/* 2021-22: PersonCursorPagination, -id, limit up to 1000. */
static enum MHD_Result
persons_cursor_page(struct MHD_Connection *c, const char *path,
    struct req *r)
{
	long long limit = int_arg(c, "limit", PAGE);
	json_object *out = json_object_new_object(), *res;
	struct cpage pg;
	struct person **v;
	int64_t *pos;
	size_t n, i;

	v = listed(c, 1, &n);
	pos = xreallocarray(NULL, n + 1, sizeof(*pos));
	for (i = 0; i < n; i++)
		pos[i] = v[i]->id;
	memset(&pg, 0, sizeof(pg));
	pg.pos = pos, pg.n = n, pg.is_time = 0;
	pg.size = limit == 0 ? PAGE : limit > CURSOR_PAGE_MAX ?
	    CURSOR_PAGE_MAX : (size_t)limit;
	if (cursor_page(c, path, &pg, out) == -1) {
		free(v), free(pos), json_object_put(out);
		return invalid_cursor(c);
	}
	res = json_object_new_array();
	for (i = pg.begin; i < pg.end; i++)
		json_object_array_add(res, serialized_person(v[i]));
	json_object_object_add(out, "results", res);
	buf_printf(&r->log, ",\"persons\":%zu", pg.end - pg.begin);
	free(v);
	free(pos);
	return reply_json(c, 200, out);
}

/* groups_types: every mapping, by index, without pagination. */
static enum MHD_Result
group_types(struct MHD_Connection *c)
{
	json_object *out = json_object_new_array(), *o;
	int i;

	for (i = 0; i < MAX_GROUP_TYPES; i++) {
		if (group_type_name(i) == NULL)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "group_type",
		    json_object_new_string(group_type_name(i)));
		json_object_object_add(o, "group_type_index",
		    json_object_new_int(i));
		json_object_object_add(o, "name_singular", NULL);
		json_object_object_add(o, "name_plural", NULL);
		json_object_array_add(out, o);
	}
	return reply_json(c, 200, out);
}

static int
by_group_created_desc(const void *a, const void *b)
{
	int64_t x = json_object_get_int64(jo_get(*(json_object *const *)a,
	    "created_at"));
	int64_t y = json_object_get_int64(jo_get(*(json_object *const *)b,
	    "created_at"));

	return x > y ? -1 : x < y;
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

static json_object *
serialized_group(json_object *g)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "group_type_index",
	    json_object_get(jo_get(g, "group_type_index")));
	json_object_object_add(o, "group_key",
	    json_object_get(jo_get(g, "group_key")));
	json_object_object_add(o, "group_properties",
	    json_object_get(jo_get(g, "group_properties")));
	json_object_object_add(o, "created_at", drf_time(
	    json_object_get_int64(jo_get(g, "created_at"))));
	return o;
}

static enum MHD_Result
groups_page(struct MHD_Connection *c, const char *path, struct req *r)
{
	const char *ti = arg(c, "group_type_index"), *key = arg(c, "group_key");
	json_object *out, *res, **v;
	struct cpage pg;
	int64_t *pos;
	size_t n = 0, i, cap;

	if (ti == NULL)		/* request.GET["group_type_index"]: KeyError */
		return reply(c, 500, "text/html", "<h1>Server Error (500)</h1>",
		    27);
	cap = (size_t)json_object_object_length(ps.groups) + 1;
	v = xreallocarray(NULL, cap, sizeof(*v));
	json_object_object_foreach(ps.groups, k, g) {
		(void)k;
		if (strcmp(json_object_get_string(jo_get(g,
		    "group_type_index")), ti) == 0 && contains_ci(
		    json_object_get_string(jo_get(g, "group_key")),
		    key != NULL ? key : ""))
			v[n++] = g;
	}
	qsort(v, n, sizeof(*v), by_group_created_desc);
	pos = xreallocarray(NULL, n + 1, sizeof(*pos));
	for (i = 0; i < n; i++)
		pos[i] = json_object_get_int64(jo_get(v[i], "created_at"));
	memset(&pg, 0, sizeof(pg));
	pg.pos = pos, pg.n = n, pg.size = PAGE, pg.is_time = 1;
	out = json_object_new_object();
	if (cursor_page(c, path, &pg, out) == -1) {
		free(v), free(pos), json_object_put(out);
		return invalid_cursor(c);
	}
	res = json_object_new_array();
	for (i = pg.begin; i < pg.end; i++)
		json_object_array_add(res, serialized_group(v[i]));
	json_object_object_add(out, "results", res);
	buf_printf(&r->log, ",\"groups\":%zu", pg.end - pg.begin);
	free(v);
	free(pos);
	return reply_json(c, 200, out);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * property_definitions/?type=person, or ?type=group&group_type_index=N
 * (posthog/api/property_definition.py, 2024-26): ordered by name,
 * NotCountingLimitOffsetPaginator (limit default 100, offset; count, next
 * while offset + limit < count).  A definition is every key an event set
 * ($set, $set_once; a type's $group_set) or a loaded person, group or
 * {"property_definition"} record holds, kept when the property is gone.
 * Event definitions are not modelled: ?type=event lists none.
 */
static enum MHD_Result
property_definitions(struct MHD_Connection *c, const char *path)
{
	long long limit = int_arg(c, "limit", PAGE);
	long long offset = int_arg(c, "offset", 0);
	json_object *out = json_object_new_object(), *res, *o;
	const char *type = arg(c, "type");
	long long gi = int_arg(c, "group_type_index", -1);
	json_object *defs = NULL;
	const char **names;
	size_t n = 0, i;

	if (type != NULL && strcmp(type, "person") == 0)
		defs = ps.defs;
	else if (type != NULL && strcmp(type, "group") == 0 && gi >= 0 &&
	    gi < MAX_GROUP_TYPES)
		defs = ps.gdefs[gi];
	names = xreallocarray(NULL, (size_t)(defs != NULL ?
	    json_object_object_length(defs) : 0) + 1, sizeof(*names));
	if (defs != NULL) {
		json_object_object_foreach(defs, k, v) {
			(void)v;
			names[n++] = k;
		}
	}
	qsort(names, n, sizeof(*names), by_name);
	if (limit == 0)
		limit = PAGE;
	res = json_object_new_array();
	for (i = (size_t)offset; i < n && i < (size_t)(offset + limit); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(
		    (int64_t)i + 1));
		json_object_object_add(o, "name",
		    json_object_new_string(names[i]));
		json_object_object_add(o, "is_numerical",
		    json_object_new_boolean(0));
		json_object_object_add(o, "property_type", NULL);
		json_object_array_add(res, o);
	}
	json_object_object_add(out, "count", json_object_new_int64(
	    (int64_t)n));
	json_object_object_add(out, "next", (size_t)(offset + limit) < n ?
	    offset_url(c, path, offset + limit) : NULL);
	json_object_object_add(out, "previous", NULL);
	json_object_object_add(out, "results", res);
	free(names);
	return reply_json(c, 200, out);
}

/* The part after /api/projects/ID/ or /api/environments/ID/, or NULL. */
static const char *
project_rest(const char *url)
{
	const char *p = NULL;
	size_t n;

	if (strncmp(url, "/api/projects/", 14) == 0)
		p = url + 14;
	else if (strncmp(url, "/api/environments/", 18) == 0)
		p = url + 18;
	if (p == NULL)
		return NULL;
	n = strcspn(p, "/");
	if (!((n == 8 && strncmp(p, "@current", 8) == 0) ||
	    (n == 1 && p[0] == '1')) || p[n] != '/')
		return NULL;
	return p + n + 1;
}

static int
is_route(const char *rest, const char *name)
{
	size_t n = strlen(name);

	return strncmp(rest, name, n) == 0 &&
	    (rest[n] == '\0' || strcmp(rest + n, "/") == 0);
}

int
persons_api(struct emu *em, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method, enum MHD_Result *ret)
{
	const char *rest = project_rest(url);
	int legacy = version_of(em) < V2024;

	if (rest == NULL || strcmp(method, "GET") != 0 ||
	    !(is_route(rest, "persons") || is_route(rest, "groups_types") ||
	    is_route(rest, "groups") ||
	    is_route(rest, "property_definitions")))
		return 0;
	if (!authorized(em, c, ret))
		return 1;
	pthread_mutex_lock(&em->lock);
	em->st.source_pages++;
	pthread_mutex_unlock(&em->lock);
	pthread_mutex_lock(&ps.lock);
	state_init();
	if (is_route(rest, "persons"))
		*ret = legacy ? persons_cursor_page(c, url, r) :
		    persons_offset_page(c, url, r);
	else if (is_route(rest, "groups_types"))
		*ret = group_types(c);
	else if (is_route(rest, "property_definitions"))
		*ret = property_definitions(c, url);
	else
		*ret = groups_page(c, url, r);
	pthread_mutex_unlock(&ps.lock);
	return 1;
}
