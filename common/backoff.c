#include <sys/random.h>

#include <stdint.h>

#include "backoff.h"

double
backoff_delay(double base, double cap, unsigned attempt, double retry_after,
    double rnd)
{
	double d = base;
	unsigned i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	d *= 0.5 + rnd / 2;
	return retry_after > d ? retry_after : d;
}

double
backoff_random(void)
{
	/* One a thread: ph-fetch --jobs retries from several. */
	static _Thread_local uint64_t s;

	if (s == 0 && (getrandom(&s, sizeof(s), 0) != sizeof(s) || s == 0))
		s = 0x9E3779B97F4A7C15ULL;
	/* xorshift64*: plenty for jitter, no locking, no libc state. */
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return (double)((s * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}
