/* A fast 64-bit hash, not cryptographic: lanes and input fingerprints. */
#ifndef PH_HASH_H
#define PH_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	hash64(const void *, size_t, uint64_t seed);

#endif
