/* Unit tests of common/http.c: what is retried, reasons, base URLs. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static void
reason(const char *body, const char *want)
{
	char out[64];

	is_str(http_reason(body, strlen(body), out, sizeof(out)), want,
	    "reason: %s", want);
}

int
main(void)
{
	static const long retried[] = { 408, 429, 500, 502, 503, 504, 599 };
	static const long final[] = { 200, 301, 400, 401, 403, 404, 413 };
	char *u;
	size_t i;

	for (i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
		ok(http_transient(CURLE_OK, retried[i]), "%ld is retried",
		    retried[i]);
	for (i = 0; i < sizeof(final) / sizeof(final[0]); i++)
		ok(!http_transient(CURLE_OK, final[i]), "%ld is not retried",
		    final[i]);
	ok(http_transient(CURLE_COULDNT_CONNECT, 0), "no connection: retried");
	ok(http_transient(CURLE_OPERATION_TIMEDOUT, 0), "timeout: retried");
	ok(http_transient(CURLE_RECV_ERROR, 0), "reset: retried");
	ok(http_transient(CURLE_GOT_NOTHING, 0), "empty reply: retried");
	ok(!http_transient(CURLE_URL_MALFORMAT, 0), "a bad URL: not retried");
	ok(!http_transient(CURLE_PEER_FAILED_VERIFICATION, 0),
	    "a bad certificate: not retried");

	reason("{\"type\":\"validation_error\",\"detail\":\"Bad \\\"x\\\".\"}",
	    "Bad \"x\".");
	reason("{\"status\":400,\"code\":\"c\",\"error\":\"missing event\"}",
	    "missing event");
	reason("transient error, please retry\nmore", "transient error, "
	    "please retry");
	reason("<html>\x01\x02", "<html>??");
	reason("", "");
	reason("0123456789012345678901234567890123456789012345678901234567890123"
	    "456789", "012345678901234567890123456789012345678901234567890123456"
	    "789...");

	u = http_base_url("https://eu.i.posthog.com///");
	is_str(u, "https://eu.i.posthog.com", "trailing slashes go");
	free(u);
	u = http_base_url("HTTP://127.0.0.1:8000/x/");
	is_str(u, "HTTP://127.0.0.1:8000/x", "a path stays");
	free(u);
	ok(http_base_url("ftp://x") == NULL, "ftp is refused");
	ok(http_base_url("eu.i.posthog.com") == NULL, "a bare host is refused");
	return done_testing();
}
