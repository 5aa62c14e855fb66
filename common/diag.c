#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "exitcode.h"
#include "output.h"

#ifndef PH_VERSION
#define PH_VERSION "unknown"
#endif

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

void
usage_error(const char *usage)
{

	fputs(usage, stderr);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    program_invocation_short_name);
	exit(PH_EXIT_USAGE);
}

void
print_version(void)
{
	struct owriter w;
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%s %s\n",
	    program_invocation_short_name, PH_VERSION);
	ow_init(&w, 1, "stdout");
	ow_write(&w, line, (size_t)n);
	ow_close(&w);
	exit(PH_EXIT_OK);
}
