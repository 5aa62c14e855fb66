#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "lanes.h"
#include "xalloc.h"

/* Ready batches a lane may hold beside the one on the wire. */
#define LANE_QUEUE_MAX	2

/* --parallel's upper bound: one blocked_by slot a lane. */
#define LANES_MAX	64

struct lane {
	struct batch	*fill;		/* taking events */
	struct batch	*head;		/* ready, in order */
	struct batch	*tail;
	size_t		 queued;
	/*
	 * Being sent, or waiting to retry: it stays the lane's until the
	 * sender settles it (lane_release), so nothing behind it goes first.
	 */
	struct batch	*cur;
};

struct lanes {
	struct lane		*lane;
	int			 n;
	struct lane_limits	 lim;
	const struct envelope	*env;
	struct compressor	*zip;		/* NULL: bodies built inline */

	/*
	 * Identity events: blocked_by[o] is 1 + the lane whose identity
	 * event named an id of lane o; o takes nothing until that lane has
	 * delivered it.  ordering: a line waits for such a lane to drain.
	 */
	int			 blocked_by[LANES_MAX];
	int			 ordering;

	/* A checked line that found its lane full, waiting for room. */
	struct buf		 pending;
	struct event_info	 pending_info;
	unsigned long long	 pending_no;
	int			 has_pending;
};

struct lanes *
lanes_new(int n, const struct lane_limits *lim, const struct envelope *env,
    struct compressor *zip)
{
	struct lanes *ls = xcalloc(1, sizeof(*ls));

	ls->lane = xcalloc((size_t)n, sizeof(*ls->lane));
	ls->n = n;
	ls->lim = *lim;
	ls->env = env;
	ls->zip = zip;
	return ls;
}

void
lanes_free(struct lanes *ls)
{
	struct lane *l;
	struct batch *b;
	int i;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->n; i++) {
		l = &ls->lane[i];
		batch_free(l->fill);
		batch_free(l->cur);
		while ((b = l->head) != NULL) {
			l->head = b->next;
			batch_free(b);
		}
	}
	free(ls->lane);
	buf_free(&ls->pending);
	free(ls);
}

int
lanes_count(const struct lanes *ls)
{
	return ls->n;
}

struct lane *
lanes_at(const struct lanes *ls, int i)
{
	return &ls->lane[i];
}

static void
enqueue(struct lane *l, struct batch *b)
{
	b->next = NULL;
	if (l->tail != NULL)
		l->tail->next = b;
	else
		l->head = b;
	l->tail = b;
	l->queued++;
}

static void
push_front(struct lane *l, struct batch *b)
{
	b->next = l->head;
	l->head = b;
	if (l->tail == NULL)
		l->tail = b;
	l->queued++;
}

static struct batch *
dequeue(struct lane *l)
{
	struct batch *b = l->head;

	if (b != NULL) {
		l->head = b->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->queued--;
		b->next = NULL;
	}
	return b;
}

/* A batch joins its lane's queue; a worker starts on its body. */
static void
make_ready(struct lanes *ls, struct lane *l, struct batch *b, int front)
{
	if (front)
		push_front(l, b);
	else
		enqueue(l, b);
	if (ls->zip != NULL) {
		b->building = 1;
		compressor_submit(ls->zip, b);
	}
}

void
lanes_push_front(struct lanes *ls, struct lane *l, struct batch *b)
{
	make_ready(ls, l, b, 1);
}

static int
fits(const struct lanes *ls, const struct batch *b, size_t len)
{
	return b->n < ls->lim.batch_size && envelope_overhead(ls->env) +
	    b->data.len + 1 + len <= ls->lim.batch_bytes;
}

/* Put an event in its lane's batch: 0 when the lane has no room yet. */
static int
lane_take(struct lanes *ls, struct lane *l, const char *ev, size_t len,
    unsigned long long no)
{
	struct batch *f = l->fill;

	if (f != NULL && f->n > 0 && !fits(ls, f, len)) {
		if (l->queued >= LANE_QUEUE_MAX)
			return 0;
		make_ready(ls, l, f, 0);
		l->fill = f = NULL;
	}
	if (f == NULL)
		l->fill = f = batch_new(clock_now());
	batch_add(f, ev, len, no);
	return 1;
}

static int
has_partial(const struct lane *l)
{
	return l->fill != NULL && l->fill->n > 0;
}

/* A batch on the wire is current until released: cur covers it. */
int
lane_idle(const struct lane *l)
{
	return l->cur == NULL && l->head == NULL && !has_partial(l);
}

int
lane_has_batch(const struct lane *l)
{
	return l->cur != NULL || l->head != NULL;
}

struct batch *
lane_next(struct lane *l)
{
	if (l->cur == NULL)
		l->cur = dequeue(l);
	return l->cur;
}

struct batch *
lane_current(const struct lane *l)
{
	return l->cur;
}

struct batch *
lane_release(struct lane *l)
{
	struct batch *b = l->cur;

	l->cur = NULL;
	return b;
}

/* Whether lane i may take events: what blocked it has been delivered. */
static int
lane_free(struct lanes *ls, int i)
{
	int by = ls->blocked_by[i];

	if (by == 0 || lane_idle(&ls->lane[by - 1]))
		ls->blocked_by[i] = 0;
	return ls->blocked_by[i] == 0;
}

/*
 * Lanes keep the order of one distinct_id's events; an identity event
 * ($identify, $create_alias, $merge_dangerously) names two, and must
 * come after the earlier events of both and before the later ones
 * (PostHog merges in arrival order).  It waits until the other id's
 * lane has delivered what it holds, goes in its own lane, and the other
 * lane takes nothing until it is delivered.  0: the line must wait.
 */
static int
place(struct lanes *ls, const struct event_info *info, const char *p,
    size_t len, unsigned long long no)
{
	int m = (int)(info->person % (uint64_t)ls->n), o = m;

	if (info->identity)
		o = (int)(info->other % (uint64_t)ls->n);
	if (!lane_free(ls, m) || (o != m && (!lane_free(ls, o) ||
	    !lane_idle(&ls->lane[o])))) {
		ls->ordering = 1;
		return 0;
	}
	ls->ordering = 0;
	if (!lane_take(ls, &ls->lane[m], p, len, no))
		return 0;
	if (o != m)
		ls->blocked_by[o] = m + 1;
	return 1;
}

void
lanes_take(struct lanes *ls, const struct event_info *info, const char *ev,
    size_t len, unsigned long long no)
{
	if (place(ls, info, ev, len, no))
		return;
	/* Its lane is full, or another must drain first: hold it. */
	ls->pending.len = 0;
	buf_add(&ls->pending, ev, len);
	ls->pending_info = *info;
	ls->pending_no = no;
	ls->has_pending = 1;
}

int
lanes_pending(const struct lanes *ls)
{
	return ls->has_pending;
}

int
lanes_place_pending(struct lanes *ls)
{
	if (!place(ls, &ls->pending_info, ls->pending.p, ls->pending.len,
	    ls->pending_no))
		return 0;
	ls->has_pending = 0;
	return 1;
}

int
lanes_ordering(const struct lanes *ls)
{
	return ls->has_pending && ls->ordering;
}

/* Whether a partial batch should go now though more could join it. */
static int
closes_now(const struct lanes *ls, const struct lane *l, double now)
{
	return (l->fill->n >= ls->lim.batch_size &&
	    l->queued < LANE_QUEUE_MAX) || (l->cur == NULL &&
	    l->queued == 0 && now - l->fill->opened >= ls->lim.flush_after);
}

void
lanes_close_batches(struct lanes *ls, double now, int drained)
{
	struct lane *l;
	int i;

	for (i = 0; i < ls->n; i++) {
		l = &ls->lane[i];
		if (!has_partial(l))
			continue;
		if (drained || closes_now(ls, l, now)) {
			make_ready(ls, l, l->fill, 0);
			l->fill = NULL;
		}
	}
}

double
lanes_flush_at(const struct lanes *ls, const struct lane *l)
{
	/* A partial batch waits only while its lane is idle. */
	if (!has_partial(l) || l->cur != NULL || l->queued != 0)
		return HUGE_VAL;
	return l->fill->opened + ls->lim.flush_after;
}
