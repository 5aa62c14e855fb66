/* Allocation that cannot fail: running out of memory ends the program. */
#ifndef PH_XALLOC_H
#define PH_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xmemdup0(const void *, size_t);

#endif
