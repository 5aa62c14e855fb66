/*
 * A set of event ids: the events already written that share the current
 * boundary timestamp.  It keeps the ids themselves, not only their
 * hashes, so two ids whose hashes collide are still two ids: a collision
 * costs a comparison, never an event.
 */
#ifndef PH_FETCH_IDSET_H
#define PH_FETCH_IDSET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct idslot {
	uint64_t	 hash;
	size_t		 off;		/* into ids, plus one; 0: empty */
	size_t		 len;
};

struct idset {
	struct idslot	*slot;
	size_t		 cap;
	size_t		 n;
	struct buf	 ids;		/* the ids' bytes, one after another */
	/* The hash function; NULL for the usual one (tests replace it). */
	uint64_t	(*hash)(const char *, size_t);
};

/* Add an id: 1 if it was new, 0 if it was there already. */
int	idset_add(struct idset *, const char *id, size_t len);
int	idset_has(const struct idset *, const char *id, size_t len);
void	idset_clear(struct idset *);
void	idset_free(struct idset *);

#endif
