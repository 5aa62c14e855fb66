/*
 * Worker threads that build and gzip request bodies while other batches
 * are on the wire: on a fast link, compression is what ph-send spends
 * its time on.  A finished body wakes the main loop's curl_multi_poll.
 */
#ifndef PH_SEND_COMPRESSOR_H
#define PH_SEND_COMPRESSOR_H

#include <curl/curl.h>

#include "batch.h"

struct compressor;

/* Start n workers (n >= 1) for bodies of env; NULL if none can start. */
struct compressor *compressor_new(int n, const struct envelope *env,
		    CURLM *wake);

/* Build b's body in the background. */
void		 compressor_submit(struct compressor *, struct batch *b);

/* Whether b's body is built: 1, 0 not yet, -1 failed. */
int		 compressor_done(struct compressor *, const struct batch *b);

/* Finish the work in hand and stop the workers. */
void		 compressor_free(struct compressor *);

#endif
