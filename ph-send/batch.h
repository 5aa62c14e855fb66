/*
 * A batch: events in input order, kept as the lines they came as, so
 * that a refused batch can be split and a refused event written out
 * unchanged.
 */
#ifndef PH_SEND_BATCH_H
#define PH_SEND_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * ph-send's gzip level: libdeflate's fastest.  On the benchmark's bodies
 * it takes 0.55 of the CPU of zlib's level 3, used before, and its
 * bodies are 4% smaller (tests/bench/gzbench.c, in make bench).
 */
#define GZIP_LEVEL	1

/* The request body around the events, the same for every batch. */
struct envelope {
	struct buf	 head;		/* {"api_key":...,"batch":[ */
	int		 gzip_level;	/* 0: send uncompressed */
};

struct batch {
	struct buf	 data;		/* the events, joined by commas */
	size_t		*end;		/* where each event ends in data */
	unsigned long long *line;	/* each event's input line */
	unsigned char	*sent;		/* each event: sent in a failed try */
	/*
	 * Each event's distinct_id hash and, for an identity event, its
	 * other id's (else the same): lanes.c counts them to keep order.
	 */
	uint64_t	*person;
	uint64_t	*other;
	size_t		 n;
	size_t		 cap;
	double		 opened;	/* when its first event came */

	/* Set when it is sent. */
	struct buf	 body;		/* as sent: maybe gzip */
	size_t		 rawlen;	/* the body before gzip */
	int		 built;		/* body: 1 built, 0 not, -1 failed */
	int		 building;	/* handed to a compressor thread */
	unsigned	 attempts;	/* failed attempts so far */
	char		 why[256];	/* a held refusal's reason */
	struct batch	*next;		/* in its lane */
	struct batch	*job_next;	/* in the compressor's queue */
};

void		 envelope_init(struct envelope *, const char *key,
		    int historical, int gzip_level);
void		 envelope_free(struct envelope *);
/* Bytes the envelope adds to a body. */
size_t		 envelope_overhead(const struct envelope *);

struct batch	*batch_new(double now);
void		 batch_add(struct batch *, const char *ev, size_t len,
		    unsigned long long line);
/* Event i's text. */
const char	*batch_event(const struct batch *, size_t i, size_t *len);
/*
 * The batch went out and failed in a way that may have stored part of
 * it (capture stores events one by one): its events count as sent once.
 */
void		 batch_mark_sent(struct batch *);
/* How many of its events went out before, in a failed try. */
size_t		 batch_sent_before(const struct batch *);
/* A new batch holding events [from, to). */
struct batch	*batch_slice(const struct batch *, size_t from, size_t to);
/*
 * Build b->body: 0, or -1 if gzip failed.  scratch holds the raw body
 * on its way to gzip; b and scratch are all it writes.
 */
int		 batch_build(struct batch *, const struct envelope *,
		    struct buf *scratch);
void		 batch_free(struct batch *);

#endif
