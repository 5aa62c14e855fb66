#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "xalloc.h"

#define LR_READ_MIN	(256 * 1024)

void
lr_init_fd(struct lreader *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
}

int
lr_open(struct lreader *r, const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		lr_init_fd(r, STDIN_FILENO, "stdin");
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	lr_init_fd(r, fd, path);
	return 0;
}

void
lr_close(struct lreader *r)
{
	if (r->fd != STDIN_FILENO && r->fd != -1)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
	r->fd = -1;
}

/* Hand out bytes [start, start + n) as a line that ends before eol. */
static void
take_line(struct lreader *r, struct line *l, size_t n, size_t eol)
{
	char *p = r->buf + r->start;

	l->cr = n > 0 && p[n - 1] == '\r';
	if (l->cr)
		n--;
	p[n] = '\0';
	l->p = p;
	l->len = n;
	l->no = ++r->lineno;
	r->start += eol;
	r->scanned = 0;
}

int
lr_next(struct lreader *r, struct line *l)
{
	size_t avail = r->end - r->start;
	char *nl;

	nl = avail > r->scanned ? memchr(r->buf + r->start + r->scanned,
	    '\n', avail - r->scanned) : NULL;
	if (nl != NULL) {
		size_t n = (size_t)(nl - (r->buf + r->start));
		take_line(r, l, n, n + 1);
		return 1;
	}
	r->scanned = avail;
	if (r->eof && avail > 0) {
		/* A last line without a newline; fill left room for a NUL. */
		take_line(r, l, avail, avail);
		return 1;
	}
	return 0;
}

/* Move unread bytes to the front, or grow, so a read has room. */
static void
make_room(struct lreader *r)
{
	size_t avail = r->end - r->start;

	if (r->start > 0 && (r->start >= r->cap / 2 || r->cap - r->end <
	    LR_READ_MIN)) {
		memmove(r->buf, r->buf + r->start, avail);
		r->start = 0;
		r->end = avail;
	}
	if (r->cap - r->end < LR_READ_MIN / 2 || r->cap == 0) {
		size_t cap = r->cap ? r->cap : LR_READ_MIN;

		while (cap - r->end < LR_READ_MIN / 2)
			cap *= 2;
		r->buf = xrealloc(r->buf, cap);
		r->cap = cap;
	}
}

long
lr_fill(struct lreader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	make_room(r);
	/* Keep one byte spare for the NUL after a last unterminated line. */
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return (long)n;
}

int
lr_getline(struct lreader *r, struct line *l)
{
	for (;;) {
		if (lr_next(r, l))
			return 1;
		if (r->eof)
			return 0;
		if (lr_fill(r) == -1)
			return -1;
	}
}

size_t
lr_drop_bom(struct line *l)
{
	if (l->len < 3 || memcmp(l->p, "\xEF\xBB\xBF", 3) != 0)
		return 0;
	l->p += 3;
	l->len -= 3;
	return 3;
}
