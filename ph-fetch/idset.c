#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "idset.h"
#include "xalloc.h"

static uint64_t
key(const char *id, size_t len)
{
	uint64_t h = hash64(id, len, 0x5EED);

	return h != 0 ? h : 1;
}

static size_t
find(const struct idset *s, uint64_t k)
{
	size_t i = (size_t)k & (s->cap - 1);

	while (s->slot[i] != 0 && s->slot[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void
grow(struct idset *s)
{
	struct idset bigger = { 0 };
	size_t i;

	bigger.cap = s->cap ? s->cap * 2 : 64;
	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (i = 0; i < s->cap; i++)
		if (s->slot[i] != 0)
			bigger.slot[find(&bigger, s->slot[i])] = s->slot[i];
	bigger.n = s->n;
	free(s->slot);
	*s = bigger;
}

int
idset_add(struct idset *s, const char *id, size_t len)
{
	uint64_t k = key(id, len);
	size_t i;

	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	i = find(s, k);
	if (s->slot[i] == k)
		return 0;
	s->slot[i] = k;
	s->n++;
	return 1;
}

int
idset_has(const struct idset *s, const char *id, size_t len)
{
	return s->cap > 0 && s->slot[find(s, key(id, len))] != 0;
}

void
idset_clear(struct idset *s)
{
	/* After a big cluster, a fresh small table beats wiping a big one. */
	if (s->cap > 4096)
		idset_free(s);
	else if (s->n > 0)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
}

void
idset_free(struct idset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
