/*
 * libFuzzer target: ph-clean's line handling.  Each input is a file of
 * lines; each line goes through clean_event.  Beyond "no crash, no
 * sanitizer report", two properties must hold for every line it cleans:
 * ph-send's local check accepts the result (it is capture-ready), and
 * cleaning it again changes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clean.h"

static struct cleaner c1, c2;
static struct checker chk = { .max_event = (size_t)1 << 30 };

static void
one_line(const char *p, size_t n)
{
	struct event_info info;
	char why[256];

	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (clean_event(&c1, p, n, why, sizeof(why)) == -1)
		return;
	if (check_event(&chk, c1.out.p, c1.out.len, &info, why,
	    sizeof(why)) == -1)
		abort();	/* ph-clean wrote what capture would refuse */
	if (clean_event(&c2, c1.out.p, c1.out.len, why, sizeof(why)) == -1 ||
	    c2.out.len != c1.out.len || memcmp(c2.out.p, c1.out.p,
	    c1.out.len) != 0)
		abort();	/* cleaning is not idempotent */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		one_line(p, (size_t)((nl ? nl : end) - p));
		p = nl ? nl + 1 : end;
	}
	return 0;
}
