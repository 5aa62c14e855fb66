/*
 * Counts keyed by a distinct_id's 64-bit hash and a small tag (lanes.c:
 * a lane, or all lanes): the events not yet delivered that name an id.
 * Only keys with a count above zero take room: lanes.c's are at most
 * four an event in the lanes (two ids, in a lane and in all).
 */
#ifndef PH_SEND_IDCOUNT_H
#define PH_SEND_IDCOUNT_H

#include <stddef.h>
#include <stdint.h>

struct idcount_slot {
	uint64_t	 id;
	uint32_t	 tag;
	uint32_t	 n;		/* 0: the slot is empty */
};

struct idcount {
	struct idcount_slot *slot;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 used;
};

/* Add one to (id, tag)'s count. */
void		idcount_inc(struct idcount *, uint64_t id, uint32_t tag);
/* Take one from it; at zero the key leaves the table. */
void		idcount_dec(struct idcount *, uint64_t id, uint32_t tag);
uint32_t	idcount_get(const struct idcount *, uint64_t id, uint32_t tag);
/* Keys with a count above zero. */
size_t		idcount_keys(const struct idcount *);
void		idcount_free(struct idcount *);

#endif
