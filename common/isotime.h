/*
 * Times as PostHog writes them, to the microsecond, in UTC: ISO 8601 and
 * RFC 3339 forms in, the event-listing API's and ClickHouse's forms out.
 */
#ifndef PH_ISOTIME_H
#define PH_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_LEN	40

/*
 * Parse "YYYY-MM-DD", optionally with "THH:MM[:SS[.fraction]]" (T or a
 * space), and a zone "Z", "+HH:MM", "+HHMM" or "+HH" (none: UTC), into
 * microseconds since 1970 UTC.  Digits past the sixth of a fraction are
 * dropped.  0, or -1 if s[0..n) is not such a time.
 */
int	isotime_parse(const char *s, size_t n, int64_t *us);

/* "2024-05-01T12:34:56.123456+00:00", as the event-listing API writes. */
void	isotime_api(int64_t us, char out[ISOTIME_LEN]);

/* "2024-05-01 12:34:56.123456", as ClickHouse writes a DateTime64(6). */
void	isotime_ch(int64_t us, char out[ISOTIME_LEN]);

/* "2024-05-01T12:34:56.123456Z" */
void	isotime_z(int64_t us, char out[ISOTIME_LEN]);

/* Now, in microseconds since 1970 UTC. */
int64_t	isotime_now(void);

#endif
