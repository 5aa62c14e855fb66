/* Unit tests of ph-send's local check (ph-send/check.c). */
#include <string.h>

#include "check.h"
#include "tap.h"

static struct checker chk = { .max_event = 200 };

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
	ok(check("{\"event\":\"e\",\"distinct_id\":\"d\",\"p\":\"xxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxx\"}", &a, why) == -1, "too large");
	is_str(why, "event of 204 bytes, over the 200-byte limit of capture",
	    "  with its size");
	checker_free(&chk);
	return done_testing();
}
