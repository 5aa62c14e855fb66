#include <stdio.h>
#include <string.h>
#include <time.h>

#include "isotime.h"

#define US	1000000LL

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* n digits at *p into *v; advances *p. */
static int
digits(const char **p, const char *end, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++, (*p)++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

static int
expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* ".123456789": microseconds, extra digits dropped. */
static int
fraction(const char **p, const char *end, int64_t *us)
{
	int64_t scale = 100000;

	*us = 0;
	if (*p >= end || **p != '.')
		return 0;
	(*p)++;
	if (*p >= end || **p < '0' || **p > '9')
		return -1;
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		*us += (**p - '0') * scale;
		scale /= 10;
	}
	return 0;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" or nothing: seconds east of UTC. */
static int
zone(const char **p, const char *end, int64_t *off)
{
	int sign, hh, mm = 0;

	*off = 0;
	if (*p >= end)
		return 0;
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return -1;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, end, 2, &hh) == -1 || hh > 23)
		return -1;
	if (*p < end && **p == ':')
		(*p)++;
	if (*p < end && digits(p, end, 2, &mm) == -1)
		return -1;
	if (mm > 59)
		return -1;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

int
isotime_parse(const char *s, size_t n, int64_t *us)
{
	const char *p = s, *end = s + n;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t frac = 0, off = 0;

	if (digits(&p, end, 4, &y) == -1 || expect(&p, end, '-') == -1 ||
	    digits(&p, end, 2, &mo) == -1 || expect(&p, end, '-') == -1 ||
	    digits(&p, end, 2, &d) == -1 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo))
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if (digits(&p, end, 2, &h) == -1 || expect(&p, end, ':') == -1 ||
		    digits(&p, end, 2, &mi) == -1 || h > 23 || mi > 59)
			return -1;
		if (p < end && *p == ':' && (p++, digits(&p, end, 2, &sec) == -1
		    || sec > 60 || fraction(&p, end, &frac) == -1))
			return -1;
		if (zone(&p, end, &off) == -1)
			return -1;
	}
	if (p != end)
		return -1;
	*us = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec) - off) * US + frac;
	return 0;
}

static void
format(int64_t us, char out[ISOTIME_LEN], char sep, const char *zone_text)
{
	int64_t secs = us >= 0 ? us / US : -((-us + US - 1) / US);
	int64_t rem = us - secs * US, days, sod;
	unsigned m, d;
	int y;

	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	sod = secs - days * 86400;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, ISOTIME_LEN, "%04d-%02u-%02u%c%02d:%02d:%02d.%06d%s",
	    y, m, d, sep, (int)(sod / 3600), (int)(sod / 60 % 60),
	    (int)(sod % 60), (int)rem, zone_text);
}

void
isotime_api(int64_t us, char out[ISOTIME_LEN])
{
	format(us, out, 'T', "+00:00");
}

void
isotime_ch(int64_t us, char out[ISOTIME_LEN])
{
	format(us, out, ' ', "");
}

void
isotime_z(int64_t us, char out[ISOTIME_LEN])
{
	format(us, out, 'T', "Z");
}

int64_t
isotime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * US + ts.tv_nsec / 1000;
}
