/*
 * Unit tests of ph-clean/clean.c: each rule, on exact input and output
 * text.  Derived ids were computed independently with Python:
 * uuid.uuid5(uuid.UUID("0203f60f-eeb8-4a67-b122-d62af66ea6f1"), name).
 */
#include <string.h>

#include "clean.h"
#include "tap.h"

#define U	"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define DID_U	"53d8687a-a57e-5911-b932-11fb27fa0055"	/* uuid5(ns, U) */
#define GEO	"\"$geoip_disable\":true"

static const struct {
	const char	*name;
	const char	*in;
	const char	*out;
} cases[] = {
	{ "rule 1: id becomes uuid, in place",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\"," GEO "}}" },
	{ "rule 1: an input uuid is kept, id dropped",
	  "{\"uuid\":\"" U "\",\"id\":\"x\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\"," GEO "}}" },
	{ "rule 1: an integer id gives uuid5(ns, \"id:42\")",
	  "{\"id\":42,\"event\":\"e\",\"distinct_id\":\"d\"}",
	  "{\"uuid\":\"fd3fbbd8-588a-5084-ab81-2634c86251b5\",\"event\":\"e\","
	  "\"distinct_id\":\"d\",\"properties\":{\"distinct_id\":\"d\"," GEO
	  "}}" },
	{ "rule 1: no id at all gives uuid5(ns, \"line:\" + line)",
	  "{\"event\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
	  "{\"event\":\"x\",\"timestamp\":\"2024-01-01T00:00:00Z\","
	  "\"uuid\":\"6c964772-fea2-57f2-bdd9-1b137d880785\","
	  "\"distinct_id\":\"d21840a7-49e4-59ce-9d72-447bac6fe539\","
	  "\"properties\":{\"distinct_id\":"
	  "\"d21840a7-49e4-59ce-9d72-447bac6fe539\"," GEO "}}" },
	{ "rule 2: null distinct_id derived from the uuid",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":null}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"" DID_U "\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 2: \" NoNe \" is blank",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\" NoNe\\t\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"" DID_U "\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 2: escaped \"\\u006eone\" with a no-break space is blank",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":"
	  "\"\\u006eone\xC2\xA0\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"" DID_U "\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 2: \"nones\" and numbers are kept",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"nones\","
	  "\"properties\":{\"distinct_id\":7}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"nones\","
	  "\"properties\":{\"distinct_id\":7," GEO "}}" },
	{ "rule 2: capture's trim: U+3000 alone is blank",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"\\u3000\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"" DID_U "\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 2: capture's trim: U+001C (Python's space) is kept",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"\\u001c\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"\\u001c\","
	  "\"properties\":{\"distinct_id\":\"\\u001c\"," GEO "}}" },
	{ "rule 2: NUL, false, [] and 0 are ids capture stringifies: kept",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"\\u0000\","
	  "\"properties\":{\"distinct_id\":false,\"a\":[],\"b\":0}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"\\u0000\","
	  "\"properties\":{\"distinct_id\":false,\"a\":[],\"b\":0," GEO
	  "}}" },
	{ "rule 2: [] as the only id is kept",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":[]}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":[],"
	  "\"properties\":{\"distinct_id\":[]," GEO "}}" },
	{ "rule 2: properties.distinct_id is the id when the top has none",
	  "{\"id\":\"" U "\",\"event\":\"e\","
	  "\"properties\":{\"distinct_id\":\"realuser\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\","
	  "\"properties\":{\"distinct_id\":\"realuser\"," GEO "},"
	  "\"distinct_id\":\"realuser\"}" },
	{ "rule 2: properties.distinct_id given as a string is used too",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":null,"
	  "\"properties\":\"{\\\"distinct_id\\\":\\\"q\\\\\\\"\\\"}\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"q\\\"\","
	  "\"properties\":{\"distinct_id\":\"q\\\"\"," GEO "}}" },
	{ "rule 2: $distinct_id comes out as the one distinct_id, in place",
	  "{\"id\":\"" U "\",\"$distinct_id\":\"p1\",\"event\":\"e\"}",
	  "{\"uuid\":\"" U "\",\"distinct_id\":\"p1\",\"event\":\"e\","
	  "\"properties\":{\"distinct_id\":\"p1\"," GEO "}}" },
	{ "rule 2: distinct_id beats $distinct_id, which is dropped",
	  "{\"$distinct_id\":\"b\",\"id\":\"" U "\",\"event\":\"e\","
	  "\"distinct_id\":\"a\",\"properties\":{\"distinct_id\":\"c\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"a\","
	  "\"properties\":{\"distinct_id\":\"c\"," GEO "}}" },
	{ "rule 2: null distinct_id: $distinct_id beats properties",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":null,"
	  "\"properties\":{\"distinct_id\":\"c\"},\"$distinct_id\":\"b\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"b\","
	  "\"properties\":{\"distinct_id\":\"c\"," GEO "}}" },
	{ "rule 2: blank distinct_id and $distinct_id: properties' is used",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\" \","
	  "\"$distinct_id\":\"None\",\"properties\":{\"distinct_id\":\"c\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"c\","
	  "\"properties\":{\"distinct_id\":\"c\"," GEO "}}" },
	{ "rule 2: all three blank: derived, and written once",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"$distinct_id\":\"\","
	  "\"distinct_id\":null,\"properties\":{\"distinct_id\":\"\\t\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"" DID_U "\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 2: only a blank $distinct_id: derived in its place",
	  "{\"id\":\"" U "\",\"$distinct_id\":null,\"event\":\"e\"}",
	  "{\"uuid\":\"" U "\",\"distinct_id\":\"" DID_U "\",\"event\":\"e\","
	  "\"properties\":{\"distinct_id\":\"" DID_U "\"," GEO "}}" },
	{ "rule 3: a blank properties.distinct_id takes the top one",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"a\":1,\"distinct_id\":\"\",\"b\":2}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"a\":1,\"b\":2,\"distinct_id\":\"d\"," GEO "}}" },
	{ "rule 4: person, elements, sent_at, offset, now, team_id removed",
	  "{\"id\":\"" U "\",\"person\":{\"x\":1},\"event\":\"e\","
	  "\"elements\":[],\"sent_at\":\"t\",\"offset\":5,\"now\":\"t\","
	  "\"team_id\":2,\"distinct_id\":\"d\",\"ip\":\"1.2.3.4\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"ip\":\"1.2.3.4\",\"properties\":{\"distinct_id\":\"d\"," GEO
	  "}}" },
	{ "rule 4: elements_chain moves into properties",
	  "{\"id\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"elements_chain\":\"a:nth-child=\\\"1\\\"\",\"properties\":{}}",
	  "{\"uuid\":\"" U "\",\"event\":\"$autocapture\","
	  "\"distinct_id\":\"d\",\"properties\":{\"distinct_id\":\"d\","
	  "\"$elements_chain\":\"a:nth-child=\\\"1\\\"\"," GEO "}}" },
	{ "rule 4: an existing $elements_chain wins; empty chain dropped",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements_chain\":\"new\",\"properties\":{\"distinct_id\":\"d\","
	  "\"$elements_chain\":\"old\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\"old\","
	  GEO "}}" },
	{ "rule 1: an id beats a uuid that is not one",
	  "{\"uuid\":\"garbage\",\"id\":42,\"event\":\"e\",\"distinct_id\":\"d\"}",
	  "{\"uuid\":\"fd3fbbd8-588a-5084-ab81-2634c86251b5\",\"event\":\"e\","
	  "\"distinct_id\":\"d\",\"properties\":{\"distinct_id\":\"d\"," GEO
	  "}}" },
	{ "rule 4: a blank $elements_chain takes the chain",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements_chain\":\"a\",\"properties\":{\"$elements_chain\":\"\","
	  "\"distinct_id\":\"d\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\"a\","
	  GEO "}}" },
	{ "elements: two elements become PostHog's chain",
	  "{\"id\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"elements\":["
	  "{\"tag_name\":\"a\",\"attr_class\":[\"btn\",\"active\"],"
	  "\"text\":\"Sign \\\"up\\\"\",\"href\":\"/signup\",\"attr_id\":\"go\","
	  "\"nth_child\":2,\"nth_of_type\":1,"
	  "\"attributes\":{\"attr__class\":\"btn active\"},\"order\":0},"
	  "{\"tag_name\":\"div\",\"attr_class\":null,\"text\":null,"
	  "\"href\":null,\"attr_id\":null,\"nth_child\":1,\"nth_of_type\":1,"
	  "\"attributes\":{},\"order\":1}],\"properties\":{}}",
	  "{\"uuid\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\""
	  "a.active.btn:attr__class=\\\"btn active\\\"attr_id=\\\"go\\\""
	  "href=\\\"/signup\\\"nth-child=\\\"2\\\"nth-of-type=\\\"1\\\""
	  "text=\\\"Sign \\\\\\\"up\\\\\\\"\\\";"
	  "div:nth-child=\\\"1\\\"nth-of-type=\\\"1\\\"\"," GEO "}}" },
	{ "elements: classes sorted, '\"' out of them; attributes win; str()",
	  "{\"id\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"elements\":[{\"tag_name\":\"button\","
	  "\"attr_class\":[\"b\\\"q\",\"Z\",\"a\",\"\\u00e9\"],"
	  "\"nth_child\":null,\"nth_of_type\":0,\"attributes\":{"
	  "\"data-x\":\"1\\\"2\",\"nth-child\":\"9\",\"attr__y\":true,"
	  "\"n\":-0,\"z\":null}}]}",
	  "{\"uuid\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\""
	  "button.Z.a.bq.\xC3\xA9:attr__y=\\\"True\\\"data-x=\\\"1\\\\\\\"2\\\""
	  "n=\\\"0\\\"nth-child=\\\"9\\\"nth-of-type=\\\"0\\\"z=\\\"None\\\"\","
	  GEO "}}" },
	{ "elements: an empty element still has nth-child and nth-of-type",
	  "{\"id\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"elements\":[{}]}",
	  "{\"uuid\":\"" U "\",\"event\":\"$autocapture\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\""
	  ":nth-child=\\\"0\\\"nth-of-type=\\\"0\\\"\"," GEO "}}" },
	{ "elements: empty values count as Python's false ones",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements\":[{\"tag_name\":\"a\",\"text\":[],\"attr_class\":{},"
	  "\"href\":0,\"attr_id\":false,\"nth_child\":\"0\","
	  "\"nth_of_type\":0.0}]}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\""
	  "a:nth-child=\\\"0\\\"nth-of-type=\\\"0\\\"\"," GEO "}}" },
	{ "elements: [] gives no chain",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements\":[]}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\"," GEO "}}" },
	{ "elements: an existing $elements_chain wins",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements\":[{\"tag_name\":\"a\"}],"
	  "\"properties\":{\"$elements_chain\":\"old\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"$elements_chain\":\"old\",\"distinct_id\":\"d\","
	  GEO "}}" },
	{ "elements: an empty elements_chain does not stop it",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"elements_chain\":\"\",\"elements\":[{\"tag_name\":\"a\","
	  "\"nth_child\":\"3\"}]}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\",\"$elements_chain\":\""
	  "a:nth-child=\\\"3\\\"nth-of-type=\\\"0\\\"\"," GEO "}}" },
	{ "rule 5: $geoip_disable false becomes true",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"$geoip_disable\":false,\"distinct_id\":\"d\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"distinct_id\":\"d\"," GEO "}}" },
	{ "rule 6: properties as a string become an object",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":\"{\\\"$browser\\\":\\\"Fire\\\\\\\"fox\\\","
	  "\\\"n\\\":1.0}\"}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"properties\":{\"$browser\":\"Fire\\\"fox\",\"n\":1.0,"
	  "\"distinct_id\":\"d\"," GEO "}}" },
	{ "rule 7: numbers and strings pass byte for byte",
	  "{\"id\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"big\":123456789012345678901234567890,\"properties\":{"
	  "\"distinct_id\":\"d\",\"f\":[1e-7,1.0,-0,1E+2],"
	  "\"s\":\"\\/\\u00e9\xF0\x9F\x98\x80\"}}",
	  "{\"uuid\":\"" U "\",\"event\":\"e\",\"distinct_id\":\"d\","
	  "\"big\":123456789012345678901234567890,\"properties\":{"
	  "\"distinct_id\":\"d\",\"f\":[1e-7,1.0,-0,1E+2],"
	  "\"s\":\"\\/\\u00e9\xF0\x9F\x98\x80\"," GEO "}}" },
};

static const struct {
	const char	*in;
	const char	*why;
} bad[] = {
	{ "[1]", "not a JSON object" },
	{ "{\"event\":1}", "\"event\" is not a string" },
	{ "{\"event\":\"\"}", "\"event\" is empty" },
	{ "{\"distinct_id\":\"d\"}", "no \"event\"" },
	{ "{\"event\":\"a\",\"\\u0065vent\":\"b\"}",
	  "duplicate key \"\\u0065vent\"" },
	{ "{\"event\":\"a\",\"properties\":[1]}",
	  "\"properties\" is not an object" },
	{ "{\"event\":\"a\",\"properties\":\"{\\\"a\\\":}\"}",
	  "\"properties\" string: invalid JSON at byte 6: expected a value" },
	{ "{\"event\":\"a\",\"elements\":{}}",
	  "\"elements\" is not an array" },
	{ "{\"event\":\"a\",\"elements\":[{},\"div\"]}",
	  "elements[1] is not an object" },
	{ "{\"event\":\"a\",\"elements\":[{\"tag_name\":7}]}",
	  "elements[0].tag_name is not a string" },
	{ "{\"event\":\"a\",\"elements\":[{\"attr_class\":\"btn\"}]}",
	  "elements[0].attr_class is not an array of strings" },
	{ "{\"event\":\"a\",\"elements\":[{\"attr_class\":[\"a\",1]}]}",
	  "elements[0].attr_class is not an array of strings" },
	{ "{\"event\":\"a\",\"elements\":[{\"attributes\":[1]}]}",
	  "elements[0].attributes is not an object" },
	{ "{\"event\":\"a\",\"elements\":[{\"nth_child\":1.5}]}",
	  "elements[0].nth_child: a float, array or object, whose text in a "
	  "chain would be Python's" },
	{ "{\"event\":\"a\",\"elements\":[{\"attributes\":"
	  "{\"k\\n\":{\"x\":1}}}]}",
	  "elements[0].attributes.k\\n: a float, array or object, whose text "
	  "in a chain would be Python's" },
};

int
main(void)
{
	struct cleaner c;
	const char *in;
	char why[256];
	size_t i;
	int r;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = clean_event(&c, cases[i].in, strlen(cases[i].in), why,
		    sizeof(why));
		ok(r == 0, "%s: accepted", cases[i].name);
		if (r == 0)
			is_mem(c.out.p, c.out.len, cases[i].out, "%s",
			    cases[i].name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = clean_event(&c, bad[i].in, strlen(bad[i].in), why,
		    sizeof(why));
		ok(r == -1, "bad %zu refused", i);
		is_str(why, bad[i].why, "bad %zu: reason", i);
	}
	c.keep_geoip = 1;
	in = "{\"event\":\"e\",\"uuid\":\"" U "\","
	    "\"distinct_id\":\"d\",\"properties\":{ \"distinct_id\" : \"d\" }}";
	r = clean_event(&c, in, strlen(in), why, sizeof(why));
	ok(r == 0, "--keep-geoip: accepted");
	is_mem(c.out.p, c.out.len, "{\"event\":\"e\",\"uuid\":\"" U "\","
	    "\"distinct_id\":\"d\",\"properties\":{ \"distinct_id\" : \"d\" }}",
	    "--keep-geoip: untouched properties copied as they are");
	cleaner_free(&c);
	return done_testing();
}
