#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void
warn_at(const char *file, unsigned long long line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s:%llu: %s", file, line, msg);
}

int
refusal(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
printable(const char *s, size_t n, char *out, size_t size)
{
	size_t i, room;
	int cut;

	if (size < 4) {
		if (size > 0)
			out[0] = '\0';
		return out;
	}
	cut = n > size - 1;
	room = cut ? size - 4 : n;
	for (i = 0; i < room; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (cut)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = '\0';
	return out;
}
