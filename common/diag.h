/*
 * Diagnostics in the form "prog: where: what", on top of err(3) and
 * warn(3), which already print the program's name.
 */
#ifndef PH_DIAG_H
#define PH_DIAG_H

#include <stddef.h>

/* "prog: file:line: what": a problem with one record of data. */
void	warn_at(const char *file, unsigned long long line, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* Format why a record is refused into why[0..size): returns -1. */
int	refusal(char *why, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Text that came from elsewhere (a server's reply, a data line) made
 * safe for one line of a message: control bytes become '?', and it is
 * cut at size - 1 bytes, ending in "..." when cut.
 */
const char *printable(const char *s, size_t n, char *out, size_t size);

#endif
