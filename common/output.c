#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "exitcode.h"
#include "output.h"
#include "xalloc.h"

#define OW_BUFSIZE	(256 * 1024)

void
ow_init(struct owriter *w, int fd, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->name = name;
}

int
ow_open_append(struct owriter *w, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd == -1)
		return -1;
	ow_init(w, fd, path);
	return 0;
}

static void
write_failed(struct owriter *w)
{
	sigset_t set;

	if (errno == EPIPE) {
		/* The reader is gone: end as a filter killed by SIGPIPE. */
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(SIGPIPE);
		_exit(PH_EXIT_FATAL);
	}
	err(PH_EXIT_FATAL, "%s", w->name);
}

static void
write_all(struct owriter *w, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(w->fd, p, n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == 0)
			errno = EIO;
		if (k <= 0)
			write_failed(w);
		p += k;
		n -= (size_t)k;
	}
}

void
ow_flush(struct owriter *w)
{
	if (w->len > 0)
		write_all(w, w->buf, w->len);
	w->len = 0;
}

void
ow_sync(struct owriter *w)
{
	if (!w->dirty)
		return;
	ow_flush(w);
	if (fsync(w->fd) == -1 && errno != EINVAL)
		write_failed(w);
	w->dirty = 0;
}

void
ow_write(struct owriter *w, const void *p, size_t n)
{
	w->dirty = 1;
	if (w->buf == NULL) {
		w->buf = xmalloc(OW_BUFSIZE);
		w->cap = OW_BUFSIZE;
	}
	if (n > w->cap - w->len && w->grow) {
		while (n > w->cap - w->len)
			w->cap *= 2;
		w->buf = xrealloc(w->buf, w->cap);
	} else if (n > w->cap - w->len) {
		ow_flush(w);
		if (n >= w->cap) {
			write_all(w, p, n);
			return;
		}
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

off_t
ow_sendfile(struct owriter *w, int fd, off_t from, off_t to)
{
	ssize_t k;

	ow_flush(w);
	while (from < to) {
		k = sendfile(w->fd, fd, &from, (size_t)(to - from));
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (k == 0)
			errno = EIO;
		if (k <= 0)
			write_failed(w);
		w->dirty = 1;
	}
	return from;
}

void
ow_endrecord(struct owriter *w)
{
	if (w->unbuffered)
		ow_flush(w);
}

void
ow_close(struct owriter *w)
{
	ow_flush(w);
	free(w->buf);
	w->buf = NULL;
	if (w->fd != -1 && close(w->fd) == -1 && errno != EINTR)
		write_failed(w);
	w->fd = -1;
}
