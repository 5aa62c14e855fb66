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
