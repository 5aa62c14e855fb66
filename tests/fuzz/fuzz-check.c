/*
 * libFuzzer target: ph-send's local check of an event before it may join
 * a batch.  No crash, no sanitizer report, and what it reports about an
 * accepted event is NUL-terminated; a refusal always gives a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct checker chk = { .max_event = 4096 };
	const char *p = (const char *)data;
	struct event_info info;
	char why[256];

	if (check_event(&chk, p, size, &info, why, sizeof(why)) == 0) {
		if (memchr(info.uuid, '\0', sizeof(info.uuid)) == NULL ||
		    memchr(info.ts, '\0', sizeof(info.ts)) == NULL)
			abort();
	} else if (memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0')
		abort();
	return 0;
}
