/*
 * ph-fetch --jobs: the windows of a range fetched side by side, written
 * in order.  The range is cut into windows ahead, each with fixed
 * bounds (window.c gives the width, from how the windows read so far
 * went); a worker thread, with its own connection and parse scratch,
 * reads a window exactly as a single fetcher would (query.c, events.c:
 * windows are half-open, so what happens at a boundary timestamp stays
 * inside one window), page by page into memory.  The main thread writes
 * the pages to stdout in window order, the oldest window's as they
 * arrive, so the output is the one a single fetcher writes.
 *
 * Memory and disk stay bounded: at most twice as many windows as
 * workers are cut ahead of the writer, and a worker stops after a page
 * while more than AHEAD_BYTES wait unwritten, until the writer (slowed
 * by a reader that is behind) has caught up.  Pages wait in memory, in
 * buffers used again (no page faults for fresh memory), while those
 * held and spare stay under twice that bound (the writer copies a page
 * out once, where a file cost a write, a read and a copy more, and the
 * workers already stop at the bound); a window whose page would pass it
 * goes on in a temporary file, unlinked from the start (O_TMPFILE), so
 * no exit leaves one behind.
 *
 * --jobs auto (the default) starts AUTO_FIRST workers and adds one
 * each time a window is read while the writer had to wait for the
 * oldest window (the source, not the output, is what is slow), as
 * long as no 429 came, the pages do not grow slower with the workers
 * added (a server that queues queries beyond a few at once), and the
 * replies the workers hold stay under REPLY_BUDGET; up to AUTO_MOST, at
 * once where every reply takes long (LONG_REPLY_S).
 * A 429 halves the workers allowed (those over the number finish their
 * window, then wait): additive increase, multiplicative decrease, as
 * TCP shares a link.  --jobs N keeps N.
 *
 * When a window fails, the windows after it will never be written:
 * their workers abort the request they are in (libcurl's progress
 * callback, a wait's next slice) and every worker is joined.  The
 * windows before it are read to their end and written, as before.
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
/* --jobs auto: workers at first, and at most. */
#define AUTO_FIRST	4
#define AUTO_MOST	32
/* --jobs auto adds no worker past this many bytes of replies held. */
#define REPLY_BUDGET	(256ULL * 1024 * 1024)
/*
 * A listing API whose quickest reply took this long is bound by its
 * latency (a scan of a second or more a request), not by the link:
 * --jobs auto goes to AUTO_MOST workers at its first such reply, not one
 * a reply, since each round of requests costs that long, and a dense
 * window is split among as many.  A 429 still halves them.
 */
#define LONG_REPLY_S	0.5
/* Pages this many times slower than the quickest: the source queues. */
#define QUEUED_RATIO	2.0
/* No window starts this late: nothing failed. */
#define NO_WINDOW	INT64_MAX
/* Windows split off ahead, beyond those cut: room in the order kept. */
#define SPLIT_ROOM	2

/* A page held in memory, for the writer. */
struct page {
	struct page	*next;
	size_t		 len, cap;
	char		 bytes[];
};

/* One window: its bounds, its file, and how far each side has gone. */
struct slot {
	int64_t		 start, end;
	int		 pending;	/* split off, no worker yet */
	int		 rest;		/* the last split off: may split again */
	struct page	*held, **held_end;	/* pages before the file's */
	size_t		 held_bytes;
	int		 spilled;	/* pages go to the file from now on */
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
	struct slot	**ring;		/* the windows cut, in time order */
	unsigned	 nring;
	unsigned long	 cut;		/* windows cut (taken or pending) */
	unsigned long	 written;	/* windows written to stdout */
	int64_t		 next, before;	/* where the next window starts */
	struct window	 w;		/* how wide to cut */
	long long	 ahead;		/* bytes flushed, not yet written */
	long long	 ahead_most;	/* AHEAD_BYTES, or the test's */
	long long	 held;		/* of those, in memory */
	struct page	*spare;		/* written out, to use again */
	long long	 spare_bytes;
	int		 stop;		/* a window failed: cut no more */
	unsigned	 reading;	/* windows taken, not yet read */
	int64_t		 failed;	/* where the first failed window starts */
	int		 settled;	/* a first page came back */
	int		 query_missing;
	const char	*tmpdir;
	/* The workers: started, allowed to take windows, at most. */
	struct job	*workers;
	const struct fetcher *main;
	unsigned	 started, active, most;
	int		 adaptive;	/* --jobs auto */
	int		 starved;	/* the writer waits for a window */
	double		 calm_at;	/* clock_now: a 429 is past */
	double		 quickest;	/* seconds a page took, at least */
	size_t		 largest;	/* bytes of a reply, at most */
};

/*
 * A worker: a fetcher of its own, so its connection (f.c) and parse
 * scratch (f.s) are its alone; only the options are copied.
 */
struct job {
	struct fetcher	 f;
	struct jobs	*j;
	struct slot	*s;
	int64_t		 start;		/* of the window it reads */
	unsigned	 index;		/* among the workers */
	pthread_t	 t;
};

static void	start_job(struct jobs *);

/*
 * --jobs auto, reading a listing API that takes long on every reply and
 * never answered 429, with room for the replies of AUTO_MOST workers;
 * lock held.  After a 429 the workers grow one a reply again (additive
 * increase), not back to the number that was throttled.  The query API
 * grows a worker a reply: PostHog Cloud runs 3 API queries of a project
 * at once and queues the rest (posthog.com: contents/docs/api/
 * queries.mdx), which QUEUED_RATIO sees coming.
 */
static int
latency_bound(const struct jobs *j)
{
	return j->adaptive && j->quickest >= LONG_REPLY_S && j->calm_at == 0 &&
	    (unsigned long long)j->most * j->largest <= REPLY_BUDGET &&
	    (j->main->o.api == API_EVENTS || j->query_missing);
}

/* Up to n workers allowed, started as needed; lock held. */
static void
allow_jobs(struct jobs *j, unsigned n)
{
	if (n > j->most)
		n = j->most;
	if (n > j->active)
		j->active = n;
	while (j->started < j->active)
		start_job(j);
}

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

/*
 * The window the writer is at, when it was split off and no worker
 * reads it, else NULL: the workers must not all wait for the writer
 * then (jobs_page_done), and the next one free takes it.
 */
static struct slot *
writer_at_pending(const struct jobs *j)
{
	struct slot *s;

	if (j->written >= j->cut)
		return NULL;
	s = j->ring[j->written % j->nring];
	return s->pending ? s : NULL;
}

/*
 * A window split off that no worker reads yet, or NULL: the one the
 * writer is at, else the rest of a split, since its first page is what
 * gives out the next round of windows, else the oldest.  One after a
 * failed window will never be written; one before it still is.
 */
static struct slot *
first_pending(const struct jobs *j)
{
	unsigned long k;
	struct slot *s, *oldest = NULL;

	if ((s = writer_at_pending(j)) != NULL && s->start < j->failed)
		return s;
	for (k = j->written; k < j->cut; k++) {
		s = j->ring[k % j->nring];
		if (!s->pending || s->start >= j->failed)
			continue;
		if (s->rest)
			return s;
		if (oldest == NULL)
			oldest = s;
	}
	return oldest;
}

/* Windows split off that no worker reads yet. */
static unsigned long
pending_count(const struct jobs *j)
{
	unsigned long k, n = 0;

	for (k = j->written; k < j->cut; k++)
		if (j->ring[k % j->nring]->pending)
			n++;
	return n;
}

/*
 * No window left to take, nor will there be: a window still being read
 * may yet split (jobs_split).
 */
static int
no_more_windows(const struct jobs *j)
{
	return (j->stop || j->next >= j->before) && first_pending(j) == NULL &&
	    j->reading == 0;
}

/* Whether a new window may be cut after the last one. */
static int
may_cut(const struct jobs *j)
{
	return !j->stop && j->next < j->before &&
	    j->cut - j->written < 2 * j->active;
}

static struct slot *
new_slot(int64_t start, int64_t end)
{
	struct slot *s = xmalloc(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->held_end = &s->held;
	s->fd = -1;
	s->start = start;
	s->end = end;
	return s;
}

/* The next window to fetch, or NULL when there is none. */
static struct slot *
take_window(struct jobs *j, struct job *w)
{
	struct slot *s;

	pthread_mutex_lock(&j->lock);
	/*
	 * One window alone until its first page is back: a wrong key or
	 * host, or a source without the query API, then costs one request.
	 * A worker over the number allowed now waits for it to grow.  A
	 * window split off is taken first: the writer needs it before any
	 * window cut after it.
	 */
	while (!no_more_windows(j) && (w->index >= j->active ||
	    (j->cut > 0 && !j->settled) ||
	    (first_pending(j) == NULL && !may_cut(j))))
		pthread_cond_wait(&j->moved, &j->lock);
	if (first_pending(j) == NULL && !may_cut(j)) {
		pthread_mutex_unlock(&j->lock);
		return NULL;
	}
	if ((s = first_pending(j)) != NULL)
		s->pending = 0;
	else {
		s = new_slot(j->next, window_end(&j->w, j->next, j->before));
		j->next = s->end;
		j->ring[j->cut % j->nring] = s;
		j->cut++;
	}
	w->start = s->start;
	j->reading++;
	pthread_cond_broadcast(&j->moved);
	pthread_mutex_unlock(&j->lock);
	return s;
}

/*
 * The listing API pages by time, so the pages of one window come one
 * after the other.  A window's first page, full, from first to last,
 * tells how dense it is: when the rest would take more pages, the
 * window ends three quarters of a page's time after last, and what lies
 * beyond is split off into windows as wide, each likely read in one
 * request, by whichever workers are free (as many as the next round of
 * requests holds beside those already waiting, and room in the order;
 * the last keeps the rest, and splits again when it is read, so that a
 * sparser stretch past it costs few requests).
 * Each is a window like any other, read half-open, so an event belongs
 * to exactly one.  Answers the window's end from now on.
 */
int64_t
jobs_split(struct fetcher *f, int64_t first, int64_t last, int64_t end)
{
	struct jobs *j = f->job->j;
	struct slot *s = f->job->s;
	int64_t piece = (last - first) / 4 * 3, at, to;
	unsigned long k, pos, room, n, busy;

	if (piece < 1 || end - last <= 2 * piece)
		return end;
	pthread_mutex_lock(&j->lock);
	for (pos = j->written; pos < j->cut && j->ring[pos % j->nring] != s;
	    pos++)
		;
	room = j->nring - (j->cut - j->written);
	if (pos == j->cut || s->end != end || room == 0 || j->stop) {
		pthread_mutex_unlock(&j->lock);
		return end;
	}
	at = last + piece;
	n = (unsigned long)((end - at + piece - 1) / piece);
	/*
	 * A round of requests at most: the rest may hold nothing.  On a
	 * source bound by its latency that round is as wide as --jobs auto
	 * goes: the pieces are known work, and each reply takes long.  The
	 * round holds the pieces split off before and not yet taken, and
	 * this window's next page: pieces past it would wait a round more,
	 * where the rest, read now, costs none when it is sparse.
	 */
	if (latency_bound(j))
		allow_jobs(j, (unsigned)(n < j->most ? n : j->most));
	busy = pending_count(j) + 1;
	if (n + busy > j->active)
		n = j->active > busy ? j->active - busy : 1;
	if (n > room)
		n = room;
	/* Make room after the window, then fill it, oldest first. */
	for (k = j->cut; k-- > pos + 1;)
		j->ring[(k + n) % j->nring] = j->ring[k % j->nring];
	s->end = at;
	for (k = 1; k <= n; k++, at = to) {
		to = k == n ? end : at + piece;
		j->ring[(pos + k) % j->nring] = new_slot(at, to);
		j->ring[(pos + k) % j->nring]->pending = 1;
		j->ring[(pos + k) % j->nring]->rest = k == n;
	}
	j->cut += n;
	pthread_cond_broadcast(&j->moved);
	pthread_mutex_unlock(&j->lock);
	return s->end;
}

/* A buffer for n bytes: a spare one that is large enough, or new. */
static struct page *
page_for(struct jobs *j, size_t n)
{
	struct page **pp, *p;
	size_t cap;

	for (pp = &j->spare; (p = *pp) != NULL; pp = &p->next)
		if (p->cap >= n) {
			*pp = p->next;
			j->spare_bytes -= (long long)p->cap;
			return p;
		}
	/* Some room over: the next page of the window is likely larger. */
	cap = n + n / 8;
	p = xmalloc(sizeof(*p) + cap);
	p->cap = cap;
	return p;
}

/* Pages written out become spares, within the bound; lock held. */
static void
recycle(struct jobs *j, struct page *p)
{
	struct page *next;

	for (; p != NULL; p = next) {
		next = p->next;
		if (j->held + j->spare_bytes + (long long)p->cap >
		    2 * j->ahead_most) {
			free(p);
			continue;
		}
		p->next = j->spare;
		j->spare = p;
		j->spare_bytes += (long long)p->cap;
	}
}

/*
 * The page the worker holds (f->out grows, never flushes on its own)
 * into memory while what is held there stays under the bound, else
 * into the window's file, and so are its pages after it: the writer
 * takes the pages held before the file's.  Lock held.
 */
static void
hold_page(struct jobs *j, struct slot *s, struct fetcher *f)
{
	struct page *p;
	size_t n = f->out.len;

	if (n == 0)
		return;
	if (s->spilled || j->held + (long long)n > 2 * j->ahead_most) {
		if (s->fd == -1)
			s->fd = temp_fd(j->tmpdir);
		s->spilled = 1;
		f->out.fd = s->fd;
		ow_flush(&f->out);
		return;
	}
	p = page_for(j, n);
	p->next = NULL;
	p->len = n;
	memcpy(p->bytes, f->out.buf, n);
	*s->held_end = p;
	s->held_end = &p->next;
	s->held_bytes += n;
	j->held += (long long)n;
	j->ahead += (long long)n;
	f->out.len = 0;
}

/* What the worker wrote so far becomes the writer's; lock held. */
static void
publish(struct jobs *j, struct slot *s, struct fetcher *f)
{
	off_t end;

	hold_page(j, s, f);
	if (s->fd == -1)
		end = 0;
	else if ((end = lseek(s->fd, 0, SEEK_CUR)) == -1)
		err(PH_EXIT_FATAL, "a temporary file");
	j->ahead += end - s->bytes;
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

/* Whether the window of this worker will never be written. */
static int
aborted(const struct job *w)
{
	return w->start > __atomic_load_n(&w->j->failed, __ATOMIC_RELAXED);
}

int
jobs_aborted(const struct fetcher *f)
{
	return f->job != NULL && aborted(f->job);
}

/* libcurl's progress callback: a request of such a window stops. */
static int
abort_check(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return aborted(arg);
}

/* The largest reply a worker holds, for REPLY_BUDGET; lock held. */
static void
note_reply(struct jobs *j, const struct fetcher *f)
{
	size_t held = f->c.reply.cap + f->s.aside.reply.cap;

	if (held > j->largest)
		j->largest = held;
}

/*
 * --jobs auto: one worker more for a reply that came while the writer
 * waited for a window, so that the workers double each round of
 * requests (as TCP's slow start) up to a limit.  seconds: the reply's.
 */
static void
maybe_grow(struct jobs *j, double seconds)
{
	if (seconds > 0 && (j->quickest == 0 || seconds < j->quickest))
		j->quickest = seconds;
	if (!j->adaptive || !j->starved || j->active >= j->most ||
	    clock_now() < j->calm_at || seconds > QUEUED_RATIO * j->quickest ||
	    (unsigned long long)(j->active + 1) * j->largest > REPLY_BUDGET)
		return;
	if (latency_bound(j))
		allow_jobs(j, j->most);
	else
		allow_jobs(j, j->active + 1);
	pthread_cond_broadcast(&j->moved);
}

void
jobs_replied(struct fetcher *f, double seconds)
{
	struct jobs *j = f->job->j;

	pthread_mutex_lock(&j->lock);
	j->settled = 1;
	note_reply(j, f);
	maybe_grow(j, seconds);
	pthread_cond_broadcast(&j->moved);
	pthread_mutex_unlock(&j->lock);
}

void
jobs_throttled(struct fetcher *f, double wait)
{
	struct jobs *j = f->job->j;

	pthread_mutex_lock(&j->lock);
	/* The 429s of one burst, or of requests sent before it, halve once. */
	if (j->adaptive && clock_now() >= j->calm_at) {
		j->active = j->active > 1 ? j->active / 2 : 1;
		note(f, "rate limited: %u jobs at once from now on", j->active);
	}
	j->calm_at = clock_now() + wait + (j->quickest > 1 ? j->quickest : 1);
	pthread_mutex_unlock(&j->lock);
}

void
jobs_page_done(struct fetcher *f)
{
	struct jobs *j = f->job->j;
	struct slot *s = f->job->s;

	pthread_mutex_lock(&j->lock);
	publish(j, s, f);
	reuse_file(s);
	note_reply(j, f);
	/*
	 * The writer is behind: wait until it has taken this window's.
	 * Not while it waits for a window no worker reads: every worker
	 * could then be waiting here, each for the writer, and the writer
	 * for them.  They go on past the bound until one is free to take
	 * that window (a page in a file, once memory holds twice the bound).
	 */
	while (j->ahead > j->ahead_most && (s->copied != s->bytes ||
	    s->held != NULL) && !aborted(f->job) && writer_at_pending(j) == NULL)
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

/*
 * The source has no query API: listing windows of an install before
 * 2023 from now on (window_listing), and the window read alone at first
 * (the one the 404 came for, the last cut) as wide as they are.
 */
static void
turn_to_listing(struct jobs *j, struct slot *s)
{
	window_listing(&j->w);
	if (j->next == s->end) {
		s->end = window_end(&j->w, s->start, j->before);
		j->next = s->end;
	}
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
		if (first)
			turn_to_listing(w->j, w->s);
		before = w->s->end;
		pthread_mutex_unlock(&w->j->lock);
		if (first)
			warn_no_query_api(f);
	}
	if (f->o.api != API_EVENTS) {
		f->query_missing = 1;
		events_before_2023(f);
	}
	return fetch_events(f, after, before);
}

/* The rows a page of the window could hold, for window.c. */
static unsigned long long
page_rows(const struct fetcher *f)
{
	if (f->o.api == API_EVENTS || f->query_missing)
		return f->page;
	return query_page_rows(f);
}

static void
finish_window(struct job *w, int r, double took)
{
	struct jobs *j = w->j;
	struct slot *s = w->s;
	struct fetcher *f = &w->f;
	double page_seconds = took / (double)(f->n.pages ? f->n.pages : 1);

	/* Events of a page cut short by a failure are written, as today. */
	pthread_mutex_lock(&j->lock);
	publish(j, s, f);
	note_reply(j, f);
	s->n = f->n;
	s->r = r;
	s->done = 1;
	j->reading--;
	if (r != 0) {
		j->stop = 1;
		if (s->start < j->failed)
			__atomic_store_n(&j->failed, s->start, __ATOMIC_RELAXED);
	} else {
		j->w.page_rows = page_rows(f);
		window_read(&j->w, page_seconds, f->n.pages, f->n.events,
		    f->narrowed > 0);
	}
	pthread_mutex_unlock(&j->lock);
}

static void *
work(void *arg)
{
	struct job *w = arg;
	double t0;
	int r;

	while ((w->s = take_window(w->j, w)) != NULL) {
		memset(&w->f.n, 0, sizeof(w->f.n));
		w->f.narrowed = 0;
		w->f.width = w->s->end - w->s->start;
		w->f.out.fd = -1;	/* hold_page sets the file's, if any */
		t0 = clock_now();
		r = fetch_window(w, w->s->start, w->s->end);
		finish_window(w, r, clock_now() - t0);
	}
	return NULL;
}

/*
 * Copy [from, to) of a window's file to stdout: in the kernel where it
 * can (a read and a write less through our buffers).  The pages given
 * to a pipe are not written again: the worker only appends, and a file
 * the writer emptied is truncated first (reuse_file), so new bytes get
 * new pages.
 */
static void
copy_out(struct fetcher *f, int fd, off_t from, off_t to, char *chunk)
{
	ssize_t k;

	from = ow_sendfile(&f->out, fd, from, to);
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

/* Write the pages held in memory. */
static void
write_held(struct fetcher *f, const struct page *p)
{
	for (; p != NULL; p = p->next)
		ow_write(&f->out, p->bytes, p->len);
	ow_flush(&f->out);
}

static void
free_pages(struct page *p)
{
	struct page *next;

	for (; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
}

/* Write one window as its pages arrive: its exit status. */
static int
write_window(struct fetcher *f, struct jobs *j, struct slot *s, char *chunk)
{
	struct page *held;
	size_t held_bytes;
	off_t from, to;
	int r;

	for (;;) {
		while (s->held == NULL && s->copied == s->bytes && !s->done) {
			/* The source, not the output, is what is slow. */
			j->starved = 1;
			pthread_cond_wait(&j->moved, &j->lock);
			j->starved = 0;
		}
		if (s->held == NULL && s->copied == s->bytes)
			break;
		held = s->held;
		held_bytes = s->held_bytes;
		s->held = NULL;
		s->held_end = &s->held;
		s->held_bytes = 0;
		from = s->copied;
		to = s->bytes;
		pthread_mutex_unlock(&j->lock);
		write_held(f, held);
		if (from < to)
			copy_out(f, s->fd, from, to, chunk);
		pthread_mutex_lock(&j->lock);
		s->copied = to;
		j->held -= (long long)held_bytes;
		recycle(j, held);
		j->ahead -= to - from + (long long)held_bytes;
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
	if (s->fd != -1)
		close(s->fd);
	j->ring[j->written % j->nring] = NULL;
	free(s);
	j->written++;
	pthread_cond_broadcast(&j->moved);
	return r;
}

static int
write_in_order(struct fetcher *f, struct jobs *j)
{
	char *chunk = xmalloc(COPY_CHUNK);
	int64_t start = 0;
	int r = 0;

	pthread_mutex_lock(&j->lock);
	while (r == 0) {
		while (j->written >= j->cut && !no_more_windows(j))
			pthread_cond_wait(&j->moved, &j->lock);
		if (j->written >= j->cut)
			break;
		start = j->ring[j->written % j->nring]->start;
		r = write_window(f, j, j->ring[j->written % j->nring], chunk);
	}
	if (r != 0) {
		/* Nothing after this window is written: stop its readers. */
		j->stop = 1;
		if (start < j->failed)
			__atomic_store_n(&j->failed, start, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&j->moved);
	}
	pthread_mutex_unlock(&j->lock);
	free(chunk);
	return r;
}

/* One worker more, with a connection of its own; lock held or alone. */
static void
start_job(struct jobs *j)
{
	struct job *w = &j->workers[j->started];
	const struct fetcher *main = j->main;

	memset(w, 0, sizeof(*w));
	w->j = j;
	w->index = j->started;
	w->f.o = main->o;
	w->f.job = w;
	w->f.qpage = main->qpage;
	w->f.query_missing = j->query_missing;
	progress_init(&w->f.prog, 0, main->o.quiet);
	ow_init(&w->f.out, -1, "a temporary file");
	w->f.out.grow = 1;	/* a page whole, for hold_page */
	/* Its own connection; its scratch starts empty, from the memset. */
	conn_open(&w->f.c, &w->f.o);
	curl_easy_setopt(w->f.c.h, CURLOPT_XFERINFOFUNCTION, abort_check);
	curl_easy_setopt(w->f.c.h, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(w->f.c.h, CURLOPT_NOPROGRESS, 0L);
	if ((errno = pthread_create(&w->t, NULL, work, w)) != 0)
		err(PH_EXIT_FATAL, "cannot start a worker thread");
	j->started++;
}

/*
 * Test-only: PH_FETCH_TEST_AHEAD, bytes, lowers AHEAD_BYTES so that a
 * test can fill it with a few pages (tests/t/jobs.t).  Not documented
 * for users: the bound is not a setting.
 */
static long long
ahead_most(void)
{
	const char *v = getenv("PH_FETCH_TEST_AHEAD");
	long long n;

	if (v == NULL || (n = strtoll(v, NULL, 10)) <= 0 || n > AHEAD_BYTES)
		return AHEAD_BYTES;
	return n;
}

static struct jobs *
jobs_new(const struct fetcher *f, int64_t after, int64_t before)
{
	struct jobs *j = xmalloc(sizeof(*j));

	memset(j, 0, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->moved, NULL);
	j->adaptive = f->o.jobs == 0;
	j->most = j->adaptive ? AUTO_MOST : f->o.jobs;
	j->active = j->adaptive ? AUTO_FIRST : f->o.jobs;
	j->nring = (2 + SPLIT_ROOM) * j->most;
	j->ring = xreallocarray(NULL, j->nring, sizeof(*j->ring));
	j->workers = xreallocarray(NULL, j->most, sizeof(*j->workers));
	j->main = f;
	j->next = after;
	j->before = before;
	j->failed = NO_WINDOW;
	j->ahead_most = ahead_most();
	j->query_missing = f->query_missing;
	if ((j->tmpdir = getenv("TMPDIR")) == NULL || *j->tmpdir == '\0')
		j->tmpdir = "/tmp";
	window_init(&j->w, f->o.timeout);
	if (f->query_missing)
		window_listing(&j->w);
	return j;
}

/* Every worker joined, every file closed, everything freed. */
static void
jobs_free(struct jobs *j)
{
	unsigned i;
	unsigned long k;

	for (i = 0; i < j->started; i++) {
		pthread_join(j->workers[i].t, NULL);
		j->workers[i].f.out.fd = -1;
		free(j->workers[i].f.out.buf);
		fetch_cleanup(&j->workers[i].f);
	}
	/* Windows after a failed one were never written. */
	for (k = j->written; k < j->cut; k++) {
		if (j->ring[k % j->nring]->fd != -1)
			close(j->ring[k % j->nring]->fd);
		free_pages(j->ring[k % j->nring]->held);
		free(j->ring[k % j->nring]);
	}
	free_pages(j->spare);
	free(j->workers);
	free(j->ring);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->moved);
	free(j);
}

int
fetch_jobs(struct fetcher *f, int64_t after, int64_t before)
{
	struct jobs *j = jobs_new(f, after, before);
	int r;

	pthread_mutex_lock(&j->lock);
	while (j->started < j->active)
		start_job(j);
	pthread_mutex_unlock(&j->lock);
	r = write_in_order(f, j);
	jobs_free(j);
	return r;
}
