/* Unit tests of common/jtree.c: values print as the text they came as. */
#include <stdlib.h>
#include <string.h>

#include "jtree.h"
#include "tap.h"

static const char *const same[] = {
	"{\"big\":123456789012345678901234567890,\"neg\":-123456789012345678901234567890}",
	"{\"f\":[1.10,1e400,-0.0,1E5,0.1000000000000000055511151231257827,-0]}",
	"{\"s\":\"a\\u2028b\\u0000c\\/d\\ud83d\\ude00\\\"\\\\\"}",
	"{\"n\":{\"x\":[true,false,null,{},[]]},\"e\":\"\"}",
	"[1.0,\"\\u00e9\",{\"k\":18446744073709551616}]",
};

static const struct {
	const char	*text;
	const char	*error;
} bad[] = {
	{ "{\"s\":\"\\ud800\"}",
	    "invalid JSON at byte 7: lone surrogate in \\u escape" },
	{ "{\"a\\u0000b\":1}", "invalid JSON at byte 2: a key holding \\u0000" },
	{ "{\"a\":{\"b\":[1,\"\\ud800\"]}}",
	    "invalid JSON at byte 15: lone surrogate in \\u escape" },
	{ "[1] x", "invalid JSON at byte 4: unexpected text after the value" },
	{ "\"s\"", "not a JSON object" },
};

static const char *
print(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
test_same(void)
{
	struct jerr e;
	json_object *o;
	size_t i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		o = jtree_parse(same[i], strlen(same[i]), &e);
		ok(o != NULL, "parses: %s", same[i]);
		if (o != NULL)
			is_str(print(o), same[i], "  and prints as it came");
		json_object_put(o);
	}
}

static void
test_bad(void)
{
	struct jerr e;
	json_object *o;
	char msg[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = jtree_parse(bad[i].text, strlen(bad[i].text), &e);
		ok(o == NULL, "refused: %s", bad[i].text);
		if (o == NULL)
			is_str(js_strerror(&e, bad[i].text, msg, sizeof(msg)),
			    bad[i].error, "  said");
		json_object_put(o);
	}
}

static void
test_reading(void)
{
	const char *t = "{\"i\":7,\"big\":123456789012345678901234567890,"
	    "\"s\":\"\\u00e9\\/\",\"k\":1,\"k\":2}";
	struct jerr e;
	json_object *o = jtree_parse(t, strlen(t), &e), *v;

	json_object_object_get_ex(o, "i", &v);
	ok(json_object_is_type(v, json_type_int) &&
	    json_object_get_int(v) == 7, "an integer that fits reads as one");
	json_object_object_get_ex(o, "big", &v);
	ok(json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) > 1.2e29, "a larger one as a double");
	is_str(jtree_text(v), "123456789012345678901234567890",
	    "  its text kept");
	json_object_object_get_ex(o, "s", &v);
	is_str(json_object_get_string(v), "\xC3\xA9/", "a string decoded");
	is_str(jtree_text(v), "\"\\u00e9\\/\"", "  its text kept");
	jtree_set_text(v, NULL);
	is_str(print(v), "\"\xC3\xA9/\"", "  printed by json-c once unset");
	json_object_object_get_ex(o, "k", &v);
	ok(json_object_get_int(v) == 2, "a repeated key: the last wins");
	json_object_put(o);
}

int
main(void)
{
	test_same();
	test_bad();
	test_reading();
	return done_testing();
}
