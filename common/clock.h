/* Time for timers and rates: a monotonic clock, in seconds. */
#ifndef PH_CLOCK_H
#define PH_CLOCK_H

double	clock_now(void);

#endif
