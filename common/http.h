/*
 * What ph-fetch and ph-send share about HTTP: handle defaults, which
 * failures are worth a retry (curl's own list: timeouts, resolve and
 * connect failures, resets, 408, 429, 500, 502, 503, 504), and a server's reason made fit for one line of stderr.
 */
#ifndef PH_HTTP_H
#define PH_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"

#define HTTP_BODY_MAX	(64 * 1024 * 1024)	/* a reply larger is refused */

/*
 * Defaults for every request: a User-Agent, timeouts, the error buffer,
 * no redirects (a key must not follow one), no signals.
 */
void	http_setup(CURL *, const char *user_agent, double timeout,
	    char errbuf[CURL_ERROR_SIZE]);

/* Collect the reply body into the struct buf at CURLOPT_WRITEDATA. */
size_t	http_collect(char *p, size_t size, size_t n, void *buf);

/* Whether a transfer that failed this way may succeed if tried again. */
int	http_transient(CURLcode, long status);

/*
 * What went wrong with a transfer, for one line of stderr: curl's
 * error, or "STATUS: the server's reason".
 */
const char *http_failure(CURLcode, long status,
	    const char errbuf[CURL_ERROR_SIZE], const struct buf *reply,
	    char *out, size_t size);

/*
 * The reason in a server's error body: the "detail", "error" or
 * "message" of a JSON object, else the first line of the text.
 */
const char *http_reason(const char *body, size_t len, char *out,
	    size_t size);

/* An URL without a trailing slash, or NULL unless it is http(s)://. */
char	*http_base_url(const char *);

#endif
