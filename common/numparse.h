/*
 * Number parsing for options, with range checks and messages in the
 * form "what: reason: text" (OpenBSD's strtonum, which glibc lacks).
 */
#ifndef PH_NUMPARSE_H
#define PH_NUMPARSE_H

/*
 * Each returns 0 and stores the value, or returns -1 and points *errstr
 * at "invalid", "too small" or "too large".
 */
int	parse_ll(const char *, long long min, long long max, long long *,
	    const char **errstr);

/* A byte count with an optional K, M or G suffix (KiB, MiB, GiB). */
int	parse_size(const char *, long long min, long long max, long long *,
	    const char **errstr);

/* A non-negative decimal number of seconds ("1", "0.25"). */
int	parse_seconds(const char *, double min, double max, double *,
	    const char **errstr);

#endif
