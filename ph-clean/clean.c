#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clean.h"
#include "diag.h"
#include "uuid.h"
#include "xalloc.h"

/* The members of an event the rules act on. */
enum role {
	R_OTHER = 0,
	R_EVENT,
	R_ID,
	R_UUID,
	R_DISTINCT_ID,
	R_DOLLAR_DISTINCT_ID,	/* capture's other name for distinct_id */
	R_PROPERTIES,
	R_ELEMENTS_CHAIN,
	R_ELEMENTS,		/* Postgres-era: becomes the chain */
	R_DROP,			/* person, elements, sent_at, ... */
	NROLES
};

#define ROLE(k, r)	{ k, sizeof(k) - 1, r }

static const struct {
	const char	*key;
	size_t		 len;
	enum role	 role;
} roles[] = {
	ROLE("event", R_EVENT),
	ROLE("id", R_ID),
	ROLE("uuid", R_UUID),
	ROLE("distinct_id", R_DISTINCT_ID),
	ROLE("$distinct_id", R_DOLLAR_DISTINCT_ID),
	ROLE("properties", R_PROPERTIES),
	ROLE("elements_chain", R_ELEMENTS_CHAIN),
	/* Listing API output, not capture input (doc/posthog.md section 6). */
	ROLE("person", R_DROP),
	ROLE("elements", R_ELEMENTS),
	ROLE("team_id", R_DROP),
	/* They would shift every timestamp (doc/posthog.md section 5). */
	ROLE("sent_at", R_DROP),
	ROLE("offset", R_DROP),
	ROLE("now", R_DROP),
};

/* What one event's members say. */
struct event {
	long		 at[NROLES];	/* member index per role, or -1 */
	int		 uuid_from;	/* R_UUID, R_ID, or R_OTHER: derived */
	long		 uuid_at;	/* member that becomes "uuid", or -1 */
	char		 uuid[UUID_STRLEN + 1];	/* canonical form */
	const char	*did;		/* the distinct_id's value text */
	size_t		 didlen;
	char		 didbuf[UUID_STRLEN + 3];
};

static enum role
role_of(const struct jmember *m)
{
	size_t i;

	/* Every member of every event comes here: lengths first. */
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if ((m->key_esc || m->keylen - 2 == roles[i].len) &&
		    js_key_eq(m, roles[i].key))
			return roles[i].role;
	return R_OTHER;
}

/*
 * Capture refuses a batch whose events repeat a field, and which copy
 * of a repeated key counts is anyone's guess: refuse the line.
 */
static int
check_duplicates(struct cleaner *c, char *msg, size_t size)
{
	const struct jmember *m = js_repeated_key(&c->top, &c->tmp);
	char key[64];

	if (m == NULL)
		return 0;
	return refusal(msg, size, "duplicate key %s",
	    printable(m->key, m->keylen, key, sizeof(key)));
}

/* Find each member's role; the event name must be a non-empty string. */
static int
find_roles(struct cleaner *c, struct event *ev, char *msg, size_t size)
{
	const struct jmember *m;
	size_t i;
	long at;

	for (i = 0; i < NROLES; i++)
		ev->at[i] = -1;
	if (c->top.n > c->rolecap) {
		c->rolecap = c->top.n * 2;
		c->role = xrealloc(c->role, c->rolecap);
	}
	for (i = 0; i < c->top.n; i++) {
		c->role[i] = (unsigned char)role_of(&c->top.v[i]);
		ev->at[c->role[i]] = (long)i;
	}
	if ((at = ev->at[R_EVENT]) < 0)
		return refusal(msg, size, "%s", "no \"event\"");
	m = &c->top.v[at];
	if (m->type != JT_STRING)
		return refusal(msg, size, "%s", "\"event\" is not a string");
	if (m->vallen <= 2)
		return refusal(msg, size, "%s", "\"event\" is empty");
	return 0;
}

/* Unicode White_Space: what Rust's str::trim, and so capture, removes. */
static int
is_unicode_space(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 ||
	    cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* The code point of the valid UTF-8 sequence at s; its length in *n. */
static unsigned
utf8_decode(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80)
		return *n = 1, s[0];
	if (s[0] < 0xE0)
		return *n = 2, (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu);
	if (s[0] < 0xF0)
		return *n = 3, (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 |
		    (s[2] & 0x3Fu);
	return *n = 4, (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 |
	    (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
}

/*
 * Whether capture could not take this distinct_id.  Capture
 * (rust/common/types/src/event.rs at 024dbbe, extract_distinct_id) takes
 * a missing or null one as absent; stringifies any other non-string
 * value (42 is "42", [] is "[]"), so those are usable; and refuses a
 * string that is empty once white space is trimmed.  (It also turns
 * NUL into U+FFFD and cuts the id to 200 characters: it does that
 * itself.)  One more rule is ph's, from the original script: "none" in
 * any letter case is no identity, since Django-era capture stored a
 * null id as str(None) (posthog/api/capture.py, 2021).
 */
static int
is_blank_id(struct cleaner *c, const struct jmember *m)
{
	const unsigned char *s, *z, *back;
	size_t n;

	if (m == NULL || m->type == JT_NULL)
		return 1;
	if (m->type != JT_STRING)
		return 0;
	c->tmp.len = 0;
	js_unescape(&c->tmp, m->val, m->vallen);
	s = (const unsigned char *)c->tmp.p;
	z = s + c->tmp.len;
	while (s < z && is_unicode_space(utf8_decode(s, &n)))
		s += n;
	while (z > s) {
		for (back = z - 1; back > s && (*back & 0xC0) == 0x80; back--)
			;
		if (!is_unicode_space(utf8_decode(back, &n)))
			break;
		z = back;
	}
	return z == s || (z - s == 4 && strncasecmp((const char *)s, "none",
	    4) == 0);
}

static const struct jmember *
member(const struct cleaner *c, const struct event *ev, enum role r)
{
	return ev->at[r] >= 0 ? &c->top.v[ev->at[r]] : NULL;
}

static int
parse_uuid_value(struct cleaner *c, const struct jmember *m,
    unsigned char u[16])
{
	if (m == NULL || m->type != JT_STRING)
		return -1;
	c->tmp.len = 0;
	js_unescape(&c->tmp, m->val, m->vallen);
	return uuid_parse(c->tmp.p, c->tmp.len, u);
}

/*
 * Keep a valid uuid (or id, which the listing API names so).  Failing
 * that, derive one that is the same on every run: from the id the event
 * has (a Postgres-era integer), or what stands for a uuid, else from the
 * whole line.
 */
static void
choose_uuid(struct cleaner *c, struct event *ev, const char *line,
    size_t len)
{
	const struct jmember *uuid = member(c, ev, R_UUID);
	const struct jmember *id = member(c, ev, R_ID);
	unsigned char u[16], ns[16];

	if (parse_uuid_value(c, uuid, u) == 0) {
		ev->uuid_from = R_UUID;
		ev->uuid_at = ev->at[R_UUID];
	} else if (parse_uuid_value(c, id, u) == 0) {
		ev->uuid_from = R_ID;
		ev->uuid_at = ev->at[R_ID];
	} else {
		ev->uuid_from = R_OTHER;
		ev->uuid_at = uuid != NULL ? ev->at[R_UUID] : ev->at[R_ID];
		uuid_parse(PH_UUID_NAMESPACE, UUID_STRLEN, ns);
		/* The listing API's own identifier first, then the uuid. */
		if (!js_is_blank(id))
			uuid_v5(ns, "id:", id->val, id->vallen, u);
		else if (!js_is_blank(uuid))
			uuid_v5(ns, "id:", uuid->val, uuid->vallen, u);
		else
			uuid_v5(ns, "line:", line, len, u);
	}
	uuid_format(u, ev->uuid);
}

/*
 * Keep the identity capture would use.  Capture reads the top-level
 * distinct_id, which "$distinct_id" also names (a serde alias: both in
 * one event is a duplicate field and a 400), and properties.distinct_id
 * only when that is missing or null (event.rs, extract_distinct_id;
 * the tests of rust/capture/src/v0_request.rs at 0127372).  Here a
 * blank one also falls through to the next, where capture would refuse
 * the event.  Only when none is usable is one derived.
 */
static void
choose_distinct_id(struct cleaner *c, struct event *ev)
{
	const struct jmember *cand[3];
	unsigned char u[16], ns[16];
	size_t i;

	cand[0] = member(c, ev, R_DISTINCT_ID);
	cand[1] = member(c, ev, R_DOLLAR_DISTINCT_ID);
	cand[2] = js_get(&c->props, "distinct_id");
	for (i = 0; i < 3; i++)
		if (!is_blank_id(c, cand[i])) {
			ev->did = cand[i]->val;
			ev->didlen = cand[i]->vallen;
			return;
		}
	if (c->random_distinct_id)
		uuid_v4(u);
	else {
		uuid_parse(PH_UUID_NAMESPACE, UUID_STRLEN, ns);
		uuid_v5(ns, "", ev->uuid, UUID_STRLEN, u);
	}
	ev->didbuf[0] = '"';
	uuid_format(u, ev->didbuf + 1);
	ev->didbuf[UUID_STRLEN + 1] = '"';
	ev->didbuf[UUID_STRLEN + 2] = '\0';
	ev->did = ev->didbuf;
	ev->didlen = UUID_STRLEN + 2;
}

/* Properties as a JSON string (query API rows) become an object. */
static int
load_properties(struct cleaner *c, struct event *ev, char *msg,
    size_t size)
{
	const struct jmember *m = member(c, ev, R_PROPERTIES);
	struct jerr e;
	char why[160];

	if (m == NULL || m->type == JT_NULL) {
		c->props.n = 0;
		return 0;
	}
	if (m->type == JT_OBJECT)
		return 0;	/* its members were found in the first pass */
	if (m->type != JT_STRING)
		return refusal(msg, size, "%s",
		    "\"properties\" is not an object");
	c->propstext.len = 0;
	js_unescape(&c->propstext, m->val, m->vallen);
	c->props.n = 0;
	if (js_ws(c->propstext.p, c->propstext.p + c->propstext.len) ==
	    c->propstext.p + c->propstext.len)
		return 0;
	if (js_parse_object(c->propstext.p, c->propstext.len, &c->props,
	    NULL, NULL, &e) == -1)
		return refusal(msg, size, "\"properties\" string: %s",
		    js_strerror(&e, c->propstext.p, why, sizeof(why)));
	return 0;
}

/*
 * Postgres-era sources (2021-22) list an "elements" array and no
 * elements_chain, and ingestion reads autocapture elements from
 * properties.$elements_chain: the array is written as that chain, in
 * the text PostHog's elements_to_string writes
 * (posthog/models/element/element.py at 10dc7c2, the same since
 * ee/clickhouse/models/element.py of 2021 but for the '"' it now takes
 * out of class names).  Per element, in the array's order (the listing
 * API's, by "order"): the tag name, ".class" for each class sorted,
 * ':', then name="value" for each attribute sorted by name, with no
 * separator: text, href and attr_id when not empty, nth-child and
 * nth-of-type (0 when empty), then the "attributes" object, whose names
 * win over those; '"' in names and values written \".  Elements are
 * joined by ';'.  Values are Python's str() of the JSON value.
 */

/* Python's truth value of a value, as PostHog's "if element.text" sees it. */
static int
py_truthy(const struct jmember *m)
{
	const char *p, *z;

	if (m == NULL)
		return 0;
	switch (m->type) {
	case JT_NULL:
	case JT_FALSE:
		return 0;
	case JT_STRING:
		return m->vallen > 2;
	case JT_ARRAY:
	case JT_OBJECT:
		/* Not [] or {}: what follows the bracket is not its pair. */
		z = m->val + m->vallen;
		return js_ws(m->val + 1, z) != z - 1;
	case JT_NUMBER:
		/* 0, -0, 0.0 and 0e5 are all false. */
		for (p = m->val, z = p + m->vallen; p < z && *p != 'e' &&
		    *p != 'E'; p++)
			if (*p >= '1' && *p <= '9')
				return 1;
		return 0;
	default:
		return 1;
	}
}

static int
is_integer_text(const char *p, size_t n)
{
	return memchr(p, '.', n) == NULL && memchr(p, 'e', n) == NULL &&
	    memchr(p, 'E', n) == NULL;
}

/*
 * Python's str() of a value, appended to c->text.  A float's or a
 * container's Python text is not the JSON text: refuse those rather
 * than write a chain PostHog would not have written.
 */
static int
py_str(struct cleaner *c, const struct jmember *m, size_t no,
    const char *what, const char *name, size_t namelen, char *msg,
    size_t size)
{
	char shown[64];

	switch (m->type) {
	case JT_STRING:
		js_unescape(&c->text, m->val, m->vallen);
		return 0;
	case JT_TRUE:
		buf_addstr(&c->text, "True");
		return 0;
	case JT_FALSE:
		buf_addstr(&c->text, "False");
		return 0;
	case JT_NULL:
		buf_addstr(&c->text, "None");
		return 0;
	case JT_NUMBER:
		if (is_integer_text(m->val, m->vallen)) {
			/* An integer: Python writes -0 as 0. */
			if (!py_truthy(m))
				buf_addc(&c->text, '0');
			else
				buf_add(&c->text, m->val, m->vallen);
			return 0;
		}
		break;
	default:
		break;
	}
	return refusal(msg, size, "elements[%zu].%s%s: a float, array or "
	    "object, whose text in a chain would be Python's", no, what,
	    printable(name, namelen, shown, sizeof(shown)));
}

static void
part_start(struct cleaner *c)
{
	struct chainpart *p;

	if (c->nparts == c->partcap) {
		c->partcap = c->partcap ? c->partcap * 2 : 16;
		c->parts = xreallocarray(c->parts, c->partcap,
		    sizeof(c->parts[0]));
	}
	p = &c->parts[c->nparts];
	p->seq = c->nparts++;
	p->koff = c->text.len;
	p->klen = p->voff = p->vlen = 0;
}

/* The name is in c->text: what follows is the value. */
static void
part_value(struct cleaner *c)
{
	struct chainpart *p = &c->parts[c->nparts - 1];

	p->klen = c->text.len - p->koff;
	p->voff = c->text.len;
}

static void
part_end(struct cleaner *c)
{
	struct chainpart *p = &c->parts[c->nparts - 1];

	p->vlen = c->text.len - p->voff;
}

/* Python's order of str: by code point, which is UTF-8's byte order. */
static int
part_cmp(const void *a, const void *b)
{
	const struct chainpart *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int d = n > 0 ? memcmp(x->k, y->k, n) : 0;

	if (d != 0)
		return d;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
same_name(const struct chainpart *a, const struct chainpart *b)
{
	return a->klen == b->klen &&
	    (a->klen == 0 || memcmp(a->k, b->k, a->klen) == 0);
}

static void
parts_sort(struct cleaner *c)
{
	size_t i;

	for (i = 0; i < c->nparts; i++) {
		c->parts[i].k = c->text.p + c->parts[i].koff;
		c->parts[i].v = c->text.p + c->parts[i].voff;
	}
	if (c->nparts > 1)
		qsort(c->parts, c->nparts, sizeof(c->parts[0]), part_cmp);
}

/* elements_to_string's _escape. */
static void
put_escaped(struct buf *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(o, '\\');
		buf_addc(o, s[i]);
	}
}

static int
put_classes(struct cleaner *c, const struct jmember *m, size_t no,
    char *msg, size_t size)
{
	struct jerr e;
	size_t i, j;

	if (!py_truthy(m))
		return 0;
	if (m->type != JT_ARRAY ||
	    js_array(m->val, m->val + m->vallen, &c->classes, &e) == NULL)
		return refusal(msg, size, "elements[%zu].attr_class is not "
		    "an array of strings", no);
	c->text.len = 0;
	c->nparts = 0;
	for (i = 0; i < c->classes.n; i++) {
		const struct jitem *it = &c->classes.v[i];

		if (it->type != JT_STRING)
			return refusal(msg, size, "elements[%zu].attr_class "
			    "is not an array of strings", no);
		part_start(c);
		js_unescape(&c->text, it->p, it->len);
		part_value(c);
		part_end(c);
	}
	parts_sort(c);
	for (i = 0; i < c->nparts; i++) {
		buf_addc(&c->chain, '.');
		for (j = 0; j < c->parts[i].klen; j++)
			if (c->parts[i].k[j] != '"')
				buf_addc(&c->chain, c->parts[i].k[j]);
	}
	return 0;
}

/* One of the attributes an element's own fields give. */
static int
add_field(struct cleaner *c, const char *name, const char *field,
    int always, size_t no, char *msg, size_t size)
{
	const struct jmember *m = js_get(&c->el, field);

	if (!py_truthy(m) && !always)
		return 0;
	part_start(c);
	buf_addstr(&c->text, name);
	part_value(c);
	if (!py_truthy(m))
		buf_addc(&c->text, '0');	/* nth_child or 0 */
	else if (py_str(c, m, no, "", field, strlen(field), msg, size) == -1)
		return -1;
	part_end(c);
	return 0;
}

static int
put_attributes(struct cleaner *c, size_t no, char *msg, size_t size)
{
	const struct jmember *m = js_get(&c->el, "attributes");
	size_t i;

	c->text.len = 0;
	c->nparts = 0;
	if (add_field(c, "text", "text", 0, no, msg, size) == -1 ||
	    add_field(c, "nth-child", "nth_child", 1, no, msg, size) == -1 ||
	    add_field(c, "nth-of-type", "nth_of_type", 1, no, msg,
	    size) == -1 ||
	    add_field(c, "href", "href", 0, no, msg, size) == -1 ||
	    add_field(c, "attr_id", "attr_id", 0, no, msg, size) == -1)
		return -1;
	if (m != NULL && m->type != JT_NULL && m->type != JT_OBJECT)
		return refusal(msg, size, "elements[%zu].attributes is not an "
		    "object", no);
	for (i = 0; m != NULL && m->type == JT_OBJECT &&
	    i < c->elattrs.n; i++) {
		const struct jmember *a = &c->elattrs.v[i];

		part_start(c);
		js_unescape(&c->text, a->key, a->keylen);
		part_value(c);
		if (py_str(c, a, no, "attributes.", a->key + 1, a->keylen - 2,
		    msg, size) == -1)
			return -1;
		part_end(c);
	}
	parts_sort(c);
	for (i = 0; i < c->nparts; i++) {
		const struct chainpart *p = &c->parts[i];

		/* A dict: of equal names, the one merged last. */
		if (i + 1 < c->nparts && same_name(p, p + 1))
			continue;
		put_escaped(&c->chain, p->k, p->klen);
		buf_add(&c->chain, "=\"", 2);
		put_escaped(&c->chain, p->v, p->vlen);
		buf_addc(&c->chain, '"');
	}
	return 0;
}

static int
put_element(struct cleaner *c, const struct jitem *it, size_t no,
    char *msg, size_t size)
{
	const struct jmember *tag;
	struct jerr e;

	if (it->type != JT_OBJECT || js_parse_object(it->p, it->len, &c->el,
	    "attributes", &c->elattrs, &e) == -1)
		return refusal(msg, size, "elements[%zu] is not an object",
		    no);
	tag = js_get(&c->el, "tag_name");
	if (py_truthy(tag)) {
		if (tag->type != JT_STRING)
			return refusal(msg, size, "elements[%zu].tag_name is "
			    "not a string", no);
		js_unescape(&c->chain, tag->val, tag->vallen);
	}
	if (put_classes(c, js_get(&c->el, "attr_class"), no, msg,
	    size) == -1)
		return -1;
	buf_addc(&c->chain, ':');
	return put_attributes(c, no, msg, size);
}

/*
 * The chain the event's "elements" give, into c->chain, when it has no
 * chain already.
 */
static int
build_chain(struct cleaner *c, struct event *ev, char *msg, size_t size)
{
	const struct jmember *m = member(c, ev, R_ELEMENTS);
	const struct jmember *given = member(c, ev, R_ELEMENTS_CHAIN);
	struct jerr e;
	size_t i;

	c->chain.len = 0;
	/* Most events have none: the cheap tests first. */
	if (m == NULL || m->type == JT_NULL ||
	    (m->type == JT_ARRAY && !py_truthy(m)) ||
	    (given != NULL && given->type == JT_STRING && given->vallen > 2) ||
	    !js_is_blank(js_get(&c->props, "$elements_chain")))
		return 0;
	if (m->type != JT_ARRAY ||
	    js_array(m->val, m->val + m->vallen, &c->elems, &e) == NULL)
		return refusal(msg, size, "%s", "\"elements\" is not an array");
	for (i = 0; i < c->elems.n; i++) {
		if (i > 0)
			buf_addc(&c->chain, ';');
		if (put_element(c, &c->elems.v[i], i, msg, size) == -1)
			return -1;
	}
	return 0;
}

static void
put_key(struct buf *o, int *n, const char *key)
{
	if ((*n)++ > 0)
		buf_addc(o, ',');
	buf_addc(o, '"');
	buf_addstr(o, key);
	buf_add(o, "\":", 2);
}

static void
put_member(struct buf *o, int *n, const struct jmember *m)
{
	if ((*n)++ > 0)
		buf_addc(o, ',');
	buf_add(o, m->key, m->keylen);
	buf_addc(o, ':');
	buf_add(o, m->val, m->vallen);
}

static void
put_uuid(struct cleaner *c, const struct event *ev, int *n)
{
	put_key(&c->out, n, "uuid");
	if (ev->uuid_from != R_OTHER) {
		const struct jmember *m = member(c, ev, ev->uuid_from);

		buf_add(&c->out, m->val, m->vallen);
		return;
	}
	buf_addc(&c->out, '"');
	buf_add(&c->out, ev->uuid, UUID_STRLEN);
	buf_addc(&c->out, '"');
}

/*
 * Rules 3 to 5 inside the properties: the distinct_id, the elements
 * chain (given, or built from "elements"), GeoIP off.  Untouched
 * properties are copied as they are.
 */
static void
put_properties(struct cleaner *c, const struct event *ev, int *n)
{
	const struct jmember *src = member(c, ev, R_PROPERTIES);
	const struct jmember *chain = member(c, ev, R_ELEMENTS_CHAIN);
	const struct jmembers *p = &c->props;
	long pd = js_find(p, "distinct_id");
	int fix_did = pd < 0 || is_blank_id(c, &p->v[pd]);
	int old_chain = !js_is_blank(js_get(p, "$elements_chain"));
	int given = chain != NULL && chain->type == JT_STRING &&
	    chain->vallen > 2;
	int add_chain = !old_chain && (given || c->chain.len > 0);
	int set_geoip = !c->keep_geoip;
	struct buf *o = &c->out;
	int k = 0;
	size_t i;

	put_key(o, n, "properties");
	if (!fix_did && !add_chain && !set_geoip && src != NULL &&
	    src->type == JT_OBJECT) {
		buf_add(o, src->val, src->vallen);
		return;
	}
	buf_addc(o, '{');
	for (i = 0; i < p->n; i++) {
		const struct jmember *m = &p->v[i];

		if ((fix_did && js_key_eq(m, "distinct_id")) ||
		    (add_chain && js_key_eq(m, "$elements_chain")) ||
		    (set_geoip && js_key_eq(m, "$geoip_disable")))
			continue;
		put_member(o, &k, m);
	}
	if (fix_did) {
		put_key(o, &k, "distinct_id");
		buf_add(o, ev->did, ev->didlen);
	}
	if (add_chain) {
		put_key(o, &k, "$elements_chain");
		if (given)
			buf_add(o, chain->val, chain->vallen);
		else
			js_escape(o, c->chain.p, c->chain.len);
	}
	if (set_geoip) {
		put_key(o, &k, "$geoip_disable");
		buf_addstr(o, "true");
	}
	buf_addc(o, '}');
}

/* The event's members in their order, as the rules change them. */
static void
put_event(struct cleaner *c, const struct event *ev)
{
	struct buf *o = &c->out;
	size_t i;
	int n = 0;

	o->len = 0;
	buf_addc(o, '{');
	for (i = 0; i < c->top.n; i++) {
		switch (c->role[i]) {
		case R_DROP:
		case R_ELEMENTS:
		case R_ELEMENTS_CHAIN:
			break;
		case R_ID:
		case R_UUID:
			if ((long)i == ev->uuid_at)
				put_uuid(c, ev, &n);
			break;
		case R_DOLLAR_DISTINCT_ID:
			/* One distinct_id out, where the first one was. */
			if (ev->at[R_DISTINCT_ID] >= 0)
				break;
			/* FALLTHROUGH */
		case R_DISTINCT_ID:
			put_key(o, &n, "distinct_id");
			buf_add(o, ev->did, ev->didlen);
			break;
		case R_PROPERTIES:
			put_properties(c, ev, &n);
			break;
		default:
			put_member(o, &n, &c->top.v[i]);
		}
	}
	if (ev->uuid_at < 0)
		put_uuid(c, ev, &n);
	if (ev->at[R_DISTINCT_ID] < 0 && ev->at[R_DOLLAR_DISTINCT_ID] < 0) {
		put_key(o, &n, "distinct_id");
		buf_add(o, ev->did, ev->didlen);
	}
	if (ev->at[R_PROPERTIES] < 0)
		put_properties(c, ev, &n);
	buf_addc(o, '}');
}

int
clean_event(struct cleaner *c, const char *line, size_t len, char *msg,
    size_t size)
{
	struct event ev;
	struct jerr e;

	/* As capture's serde_json: 1e400 would fail the whole batch. */
	js_refuse_huge_numbers(1);
	if (js_parse_object(line, len, &c->top, "properties", &c->props,
	    &e) == -1) {
		js_strerror(&e, line, msg, size);
		return -1;
	}
	if (check_duplicates(c, msg, size) == -1 ||
	    find_roles(c, &ev, msg, size) == -1 ||
	    load_properties(c, &ev, msg, size) == -1 ||
	    build_chain(c, &ev, msg, size) == -1)
		return -1;
	choose_uuid(c, &ev, line, len);
	choose_distinct_id(c, &ev);
	put_event(c, &ev);
	return 0;
}

void
cleaner_free(struct cleaner *c)
{
	js_members_free(&c->top);
	js_members_free(&c->props);
	free(c->role);
	buf_free(&c->propstext);
	buf_free(&c->tmp);
	buf_free(&c->out);
	js_items_free(&c->elems);
	js_items_free(&c->classes);
	js_members_free(&c->el);
	js_members_free(&c->elattrs);
	free(c->parts);
	buf_free(&c->text);
	buf_free(&c->chain);
}
