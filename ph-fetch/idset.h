/*
 * A set of event ids (as 64-bit hashes of their text): the events already
 * written that share the current boundary timestamp.
 */
#ifndef PH_FETCH_IDSET_H
#define PH_FETCH_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	uint64_t	*slot;		/* 0: empty */
	size_t		 cap;
	size_t		 n;
};

/* Add an id: 1 if it was new, 0 if it was there already. */
int	idset_add(struct idset *, const char *id, size_t len);
int	idset_has(const struct idset *, const char *id, size_t len);
void	idset_clear(struct idset *);
void	idset_free(struct idset *);

#endif
