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

#endif
