#include <string.h>
#include <strings.h>

#include "jscan.h"
#include "reply.h"

/*
 * capture's CaptureError messages, the plain-text error bodies of Rust
 * capture before its JSON errors (rust/capture/src/api.rs, 2024; those
 * ending in ": " carry a detail), and axum's own body-limit text.
 */
static const char *const capture_texts[] = {
	"failed to decode request: ",
	"failed to parse request: ",
	"request holds no event",
	"event submitted with an empty event name",
	"event submitted with an empty distinct_id",
	"event submitted without a distinct_id",
	"replay event submitted without snapshot data",
	"replay event submitted without session id",
	"replay event submitted without window id",
	"replay event has invalid session id",
	"event submitted without an api_key",
	"batch submitted with inconsistent api_key values",
	"API key is not valid: ",
	"transient error, please retry",
	"maximum event size exceeded",
	"invalid event could not be processed",
	"billing limit reached",
	"rate limited",
	"Failed to buffer the request body: ",
	NULL
};

static int
has_members(const struct jmembers *m, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		if (js_get(m, *keys) == NULL)
			return 0;
	return 1;
}

/*
 * The JSON error bodies: the newest Rust capture's {"status", "code",
 * "error"}; Django's {"type", "code", "detail", "attr"} (posthog/api/
 * utils.py, 2022); and the oldest Django capture's {"code", "message"}
 * (posthog/api/capture.py, 2021).
 */
static int
is_json_error(const char *body, size_t len)
{
	static const char *const rust[] = { "status", "code", "error", NULL };
	static const char *const django[] = { "type", "code", "detail", NULL };
	static const char *const old[] = { "code", "message", NULL };
	struct jmembers m = { 0 };
	struct jerr e;
	int yes;

	if (js_parse_object(body, len, &m, NULL, NULL, &e) == -1)
		return 0;
	yes = has_members(&m, rust) || has_members(&m, django) ||
	    has_members(&m, old);
	js_members_free(&m);
	return yes;
}

int
reply_is_capture_error(const char *body, size_t len)
{
	size_t i, n;

	if (body == NULL)
		return 0;
	if (is_json_error(body, len))
		return 1;
	for (i = 0; capture_texts[i] != NULL; i++) {
		n = strlen(capture_texts[i]);
		if (len >= n && memcmp(body, capture_texts[i], n) == 0 &&
		    memchr(body, '<', len) == NULL)
			return 1;
	}
	return 0;
}

/*
 * Rust capture answers {"status":"Ok"}, with quota_limited when billing
 * drops the events (serde's encoding of CaptureResponseCode::Ok,
 * rust/capture/src/api.rs and v0_endpoint.rs), or 204 and no body where
 * it has CaptureResponseCode::NoContent; Django capture answered
 * {"status": 1} (posthog/api/capture.py, 2021-2023).
 */
enum reply_kind
reply_success(long status, const char *body, size_t len)
{
	struct jmembers m = { 0 };
	const struct jmember *st, *q;
	enum reply_kind k = REPLY_FOREIGN;
	struct jerr e;

	if (body == NULL || js_ws(body, body + len) == body + len)
		return status == 204 ? REPLY_OK : REPLY_FOREIGN;
	if (js_parse_object(body, len, &m, NULL, NULL, &e) == -1)
		return REPLY_FOREIGN;
	if ((st = js_get(&m, "status")) != NULL) {
		if (st->type == JT_STRING && js_str_eq(st->val, st->vallen, 1,
		    "Ok")) {
			q = js_get(&m, "quota_limited");
			k = q != NULL && q->type == JT_ARRAY && q->vallen > 2 ?
			    REPLY_OK_QUOTA : REPLY_OK;
		} else if (st->type == JT_NUMBER && st->vallen == 1 &&
		    st->val[0] == '1')
			k = REPLY_OK_DJANGO;
	}
	js_members_free(&m);
	return k;
}

int
reply_body_refused(const char *body, size_t len)
{
	static const char limit[] = "Failed to buffer the request body: ";

	return body != NULL && len >= sizeof(limit) - 1 &&
	    memcmp(body, limit, sizeof(limit) - 1) == 0;
}

const char *
reply_what(const char *body, size_t len)
{
	const char *p;

	if (body == NULL || (p = js_ws(body, body + len)) == body + len)
		return "an empty body";
	if (*p == '<')
		return "an HTML page";
	if (*p == '{' || *p == '[')
		return "a JSON body that is not capture's";
	return "a text that is not capture's";
}

int
reply_is_cloud(const char *url)
{
	const char *host, *end;
	size_t n;

	if ((host = strstr(url, "://")) == NULL)
		return 0;
	host += 3;
	for (end = host; *end != '\0' && *end != '/' && *end != ':' &&
	    *end != '?' && *end != '#'; end++)
		if (*end == '@')
			host = end + 1;	/* user:pass@host */
	n = (size_t)(end - host);
	if (n > 0 && host[n - 1] == '.')
		n--;			/* a fully qualified name */
	return (n == 11 && strncasecmp(host, "posthog.com", 11) == 0) ||
	    (n > 12 && strncasecmp(host + n - 12, ".posthog.com", 12) == 0);
}
