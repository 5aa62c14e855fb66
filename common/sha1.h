/* SHA-1, only to derive name-based (version 5) UUIDs, as RFC 9562 says. */
#ifndef PH_SHA1_H
#define PH_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct sha1 {
	uint32_t	h[5];
	uint64_t	len;		/* bytes hashed so far */
	unsigned char	block[64];
};

void	sha1_init(struct sha1 *);
void	sha1_update(struct sha1 *, const void *, size_t);
void	sha1_final(struct sha1 *, unsigned char digest[20]);

#endif
