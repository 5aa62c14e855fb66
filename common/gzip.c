#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "gzip.h"

#define GZ_WINDOW	(15 + 16)	/* 32 KiB window, gzip wrapper */

int
gz_compress(struct buf *out, const void *p, size_t n, int level)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, GZ_WINDOW, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_reserve(out, deflateBound(&z, (uLong)n));
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->p + out->len;
	z.avail_out = (uInt)(out->cap - out->len - 1);
	r = deflate(&z, Z_FINISH);
	out->len += z.total_out;
	out->p[out->len] = '\0';
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

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
