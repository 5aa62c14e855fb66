#include <string.h>

#include "capsize.h"
#include "jscan.h"

/*
 * Sizes of a JSON text as serde_json writes it compactly (plain), how
 * many of its bytes are '"' or '\\' and so double when that text is
 * embedded as a string (extra), and its decoded bytes (raw, strings only).
 */
struct measure {
	size_t	plain;
	size_t	extra;
	size_t	raw;
	size_t	chars;		/* decoded characters, strings only */
};

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		v |= c >= '0' && c <= '9' ? (unsigned)(c - '0') :
		    c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
		    (unsigned)(c - 'A' + 10);
	}
	return v;
}

/* One decoded code point as serde_json escapes it (its format_escaped_str). */
static void
code_point(struct measure *m, unsigned cp)
{
	m->chars++;
	if (cp == '"' || cp == '\\') {
		m->plain += 2, m->extra += 2, m->raw += 1;
	} else if (cp == '\b' || cp == '\f' || cp == '\n' || cp == '\r' ||
	    cp == '\t') {
		m->plain += 2, m->extra += 1, m->raw += 1;
	} else if (cp < 0x20) {
		m->plain += 6, m->extra += 1, m->raw += 1;
	} else {
		size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

		m->plain += n, m->raw += n;
	}
}

/* Plain bytes copied as they are: counted, characters by lead bytes. */
static void
plain_run(struct measure *m, const char *p, size_t n, int chars)
{
	size_t i;

	m->plain += n, m->raw += n;
	if (chars)
		for (i = 0; i < n; i++)
			m->chars += ((unsigned char)p[i] & 0xC0) != 0x80;
}

/*
 * A valid string literal at p (quotes included); returns its end.
 * Characters are counted only when chars is set (a distinct_id's cut).
 */
static const char *
string_size(const char *p, const char *end, struct measure *m, int chars)
{
	const char *q, *bs;
	unsigned cp, lo;

	m->plain += 2, m->extra += 2;		/* its two quotes */
	for (p++; p < end && *p != '"'; ) {
		/* The run up to the next quote or backslash, found by memchr. */
		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
			q = end;
		if ((bs = memchr(p, '\\', (size_t)(q - p))) != NULL)
			q = bs;
		plain_run(m, p, (size_t)(q - p), chars);
		if ((p = q) >= end || *p == '"')
			break;
		switch (p[1]) {
		case 'u':
			cp = hex4(p + 2);
			p += 6;
			if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (lo = hex4(p + 2)) >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000;
				p += 6;
			}
			code_point(m, cp);
			break;
		case 'b': code_point(m, '\b'); p += 2; break;
		case 'f': code_point(m, '\f'); p += 2; break;
		case 'n': code_point(m, '\n'); p += 2; break;
		case 'r': code_point(m, '\r'); p += 2; break;
		case 't': code_point(m, '\t'); p += 2; break;
		default: code_point(m, (unsigned char)p[1]); p += 2; break;
		}
	}
	return p + 1;
}

/* Any valid JSON value text, written compactly. */
static void
value_size(const char *p, const char *end, struct measure *m)
{
	while (p < end) {
		if (*p == '"')
			p = string_size(p, end, m, 0);
		else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else
			m->plain++, p++;
	}
}

/* A string's size once it is cut to 200 characters, as capture does. */
static void
distinct_id_size(const struct jmember *d, struct measure *out)
{
	struct measure m = { 0, 0, 0, 0 };

	if (d->type == JT_STRING) {
		string_size(d->val, d->val + d->vallen, &m, 1);
		if (m.chars > 200) {
			/* Scale: the cut keeps 200 of m.chars characters. */
			m.plain = 2 + (m.plain - 2) * 200 / m.chars;
			m.extra = 2 + (m.extra - 2) * 200 / m.chars;
			m.raw = m.raw * 200 / m.chars;
		}
	} else {
		/* value.to_string(), then that text as a string. */
		value_size(d->val, d->val + d->vallen, &m);
		m.raw = m.plain;
		m.plain += m.extra + 2;
		m.extra = 2 * m.extra + 2;
	}
	*out = m;
}

/* The members RawEvent keeps, under the names it writes them with. */
static const char *
raw_event_name(const struct jmember *k)
{
	static const char *const keys[][2] = {
		{ "token", "token" }, { "$token", "token" },
		{ "api_key", "token" }, { "distinct_id", "distinct_id" },
		{ "$distinct_id", "distinct_id" }, { "event", "event" },
		{ "properties", "properties" }, { "timestamp", "timestamp" },
		{ "offset", "offset" }, { "$set", "$set" },
		{ "$set_once", "$set_once" },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (js_key_eq(k, keys[i][0]))
			return keys[i][1];
	return NULL;
}

size_t
capture_message_size(const struct jmembers *top,
    const struct jmembers *props, size_t token_len)
{
	/* {"uuid":"…","distinct_id":…,"ip":"…","data":"…","now":"…","token":"…"} */
	static const size_t fixed = sizeof("{\"uuid\":\"\",\"distinct_id\":"
	    ",\"ip\":\"\",\"data\":\"\",\"now\":\"\",\"token\":\"\"}") - 1;
	const size_t uuid = 36, ip = 39, now = 35;	/* IPv6; RFC 3339 */
	struct measure data = { 0, 0, 0, 0 }, did = { 0, 0, 0, 0 };
	const struct jmember *m;
	const char *name;
	int has_props = 0, n = 0;
	size_t i;

	data.plain = 2;				/* { } */
	for (i = 0; i < top->n; i++) {
		m = &top->v[i];
		if ((name = raw_event_name(m)) == NULL ||
		    (m->type == JT_NULL && strcmp(name, "event") != 0 &&
		    strcmp(name, "properties") != 0))
			continue;	/* unknown, or None and skipped */
		has_props |= strcmp(name, "properties") == 0;
		if (strcmp(name, "distinct_id") == 0)
			distinct_id_size(m, &did);
		/* "name": and a comma between members */
		data.plain += strlen(name) + 3 + (n++ > 0);
		data.extra += 2;
		value_size(m->val, m->val + m->vallen, &data);
	}
	/* Without a top-level one, capture takes properties.distinct_id. */
	if (did.plain == 0 && (m = js_get(props, "distinct_id")) != NULL &&
	    m->type != JT_NULL)
		distinct_id_size(m, &did);
	/* "uuid" is always written: the uuid, or null; properties: {} */
	data.plain += sizeof(",\"uuid\":") - 1 + 2 + uuid;
	data.extra += 4;
	if (!has_props)
		data.plain += sizeof(",\"properties\":{}") - 1, data.extra += 2;
	return fixed + uuid + did.plain + ip + data.plain + data.extra + now +
	    token_len +			/* the payload; then the key */
	    token_len + 1 + did.raw;
}
