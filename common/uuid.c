#include <sys/random.h>

#include <err.h>
#include <errno.h>
#include <string.h>

#include "exitcode.h"
#include "sha1.h"
#include "uuid.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 32 hex digits, with hyphens where hyphenated says. */
static int
parse_hex(const char *s, size_t n, int hyphenated, unsigned char out[16])
{
	size_t i, k = 0;
	int hi, lo;

	if (n != (hyphenated ? 36u : 32u))
		return -1;
	for (i = 0; i < n; ) {
		if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i++] != '-')
				return -1;
			continue;
		}
		if ((hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

int
uuid_parse(const char *s, size_t n, unsigned char out[16])
{
	if (n == 32)
		return parse_hex(s, n, 0, out);
	if (n == 36)
		return parse_hex(s, n, 1, out);
	if (n == 38 && s[0] == '{' && s[37] == '}')
		return parse_hex(s + 1, 36, 1, out);
	/* The uuid crate takes this prefix in lower case only. */
	if (n == 45 && memcmp(s, "urn:uuid:", 9) == 0)
		return parse_hex(s + 9, 36, 1, out);
	return -1;
}

void
uuid_format(const unsigned char u[16], char out[UUID_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, k = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[u[i] >> 4];
		out[k++] = hex[u[i] & 15];
	}
	out[k] = '\0';
}

static void
set_version(unsigned char u[16], int version)
{
	u[6] = (unsigned char)((u[6] & 0x0F) | version << 4);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);	/* RFC variant */
}

void
uuid_v5(const unsigned char ns[16], const char *prefix, const void *name,
    size_t len, unsigned char out[16])
{
	unsigned char digest[20];
	struct sha1 c;

	sha1_init(&c);
	sha1_update(&c, ns, 16);
	sha1_update(&c, prefix, strlen(prefix));
	sha1_update(&c, name, len);
	sha1_final(&c, digest);
	memcpy(out, digest, 16);
	set_version(out, 5);
}

void
uuid_v4(unsigned char out[16])
{
	size_t got = 0;
	ssize_t n;

	while (got < 16) {
		n = getrandom(out + got, 16 - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(PH_EXIT_FATAL, "getrandom");
		got += (size_t)n;
	}
	set_version(out, 4);
}
