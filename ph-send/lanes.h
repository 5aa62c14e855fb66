/*
 * The lane queue: an event goes to the lane that holds undelivered
 * events of its distinct_id (or, else, to the least loaded lane), and
 * each lane sends its batches one after another, so the events of one
 * person reach capture in input order while N lanes keep N requests in
 * flight (doc/design.md, "Lanes by distinct_id").
 */
#ifndef PH_SEND_LANES_H
#define PH_SEND_LANES_H

#include <stddef.h>

#include "batch.h"
#include "check.h"
#include "compressor.h"

/* How full a batch may get, and how long a partial one waits. */
struct lane_limits {
	size_t		 batch_size;	/* events */
	size_t		 batch_bytes;	/* of the body before gzip */
	double		 flush_after;	/* seconds */
};

/*
 * A lane: its queue of batches, and its current batch, which it keeps
 * from being sent until it is settled so that nothing behind it goes
 * first.  The connection that sends it is sender.c's (struct wire).
 */
struct lane;
struct lanes;

/*
 * n lanes (at most 64) filling batches for env; a ready batch goes to
 * zip to be built, unless zip is NULL.
 */
struct lanes	*lanes_new(int n, const struct lane_limits *,
		    const struct envelope *env, struct compressor *zip);
/* Frees the lanes and every batch they hold. */
void		 lanes_free(struct lanes *);

int		 lanes_count(const struct lanes *);
struct lane	*lanes_at(const struct lanes *, int i);

/*
 * Give a checked event to its lane.  When the lane has no room yet, or
 * the event must wait for the events of an id it names to be delivered
 * from another lane first, the lanes hold it (lanes_pending) until
 * lanes_place_pending can place it.
 */
void		 lanes_take(struct lanes *, const struct event_info *,
		    const char *ev, size_t len, unsigned long long no);
/* Whether an event is held, waiting for room or for order. */
int		 lanes_pending(const struct lanes *);
/* Place the held event: 1 if it went into its lane, 0 if it waits. */
int		 lanes_place_pending(struct lanes *);
/* Whether the held event waits for events of its ids in other lanes. */
int		 lanes_ordering(const struct lanes *);
/*
 * Counts the lanes keep of the ids that undelivered events name: 0 once
 * every lane is idle (the memory they take follows the events in flight).
 */
size_t		 lanes_tracked(const struct lanes *);

/*
 * Close partial batches that should go now: all of them when drained
 * (no more events will come soon), else a full one with room in its
 * lane, or one whose idle lane let it wait flush_after.
 */
void		 lanes_close_batches(struct lanes *, double now, int drained);
/* A batch split after a 400 or 413 goes back first, in its lane. */
void		 lanes_push_front(struct lanes *, struct lane *,
		    struct batch *);

/*
 * The batch the lane sends now: its current one, or else the next ready
 * one, which becomes current.  NULL: none ready.
 */
struct batch	*lane_next(struct lane *);
/* The current batch (on the wire or waiting to retry), or NULL. */
struct batch	*lane_current(const struct lane *);
/*
 * The current batch leaves the lane, delivered, refused or split (its
 * halves go back with lanes_push_front): the caller owns it, and the
 * next batch may go.
 */
struct batch	*lane_release(struct lane *);
/* Nothing current, ready or filling. */
int		 lane_idle(const struct lane *);
/* A batch to send, now or after a retry's wait. */
int		 lane_has_batch(const struct lane *);
/* When the lane's partial batch goes by itself, or HUGE_VAL: never. */
double		 lanes_flush_at(const struct lanes *, const struct lane *);

#endif
