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
	/* curl's retrycheck: 408, 429, 500, 502, 503 and 504 only. */
	static const long retried[] = { 408, 429, 500, 502, 503, 504 };
	static const long final[] = { 200, 301, 400, 401, 403, 404, 413,
	    501, 505, 599 };
	static const struct { CURLcode rc; const char *what; } again[] = {
		{ CURLE_OPERATION_TIMEDOUT, "a timeout" },
		{ CURLE_COULDNT_RESOLVE_HOST, "no DNS answer" },
		{ CURLE_COULDNT_RESOLVE_PROXY, "no DNS answer for the proxy" },
		{ CURLE_COULDNT_CONNECT, "no connection" },
		{ CURLE_SEND_ERROR, "a reset while sending" },
		{ CURLE_RECV_ERROR, "a reset while receiving" },
		{ CURLE_GOT_NOTHING, "an empty reply" },
		{ CURLE_PARTIAL_FILE, "a reply cut short" },
	}, stop[] = {
		{ CURLE_PEER_FAILED_VERIFICATION, "a bad certificate" },
		{ CURLE_SSL_CACERT_BADFILE, "a bad CA file" },
		{ CURLE_SSL_CONNECT_ERROR, "a TLS handshake failure" },
		{ CURLE_URL_MALFORMAT, "a bad URL" },
		{ CURLE_UNSUPPORTED_PROTOCOL, "a protocol not built in" },
		{ CURLE_WRITE_ERROR, "a reply over the cap" },
		{ CURLE_TOO_MANY_REDIRECTS, "a redirect loop" },
		{ CURLE_OUT_OF_MEMORY, "no memory" },
		{ CURLE_WEIRD_SERVER_REPLY, "not HTTP" },
		{ CURLE_FAILED_INIT, "any other error" },
	};
	char *u;
	size_t i;

	for (i = 0; i < sizeof(retried) / sizeof(retried[0]); i++)
		ok(http_transient(CURLE_OK, retried[i]), "%ld is retried",
		    retried[i]);
	for (i = 0; i < sizeof(final) / sizeof(final[0]); i++)
		ok(!http_transient(CURLE_OK, final[i]), "%ld is not retried",
		    final[i]);
	for (i = 0; i < sizeof(again) / sizeof(again[0]); i++)
		ok(http_transient(again[i].rc, 0), "%s: retried",
		    again[i].what);
	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		ok(!http_transient(stop[i].rc, 0), "%s: not retried",
		    stop[i].what);

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
