/*
 * Buffered output to a descriptor where every write is checked.  A
 * write error ends the program: quietly for a closed pipe (as if
 * SIGPIPE had struck, which is what `| head` expects), with a message
 * and status 3 for anything else (a full disk, /dev/full).
 */
#ifndef PH_OUTPUT_H
#define PH_OUTPUT_H

#include <stddef.h>
#include <sys/types.h>

struct owriter {
	int		 fd;
	const char	*name;		/* for messages: "stdout", a path */
	char		*buf;
	size_t		 len;
	size_t		 cap;
	int		 unbuffered;	/* flush after each ow_endrecord */
	int		 dirty;		/* written since the last ow_sync */
	int		 grow;		/* ow_write grows buf, never flushes */
};

void	ow_init(struct owriter *, int fd, const char *name);
/* Open path for appending (created 0644): 0, or -1 with errno. */
int	ow_open_append(struct owriter *, const char *path);
void	ow_write(struct owriter *, const void *, size_t);
/*
 * Flush, then copy [from, to) of the file fd in the kernel (sendfile(2)),
 * not through a buffer of ours.  Returns how far it got: short of to
 * where the descriptors do not allow it, for the caller to copy the rest.
 */
off_t	ow_sendfile(struct owriter *, int fd, off_t from, off_t to);
/* One record written: flushes when unbuffered. */
void	ow_endrecord(struct owriter *);
void	ow_flush(struct owriter *);
/* Flush and fsync, when anything was written since the last time. */
void	ow_sync(struct owriter *);
/* Flush and close; a failure to close is a write error too. */
void	ow_close(struct owriter *);

#endif
