/* Unit tests of what ph-send takes for capture's replies (ph-send/reply.c). */
#include <string.h>

#include "reply.h"
#include "tap.h"

static enum reply_kind
success(long status, const char *body)
{
	return reply_success(status, body, strlen(body));
}

static int
capture_error(const char *body)
{
	return reply_is_capture_error(body, strlen(body));
}

int
main(void)
{
	ok(success(200, "{\"status\":\"Ok\"}") == REPLY_OK,
	    "{\"status\":\"Ok\"}: delivered");
	ok(success(200, "{\"status\": \"Ok\", \"quota_limited\": [\"events\"]}")
	    == REPLY_OK_QUOTA, "  with quota_limited: delivered, noted");
	ok(success(200, "{\"status\":1}") == REPLY_OK_DJANGO,
	    "{\"status\": 1}: Django-era capture");
	ok(success(204, "") == REPLY_OK, "204 and no body: delivered");
	ok(success(200, "") == REPLY_FOREIGN, "200 and no body: not capture");
	ok(success(200, "<html><body>Sign in</body></html>") == REPLY_FOREIGN,
	    "an HTML page: not capture");
	ok(success(200, "{\"status\":0}") == REPLY_FOREIGN,
	    "{\"status\":0}: not capture");
	ok(success(200, "{\"ok\":true}") == REPLY_FOREIGN,
	    "another JSON body: not capture");
	is_str(reply_what("<html>", 6), "an HTML page", "an HTML page named");

	ok(capture_error("event submitted without a distinct_id"),
	    "older Rust capture's plain text");
	ok(capture_error("failed to parse request: expected value at line 1"),
	    "  with its detail");
	ok(capture_error("{\"status\":400,\"code\":\"invalid_payload\","
	    "\"error\":\"bad\"}"), "newest Rust capture's JSON");
	ok(capture_error("{\"type\":\"validation_error\",\"code\":\"x\","
	    "\"detail\":\"d\",\"attr\":null}"), "Django's JSON");
	ok(capture_error("{\"code\":\"validation\",\"message\":\"m\"}"),
	    "2021 Django capture's JSON");
	ok(!capture_error("<html><body><h1>400 Bad Request</h1>The plain HTTP "
	    "request was sent to HTTPS port</body></html>"),
	    "nginx's HTML page is not capture's");
	ok(!capture_error("Bad Request"), "nor is a bare reason");
	ok(!capture_error("{\"error\":\"bad\"}"), "nor another JSON");

	ok(reply_body_refused("Failed to buffer the request body: length limit "
	    "exceeded", 56), "axum's body limit: nothing stored");
	ok(!reply_body_refused("maximum event size exceeded", 27),
	    "EventTooBig: some may be stored");

	ok(reply_is_cloud("https://us.i.posthog.com/batch/"), "us.i: Cloud");
	ok(reply_is_cloud("https://eu.i.posthog.com/batch/"), "eu.i: Cloud");
	ok(reply_is_cloud("https://app.posthog.com/batch/"), "app: Cloud");
	ok(reply_is_cloud("https://US.I.PostHog.com:443/batch/"),
	    "  in any case, with a port");
	ok(reply_is_cloud("https://posthog.com/batch/"), "posthog.com: Cloud");
	ok(!reply_is_cloud("https://posthog.example.com/batch/"),
	    "a self-hosted name: not Cloud");
	ok(!reply_is_cloud("https://notposthog.com/batch/"),
	    "notposthog.com: not Cloud");
	ok(!reply_is_cloud("https://us.i.posthog.com.evil.net/batch/"),
	    "a name that only begins so: not Cloud");
	ok(!reply_is_cloud("http://127.0.0.1:8000/batch/"), "a local host: not");
	return done_testing();
}
