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
	R_PROPERTIES,
	R_ELEMENTS_CHAIN,
	R_DROP,			/* person, elements, sent_at, ... */
	NROLES
};

static const struct {
	const char	*key;
	enum role	 role;
} roles[] = {
	{ "event", R_EVENT },
	{ "id", R_ID },
	{ "uuid", R_UUID },
	{ "distinct_id", R_DISTINCT_ID },
	{ "properties", R_PROPERTIES },
	{ "elements_chain", R_ELEMENTS_CHAIN },
	/* Listing API output, not capture input (doc/posthog.md section 6). */
	{ "person", R_DROP },
	{ "elements", R_DROP },
	{ "team_id", R_DROP },
	/* They would shift every timestamp (doc/posthog.md section 5). */
	{ "sent_at", R_DROP },
	{ "offset", R_DROP },
	{ "now", R_DROP },
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

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (js_key_eq(m, roles[i].key))
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

static int
is_python_space(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) ||
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
 * The original script's test for a distinct_id that must be replaced:
 * missing, null, empty, or "none" in any case once white space (as
 * Python's str.strip() sees it) is trimmed.
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
	while (s < z && is_python_space(utf8_decode(s, &n)))
		s += n;
	while (z > s) {
		for (back = z - 1; back > s && (*back & 0xC0) == 0x80; back--)
			;
		if (!is_python_space(utf8_decode(back, &n)))
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

static void
choose_distinct_id(struct cleaner *c, struct event *ev)
{
	const struct jmember *did = member(c, ev, R_DISTINCT_ID);
	unsigned char u[16], ns[16];

	if (!is_blank_id(c, did)) {
		ev->did = did->val;
		ev->didlen = did->vallen;
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
 * chain, GeoIP off.  Untouched properties are copied as they are.
 */
static void
put_properties(struct cleaner *c, const struct event *ev, int *n)
{
	const struct jmember *src = member(c, ev, R_PROPERTIES);
	const struct jmember *chain = member(c, ev, R_ELEMENTS_CHAIN);
	const struct jmembers *p = &c->props;
	long pd = js_find(p, "distinct_id");
	int fix_did = pd < 0 || is_blank_id(c, &p->v[pd]);
	int add_chain = chain != NULL && chain->type == JT_STRING &&
	    chain->vallen > 2 && js_is_blank(js_get(p, "$elements_chain"));
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
		buf_add(o, chain->val, chain->vallen);
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
		case R_ELEMENTS_CHAIN:
			break;
		case R_ID:
		case R_UUID:
			if ((long)i == ev->uuid_at)
				put_uuid(c, ev, &n);
			break;
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
	if (ev->at[R_DISTINCT_ID] < 0) {
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

	if (js_parse_object(line, len, &c->top, "properties", &c->props,
	    &e) == -1) {
		js_strerror(&e, line, msg, size);
		return -1;
	}
	if (check_duplicates(c, msg, size) == -1 ||
	    find_roles(c, &ev, msg, size) == -1 ||
	    load_properties(c, &ev, msg, size) == -1)
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
}
