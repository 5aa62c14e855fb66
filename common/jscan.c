#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "jscan.h"
#include "xalloc.h"

/* Bytes a string may hold unescaped, in the ASCII range. */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The second bytes of the escapes that are two bytes long. */
static const unsigned char simple_escape[256] = {
	['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1,
	['r'] = 1, ['t'] = 1,
};

static const char *
fail(struct jerr *e, const void *at, enum jerr_kind kind, const char *msg)
{
	e->at = at;
	e->kind = kind;
	e->msg = msg;
	return NULL;
}

const char *
js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' ||
	    *p == '\t'))
		p++;
	return p;
}

/* Whether none of 8 bytes ends a run of plain string bytes. */
static inline int
word_is_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t quote = x ^ (ones * '"'), bslash = x ^ (ones * '\\');

	/* A borrow can flag a plain byte too; the byte loop sorts it out. */
	return (((x - ones * 0x20) | (quote - ones) | (bslash - ones) | x) &
	    high) == 0;
}

/* The length of a valid UTF-8 sequence at s, or 0 (RFC 3629). */
static size_t
utf8_len(const unsigned char *s, const unsigned char *z)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;	/* no UTF-16 surrogates */
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;	/* nothing past U+10FFFF */
	} else
		return 0;
	if ((size_t)(z - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

static int
hex4(const unsigned char *s, const unsigned char *z, unsigned *cp)
{
	unsigned v = 0;
	int i;

	if (z - s < 4)
		return 0;
	for (i = 0; i < 4; i++) {
		unsigned c = s[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return 0;
		v = v << 4 | c;
	}
	*cp = v;
	return 1;
}

/*
 * The escape at s (a backslash).  A \u escape of half a surrogate pair
 * must be followed by the other half: serde_json refuses it otherwise.
 */
static const unsigned char *
scan_escape(const unsigned char *s, const unsigned char *z, struct jerr *e)
{
	unsigned cp, lo;

	if (z - s < 2)
		return (const unsigned char *)fail(e, s, JE_SYNTAX,
		    "unterminated string");
	switch (s[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n':
	case 'r': case 't':
		return s + 2;
	case 'u':
		break;
	default:
		return (const unsigned char *)fail(e, s, JE_SYNTAX,
		    "invalid escape");
	}
	if (!hex4(s + 2, z, &cp))
		return (const unsigned char *)fail(e, s, JE_SYNTAX,
		    "invalid \\u escape");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return (const unsigned char *)fail(e, s, JE_SYNTAX,
		    "lone surrogate in \\u escape");
	if (cp < 0xD800 || cp > 0xDBFF)
		return s + 6;
	if (z - s < 12 || s[6] != '\\' || s[7] != 'u' ||
	    !hex4(s + 8, z, &lo) || lo < 0xDC00 || lo > 0xDFFF)
		return (const unsigned char *)fail(e, s, JE_SYNTAX,
		    "lone surrogate in \\u escape");
	return s + 12;
}

/* The string literal at p (a quote); *esc is set if it holds escapes. */
static const char *
scan_string(const char *p, const char *end, int *esc, struct jerr *e)
{
	const unsigned char *s = (const unsigned char *)p + 1;
	const unsigned char *z = (const unsigned char *)end;
	size_t n;

	*esc = 0;
	for (;;) {
		uint64_t w;

		while (z - s >= 8) {
			memcpy(&w, s, 8);
			if (!word_is_plain(w))
				break;
			s += 8;
		}
		while (s < z && plain[*s])
			s++;
		if (s >= z)
			return fail(e, p, JE_SYNTAX, "unterminated string");
		if (*s == '"')
			return (const char *)s + 1;
		if (*s == '\\' && z - s >= 2 && simple_escape[s[1]]) {
			/* \" and \\ come in runs where a string holds JSON. */
			*esc = 1;
			s += 2;
		} else if (*s == '\\') {
			*esc = 1;
			if ((s = scan_escape(s, z, e)) == NULL)
				return NULL;
		} else if (*s < 0x20)
			return fail(e, s, JE_SYNTAX,
			    "control character in string");
		else if ((n = utf8_len(s, z)) == 0)
			return fail(e, s, JE_UTF8, "invalid UTF-8");
		else
			s += n;
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *
digits(const char *p, const char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/*
 * Set by js_refuse_huge_numbers, for the calling thread: ph-clean and
 * ph-send check what capture will take; ph-fetch copies what a source
 * holds, whatever it is.
 */
static _Thread_local int huge_refused;

void
js_refuse_huge_numbers(int on)
{
	huge_refused = on;
}

/*
 * Whether a number, valid, is beyond a double (1e400): serde_json
 * without arbitrary_precision, which PostHog's capture parses with,
 * refuses it ("number out of range", f64_from_parts and
 * parse_exponent_overflow in serde_json's de.rs), and so the whole
 * request.  A number too small for a double is 0 there, not refused.
 * int_end: the end of the integer part; exp: the exponent's digits, or
 * NULL.
 */
static int
number_huge(const char *p, const char *int_end, const char *exp,
    const char *end)
{
	const char *d, *lead = NULL;
	long mag = 0, x = 0;
	int neg_exp = 0, n = 0;
	char buf[64];

	for (d = *p == '-' ? p + 1 : p; d < (exp ? exp - 1 : end); d++)
		if (*d >= '1' && *d <= '9') {
			lead = d;
			break;
		}
	if (lead == NULL)
		return 0;	/* zero, whatever its exponent */
	if (exp != NULL) {
		neg_exp = *exp == '-';
		for (d = exp + (*exp == '-' || *exp == '+'); d < end; d++)
			if ((x = x * 10 + (*d - '0')) > 100000)
				x = 100000;
	}
	/* The power of ten of the leading digit. */
	mag = lead < int_end ? int_end - lead - 1 : -(long)(lead - int_end);
	mag += neg_exp ? -x : x;
	if (mag != 308)
		return mag > 308;
	/* At the edge: the leading digits decide, as strtod rounds them. */
	for (d = lead; d < (exp ? exp - 1 : end) && n < 40; d++)
		if (*d != '.')
			buf[n++] = *d;
	snprintf(buf + n, sizeof(buf) - (size_t)n, "e%ld", mag - (n - 1));
	return strtod(buf, NULL) > DBL_MAX;
}

int
js_number_huge(const char *p, size_t len)
{
	const char *end = p + len, *s = p + (len > 0 && *p == '-'), *exp;

	while (s < end && is_digit(*s))
		s++;
	for (exp = s; exp < end && *exp != 'e' && *exp != 'E'; exp++)
		;
	return number_huge(p, s, exp < end ? exp + 1 : NULL, end);
}

/* A number as RFC 8259 writes it; its text is never converted. */
static const char *
scan_number(const char *p, const char *end, struct jerr *e)
{
	const char *s = p, *int_end, *exp = NULL;

	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0')
		s++;
	else if (s < end && is_digit(*s))
		s = digits(s, end);
	else
		return fail(e, p, JE_SYNTAX, "invalid number");
	int_end = s;
	if (s < end && *s == '.') {
		if (++s >= end || !is_digit(*s))
			return fail(e, p, JE_SYNTAX, "invalid number");
		s = digits(s, end);
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		exp = ++s;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || !is_digit(*s))
			return fail(e, p, JE_SYNTAX, "invalid number");
		s = digits(s, end);
	}
	/* Only an exponent or 309 digits can pass a double's range. */
	if (huge_refused && (exp != NULL || int_end - p > 308) &&
	    number_huge(p, int_end, exp, s))
		return fail(e, p, JE_SYNTAX, "number out of range");
	return s;
}

static const char *
scan_word(const char *p, const char *end, const char *word, struct jerr *e)
{
	size_t n = strlen(word);

	if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
		return fail(e, p, JE_SYNTAX, "expected a value");
	return p + n;
}

/* Name what sits where a value should start. */
static const char *
not_a_value(const char *p, const char *end, struct jerr *e)
{
	const unsigned char *s = (const unsigned char *)p;

	if (p < end && *s >= 0x80 &&
	    utf8_len(s, (const unsigned char *)end) == 0)
		return fail(e, p, JE_UTF8, "invalid UTF-8");
	return fail(e, p, JE_SYNTAX, p < end ? "expected a value" :
	    "unexpected end of text");
}

static const char *object_at(const char *, const char *, unsigned,
    struct jmembers *, const char *, struct jmembers *, struct jerr *);
static const char *items_at(const char *, const char *, unsigned,
    struct jitems *, struct jerr *);

static const char *
value_at(const char *p, const char *end, unsigned depth, enum jtype *t,
    struct jerr *e)
{
	int esc;

	if (p >= end)
		return not_a_value(p, end, e);
	switch (*p) {
	case '{':
		*t = JT_OBJECT;
		return object_at(p, end, depth + 1, NULL, NULL, NULL, e);
	case '[':
		*t = JT_ARRAY;
		return items_at(p, end, depth + 1, NULL, e);
	case '"':
		*t = JT_STRING;
		return scan_string(p, end, &esc, e);
	case 't':
		*t = JT_TRUE;
		return scan_word(p, end, "true", e);
	case 'f':
		*t = JT_FALSE;
		return scan_word(p, end, "false", e);
	case 'n':
		*t = JT_NULL;
		return scan_word(p, end, "null", e);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		*t = JT_NUMBER;
		return scan_number(p, end, e);
	default:
		return not_a_value(p, end, e);
	}
}

static const char *
too_deep(const char *p, struct jerr *e)
{
	return fail(e, p, JE_SYNTAX, "nesting deeper than 512 levels");
}

/* What follows a member or element that is neither ',' nor the close. */
static const char *
bad_separator(const char *p, const char *end, const char *msg,
    struct jerr *e)
{
	if (p >= end)
		return fail(e, p, JE_SYNTAX, "unexpected end of text");
	if (*(const unsigned char *)p >= 0x80)
		return not_a_value(p, end, e);
	return fail(e, p, JE_SYNTAX, msg);
}

static void
items_push(struct jitems *it, const char *p, size_t len, enum jtype t)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 64;
		it->v = xreallocarray(it->v, it->cap, sizeof(*it->v));
	}
	it->v[it->n].p = p;
	it->v[it->n].len = len;
	it->v[it->n++].type = t;
}

/* An array; when items is not NULL, each element's span goes there. */
static const char *
items_at(const char *p, const char *end, unsigned depth,
    struct jitems *items, struct jerr *e)
{
	const char *q;
	enum jtype t;

	if (depth > JS_MAX_DEPTH)
		return too_deep(p, e);
	p = js_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1;
	for (;;) {
		if ((q = value_at(p, end, depth, &t, e)) == NULL)
			return NULL;
		if (items != NULL)
			items_push(items, p, (size_t)(q - p), t);
		p = js_ws(q, end);
		if (p < end && *p == ',')
			p = js_ws(p + 1, end);
		else if (p < end && *p == ']')
			return p + 1;
		else
			return bad_separator(p, end, "expected ',' or ']'", e);
	}
}

static void
push_member(struct jmembers *m, const struct jmember *mb)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
	}
	m->v[m->n++] = *mb;
}

/* One "key": value pair at p; its end, or NULL. */
static const char *
member_at(const char *p, const char *end, unsigned depth,
    struct jmember *mb, const char *subkey, struct jmembers *sub,
    struct jerr *e)
{
	const char *q;

	if (p >= end || *p != '"')
		return bad_separator(p, end, "expected a string key", e);
	mb->key = p;
	if ((q = scan_string(p, end, &mb->key_esc, e)) == NULL)
		return NULL;
	mb->keylen = (size_t)(q - p);
	p = js_ws(q, end);
	if (p >= end || *p != ':')
		return bad_separator(p, end, "expected ':'", e);
	p = js_ws(p + 1, end);
	mb->val = p;
	if (sub != NULL && p < end && *p == '{' &&
	    js_str_eq(mb->key, mb->keylen, mb->key_esc, subkey)) {
		mb->type = JT_OBJECT;
		q = object_at(p, end, depth + 1, sub, NULL, NULL, e);
	} else
		q = value_at(p, end, depth, &mb->type, e);
	if (q == NULL)
		return NULL;
	mb->vallen = (size_t)(q - p);
	return q;
}

static const char *
object_at(const char *p, const char *end, unsigned depth,
    struct jmembers *m, const char *subkey, struct jmembers *sub,
    struct jerr *e)
{
	struct jmember mb;

	if (depth > JS_MAX_DEPTH)
		return too_deep(p, e);
	if (m != NULL)
		m->n = 0;
	p = js_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		p = member_at(p, end, depth, &mb, subkey, sub, e);
		if (p == NULL)
			return NULL;
		if (m != NULL)
			push_member(m, &mb);
		p = js_ws(p, end);
		if (p < end && *p == ',')
			p = js_ws(p + 1, end);
		else if (p < end && *p == '}')
			return p + 1;
		else
			return bad_separator(p, end, "expected ',' or '}'", e);
	}
}

/*
 * The object at p, its members into m.  When subkey is not NULL, the
 * members of the object stored under that key go into sub as well, in
 * the same pass.
 */
static const char *
js_object(const char *p, const char *end, struct jmembers *m,
    const char *subkey, struct jmembers *sub, struct jerr *e)
{
	if (sub != NULL)
		sub->n = 0;
	if (p >= end || *p != '{')
		return fail(e, p, JE_NOT_OBJECT, "not a JSON object");
	return object_at(p, end, 1, m, subkey, sub, e);
}

const char *
js_array(const char *p, const char *end, struct jitems *items,
    struct jerr *e)
{
	items->n = 0;
	if (p >= end || *p != '[')
		return fail(e, p, JE_SYNTAX, "not a JSON array");
	return items_at(p, end, 1, items, e);
}

int
js_parse_object(const char *p, size_t len, struct jmembers *m,
    const char *subkey, struct jmembers *sub, struct jerr *e)
{
	const char *end = p + len, *q, *r;
	enum jtype t;

	q = js_ws(p, end);
	if (q < end && *q == '{')
		r = js_object(q, end, m, subkey, sub, e);
	else
		r = value_at(q, end, 0, &t, e);
	if (r == NULL)
		return -1;
	if ((r = js_ws(r, end)) != end) {
		bad_separator(r, end, "unexpected text after the value", e);
		return -1;
	}
	if (*q != '{') {
		fail(e, q, JE_NOT_OBJECT, "not a JSON object");
		return -1;
	}
	return 0;
}

/*
 * Decode one character of a valid string body at *sp into out (up to
 * 4 bytes); returns its length and advances *sp.
 */
static size_t
decode_char(const unsigned char **sp, unsigned char out[4])
{
	const unsigned char *s = *sp;
	unsigned cp = 0, lo = 0xDC00;

	if (*s != '\\') {
		out[0] = *s;
		*sp = s + 1;
		return 1;
	}
	switch (s[1]) {
	case 'b': out[0] = '\b'; break;
	case 'f': out[0] = '\f'; break;
	case 'n': out[0] = '\n'; break;
	case 'r': out[0] = '\r'; break;
	case 't': out[0] = '\t'; break;
	case 'u':
		hex4(s + 2, s + 6, &cp);
		*sp = s + 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			hex4(s + 8, s + 12, &lo);
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			*sp = s + 12;
		}
		if (cp < 0x80) {
			out[0] = (unsigned char)cp;
			return 1;
		}
		if (cp < 0x800) {
			out[0] = (unsigned char)(0xC0 | cp >> 6);
			out[1] = (unsigned char)(0x80 | (cp & 0x3F));
			return 2;
		}
		if (cp < 0x10000) {
			out[0] = (unsigned char)(0xE0 | cp >> 12);
			out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			out[2] = (unsigned char)(0x80 | (cp & 0x3F));
			return 3;
		}
		out[0] = (unsigned char)(0xF0 | cp >> 18);
		out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[3] = (unsigned char)(0x80 | (cp & 0x3F));
		return 4;
	default: out[0] = s[1]; break;	/* '"', '\\', '/' */
	}
	*sp = s + 2;
	return 1;
}

int
js_str_eq(const char *str, size_t len, int escaped, const char *lit)
{
	const unsigned char *s = (const unsigned char *)str + 1;
	const unsigned char *z = (const unsigned char *)str + len - 1;
	const unsigned char *l = (const unsigned char *)lit;
	size_t rem = strlen(lit), n;
	unsigned char c[4];

	if (!escaped)
		return len - 2 == rem && memcmp(s, lit, rem) == 0;
	while (s < z) {
		n = decode_char(&s, c);
		if (n > rem || memcmp(l, c, n) != 0)
			return 0;
		l += n;
		rem -= n;
	}
	return rem == 0;
}

int
js_key_eq(const struct jmember *m, const char *lit)
{
	return js_str_eq(m->key, m->keylen, m->key_esc, lit);
}

long
js_find(const struct jmembers *m, const char *key)
{
	size_t i;

	for (i = m->n; i > 0; i--)
		if (js_key_eq(&m->v[i - 1], key))
			return (long)(i - 1);
	return -1;
}

const struct jmember *
js_get(const struct jmembers *m, const char *key)
{
	long i = js_find(m, key);

	return i >= 0 ? &m->v[i] : NULL;
}

int
js_is_blank(const struct jmember *m)
{
	return m == NULL || m->type == JT_NULL ||
	    (m->type == JT_STRING && m->vallen == 2);
}

static int
same_key(const struct jmember *a, const struct jmember *b, struct buf *tmp)
{
	size_t alen;

	if (!a->key_esc && !b->key_esc)
		return a->keylen == b->keylen &&
		    memcmp(a->key, b->key, a->keylen) == 0;
	tmp->len = 0;
	js_unescape(tmp, a->key, a->keylen);
	alen = tmp->len;
	js_unescape(tmp, b->key, b->keylen);
	return tmp->len - alen == alen &&
	    memcmp(tmp->p, tmp->p + alen, alen) == 0;
}

struct keyhash {
	uint64_t	 h;
	size_t		 i;
};

static int
by_hash(const void *a, const void *b)
{
	const struct keyhash *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/* A hash of the key as decoded, so "id" and "\u0069d" agree. */
static uint64_t
key_hash(const struct jmember *m, struct buf *tmp)
{
	if (!m->key_esc)
		return hash64(m->key + 1, m->keylen - 2, 0);
	tmp->len = 0;
	js_unescape(tmp, m->key, m->keylen);
	return hash64(tmp->p, tmp->len, 0);
}

const struct jmember *
js_repeated_key(const struct jmembers *m, struct buf *tmp)
{
	const struct jmember *dup = NULL;
	struct keyhash *k;
	size_t i, j;

	if (m->n <= 16) {	/* an event's few keys: compare them all */
		for (i = 1; i < m->n; i++)
			for (j = 0; j < i; j++)
				if (same_key(&m->v[i], &m->v[j], tmp))
					return &m->v[i];
		return NULL;
	}
	/* Many keys: sort by hash, compare only neighbours that collide. */
	k = xreallocarray(NULL, m->n, sizeof(*k));
	for (i = 0; i < m->n; i++) {
		k[i].h = key_hash(&m->v[i], tmp);
		k[i].i = i;
	}
	qsort(k, m->n, sizeof(*k), by_hash);
	for (i = 1; i < m->n && dup == NULL; i++)
		for (j = i; j > 0 && k[j - 1].h == k[i].h && dup == NULL; j--)
			if (same_key(&m->v[k[i].i], &m->v[k[j - 1].i], tmp))
				dup = &m->v[k[i].i > k[j - 1].i ? k[i].i :
				    k[j - 1].i];
	free(k);
	return dup;
}

/* The byte a two-character escape stands for: \n, \", \\ and the rest. */
static inline unsigned char
escaped_byte(unsigned char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return c;	/* '"', '\\', '/' */
	}
}

/*
 * Decoding never lengthens a string (an escape of 2, 6 or 12 bytes
 * gives 1 to 4), so the body is decoded straight into the room reserved:
 * properties that the query API sends as a string are dense with \".
 */
void
js_unescape(struct buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str + 1;
	const unsigned char *z = (const unsigned char *)str + len - 1;
	unsigned char *o;

	buf_reserve(out, len);
	o = (unsigned char *)out->p + out->len;
	while (s < z) {
		if (*s != '\\')
			*o++ = *s++;
		else if (s[1] != 'u') {
			*o++ = escaped_byte(s[1]);
			s += 2;
		} else
			o += decode_char(&s, o);
	}
	*o = '\0';
	out->len = (size_t)(o - (unsigned char *)out->p);
}

void
js_escape(struct buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *z = s + n, *run;

	buf_reserve(out, n + 2);
	buf_addc(out, '"');
	while (s < z) {
		for (run = s; s < z && *s >= 0x20 && *s != '"' && *s != '\\';
		    s++)
			;
		buf_add(out, run, (size_t)(s - run));
		if (s == z)
			break;
		buf_addc(out, '\\');
		switch (*s) {
		case '"': buf_addc(out, '"'); break;
		case '\\': buf_addc(out, '\\'); break;
		case '\n': buf_addc(out, 'n'); break;
		case '\r': buf_addc(out, 'r'); break;
		case '\t': buf_addc(out, 't'); break;
		case '\b': buf_addc(out, 'b'); break;
		case '\f': buf_addc(out, 'f'); break;
		default:
			buf_addstr(out, "u00");
			buf_addc(out, hex[*s >> 4]);
			buf_addc(out, hex[*s & 15]);
		}
		s++;
	}
	buf_addc(out, '"');
}

const char *
js_strerror(const struct jerr *e, const char *start, char *msg,
    size_t size)
{
	unsigned long long at = (unsigned long long)(e->at - start) + 1;

	if (e->kind == JE_NOT_OBJECT)
		snprintf(msg, size, "not a JSON object");
	else if (e->kind == JE_UTF8)
		snprintf(msg, size, "invalid UTF-8 at byte %llu", at);
	else
		snprintf(msg, size, "invalid JSON at byte %llu: %s", at,
		    e->msg);
	return msg;
}

void
js_members_free(struct jmembers *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

void
js_items_free(struct jitems *it)
{
	free(it->v);
	it->v = NULL;
	it->n = it->cap = 0;
}
