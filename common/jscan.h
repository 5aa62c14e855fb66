/*
 * A validating JSON scanner that never converts a value.  It checks a
 * text against RFC 8259 (UTF-8 included, lone surrogate escapes refused,
 * as serde_json in PostHog's capture refuses them) and reports where each
 * member of an object starts and ends, so a program can copy values
 * byte for byte.  Parsing into json-c and printing again would change
 * values: integers beyond 64 bits, "\/" and other escapes, float text
 * such as 1.0 or 1e-7.  Copying spans cannot.
 */
#ifndef PH_JSCAN_H
#define PH_JSCAN_H

#include <stddef.h>

#include "buf.h"

#define JS_MAX_DEPTH	512

enum jtype {
	JT_NONE = 0,
	JT_OBJECT,
	JT_ARRAY,
	JT_STRING,
	JT_NUMBER,
	JT_TRUE,
	JT_FALSE,
	JT_NULL
};

enum jerr_kind {
	JE_SYNTAX = 1,		/* not JSON */
	JE_UTF8,		/* bytes that are not UTF-8 */
	JE_NOT_OBJECT		/* valid JSON, but not an object */
};

struct jerr {
	const char	*at;	/* where the scanner stopped */
	const char	*msg;	/* what it found there */
	enum jerr_kind	 kind;
};

struct jmember {
	const char	*key;	/* the key's text, quotes included */
	size_t		 keylen;
	const char	*val;	/* the value's text */
	size_t		 vallen;
	enum jtype	 type;
	int		 key_esc;	/* the key holds a backslash escape */
};

struct jmembers {
	struct jmember	*v;
	size_t		 n;
	size_t		 cap;
};

struct jitem {
	const char	*p;	/* an array element's text */
	size_t		 len;
	enum jtype	 type;
};

struct jitems {
	struct jitem	*v;
	size_t		 n;
	size_t		 cap;
};

/*
 * From now on, in the calling thread, a number beyond a double's range
 * (1e400) is refused, "number out of range", as PostHog's capture
 * refuses it.  Off by default: a source's text is copied as it is.
 */
void		 js_refuse_huge_numbers(int on);

/* Whether the text of a number, valid JSON, is beyond a double. */
int		 js_number_huge(const char *p, size_t len);

/* Skip JSON white space. */
const char	*js_ws(const char *p, const char *end);

/* The array at p, each element's span into items. */
const char	*js_array(const char *p, const char *end,
		    struct jitems *items, struct jerr *e);

/*
 * A whole text that must be one object and nothing else.  Returns 0, or
 * -1 with *e set; e->msg is "not a JSON object" for any other value.
 */
int		 js_parse_object(const char *p, size_t len,
		    struct jmembers *m, const char *subkey,
		    struct jmembers *sub, struct jerr *e);

/* Whether a string literal (quotes included) decodes to lit. */
int		 js_str_eq(const char *s, size_t len, int escaped,
		    const char *lit);
int		 js_key_eq(const struct jmember *, const char *lit);

/* The index of the last member named key, or -1. */
long		 js_find(const struct jmembers *, const char *key);

/* The last member named key, or NULL. */
const struct jmember *js_get(const struct jmembers *, const char *key);

/* Whether a member is missing (NULL), null, or the empty string. */
int		 js_is_blank(const struct jmember *);

/*
 * A member whose key, however escaped, repeats an earlier one, or NULL;
 * tmp is scratch space.
 */
const struct jmember *js_repeated_key(const struct jmembers *,
		    struct buf *tmp);

/* Decode a valid string literal (quotes included), appending to out. */
void		 js_unescape(struct buf *out, const char *s, size_t len);

/* Append s as a JSON string literal, quotes included. */
void		 js_escape(struct buf *out, const char *s, size_t n);

/*
 * "invalid JSON at byte 7: expected ':'", "invalid UTF-8 at byte 3" or
 * "not a JSON object"; bytes count from 1 at start.
 */
const char	*js_strerror(const struct jerr *, const char *start,
		    char *msg, size_t size);

void		 js_members_free(struct jmembers *);
void		 js_items_free(struct jitems *);

#endif
