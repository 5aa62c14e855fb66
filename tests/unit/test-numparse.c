/* Unit tests of common/numparse.c: values, ranges, messages. */
#include "numparse.h"
#include "tap.h"

static void
test_ll(void)
{
	const char *why = NULL;
	long long v = 0;

	ok(parse_ll("42", 1, 100, &v, &why) == 0 && v == 42, "42");
	ok(parse_ll("-5", -10, 10, &v, &why) == 0 && v == -5, "-5");
	ok(parse_ll("0", 1, 100, &v, &why) == -1, "0 below 1");
	is_str(why, "too small", "too small");
	ok(parse_ll("101", 1, 100, &v, &why) == -1, "101 above 100");
	is_str(why, "too large", "too large");
	ok(parse_ll("99999999999999999999", 1, 100, &v, &why) == -1,
	    "overflow");
	is_str(why, "too large", "overflow is too large");
	ok(parse_ll("12x", 1, 100, &v, &why) == -1, "12x");
	is_str(why, "invalid", "trailing junk is invalid");
	ok(parse_ll("", 1, 100, &v, &why) == -1, "empty is invalid");
	ok(parse_ll(" 5", 1, 100, &v, &why) == -1, "leading space invalid");
}

static void
test_size(void)
{
	const char *why = NULL;
	long long v = 0;

	ok(parse_size("5M", 1, 1LL << 40, &v, &why) == 0 && v == 5 << 20,
	    "5M");
	ok(parse_size("64KiB", 1, 1LL << 40, &v, &why) == 0 && v == 65536,
	    "64KiB");
	ok(parse_size("1000", 1, 1LL << 40, &v, &why) == 0 && v == 1000,
	    "plain bytes");
	ok(parse_size("2G", 1, 1LL << 30, &v, &why) == -1, "2G too large");
	is_str(why, "too large", "2G message");
	ok(parse_size("3X", 1, 100, &v, &why) == -1, "unknown suffix");
	is_str(why, "invalid", "unknown suffix message");
	ok(parse_size("-1", 0, 100, &v, &why) == -1, "negative size");
	is_str(why, "too small", "negative size message");
}

static void
test_seconds(void)
{
	const char *why = NULL;
	double v = 0;

	ok(parse_seconds("0.25", 0, 60, &v, &why) == 0 && v == 0.25, "0.25");
	ok(parse_seconds("61", 0, 60, &v, &why) == -1, "61 > 60");
	is_str(why, "too large", "61 message");
	ok(parse_seconds("-1", 0, 60, &v, &why) == -1, "negative");
	ok(parse_seconds("inf", 0, 60, &v, &why) == -1, "inf");
	ok(parse_seconds("1s", 0, 60, &v, &why) == -1, "unit suffix");
}

int
main(void)
{
	test_ll();
	test_size();
	test_seconds();
	return done_testing();
}
