/*
 * The delivery engine: events from the input go to lanes by a hash of
 * their distinct_id; each lane sends its batches one after another, so
 * the events of one person reach the server in input order while N
 * lanes keep N requests in flight over kept-alive connections.
 */
#ifndef PH_SEND_SENDER_H
#define PH_SEND_SENDER_H

#include <stddef.h>

#include <curl/curl.h>

#include "batch.h"
#include "buf.h"
#include "check.h"
#include "compressor.h"
#include "input.h"
#include "lanes.h"
#include "ledger.h"
#include "output.h"
#include "progress.h"
#include "statefile.h"

struct send_opts {
	char		*url;		/* .../batch/ */
	char		*key;
	int		 historical;
	int		 gzip_level;	/* 0: no gzip */
	size_t		 batch_size;
	size_t		 batch_bytes;
	int		 parallel;
	double		 rate;		/* events a second; 0: no limit;
					   < 0: the default for the host */
	unsigned	 max_retries;
	double		 retry_wait;	/* first backoff, seconds */
	double		 retry_max_wait;
	double		 timeout;	/* one request, seconds */
	double		 flush_after;	/* a partial batch waits this long */
	int		 dry_run;
	int		 quiet;
	int		 force_progress;
	const char	*state_path;
	const char	*reject_path;
	size_t		 max_event;
};

struct counts {
	unsigned long long sent, rejected, batches, retries;
	unsigned long long again;	/* delivered, sent before too */
	unsigned long long raw_bytes, wire_bytes;
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
	CURLM			*multi;
	struct curl_slist	*headers;
	struct owriter		 rej;
	struct progress		 prog;
	struct counts		 n;
	struct saved_state	 saved;		/* what the state file says */
	int			 lock_fd;	/* on the state, held all run */
	char			*default_reject; /* beside the state */
	int			 pipe;		/* input cannot be replayed */

	int			 input_done;
	int			 stopping;	/* read no more, start no more */
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

/* Set up from s->o and the input paths: 0, or an exit status. */
int	sender_init(struct sender *, char *const *paths, int npaths);
/* Skip what the state file says an earlier run delivered: 0 or status. */
int	sender_resume(struct sender *);
/* Deliver everything: the exit status. */
int	sender_run(struct sender *);
void	sender_summary(struct sender *);
/* What a saved state keeps beside the ledger: run, reject file size. */
void	sender_state_extras(struct sender *, struct saved_state *);
/* Refused lines the prefix reached, to the reject file. */
void	sender_write_rejects(struct sender *);
/* LEDGER_BOM and LEDGER_CR for line l. */
int	line_ending(const struct sender *, const struct line *);
void	sender_free(struct sender *);

#endif
