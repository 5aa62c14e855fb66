#include <stdlib.h>

#include "idcount.h"
#include "xalloc.h"

#define IDCOUNT_MIN	64

/* The slot a key starts its probe at: id is a hash, the tag spreads it. */
static size_t
home(const struct idcount *t, uint64_t id, uint32_t tag)
{
	uint64_t h = (id ^ ((uint64_t)tag << 32 | tag)) *
	    0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ h >> 29) & (t->cap - 1);
}

/* Where (id, tag) is, or the empty slot where it would go. */
static size_t
find(const struct idcount *t, uint64_t id, uint32_t tag)
{
	size_t i = home(t, id, tag);

	while (t->slot[i].n != 0 &&
	    (t->slot[i].id != id || t->slot[i].tag != tag))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void
resize(struct idcount *t, size_t cap)
{
	struct idcount_slot *old = t->slot;
	size_t i, oldcap = t->cap;

	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->cap = cap;
	for (i = 0; i < oldcap; i++)
		if (old[i].n != 0)
			t->slot[find(t, old[i].id, old[i].tag)] = old[i];
	free(old);
}

void
idcount_inc(struct idcount *t, uint64_t id, uint32_t tag)
{
	size_t i;

	/* At most half full: probes stay short. */
	if (2 * (t->used + 1) > t->cap)
		resize(t, t->cap ? 2 * t->cap : IDCOUNT_MIN);
	i = find(t, id, tag);
	if (t->slot[i].n == 0) {
		t->slot[i].id = id;
		t->slot[i].tag = tag;
		t->used++;
	}
	t->slot[i].n++;
}

/*
 * Empty slot i, moving back the keys after it whose probe passed it, so
 * that every key stays reachable from its home without tombstones.
 */
static void
remove_at(struct idcount *t, size_t i)
{
	size_t j = i, h, mask = t->cap - 1;

	for (;;) {
		t->slot[i].n = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (t->slot[j].n == 0)
				return;
			h = home(t, t->slot[j].id, t->slot[j].tag);
			/* Stays put if its home lies cyclically in (i, j]. */
			if (i <= j ? (i < h && h <= j) : (i < h || h <= j))
				continue;
			break;
		}
		t->slot[i] = t->slot[j];
		i = j;
	}
}

void
idcount_dec(struct idcount *t, uint64_t id, uint32_t tag)
{
	size_t i;

	if (t->cap == 0 || t->slot[i = find(t, id, tag)].n == 0)
		abort();	/* a count below zero: lanes.c lost track */
	if (--t->slot[i].n > 0)
		return;
	remove_at(t, i);
	t->used--;
	/* Give back what a burst took once it is an eighth full. */
	if (t->cap > IDCOUNT_MIN && 8 * t->used < t->cap)
		resize(t, t->cap / 2);
}

uint32_t
idcount_get(const struct idcount *t, uint64_t id, uint32_t tag)
{
	return t->cap == 0 ? 0 : t->slot[find(t, id, tag)].n;
}

size_t
idcount_keys(const struct idcount *t)
{
	return t->used;
}

void
idcount_free(struct idcount *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->used = 0;
}
