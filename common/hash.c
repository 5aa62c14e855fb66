#include <string.h>

#include "hash.h"

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDULL;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t
hash64(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ULL), w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ mix(w)) * 0x9E3779B97F4A7C15ULL;
		h = h << 27 | h >> 37;
	}
	w = 0;
	memcpy(&w, s, n);
	return mix(h ^ mix(w ^ n));
}
