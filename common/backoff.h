/*
 * How long to wait before a retry: exponential from a base, capped,
 * with jitter so that parallel clients do not retry in step, and never
 * shorter than what the server asked for.
 */
#ifndef PH_BACKOFF_H
#define PH_BACKOFF_H

/*
 * Seconds before retry number attempt (1 for the first): base * 2^(n-1)
 * at most cap, scaled by a factor in [0.5, 1) from rnd in [0, 1), and at
 * least retry_after when that is positive.
 */
double	backoff_delay(double base, double cap, unsigned attempt,
	    double retry_after, double rnd);

/* A uniform random number in [0, 1), seeded from the kernel. */
double	backoff_random(void);

#endif
