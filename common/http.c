#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "http.h"
#include "jscan.h"
#include "xalloc.h"

void
http_setup(CURL *h, const char *user_agent, double timeout,
    char errbuf[CURL_ERROR_SIZE])
{
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_collect);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
}

size_t
http_collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > HTTP_BODY_MAX)
		return 0;	/* curl fails the transfer: a write error */
	buf_add(b, p, size * n);
	return size * n;
}

/*
 * A list of what may go away, not of what will not: an error curl adds
 * later, a TLS failure or a 501 stops the run at once instead of being
 * tried again for minutes.  After retrycheck() in curl's
 * src/tool_operate.c, with connection failures and resets added (a
 * capture host behind a load balancer drops connections while it
 * restarts).
 */
int
http_transient(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status == 408 || status == 429 || status == 500 ||
		    status == 502 || status == 503 || status == 504;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:		/* a reset while sending */
	case CURLE_RECV_ERROR:		/* a reset while receiving */
	case CURLE_GOT_NOTHING:		/* closed before a status line */
	case CURLE_PARTIAL_FILE:	/* closed inside the body */
		return 1;
	default:
		return 0;
	}
}

/* Text for a failed transfer: the error buffer, else curl's message. */
static const char *
http_error(CURLcode rc, const char errbuf[CURL_ERROR_SIZE])
{
	return errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
}

const char *
http_failure(CURLcode rc, long status, const char errbuf[CURL_ERROR_SIZE],
    const struct buf *reply, char *out, size_t size)
{
	char reason[300];

	if (rc != CURLE_OK)
		snprintf(out, size, "%s", http_error(rc, errbuf));
	else
		snprintf(out, size, "%ld: %s", status, http_reason(reply->p,
		    reply->len, reason, sizeof(reason)));
	return out;
}

/* The string member key of a JSON object text, decoded into out. */
static int
json_reason(const char *body, size_t len, const char *key, struct buf *out)
{
	struct jmembers m = { 0 };
	const struct jmember *v;
	struct jerr e;
	int found = 0;

	if (js_parse_object(body, len, &m, NULL, NULL, &e) == 0 &&
	    (v = js_get(&m, key)) != NULL && v->type == JT_STRING) {
		js_unescape(out, v->val, v->vallen);
		found = 1;
	}
	js_members_free(&m);
	return found;
}

const char *
http_reason(const char *body, size_t len, char *out, size_t size)
{
	static const char *const keys[] = { "detail", "error", "message" };
	struct buf b = { 0 };
	const char *nl;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_reason(body, len, keys[i], &b))
			break;
	if (b.len == 0 && len > 0) {
		nl = memchr(body, '\n', len);
		buf_add(&b, body, nl != NULL ? (size_t)(nl - body) : len);
	}
	while (b.len > 0 && (b.p[b.len - 1] == ' ' || b.p[b.len - 1] == '\r'))
		b.len--;
	printable(b.p ? b.p : "", b.len, out, size);
	buf_free(&b);
	return out;
}

char *
http_base_url(const char *url)
{
	size_t n = strlen(url);

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return NULL;
	while (n > 8 && url[n - 1] == '/')
		n--;
	return xmemdup0(url, n);
}
