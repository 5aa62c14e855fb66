#include <stdio.h>
#include <string.h>

#include "capsize.h"
#include "check.h"
#include "diag.h"
#include "hash.h"
#include "uuid.h"

/* A string member decoded into out (cut to fit), or "" if not one. */
static void
copy_string(struct checker *c, const struct jmember *m, char *out,
    size_t size)
{
	size_t n;

	out[0] = '\0';
	if (m == NULL || m->type != JT_STRING)
		return;
	c->tmp.len = 0;
	js_unescape(&c->tmp, m->val, m->vallen);
	n = c->tmp.len < size - 1 ? c->tmp.len : size - 1;
	memcpy(out, c->tmp.p, n);
	out[n] = '\0';
}

static int
check_uuid(struct checker *c, const struct jmember *m, char *why,
    size_t size)
{
	unsigned char u[16];

	if (m == NULL || m->type == JT_NULL)
		return 0;
	if (m->type != JT_STRING)
		return refusal(why, size, "\"uuid\" is not a string");
	c->tmp.len = 0;
	js_unescape(&c->tmp, m->val, m->vallen);
	if (c->tmp.len > 0 && uuid_parse(c->tmp.p, c->tmp.len, u) == -1)
		return refusal(why, size, "\"uuid\" is not a UUID");
	return 0;
}

/*
 * A hash of a distinct_id as capture reads it: "42" and 42, "a" and
 * "\u0061" are one.
 */
static uint64_t
id_hash(struct checker *c, const struct jmember *id)
{
	c->tmp.len = 0;
	if (id->type == JT_STRING)
		js_unescape(&c->tmp, id->val, id->vallen);
	else
		buf_add(&c->tmp, id->val, id->vallen);
	return hash64(c->tmp.p ? c->tmp.p : "", c->tmp.len, 0);
}

/*
 * An event that ties its distinct_id to another (handleIdentifyOrAlias,
 * tests/emu/persons.c): the sender keeps it in order with the events of
 * both ids.
 */
static int
is_named(const struct jmember *ev, const char *name)
{
	return ev != NULL && ev->type == JT_STRING &&
	    js_str_eq(ev->val, ev->vallen, memchr(ev->val, '\\', ev->vallen)
	    != NULL, name);
}

static void
identity_of(struct checker *c, const struct jmember *ev,
    struct event_info *info)
{
	const struct jmember *o = NULL;

	info->identity = 0;
	info->dangerous = is_named(ev, "$merge_dangerously");
	if (is_named(ev, "$identify"))
		o = js_get(&c->props, "$anon_distinct_id");
	else if (is_named(ev, "$create_alias") || is_named(ev, "$merge_dangerously"))
		o = js_get(&c->props, "alias");
	if (js_is_blank(o))
		return;
	info->other = id_hash(c, o);
	info->identity = 1;
}

int
check_event(struct checker *c, const char *line, size_t len,
    struct event_info *info, char *why, size_t size)
{
	const struct jmember *m, *did;
	struct jerr e;
	char key[64];

	/* As capture's serde_json: 1e400 would fail the whole batch. */
	js_refuse_huge_numbers(1);
	if (js_parse_object(line, len, &c->top, "properties", &c->props,
	    &e) == -1) {
		js_strerror(&e, line, why, size);
		return -1;
	}
	if ((m = js_repeated_key(&c->top, &c->tmp)) != NULL)
		return refusal(why, size, "duplicate key %s",
		    printable(m->key, m->keylen, key, sizeof(key)));
	m = js_get(&c->top, "event");
	if (m == NULL || m->type != JT_STRING || m->vallen == 2)
		return refusal(why, size, "no event name");
	if ((did = js_get(&c->top, "distinct_id")) == NULL)
		did = js_get(&c->top, "$distinct_id");
	if (js_is_blank(did))
		did = js_get(&c->props, "distinct_id");
	if (js_is_blank(did))
		return refusal(why, size, "no distinct_id");
	if (check_uuid(c, js_get(&c->top, "uuid"), why, size) == -1)
		return -1;
	/* Capture's own rule: the Kafka message it makes of the event. */
	info->message = capture_message_size(&c->top, &c->props,
	    c->token_len);
	if (info->message > c->max_event)
		return refusal(why, size, "event of %zu bytes: capture makes "
		    "a %zu-byte Kafka message of it, over the %zu-byte limit",
		    len, info->message, c->max_event);
	info->person = id_hash(c, did);
	identity_of(c, js_get(&c->top, "event"), info);
	copy_string(c, js_get(&c->top, "uuid"), info->uuid, sizeof(info->uuid));
	copy_string(c, js_get(&c->top, "timestamp"), info->ts,
	    sizeof(info->ts));
	return 0;
}

void
checker_free(struct checker *c)
{
	js_members_free(&c->top);
	js_members_free(&c->props);
	buf_free(&c->tmp);
}
