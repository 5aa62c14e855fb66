/* Unit tests of ph-send's local check (ph-send/check.c). */
#include <string.h>

#include "check.h"
#include "tap.h"

static struct checker chk = { .max_event = 1000000, .token_len = 8 };

static int
check(const char *line, struct event_info *info, char *why)
{
	return check_event(&chk, line, strlen(line), info, why, 256);
}

int
main(void)
{
	struct event_info a, b, c;
	char why[256];

	ok(check("{\"event\":\"e\",\"distinct_id\":\"42\"}", &a, why) == 0 &&
	    check("{\"event\":\"e\",\"distinct_id\":42}", &b, why) == 0 &&
	    check("{\"event\":\"e\",\"distinct_id\":\"\\u0034\\u0032\"}", &c,
	    why) == 0, "three spellings of one person accepted");
	ok(a.person == b.person && b.person == c.person,
	    "one person, one lane, as capture reads the id");
	ok(check("{\"event\":\"e\",\"distinct_id\":\"43\"}", &b, why) == 0 &&
	    a.person != b.person, "another person, another hash");
	ok(check("{\"event\":\"e\",\"$distinct_id\":\"d\",\"uuid\":\"\","
	    "\"timestamp\":\"2024-01-01T00:00:00Z\"}", &a, why) == 0,
	    "$distinct_id, and an empty uuid (capture reads none) pass");
	is_str(a.uuid, "", "  no uuid reported");
	is_str(a.ts, "2024-01-01T00:00:00Z", "  the timestamp reported");
	ok(check("{\"event\":\"e\",\"properties\":{\"distinct_id\":\"p\"}}", &a,
	    why) == 0, "properties.distinct_id counts");
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\",\"uuid\":"
	    "\"URN:UUID:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\"}", &a, why) == -1,
	    "an upper-case URN uuid is refused, as capture refuses it");
	is_str(why, "\"uuid\" is not a UUID", "  with its reason");
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\",\"uuid\":7}", &a, why)
	    == -1, "a number uuid is refused");
	is_str(why, "\"uuid\" is not a string", "  with its reason");
	/* Sizes from a serde-like model in Python of capture's message. */
	chk.max_event = 1000;
	chk.token_len = 8;
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\"}", &a, why) == 0 &&
	    a.message == 302, "a small event: a 302-byte Kafka message");
	ok(check("{\"event\":\"$pageview\",\"distinct_id\":\"user \\\"q\\\" "
	    "\\\\ \xc3\xa9\",\"uuid\":\"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\","
	    "\"properties\":{\"a\":\"x\\\"y\\\\z\\n\\u0001\\u00e9\\ud83d\\ude00/\","
	    "\"n\":[1,2.5,true,null]},\"timestamp\":\"2024-01-01T00:00:00Z\","
	    "\"extra\":\"ignored\"}", &a, why) == 0 && a.message == 459,
	    "escapes, UTF-8, a dropped member: as capture writes them (459)");
	ok(check("{\"event\":\"e\",\"properties\":{\"distinct_id\":42,\"k\":"
	    "\"v\"},\"$set\":{\"a\":1},\"$set_once\":null}", &a, why) == 0 &&
	    a.message == 331, "properties.distinct_id, a number (331)");
	ok(check("{ \"event\" : \"e\" , \"distinct_id\" : { \"a\" : [ 1 , 2 ] "
	    "} }", &a, why) == 0 && a.message == 332,
	    "white space dropped, an object id as a string (332)");
	chk.max_event = 400;
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\",\"properties\":{\"q\":"
	    "\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\""
	    "\\\"\\\"\\\"\\\"\\\"\\\"\\\"\"}}", &a, why) == -1,
	    "a 103-byte event of quotes is too large for a 400-byte limit");
	is_str(why, "event of 103 bytes: capture makes a 412-byte Kafka "
	    "message of it, over the 400-byte limit", "  with both sizes");
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\",\"p\":\"xxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxx\"}", &a, why) == 0,
	    "a large member capture drops does not count");
	checker_free(&chk);
	return done_testing();
}
