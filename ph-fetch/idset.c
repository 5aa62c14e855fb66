#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "idset.h"
#include "xalloc.h"

static uint64_t
key(const struct idset *s, const char *id, size_t len)
{
	return s->hash != NULL ? s->hash(id, len) : hash64(id, len, 0x5EED);
}

static int
same(const struct idset *s, const struct idslot *e, uint64_t h,
    const char *id, size_t len)
{
	return e->hash == h && e->len == len &&
	    memcmp(s->ids.p + e->off - 1, id, len) == 0;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t
find(const struct idset *s, uint64_t h, const char *id, size_t len)
{
	size_t i = (size_t)h & (s->cap - 1);

	while (s->slot[i].off != 0 && !same(s, &s->slot[i], h, id, len))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void
grow(struct idset *s)
{
	struct idslot *old = s->slot;
	size_t oldcap = s->cap, i, j;

	s->cap = s->cap ? s->cap * 2 : 64;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (i = 0; i < oldcap; i++) {
		if (old[i].off == 0)
			continue;
		/* Ids in the set are distinct: the first empty slot will do. */
		for (j = (size_t)old[i].hash & (s->cap - 1); s->slot[j].off != 0;
		    j = (j + 1) & (s->cap - 1))
			;
		s->slot[j] = old[i];
	}
	free(old);
}

int
idset_add(struct idset *s, const char *id, size_t len)
{
	uint64_t h = key(s, id, len);
	size_t i;

	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	i = find(s, h, id, len);
	if (s->slot[i].off != 0)
		return 0;
	s->slot[i].hash = h;
	s->slot[i].off = s->ids.len + 1;
	s->slot[i].len = len;
	buf_add(&s->ids, id, len);
	s->n++;
	return 1;
}

int
idset_has(const struct idset *s, const char *id, size_t len)
{
	return s->cap > 0 &&
	    s->slot[find(s, key(s, id, len), id, len)].off != 0;
}

void
idset_clear(struct idset *s)
{
	uint64_t (*h)(const char *, size_t) = s->hash;

	/* After a big cluster, a fresh small table beats wiping a big one. */
	if (s->cap > 4096) {
		idset_free(s);
		s->hash = h;
	} else if (s->n > 0)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
	s->ids.len = 0;
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	buf_free(&s->ids);
	memset(s, 0, sizeof(*s));
}
