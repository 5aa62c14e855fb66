/*
 * A growable byte buffer, reused from record to record.  Once anything
 * has been added, p[len] is a NUL, so p is also a C string.
 */
#ifndef PH_BUF_H
#define PH_BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	 buf_reserve(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_free(struct buf *);

/* Appending one byte is on every hot path: keep it inline. */
static inline void
buf_addc(struct buf *b, char c)
{
	if (b->cap - b->len < 2)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

#endif
