#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jtree.h"
#include "xalloc.h"

void
jtree_set_text(json_object *o, const char *text)
{
	if (text == NULL)
		json_object_set_serializer(o, NULL, NULL, NULL);
	else
		json_object_set_serializer(o, json_object_userdata_to_json_string,
		    xstrdup(text), json_object_free_userdata);
}

const char *
jtree_text(json_object *o)
{
	if (!json_object_is_type(o, json_type_string) &&
	    !json_object_is_type(o, json_type_int) &&
	    !json_object_is_type(o, json_type_double))
		return NULL;
	return json_object_get_userdata(o);
}

/* A number: an int64 when its text is an integer that fits, else a double. */
static json_object *
number(const char *text)
{
	long long v;
	char *end;

	if (strpbrk(text, ".eE") == NULL) {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_object_new_int64(v);
	}
	return json_object_new_double(strtod(text, NULL));
}

static json_object *value(const char *, size_t, enum jtype, struct buf *,
    struct jerr *);

static json_object *
object(const char *p, size_t len, struct buf *tmp, struct jerr *e)
{
	struct jmembers m = { 0 };
	json_object *o, *v;
	size_t i;

	if (js_parse_object(p, len, &m, NULL, NULL, e) == -1) {
		js_members_free(&m);
		return NULL;
	}
	o = json_object_new_object();
	for (i = 0; i < m.n; i++) {
		tmp->len = 0;
		js_unescape(tmp, m.v[i].key, m.v[i].keylen);
		buf_addc(tmp, '\0');
		if (memchr(tmp->p, '\0', tmp->len - 1) != NULL) {
			e->at = m.v[i].key;
			e->kind = JE_SYNTAX;
			e->msg = "a key holding \\u0000";
			break;
		}
		v = value(m.v[i].val, m.v[i].vallen, m.v[i].type, tmp, e);
		if (v == NULL && m.v[i].type != JT_NULL)
			break;
		/* tmp was reused for the value: decode the key again. */
		tmp->len = 0;
		js_unescape(tmp, m.v[i].key, m.v[i].keylen);
		json_object_object_add(o, tmp->p, v);
	}
	if (i < m.n) {
		json_object_put(o);
		o = NULL;
	}
	js_members_free(&m);
	return o;
}

static json_object *
array(const char *p, size_t len, struct buf *tmp, struct jerr *e)
{
	struct jitems it = { 0 };
	json_object *a, *v;
	size_t i;

	if (js_array(p, p + len, &it, e) == NULL) {
		js_items_free(&it);
		return NULL;
	}
	a = json_object_new_array_ext((int)it.n);
	for (i = 0; i < it.n; i++) {
		v = value(it.v[i].p, it.v[i].len, it.v[i].type, tmp, e);
		if (v == NULL && it.v[i].type != JT_NULL)
			break;
		json_object_array_add(a, v);
	}
	if (i < it.n) {
		json_object_put(a);
		a = NULL;
	}
	js_items_free(&it);
	return a;
}

static json_object *
value(const char *p, size_t len, enum jtype t, struct buf *tmp,
    struct jerr *e)
{
	json_object *o;
	char *text;

	switch (t) {
	case JT_OBJECT:
		return object(p, len, tmp, e);
	case JT_ARRAY:
		return array(p, len, tmp, e);
	case JT_TRUE:
	case JT_FALSE:
		return json_object_new_boolean(t == JT_TRUE);
	case JT_NULL:
		return NULL;
	default:
		break;
	}
	text = xmemdup0(p, len);
	if (t == JT_NUMBER)
		o = number(text);
	else {
		tmp->len = 0;
		js_unescape(tmp, p, len);
		o = json_object_new_string_len(tmp->len > 0 ? tmp->p : "",
		    (int)tmp->len);
	}
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    text, json_object_free_userdata);
	return o;
}

json_object *
jtree_parse(const char *p, size_t len, struct jerr *e)
{
	const char *end = p + len, *q = js_ws(p, end), *r;
	struct jitems it = { 0 };
	struct buf tmp = { 0 };
	json_object *o;

	if (q < end && *q == '[') {
		r = js_array(q, end, &it, e);
		js_items_free(&it);
		if (r == NULL)
			return NULL;
		if (js_ws(r, end) != end) {
			e->at = r;
			e->kind = JE_SYNTAX;
			e->msg = "unexpected text after the value";
			return NULL;
		}
		o = array(q, (size_t)(r - q), &tmp, e);
	} else
		o = object(p, len, &tmp, e);
	buf_free(&tmp);
	return o;
}
