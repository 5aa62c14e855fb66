/*
 * The delivery engine: events from the input go to lanes by a hash of
 * their distinct_id; each lane sends its batches one after another, so
 * the events of one person reach the server in input order while N
 * lanes keep N requests in flight over kept-alive connections.
 */
#ifndef PH_SEND_SENDER_H
#define PH_SEND_SENDER_H

#include <stddef.h>

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

/* The engine's state, private to sender.c and setup.c (engine.h). */
struct sender;

/* An engine for the options o, which it copies. */
struct sender	*sender_new(const struct send_opts *o);
/* Set up from the options and the input paths: 0, or an exit status. */
int	sender_init(struct sender *, char *const *paths, int npaths);
/* Skip what the state file says an earlier run delivered: 0 or status. */
int	sender_resume(struct sender *);
/* Deliver everything: the exit status. */
int	sender_run(struct sender *);
void	sender_summary(struct sender *);
void	sender_free(struct sender *);

#endif
