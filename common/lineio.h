/*
 * An NDJSON line reader over a file descriptor: any line length, a last
 * line without a newline, CRLF endings.  It reads with one read(2) per
 * fill, so a program that polls the descriptor never blocks in it.
 */
#ifndef PH_LINEIO_H
#define PH_LINEIO_H

#include <stddef.h>

struct lreader {
	int		 fd;
	const char	*name;		/* for messages: a path or "stdin" */
	char		*buf;
	size_t		 cap;
	size_t		 start;		/* first unread byte */
	size_t		 end;		/* one past the last byte read */
	size_t		 scanned;	/* bytes after start with no '\n' */
	unsigned long long lineno;	/* of the line last returned */
	int		 eof;
};

struct line {
	char	*p;		/* NUL-terminated, without its line ending */
	size_t	 len;
	int	 cr;		/* a CR was taken off before the newline */
	unsigned long long no;	/* 1-based line number */
};

/* Open path ("-" is standard input); -1 with errno on failure. */
int	lr_open(struct lreader *, const char *path);
void	lr_init_fd(struct lreader *, int fd, const char *name);
void	lr_close(struct lreader *);

/* The next complete line into *l: 1 if one is buffered, else 0. */
int	lr_next(struct lreader *, struct line *l);

/* One read(2): bytes read, 0 at end of file, -1 with errno on error. */
long	lr_fill(struct lreader *);

/*
 * Drop the UTF-8 byte order mark that may open a file (JSON has none):
 * its length, 3, or 0 when l does not start with one.
 */
size_t	lr_drop_bom(struct line *l);

/* Blocking read of the next line: 1, 0 at end of file, -1 on error. */
int	lr_getline(struct lreader *, struct line *l);

#endif
