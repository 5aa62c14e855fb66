/* ph-emu: the source API (event listing, query): arrives with ph-fetch. */
#include <string.h>

#include "emu.h"

int
source_load(struct emu *e)
{
	(void)e;
	return 0;
}

int
is_source_path(const char *url)
{
	return strncmp(url, "/api/", 5) == 0;
}

enum MHD_Result
source(struct emu *e, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method)
{
	(void)r, (void)url, (void)method;
	return reply_error(e, c, 404, "not_found", "Not found.");
}
