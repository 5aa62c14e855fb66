#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "gunzip.h"

#define GZ_WINDOW	(15 + 16)	/* 32 KiB window, gzip wrapper */

int
gz_decompress(struct buf *out, const void *p, size_t n, size_t limit)
{
	size_t start = out->len;
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, GZ_WINDOW) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		if (out->len - start > limit) {
			inflateEnd(&z);
			return -2;
		}
		buf_reserve(out, 256 * 1024);
		z.next_out = (Bytef *)out->p + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		r = inflate(&z, Z_NO_FLUSH);
		out->len = (size_t)((char *)z.next_out - out->p);
		out->p[out->len] = '\0';
	} while (r == Z_OK);
	inflateEnd(&z);
	if (out->len - start > limit)
		return -2;
	return r == Z_STREAM_END ? 0 : -1;
}

int
gz_is_gzip(const void *p, size_t n)
{
	return n >= 3 && memcmp(p, "\x1f\x8b\x08", 3) == 0;
}
