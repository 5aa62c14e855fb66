/*
 * The delivery engine's state, shared by sender.c (the loop, results
 * and the wire) and setup.c (setting up, resuming, the summary); the
 * rest of ph-send sees only sender.h.
 */
#ifndef PH_SEND_ENGINE_H
#define PH_SEND_ENGINE_H

#include <stddef.h>

#include <curl/curl.h>

#include "batch.h"
#include "buf.h"
#include "check.h"
#include "compressor.h"
#include "idcount.h"
#include "input.h"
#include "lanes.h"
#include "ledger.h"
#include "output.h"
#include "progress.h"
#include "sender.h"
#include "statefile.h"

struct counts {
	unsigned long long sent, rejected, batches, retries;
	unsigned long long again;	/* delivered, sent before too */
	unsigned long long dangerous;	/* $merge_dangerously events taken */
	unsigned long long raw_bytes, wire_bytes;
	unsigned long long skipped;	/* an earlier run delivered them */
};

/*
 * The connection that sends one lane's batches: at most one request at
 * a time, for the lane's current batch (lane_current).
 */
struct wire {
	struct lane	*lane;
	CURL		*h;
	int		 busy;		/* the current batch is on the wire */
	double		 retry_at;	/* it goes again no sooner */
	struct buf	 reply;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct sender {
	struct send_opts	 o;
	struct input		 in;
	struct checker		 chk;
	struct ledger		 led;
	struct envelope		 env;
	struct compressor	*zip;		/* NULL: build bodies inline */
	struct buf		 scratch;	/* for inline builds */
	struct lanes		*lanes;
	struct wire		*wire;		/* one a lane, by index */
	CURLM			*multi;
	struct curl_slist	*headers;
	struct owriter		 rej;
	struct progress		 prog;
	struct counts		 n;
	struct saved_state	 saved;		/* what the state file says */
	int			 lock_fd;	/* on the state, held all run */
	char			*default_reject; /* beside the state */
	int			 pipe;		/* input cannot be replayed */
	/*
	 * Fingerprints of lines an earlier run delivered past its prefix
	 * (tag 0), and the state's list of this run's (ledger_delivered_keys).
	 */
	struct idcount		 before;
	struct buf		 listed;

	int			 input_done;
	int			 stopping;	/* read no more, start no more */
	int			 state_due;	/* delivered since it was written */
	int			 status;	/* the exit status so far */
	int			 quota_warned;
	int			 uuid_warned;
	int			 django_warned;
	int			 stop_said;	/* the cause of a stop, once */

	/*
	 * Events capture refused one by one since the last delivery, not
	 * settled yet: a long run of them means something else answers.
	 */
	struct batch		*held[16];
	int			 nheld;
	double			 next_start;	/* --rate: earliest next send */
	double			 started;
};

/* What a saved state keeps beside the ledger: run, reject file size. */
void	sender_state_extras(struct sender *, struct saved_state *);
/* Refused lines the prefix reached, to the reject file. */
void	sender_write_rejects(struct sender *);

#endif
