/* Unit tests of common/jscan.c: validation, spans, decoding. */
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "tap.h"

static const struct {
	const char	*text;
	const char	*error;	/* NULL: valid; else js_strerror's text */
} cases[] = {
	{ "{}", NULL },
	{ " { \"a\" : 1 } ", NULL },
	{ "{\"n\":123456789012345678901234567890}", NULL },
	{ "{\"n\":[-0,1.0,1e-7,1E+2,0.5e10]}", NULL },
	{ "{\"s\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\\u00e9\"}", NULL },
	{ "{\"s\":\"\\ud83d\\ude00 \xF0\x9F\x98\x80 \xE2\x82\xAC\"}", NULL },
	{ "{\"a\":{\"b\":[true,false,null,{}]}}", NULL },
	{ "[1]", "not a JSON object" },
	{ "\"str\"", "not a JSON object" },
	{ "", "invalid JSON at byte 1: unexpected end of text" },
	{ "{", "invalid JSON at byte 2: unexpected end of text" },
	{ "{\"a\" 1}", "invalid JSON at byte 6: expected ':'" },
	{ "{\"a\":1,}", "invalid JSON at byte 8: expected a string key" },
	{ "{\"a\":1 \"b\":2}", "invalid JSON at byte 8: expected ',' or '}'" },
	{ "{\"a\":01}", "invalid JSON at byte 7: expected ',' or '}'" },
	{ "{\"a\":1.}", "invalid JSON at byte 6: invalid number" },
	{ "{\"a\":-}", "invalid JSON at byte 6: invalid number" },
	{ "{\"a\":1e}", "invalid JSON at byte 6: invalid number" },
	{ "{\"a\":tru}", "invalid JSON at byte 6: expected a value" },
	{ "{\"a\":NaN}", "invalid JSON at byte 6: expected a value" },
	{ "{\"a\":\"x}", "invalid JSON at byte 6: unterminated string" },
	{ "{\"a\":\"\\x\"}", "invalid JSON at byte 7: invalid escape" },
	{ "{\"a\":\"\\u12G4\"}", "invalid JSON at byte 7: invalid \\u escape" },
	{ "{\"a\":\"\\ud800\"}",
	    "invalid JSON at byte 7: lone surrogate in \\u escape" },
	{ "{\"a\":\"\\udc00\\ud800\"}",
	    "invalid JSON at byte 7: lone surrogate in \\u escape" },
	{ "{\"a\":\"tab\there\"}",
	    "invalid JSON at byte 10: control character in string" },
	{ "{\"a\":\"\xC3\"}", "invalid UTF-8 at byte 7" },
	{ "{\"a\":\"\xC0\xAF\"}", "invalid UTF-8 at byte 7" },
	{ "{\"a\":\"\xED\xA0\x80\"}", "invalid UTF-8 at byte 7" },
	{ "{\"a\":\"\xF4\x90\x80\x80\"}", "invalid UTF-8 at byte 7" },
	{ "{\"a\":\xFF}", "invalid UTF-8 at byte 6" },
	{ "{\"a\":1} x", "invalid JSON at byte 9: unexpected text after the value" },
	{ "{\"a\":1}{}", "invalid JSON at byte 8: unexpected text after the value" },
};

static void
test_cases(void)
{
	struct jmembers m = { 0 };
	struct jerr e;
	char msg[128];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;

		r = js_parse_object(t, strlen(t), &m, NULL, NULL, &e);
		if (cases[i].error == NULL)
			ok(r == 0, "valid: %s", t);
		else {
			ok(r == -1, "invalid: case %zu", i);
			if (r == -1)
				is_str(js_strerror(&e, t, msg, sizeof(msg)),
				    cases[i].error, "message: case %zu", i);
		}
	}
	js_members_free(&m);
}

/* Numbers past a double, refused only once asked to (as capture does). */
static const struct {
	const char	*num;
	int		 huge;
} numbers[] = {
	{ "1e400", 1 },
	{ "-1E+309", 1 },
	{ "1.8e308", 1 },
	{ "0.00018e312", 1 },
	{ "17976931348623159077293051907890247336179769789423065727343008115"
	  "77326758055009631327084773224075360211201138798713933576587897688"
	  "14416622492847430639474124377767893424865485276302219601246094119"
	  "45308295208500576883815068234246288147391311054082723716335051068"
	  "4586298239947245938479716304835356329624224137216", 1 },
	{ "1.7976931348623157e308", 0 },
	{ "-1.7976931348623157e+308", 0 },
	{ "17976931348623157e292", 0 },
	{ "1e308", 0 },
	{ "1e-400", 0 },
	{ "0e999999", 0 },
	{ "0.000e400", 0 },
	{ "123456789012345678901234567890", 0 },
	{ "10000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000", 0 },
};

static void
test_huge(void)
{
	struct jmembers m = { 0 };
	struct jerr e;
	char t[512], msg[128];
	size_t i;

	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		ok(js_number_huge(numbers[i].num, strlen(numbers[i].num)) ==
		    numbers[i].huge, "js_number_huge: %.30s", numbers[i].num);
		snprintf(t, sizeof(t), "{\"n\":[%s]}", numbers[i].num);
		js_refuse_huge_numbers(0);
		ok(js_parse_object(t, strlen(t), &m, NULL, NULL, &e) == 0,
		    "not asked: %.30s valid", numbers[i].num);
		js_refuse_huge_numbers(1);
		if (!numbers[i].huge) {
			ok(js_parse_object(t, strlen(t), &m, NULL, NULL,
			    &e) == 0, "in range: %.30s", numbers[i].num);
			continue;
		}
		ok(js_parse_object(t, strlen(t), &m, NULL, NULL, &e) == -1,
		    "refused: %.30s", numbers[i].num);
		is_str(js_strerror(&e, t, msg, sizeof(msg)),
		    "invalid JSON at byte 7: number out of range",
		    "  says where and why");
	}
	js_refuse_huge_numbers(0);
	js_members_free(&m);
}

static void
test_depth(void)
{
	struct jmembers m = { 0 };
	char *t = malloc(2 * 600 + 16);
	struct jerr e;
	char msg[128];
	size_t i, n = 0;

	n += (size_t)sprintf(t, "{\"a\":");
	for (i = 0; i < 600; i++)
		t[n++] = '[';
	for (i = 0; i < 600; i++)
		t[n++] = ']';
	t[n++] = '}';
	ok(js_parse_object(t, n, &m, NULL, NULL, &e) == -1,
	    "600 levels refused");
	is_str(js_strerror(&e, t, msg, sizeof(msg)),
	    "invalid JSON at byte 517: nesting deeper than 512 levels",
	    "depth message");
	free(t);
	js_members_free(&m);
}

static void
test_spans(void)
{
	const char *t = "{\"a\":1.50, \"props\" : {\"x\":\"y\",\"\\u0069d\":[1]},"
	    "\"n\":null}";
	struct jmembers m = { 0 }, sub = { 0 };
	struct jerr e;

	ok(js_parse_object(t, strlen(t), &m, "props", &sub, &e) == 0,
	    "parses with a sub-object");
	ok(m.n == 3, "three members");
	is_mem(m.v[0].val, m.v[0].vallen, "1.50", "number text kept");
	ok(m.v[0].type == JT_NUMBER, "number type");
	is_mem(m.v[1].key, m.v[1].keylen, "\"props\"", "key span");
	is_mem(m.v[1].val, m.v[1].vallen, "{\"x\":\"y\",\"\\u0069d\":[1]}",
	    "object span");
	ok(m.v[2].type == JT_NULL, "null type");
	ok(sub.n == 2, "sub-object members collected");
	ok(js_key_eq(&sub.v[1], "id"), "escaped key matches its decoding");
	ok(!js_key_eq(&sub.v[1], "i"), "a prefix does not match");
	ok(!js_key_eq(&sub.v[1], "idx"), "a longer key does not match");
	ok(js_find(&sub, "id") == 1, "js_find");
	ok(js_find(&m, "nope") == -1, "js_find: missing");
	js_members_free(&m);
	js_members_free(&sub);
}

/* Many keys take the sorted path; a repeat is found however written. */
static void
test_repeated(void)
{
	struct jmembers m = { 0 };
	struct buf t = { 0 }, tmp = { 0 };
	const struct jmember *d;
	struct jerr e;
	int i;

	buf_addc(&t, '{');
	for (i = 0; i < 30000; i++)
		buf_printf(&t, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_addstr(&t, ",\"\\u006b777\":1}");
	ok(js_parse_object(t.p, t.len, &m, NULL, NULL, &e) == 0,
	    "30001 keys parse");
	d = js_repeated_key(&m, &tmp);
	ok(d != NULL && d->key_esc, "the escaped repeat of k777 is found");
	m.n--;
	ok(js_repeated_key(&m, &tmp) == NULL, "no repeat among the others");
	js_members_free(&m);
	buf_free(&t);
	buf_free(&tmp);
}

static void
test_unescape(void)
{
	const char *lit = "\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\\u0000z\"";
	struct buf b = { 0 };

	js_unescape(&b, lit, strlen(lit));
	ok(b.len == 16 && memcmp(b.p, "a\"b\\c/d\n\xC3\xA9\xF0\x9F\x98\x80\0z",
	    16) == 0, "unescape every escape kind");
	b.len = 0;
	js_escape(&b, "q\"\\\n\x01\xC3\xA9/", 8);
	is_mem(b.p, b.len, "\"q\\\"\\\\\\n\\u0001\xC3\xA9/\"",
	    "escape: quotes, controls; UTF-8 and / as they are");
	buf_free(&b);
}

int
main(void)
{
	test_cases();
	test_huge();
	test_depth();
	test_spans();
	test_repeated();
	test_unescape();
	return done_testing();
}
