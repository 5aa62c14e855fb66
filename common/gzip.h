/*
 * gzip bodies for capture, with the gzip wrapper capture detects:
 * libdeflate compresses, zlib inflates (ph-emu's side).
 */
#ifndef PH_GZIP_H
#define PH_GZIP_H

#include <stddef.h>

#include "buf.h"

/* Append the gzip form of p[0..n) at level 1-12 to out: 0, or -1. */
int	gz_compress(struct buf *out, const void *p, size_t n, int level);

/*
 * Append the inflated form of gzip data to out: 0; -1 for bad data; -2
 * when it would pass limit bytes.
 */
int	gz_decompress(struct buf *out, const void *p, size_t n, size_t limit);

/* Whether p starts with gzip's magic bytes 1f 8b 08. */
int	gz_is_gzip(const void *p, size_t n);

#endif
