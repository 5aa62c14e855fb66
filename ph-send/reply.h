/*
 * What PostHog's capture answers, as against anything else that can
 * stand between ph-send and it (a proxy, a login page, a wrong host):
 * only capture's own reply counts as a delivery or a refusal.
 */
#ifndef PH_SEND_REPLY_H
#define PH_SEND_REPLY_H

#include <stddef.h>

enum reply_kind {
	REPLY_OK,		/* {"status":"Ok"}, or 204 and no body */
	REPLY_OK_QUOTA,		/* the same with quota_limited */
	REPLY_OK_DJANGO,	/* {"status":1}: Django-era capture */
	REPLY_FOREIGN		/* a 2xx capture would not send */
};

/* What a 2xx reply with this body means. */
enum reply_kind	 reply_success(long status, const char *body, size_t len);

/* Whether a 4xx body is one of capture's error formats. */
int		 reply_is_capture_error(const char *body, size_t len);

/*
 * Whether a 413 says the body was refused whole, before any event was
 * stored (axum's body limit), rather than capture's EventTooBig.
 */
int		 reply_body_refused(const char *body, size_t len);

/* "an HTML page", "an empty body", "a JSON body": for messages. */
const char	*reply_what(const char *body, size_t len);

/* Whether the URL's host is PostHog Cloud (*.posthog.com). */
int		 reply_is_cloud(const char *url);

#endif
