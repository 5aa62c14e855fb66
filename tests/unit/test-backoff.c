/* Unit tests of common/backoff.c and common/hash.c. */
#include "backoff.h"
#include "hash.h"
#include "tap.h"

int
main(void)
{
	double r;
	int i, in_range = 1, varied = 0;

	ok(backoff_delay(1, 30, 1, 0, 0) == 0.5, "first retry, least jitter");
	ok(backoff_delay(1, 30, 1, 0, 0.999999) < 1.0, "first retry < base");
	ok(backoff_delay(1, 30, 3, 0, 0) == 2, "third: 4 s, jittered to 2");
	ok(backoff_delay(1, 30, 20, 0, 0) == 15, "capped at 30, jittered");
	ok(backoff_delay(1, 30, 1000000, 0, 0.5) == 22.5,
	    "no overflow for huge attempts");
	ok(backoff_delay(1, 30, 1, 45, 0.5) == 45,
	    "Retry-After wins when longer, even past the cap");
	ok(backoff_delay(8, 30, 2, 1, 0.5) == 12,
	    "the backoff wins when longer than Retry-After");
	for (i = 0; i < 1000; i++) {
		r = backoff_random();
		if (r < 0 || r >= 1)
			in_range = 0;
		if (r != backoff_random())
			varied = 1;
	}
	ok(in_range && varied, "random numbers in [0, 1), not constant");
	ok(hash64("abc", 3, 0) == hash64("abc", 3, 0), "hash is stable");
	ok(hash64("abc", 3, 0) != hash64("abd", 3, 0), "hash sees a byte");
	ok(hash64("abc", 3, 0) != hash64("abc", 3, 1), "hash sees the seed");
	ok(hash64("", 0, 0) != hash64("\0", 1, 0), "hash sees the length");
	return done_testing();
}
