/*
 * The local check of one event before it may join a batch: capture
 * refuses a whole batch for one bad event, so a line that would be
 * refused is set aside here, with its line number, and never sent.
 */
#ifndef PH_SEND_CHECK_H
#define PH_SEND_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

/* What the sender needs from a good event. */
struct event_info {
	uint64_t	 person;	/* hash of the distinct_id, for lanes */
	uint64_t	 other;		/* an identity event's other id's */
	int		 identity;	/* $identify, $create_alias, ... */
	int		 dangerous;	/* a $merge_dangerously */
	char		 uuid[64];	/* decoded, possibly cut; "" if none */
	char		 ts[64];	/* decoded timestamp; "" if none */
	size_t		 message;	/* bytes of capture's Kafka message */
};

struct checker {
	size_t		 max_event;	/* bytes of capture's Kafka message */
	size_t		 token_len;	/* the API key's, as capture copies it */
	struct jmembers	 top;
	struct jmembers	 props;
	struct buf	 tmp;
};

/*
 * 0 when line[0..len) may be sent, with *info filled; -1 with the
 * reason in why when it must not.
 */
int	check_event(struct checker *, const char *line, size_t len,
	    struct event_info *info, char *why, size_t whysize);

void	checker_free(struct checker *);

#endif
