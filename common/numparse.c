#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"

static int
fail(const char **errstr, const char *why)
{
	*errstr = why;
	return -1;
}

/* strtoll that accepts only a whole decimal integer, sign allowed. */
static int
whole_ll(const char *s, long long *v, char **end)
{
	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoll(s, end, 10);
	if (*end == s)
		return -1;
	return errno == ERANGE ? 1 : 0;
}

int
parse_ll(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	long long v;
	char *end;
	int r;

	if ((r = whole_ll(s, &v, &end)) == -1 || *end != '\0')
		return fail(errstr, "invalid");
	if (r == 1)
		return fail(errstr, v < 0 ? "too small" : "too large");
	if (v < min)
		return fail(errstr, "too small");
	if (v > max)
		return fail(errstr, "too large");
	*out = v;
	return 0;
}

static long long
suffix_scale(const char *suf)
{
	static const struct {
		const char *name;
		long long scale;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1LL << 10 }, { "KiB", 1LL << 10 }, { "k", 1LL << 10 },
		{ "M", 1LL << 20 }, { "MiB", 1LL << 20 },
		{ "G", 1LL << 30 }, { "GiB", 1LL << 30 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(suf, units[i].name) == 0)
			return units[i].scale;
	return 0;
}

int
parse_size(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	long long v, scale;
	char *end;
	int r;

	if ((r = whole_ll(s, &v, &end)) == -1 ||
	    (scale = suffix_scale(end)) == 0)
		return fail(errstr, "invalid");
	if (v < 0)
		return fail(errstr, "too small");
	if (r == 1 || v > max / scale)
		return fail(errstr, "too large");
	v *= scale;
	if (v < min)
		return fail(errstr, "too small");
	if (v > max)
		return fail(errstr, "too large");
	*out = v;
	return 0;
}

int
parse_seconds(const char *s, double min, double max, double *out,
    const char **errstr)
{
	size_t digits = strspn(s, "0123456789"), dot = s[digits] == '.';
	char *end;
	double v;

	/* Plain decimals only: strtod would also take hex, inf, 1e9. */
	if (digits + dot + strspn(s + digits + dot, "0123456789") !=
	    strlen(s) || strlen(s) == dot)
		return fail(errstr, "invalid");
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || !isfinite(v))
		return fail(errstr, "invalid");
	if (v < min)
		return fail(errstr, "too small");
	if (v > max || errno == ERANGE)
		return fail(errstr, "too large");
	*out = v;
	return 0;
}
