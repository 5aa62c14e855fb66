/* Unit tests of common/isotime.c against values from Python's datetime. */
#include <string.h>

#include "isotime.h"
#include "tap.h"

static const struct {
	const char	*in;
	long long	 us;	/* -1: must be refused */
} cases[] = {
	{ "1970-01-01", 0 },
	{ "2024-05-01T12:34:56.123456+00:00", 1714566896123456LL },
	{ "2024-05-01T12:34:56.123456Z", 1714566896123456LL },
	{ "2024-05-01 12:34:56.123456", 1714566896123456LL },
	{ "2024-05-01T14:34:56.123456+02:00", 1714566896123456LL },
	{ "2024-05-01T07:04:56.123456-0530", 1714566896123456LL },
	{ "2024-05-01T13:34:56.123456+01", 1714566896123456LL },
	{ "2024-05-01T12:34:56.1234569Z", 1714566896123456LL },
	{ "2024-05-01T12:34:56.5", 1714566896500000LL },
	{ "2024-05-01T12:34", 1714566840000000LL },
	{ "2024-02-29", 1709164800000000LL },
	{ "1969-12-31T23:59:59.999999Z", -1 - 0LL },
	{ "2023-02-29", -2 },
	{ "2024-13-01", -2 },
	{ "2024-05-01T24:00:00", -2 },
	{ "2024-05-01T12:34:56.", -2 },
	{ "2024-05-01T12:34:56+25:00", -2 },
	{ "2024-5-1", -2 },
	{ "yesterday", -2 },
	{ "2024-05-01T12:34:56Zjunk", -2 },
	{ "", -2 },
};

int
main(void)
{
	char out[ISOTIME_LEN];
	int64_t us;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = isotime_parse(cases[i].in, strlen(cases[i].in), &us);
		if (cases[i].us == -2)
			ok(r == -1, "refused: '%s'", cases[i].in);
		else
			ok(r == 0 && us == cases[i].us, "'%s' = %lld (got %lld)",
			    cases[i].in, cases[i].us, (long long)us);
	}
	isotime_api(1714566896123456LL, out);
	is_str(out, "2024-05-01T12:34:56.123456+00:00", "the listing API's form");
	isotime_ch(1714566896000001LL, out);
	is_str(out, "2024-05-01 12:34:56.000001", "ClickHouse's form");
	isotime_z(-1, out);
	is_str(out, "1969-12-31T23:59:59.999999Z", "before 1970");
	isotime_z(253402300799999999LL, out);
	is_str(out, "9999-12-31T23:59:59.999999Z", "the last microsecond");
	ok(isotime_now() > 1700000000000000LL, "now is after 2023");
	return done_testing();
}
