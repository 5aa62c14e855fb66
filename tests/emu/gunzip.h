/* Inflating what ph-send gzips: only ph-emu's capture reads gzip. */
#ifndef PH_GUNZIP_H
#define PH_GUNZIP_H

#include <stddef.h>

#include "buf.h"

/*
 * Append the inflated form of gzip data to out: 0; -1 for bad data; -2
 * when it would pass limit bytes.
 */
int	gz_decompress(struct buf *out, const void *p, size_t n, size_t limit);

/* Whether p starts with gzip's magic bytes 1f 8b 08. */
int	gz_is_gzip(const void *p, size_t n);

#endif
