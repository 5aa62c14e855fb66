/*
 * ph-fetch --jobs: the windows of a range fetched side by side, written
 * in order.  The range is cut into windows ahead, each with fixed
 * bounds (window.c gives the width, from how the windows read so far
 * went); a worker thread, with its own connection and parse scratch,
 * reads a window exactly as a single fetcher would (query.c, events.c:
 * windows are half-open, so what happens at a boundary timestamp stays
 * inside one window) into a temporary file.  The main thread copies the
 * files to stdout in window order, the oldest window page by page as it
 * arrives, so the output is the one a single fetcher writes.
 *
 * Memory and disk stay bounded: at most twice as many windows as
 * workers are cut ahead of the writer, and a worker stops after a page
 * while more than AHEAD_BYTES wait unwritten, until the writer (slowed
 * by a reader that is behind) has caught up.  The files are unlinked
 * from the start (O_TMPFILE), so no exit leaves one behind.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exitcode.h"
#include "fetch.h"
#include "window.h"
#include "xalloc.h"

/* Bytes fetched ahead of the writer before the workers wait. */
#define AHEAD_BYTES	(64LL * 1024 * 1024)
#define COPY_CHUNK	(256 * 1024)

/* One window: its bounds, its file, and how far each side has gone. */
struct slot {
	int64_t		 start, end;
	int		 fd;
	off_t		 bytes;		/* flushed by the worker, whole pages */
	off_t		 copied;	/* of those, written to stdout */
	unsigned long long events, pages;	/* in those bytes */
	unsigned long long events_out, pages_out;	/* counted by main */
	int64_t		 at;		/* newest timestamp in those bytes */
	struct fetch_counts n;		/* the worker's, once done */
	int		 done;
	int		 r;		/* the window's exit status */
};

struct jobs {
	pthread_mutex_t	 lock;
	pthread_cond_t	 moved;		/* any slot or count changed */
	struct slot	*ring;
	unsigned	 nring;
	unsigned long	 cut;		/* windows handed to workers */
	unsigned long	 written;	/* windows written to stdout */
	int64_t		 next, before;	/* where the next window starts */
	struct window	 w;		/* how wide to cut */
	long long	 ahead;		/* bytes flushed, not yet written */
	int		 stop;		/* a window failed: cut no more */
	int		 settled;	/* a first page came back */
	int		 query_missing;
	const char	*tmpdir;
};

/*
 * A worker: a fetcher of its own, so its connection (f.c) and parse
 * scratch (f.s) are its alone; only the options are copied.
 */
struct job {
	struct fetcher	 f;
	struct jobs	*j;
	struct slot	*s;
	pthread_t	 t;
};

/*
 * Workers left in a request when a window failed still use these.
 * Volatile: stores to a static that is never read would be optimised
 * away, and a leak checker would then report the workers' memory.
 */
static struct jobs *volatile left_jobs;
static struct job *volatile left_workers;

/* An unnamed file: nothing to remove, even after kill -9. */
static int
temp_fd(const char *dir)
{
	char path[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	/* A file system without O_TMPFILE: a name, unlinked at once. */
	snprintf(path, sizeof(path), "%s/ph-fetch.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		err(PH_EXIT_FATAL, "%s: cannot make a temporary file for the "
		    "windows read ahead (TMPDIR)", dir);
	unlink(path);
	return fd;
}

static int
no_more_windows(const struct jobs *j)
{
	return j->stop || j->next >= j->before;
}

/* The next window to fetch, or NULL when there is none. */
static struct slot *
take_window(struct jobs *j)
{
	struct slot *s;

	pthread_mutex_lock(&j->lock);
	/*
	 * One window alone until its first page is back: a wrong key or
	 * host, or a source without the query API, then costs one request.
	 */
	while (!no_more_windows(j) && (j->cut - j->written >= j->nring ||
	    (j->cut > 0 && !j->settled)))
		pthread_cond_wait(&j->moved, &j->lock);
	if (no_more_windows(j)) {
		pthread_mutex_unlock(&j->lock);
		return NULL;
	}
	s = &j->ring[j->cut % j->nring];
	memset(s, 0, sizeof(*s));
	s->fd = temp_fd(j->tmpdir);
	s->start = j->next;
	s->end = window_end(&j->w, j->next, j->before);
	j->next = s->end;
	j->cut++;
	pthread_cond_broadcast(&j->moved);
	pthread_mutex_unlock(&j->lock);
	return s;
}

/* What the worker flushed so far becomes the writer's; lock held. */
static void
publish(struct jobs *j, struct slot *s, const struct fetcher *f)
{
	off_t end = lseek(s->fd, 0, SEEK_CUR);

	if (end == -1)
		err(PH_EXIT_FATAL, "a temporary file");
	j->ahead += end - s->bytes;
	j->settled = 1;
	s->bytes = end;
	s->events = f->n.events;
	s->pages = f->n.pages;
	s->at = f->at;
	pthread_cond_broadcast(&j->moved);
}

/* A file the writer has emptied starts again from nothing; lock held. */
static void
reuse_file(struct slot *s)
{
	if (s->bytes == 0 || s->copied != s->bytes)
		return;
	if (ftruncate(s->fd, 0) == -1 || lseek(s->fd, 0, SEEK_SET) == -1)
		err(PH_EXIT_FATAL, "a temporary file");
	s->bytes = s->copied = 0;
}

void
jobs_page_done(struct fetcher *f)
{
	struct jobs *j = f->job->j;
	struct slot *s = f->job->s;

	pthread_mutex_lock(&j->lock);
	publish(j, s, f);
	reuse_file(s);
	/* The writer is behind: wait until it has taken this window's. */
	while (j->ahead > AHEAD_BYTES && s->copied != s->bytes)
		pthread_cond_wait(&j->moved, &j->lock);
	reuse_file(s);
	pthread_mutex_unlock(&j->lock);
}

static int
query_missing(struct jobs *j)
{
	int r;

	pthread_mutex_lock(&j->lock);
	r = j->query_missing;
	pthread_mutex_unlock(&j->lock);
	return r;
}

/* As fetch_range: the query API where the source has one. */
static int
fetch_window(struct job *w, int64_t after, int64_t before)
{
	struct fetcher *f = &w->f;
	int r, first;

	if (f->o.api != API_EVENTS && !query_missing(w->j)) {
		if ((r = fetch_query(f, after, before)) != -1)
			return r;
		pthread_mutex_lock(&w->j->lock);
		first = !w->j->query_missing;
		w->j->query_missing = 1;
		pthread_mutex_unlock(&w->j->lock);
		if (first)
			warn_no_query_api(f);
	}
	if (f->o.api != API_EVENTS)
		f->query_missing = 1;
	return fetch_events(f, after, before);
}

static void
finish_window(struct job *w, int r, double took)
{
	struct jobs *j = w->j;
	struct slot *s = w->s;
	struct fetcher *f = &w->f;

	/* Events of a page cut short by a failure are written, as today. */
	ow_flush(&f->out);
	pthread_mutex_lock(&j->lock);
	publish(j, s, f);
	s->n = f->n;
	s->r = r;
	s->done = 1;
	if (r != 0)
		j->stop = 1;
	else
		window_read(&j->w, took / (double)(f->n.pages ? f->n.pages : 1),
		    f->n.pages, f->n.events, f->narrowed > 0);
	pthread_mutex_unlock(&j->lock);
}

static void *
work(void *arg)
{
	struct job *w = arg;
	double t0;
	int r;

	while ((w->s = take_window(w->j)) != NULL) {
		memset(&w->f.n, 0, sizeof(w->f.n));
		w->f.narrowed = 0;
		w->f.width = w->s->end - w->s->start;
		w->f.out.fd = w->s->fd;
		t0 = clock_now();
		r = fetch_window(w, w->s->start, w->s->end);
		finish_window(w, r, clock_now() - t0);
	}
	return NULL;
}

/* Copy [from, to) of a window's file to stdout. */
static void
copy_out(struct fetcher *f, int fd, off_t from, off_t to, char *chunk)
{
	ssize_t k;

	while (from < to) {
		k = pread(fd, chunk, to - from < COPY_CHUNK ? (size_t)(to - from) :
		    COPY_CHUNK, from);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			err(PH_EXIT_FATAL, "a temporary file");
		ow_write(&f->out, chunk, (size_t)k);
		from += k;
	}
	ow_flush(&f->out);
}

/* The counts of what was copied so far are the run's; lock held. */
static void
count_out(struct fetcher *f, struct slot *s)
{
	f->n.events += s->events - s->events_out;
	f->n.pages += s->pages - s->pages_out;
	s->events_out = s->events;
	s->pages_out = s->pages;
	if (s->events > 0)
		f->at = s->at;
}

/* Write one window as its pages arrive: its exit status. */
static int
write_window(struct fetcher *f, struct jobs *j, struct slot *s, char *chunk)
{
	off_t from, to;
	int r;

	for (;;) {
		while (s->copied == s->bytes && !s->done)
			pthread_cond_wait(&j->moved, &j->lock);
		if (s->copied == s->bytes)
			break;
		from = s->copied;
		to = s->bytes;
		pthread_mutex_unlock(&j->lock);
		copy_out(f, s->fd, from, to, chunk);
		pthread_mutex_lock(&j->lock);
		s->copied = to;
		j->ahead -= to - from;
		count_out(f, s);
		pthread_cond_broadcast(&j->moved);
		pthread_mutex_unlock(&j->lock);
		fetch_progress(f);
		pthread_mutex_lock(&j->lock);
	}
	count_out(f, s);
	f->n.retries += s->n.retries;
	f->n.waits += s->n.waits;
	f->n.repeats += s->n.repeats;
	r = s->r;
	close(s->fd);
	s->fd = -1;
	j->written++;
	pthread_cond_broadcast(&j->moved);
	return r;
}

static int
write_in_order(struct fetcher *f, struct jobs *j)
{
	char *chunk = xmalloc(COPY_CHUNK);
	int r = 0;

	pthread_mutex_lock(&j->lock);
	while (r == 0) {
		while (j->written >= j->cut && !no_more_windows(j))
			pthread_cond_wait(&j->moved, &j->lock);
		if (j->written >= j->cut)
			break;
		r = write_window(f, j, &j->ring[j->written % j->nring], chunk);
	}
	pthread_mutex_unlock(&j->lock);
	free(chunk);
	return r;
}

static void
start_job(struct job *w, struct jobs *j, const struct fetcher *main)
{
	memset(w, 0, sizeof(*w));
	w->j = j;
	w->f.o = main->o;
	w->f.job = w;
	w->f.qpage = main->qpage;
	w->f.query_missing = main->query_missing;
	progress_init(&w->f.prog, 0, main->o.quiet);
	ow_init(&w->f.out, -1, "a temporary file");
	/* Its own connection; its scratch starts empty, from the memset. */
	conn_open(&w->f.c, &w->f.o);
	if ((errno = pthread_create(&w->t, NULL, work, w)) != 0)
		err(PH_EXIT_FATAL, "cannot start a worker thread");
}

int
fetch_jobs(struct fetcher *f, int64_t after, int64_t before)
{
	struct jobs *j = xmalloc(sizeof(*j));
	struct job *w;
	unsigned i, n = f->o.jobs;
	int r;

	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->moved, NULL);
	j->nring = 2 * n;
	j->ring = xreallocarray(NULL, j->nring, sizeof(*j->ring));
	j->next = after;
	j->before = before;
	j->query_missing = f->query_missing;
	if ((j->tmpdir = getenv("TMPDIR")) == NULL || *j->tmpdir == '\0')
		j->tmpdir = "/tmp";
	window_init(&j->w, f->o.timeout);
	w = xreallocarray(NULL, n, sizeof(*w));
	for (i = 0; i < n; i++)
		start_job(&w[i], j, f);
	if ((r = write_in_order(f, j)) != 0) {
		/*
		 * Workers may be in a request for a window that will never
		 * be written: leave them to the end of the process.
		 */
		f->detached = 1;
		left_jobs = j;
		left_workers = w;
		for (i = 0; i < n; i++)
			pthread_detach(w[i].t);
		return r;
	}
	for (i = 0; i < n; i++) {
		pthread_join(w[i].t, NULL);
		w[i].f.out.fd = -1;
		free(w[i].f.out.buf);
		fetch_cleanup(&w[i].f);
	}
	free(w);
	free(j->ring);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->moved);
	free(j);
	return 0;
}
