#include <string.h>

#include "sha1.h"

static uint32_t
rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void
sha1_block(struct sha1 *c, const unsigned char *p)
{
	uint32_t w[80], a, b, d, e, f, k, t, x;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = c->h[0], b = c->h[1], x = c->h[2], d = c->h[3], e = c->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & x) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ x ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & x) | (b & d) | (x & d), k = 0x8F1BBCDC;
		else
			f = b ^ x ^ d, k = 0xCA62C1D6;
		t = rol(a, 5) + f + e + k + w[i];
		e = d, d = x, x = rol(b, 30), b = a, a = t;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += x, c->h[3] += d, c->h[4] += e;
}

void
sha1_init(struct sha1 *c)
{
	static const uint32_t iv[5] = {
		0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
}

void
sha1_update(struct sha1 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t used = c->len % 64, take;

	c->len += n;
	if (used > 0) {
		take = 64 - used < n ? 64 - used : n;
		memcpy(c->block + used, p, take);
		p += take, n -= take;
		if (used + take < 64)
			return;
		sha1_block(c, c->block);
	}
	for (; n >= 64; p += 64, n -= 64)
		sha1_block(c, p);
	memcpy(c->block, p, n);
}

void
sha1_final(struct sha1 *c, unsigned char digest[20])
{
	uint64_t bits = c->len * 8;
	unsigned char pad[72] = { 0x80 };
	size_t used = c->len % 64, padlen;
	int i;

	padlen = used < 56 ? 56 - used : 120 - used;
	for (i = 0; i < 8; i++)
		pad[padlen + i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(c, pad, padlen + 8);
	for (i = 0; i < 20; i++)
		digest[i] = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
}
