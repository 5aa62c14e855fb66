#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "idcount.h"
#include "lanes.h"
#include "xalloc.h"

/* Ready batches a lane may hold beside the one on the wire. */
#define LANE_QUEUE_MAX	2

/* idcount's tag for the count over all lanes; a lane's is its index. */
#define ALL_LANES	UINT32_MAX

struct lane {
	struct lanes	*ls;
	uint32_t	 index;
	struct batch	*fill;		/* taking events */
	struct batch	*head;		/* ready, in order */
	struct batch	*tail;
	size_t		 queued;
	size_t		 events;	/* undelivered: its load */
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
	 * The events not yet delivered (filling, ready or current) that
	 * name each id, as its own or an identity event's other id: in
	 * each lane, and in all.  ordering: a line waits for some of them.
	 */
	struct idcount		 undelivered;
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
	int i;

	ls->lane = xcalloc((size_t)n, sizeof(*ls->lane));
	for (i = 0; i < n; i++) {
		ls->lane[i].ls = ls;
		ls->lane[i].index = (uint32_t)i;
	}
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
	idcount_free(&ls->undelivered);
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

/* One id an event names: counted in its lane and in all, or no more. */
static void
count_id(struct idcount *t, uint32_t lane, uint64_t id, int up)
{
	if (up) {
		idcount_inc(t, id, lane);
		idcount_inc(t, id, ALL_LANES);
	} else {
		idcount_dec(t, id, lane);
		idcount_dec(t, id, ALL_LANES);
	}
}

/* Event i of b joins lane l's undelivered events (up), or leaves them. */
static void
count_event(struct lanes *ls, struct lane *l, const struct batch *b,
    size_t i, int up)
{
	if (up)
		l->events++;
	else
		l->events--;
	count_id(&ls->undelivered, l->index, b->person[i], up);
	if (b->other[i] != b->person[i])
		count_id(&ls->undelivered, l->index, b->other[i], up);
}

static void
count_batch(struct lanes *ls, struct lane *l, const struct batch *b,
    int up)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		count_event(ls, l, b, i, up);
}

/* Its events left the lane with lane_release: they are back in it. */
void
lanes_push_front(struct lanes *ls, struct lane *l, struct batch *b)
{
	count_batch(ls, l, b, 1);
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
lane_take(struct lanes *ls, struct lane *l, uint64_t person, uint64_t other,
    const char *ev, size_t len, unsigned long long no)
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
	f->person[f->n - 1] = person;
	f->other[f->n - 1] = other;
	count_event(ls, l, f, f->n - 1, 1);
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
	if (b != NULL)
		count_batch(l->ls, l, b, 0);
	return b;
}

/*
 * The lane that holds undelivered events naming id, or NULL: placement
 * keeps them all in one lane (place).
 */
static struct lane *
holder(const struct lanes *ls, uint64_t id)
{
	int i;

	if (idcount_get(&ls->undelivered, id, ALL_LANES) == 0)
		return NULL;
	for (i = 0; i < ls->n; i++)
		if (idcount_get(&ls->undelivered, id, (uint32_t)i) > 0)
			return &ls->lane[i];
	abort();	/* the counts disagree: lanes.c lost track */
}

/* The lane with the fewest undelivered events; the first of equals. */
static struct lane *
least_loaded(const struct lanes *ls)
{
	struct lane *best = &ls->lane[0];
	int i;

	for (i = 1; i < ls->n; i++)
		if (ls->lane[i].events < best->events)
			best = &ls->lane[i];
	return best;
}

/*
 * Lanes keep the order of one distinct_id's events; an identity event
 * ($identify, $create_alias, $merge_dangerously) names two, and must
 * come after the earlier events of both and before the later ones
 * (PostHog merges in arrival order).  So an event goes to the lane that
 * holds undelivered events naming one of its ids, behind them; all the
 * undelivered events naming an id are in one lane.  An identity event
 * whose two ids are held in two lanes waits until one of them has
 * delivered those.  An event whose ids no lane holds may go anywhere:
 * to the least loaded lane, so that one busy id does not slow the
 * others down.  0: the line must wait.
 *
 * An id is its 64-bit hash here: two ids that share one are one id to
 * ph-send, in one lane and one count, and the order kept for the pair
 * keeps each one's.  A collision can only make an event wait for
 * another id's events, never pass one of its own.
 */
static int
place(struct lanes *ls, const struct event_info *info, const char *p,
    size_t len, unsigned long long no)
{
	uint64_t other = info->identity ? info->other : info->person;
	struct lane *a = holder(ls, info->person), *b = NULL, *l;

	if (other != info->person)
		b = holder(ls, other);
	if (a != NULL && b != NULL && a != b) {
		ls->ordering = 1;
		return 0;
	}
	ls->ordering = 0;
	l = a != NULL ? a : b != NULL ? b : least_loaded(ls);
	return lane_take(ls, l, info->person, other, p, len, no);
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

size_t
lanes_tracked(const struct lanes *ls)
{
	return idcount_keys(&ls->undelivered);
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
