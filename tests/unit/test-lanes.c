/*
 * Unit tests of ph-send/lanes.c (doc/design.md, "Lanes by distinct_id"):
 * an event goes to the lane that holds undelivered events of its ids,
 * as capture reads the distinct_id, and leaves it in input order; ids no
 * lane holds go to the least loaded lane; an identity event whose two
 * ids are held in two lanes waits until one of them is delivered, while
 * other ids' events wait for nothing; a full lane holds the next event
 * back; a split batch goes back first.  Random runs, some with one busy
 * id, check the order of every id's events against a model.  The sender is played here: lane_next takes a
 * batch to send, lane_release delivers it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "check.h"
#include "idcount.h"
#include "lanes.h"
#include "tap.h"

static struct checker chk = { .max_event = 1000000, .token_len = 8 };
static struct envelope env;

/* A test's lanes, two ids in different lanes, and what was delivered. */
struct fix {
	struct lanes	*ls;
	char		 a[32], b[32];	/* distinct_ids, as JSON text */
	int		 la, lb;	/* their lanes */
	struct buf	 out;		/* batches delivered: "1,2|3|" */
};

/* Check line and hand it to the lanes, as take_line does. */
static void
take(struct fix *f, const char *line, unsigned long long no)
{
	struct event_info info;
	char why[256];

	if (check_event(&chk, line, strlen(line), &info, why,
	    sizeof(why)) == -1) {
		printf("# line %llu refused: %s\n", no, why);
		return;
	}
	lanes_take(f->ls, &info, line, strlen(line), no);
}

/* An event of id, given as JSON text ("\"a\"" or 42). */
static void
take_event(struct fix *f, const char *name, const char *id,
    unsigned long long no)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"event\":\"%s\",\"distinct_id\":%s,"
	    "\"properties\":{}}", name, id);
	take(f, line, no);
}

/* Events of id a on lines from to to. */
static void
take_run(struct fix *f, unsigned long long from, unsigned long long to)
{
	for (; from <= to; from++)
		take_event(f, "e", f->a, from);
}

/* An identity event of id naming other ($identify: the anonymous id). */
static void
take_identity(struct fix *f, const char *name, const char *id,
    const char *other, unsigned long long no)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"event\":\"%s\",\"distinct_id\":%s,"
	    "\"properties\":{\"%s\":%s}}", name, id,
	    strcmp(name, "$identify") == 0 ? "$anon_distinct_id" : "alias",
	    other);
	take(f, line, no);
}

/* What was delivered, as a C string though nothing was since len = 0. */
static const char *
text(struct fix *f)
{
	if (f->out.p == NULL)
		return "";
	f->out.p[f->out.len] = '\0';
	return f->out.p;
}

/* Deliver the batch lane i sends now, if any, adding "1,2|" to out. */
static void
deliver_next(struct fix *f, int i)
{
	struct lane *l = lanes_at(f->ls, i);
	struct batch *b = lane_next(l);
	size_t k;

	if (b == NULL)
		return;
	for (k = 0; k < b->n; k++)
		buf_printf(&f->out, "%s%llu", k > 0 ? "," : "", b->line[k]);
	buf_addstr(&f->out, "|");
	batch_free(lane_release(l));
}

/* Deliver everything lane i holds, batch by batch, into out alone. */
static void
deliver_all(struct fix *f, int i)
{
	size_t before;

	f->out.len = 0;
	lanes_close_batches(f->ls, 0, 1);
	do {
		before = f->out.len;
		deliver_next(f, i);
	} while (f->out.len > before);
}

/* is_str evaluates its argument twice: deliver first. */
#define is_delivered(f, i, want, ...) do {				\
	deliver_all((f), (i));						\
	is_str(text(f), (want), __VA_ARGS__);				\
} while (0)

static void
fix_lanes(struct fix *f, int n, size_t batch_size)
{
	struct lane_limits lim = { batch_size, 1 << 20, 1 };

	f->ls = lanes_new(n, &lim, &env, NULL);
}

static void
fix_close(struct fix *f)
{
	lanes_free(f->ls);
	buf_free(&f->out);
}

/*
 * n lanes, and ids a (the one given, or "anon-0") and b.  Lanes start
 * equal, so the first event whose ids no lane holds goes to lane 0, the
 * next to lane 1: a test takes a's first, then b's, to put them there.
 */
static void
fix_open(struct fix *f, int n, size_t batch_size, const char *a)
{
	memset(f, 0, sizeof(*f));
	fix_lanes(f, n, batch_size);
	snprintf(f->a, sizeof(f->a), "%s", a != NULL ? a : "\"anon-0\"");
	snprintf(f->b, sizeof(f->b), "\"user-1\"");
	f->la = 0;
	f->lb = n > 1 ? 1 : 0;
}

/* Ids that no lane holds go to the least loaded lane. */
static void
test_spread(void)
{
	struct fix f;
	char id[32];
	int i;

	fix_open(&f, 4, 1000, NULL);
	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "\"id-%d\"", i);
		take_event(&f, "e", id, (unsigned long long)i + 1);
	}
	is_delivered(&f, 0, "1,5|", "8 ids on 4 idle lanes: two each, "
	    "lane 0 first");
	is_delivered(&f, 3, "4,8|", "the last lane likewise");
	take_event(&f, "e", "\"id-9\"", 9);
	is_delivered(&f, 0, "9|", "a lane emptied by delivery takes the "
	    "next new id");
	fix_close(&f);

	fix_open(&f, 4, 1000, NULL);
	take_run(&f, 1, 3);
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "\"light-%d\"", i);
		take_event(&f, "e", id, (unsigned long long)i + 4);
	}
	is_delivered(&f, 0, "1,2,3|", "a busy id's lane takes no other id "
	    "while others have fewer events");
	is_delivered(&f, 1, "4,7|", "the light ids share the other lanes");
	fix_close(&f);
}

/* Capture's one distinct_id in two spellings is one id: one lane. */
static void
test_same_id(const char *x, const char *y)
{
	struct fix f;

	fix_open(&f, 4, 1000, NULL);
	take_event(&f, "e", x, 1);
	take_event(&f, "e", y, 2);
	is_delivered(&f, 0, "1,2|", "%s and %s follow each other in one lane",
	    x, y);
	fix_close(&f);
}

static void
test_order(void)
{
	struct fix f;

	fix_open(&f, 4, 3, NULL);
	take_event(&f, "e", f.a, 1);
	take_event(&f, "e", f.b, 2);
	take_event(&f, "e", f.a, 3);
	take_event(&f, "e", f.a, 4);
	take_event(&f, "e", f.b, 5);
	take_event(&f, "e", f.a, 6);
	is_delivered(&f, f.la, "1,3,4|6|",
	    "one id's events leave in input order, in batches of 3");
	is_delivered(&f, f.lb, "2,5|", "the other id's, likewise");
	ok(!lanes_pending(f.ls), "nothing held");
	fix_close(&f);
}

/* Two batches ready and a full one filling: the next event waits. */
static void
test_full_lane(void)
{
	struct fix f;
	struct lane *l;

	fix_open(&f, 1, 2, NULL);
	l = lanes_at(f.ls, 0);
	take_run(&f, 1, 6);
	ok(!lanes_pending(f.ls), "2 ready batches and a full one: 6 events in");
	take_event(&f, "e", f.a, 7);
	ok(lanes_pending(f.ls), "the 7th is held for room");
	ok(!lanes_ordering(f.ls), "for room, not for order");
	ok(!lanes_place_pending(f.ls), "and stays held while the lane is full");
	ok(lane_next(l) != NULL && lanes_place_pending(f.ls),
	    "a batch on the wire makes room: the 7th goes in");
	ok(!lanes_pending(f.ls), "nothing held after");
	take_event(&f, "e", f.a, 8);
	ok(!lanes_pending(f.ls), "the 8th joins the 7th's batch");
	is_delivered(&f, 0, "1,2|3,4|5,6|7,8|",
	    "the lane's batches leave in order");
	ok(lane_idle(l), "a delivered lane is idle");
	fix_close(&f);
}

/* Whether the held event stays held while lane i's batch is on the wire. */
static int
held_while_sent(struct fix *f, int i)
{
	lanes_close_batches(f->ls, 0, 1);
	return lane_next(lanes_at(f->ls, i)) != NULL &&
	    !lanes_place_pending(f->ls);
}

/*
 * id b's identity event naming a, their events held in two lanes: it
 * waits for a's earlier events, then goes behind b's; a's later events
 * follow it there.
 */
static void
test_identity(const char *name)
{
	struct fix f;

	fix_open(&f, 4, 1000, NULL);
	take_event(&f, "e", f.a, 1);
	take_event(&f, "e", f.b, 2);
	take_identity(&f, name, f.b, f.a, 3);
	ok(lanes_pending(f.ls) && lanes_ordering(f.ls),
	    "%s waits while the other id's lane holds events", name);
	ok(held_while_sent(&f, f.la), "%s: and while their batch is on the "
	    "wire", name);
	deliver_next(&f, f.la);
	is_str(text(&f), "1|", "%s: the other id's earlier event went", name);
	ok(lanes_place_pending(f.ls), "%s goes once it is delivered", name);
	take_event(&f, "e", f.a, 4);
	ok(!lanes_pending(f.ls), "%s: a later event of the other id goes "
	    "in behind it", name);
	take_event(&f, "e", "\"third\"", 5);
	is_delivered(&f, f.lb, "2|3,4|", "%s: b's lane holds the identity "
	    "event and a's later event, in order", name);
	is_delivered(&f, f.la, "5|", "%s: a third id took the emptied lane",
	    name);
	ok(lanes_tracked(f.ls) == 0, "%s: no id tracked at the end", name);
	fix_close(&f);
}

static void
test_identity_not_blocking(void)
{
	struct fix f;

	fix_open(&f, 4, 1000, NULL);
	take_event(&f, "e", f.a, 1);
	take_identity(&f, "$identify", f.b, f.b, 2);
	ok(!lanes_pending(f.ls), "an identity event naming its own id waits "
	    "for no other lane");
	take_event(&f, "$pageview", f.a, 3);
	ok(!lanes_pending(f.ls), "and blocks none");
	take_identity(&f, "$set", f.b, f.a, 4);
	ok(!lanes_pending(f.ls), "an alias on another event is no identity");
	is_delivered(&f, f.la, "1,3|", "a's lane");
	is_delivered(&f, f.lb, "2,4|", "b's lane");
	fix_close(&f);
}

/* The other id as capture reads it: 7 and "\u0037" name "7". */
static void
test_identity_decoded(const char *other)
{
	struct fix f;

	fix_open(&f, 4, 1000, "\"7\"");
	take_event(&f, "e", f.a, 1);
	take_event(&f, "e", f.b, 2);
	take_identity(&f, "$create_alias", f.b, other, 3);
	ok(lanes_pending(f.ls) && lanes_ordering(f.ls), "an identity event "
	    "naming %s waits for the lane of \"7\"", other);
	fix_close(&f);
}

/* An identity event goes where one of its ids is held, without waiting. */
static void
test_follows_holder(void)
{
	struct fix f;

	fix_open(&f, 2, 1000, NULL);
	take_identity(&f, "$create_alias", f.b, f.a, 1);
	ok(!lanes_pending(f.ls), "no lane holds either id: the identity "
	    "event goes");
	take_event(&f, "e", f.b, 2);
	take_event(&f, "e", f.a, 3);
	ok(!lanes_pending(f.ls), "both ids' later events follow it");
	take_event(&f, "e", "\"third\"", 4);
	take_identity(&f, "$identify", f.a, "\"fourth\"", 5);
	ok(!lanes_pending(f.ls), "one id held, the other not: no wait");
	take_identity(&f, "$identify", "\"fourth\"", "\"third\"", 6);
	ok(lanes_pending(f.ls) && lanes_ordering(f.ls),
	    "ids held in two lanes: it waits");
	is_delivered(&f, 0, "1,2,3,5|", "one lane took the pair's events");
	ok(lanes_place_pending(f.ls), "then it goes");
	is_delivered(&f, 1, "4|6|", "behind the third id's event");
	fix_close(&f);
}

/*
 * Other ids' events do not hold an identity event, nor it them; it goes
 * to the lane of its held id.
 */
static void
test_third_id(void)
{
	struct fix f;
	const char *c = "\"third\"";

	fix_open(&f, 4, 1000, NULL);
	take_event(&f, "e", c, 1);
	take_event(&f, "e", f.b, 2);
	take_identity(&f, "$merge_dangerously", f.b, f.a, 3);
	ok(!lanes_pending(f.ls), "an identity event does not wait for a "
	    "third id's events");
	take_event(&f, "e", c, 4);
	ok(!lanes_pending(f.ls), "nor a third id's later event for it");
	take_event(&f, "e", f.a, 5);
	ok(!lanes_pending(f.ls), "the other id's later event goes behind it");
	is_delivered(&f, 0, "1,4|", "the third id's lane");
	is_delivered(&f, 1, "2,3,5|", "the pair's lane, in order");
	ok(lanes_tracked(f.ls) == 0, "every lane idle: no id tracked");
	fix_close(&f);
}

/* A pair's identity events, either way round, share one lane. */
static void
test_same_pair(void)
{
	struct fix f;

	fix_open(&f, 4, 1000, NULL);
	take_identity(&f, "$identify", f.b, f.a, 1);
	take_identity(&f, "$identify", f.b, f.a, 2);
	take_identity(&f, "$create_alias", f.a, f.b, 3);
	ok(!lanes_pending(f.ls), "identity events of one pair, either way "
	    "round, follow each other without waiting");
	is_delivered(&f, 0, "1,2,3|", "in one lane, in order");
	fix_close(&f);
}

/*
 * A batch released to be split leaves the counts; its halves bring
 * their events back, so the other id's later event still joins them.
 */
static void
test_split_counts(void)
{
	struct fix f;
	struct lane *l;
	struct batch *b;

	fix_open(&f, 4, 4, NULL);
	l = lanes_at(f.ls, 0);
	take_event(&f, "e", f.b, 1);
	take_event(&f, "e", f.b, 2);
	take_identity(&f, "$create_alias", f.b, f.a, 3);
	take_event(&f, "e", f.b, 4);
	lanes_close_batches(f.ls, 0, 1);
	(void)lane_next(l);
	b = lane_release(l);
	lanes_push_front(f.ls, l, batch_slice(b, 2, 4));
	lanes_push_front(f.ls, l, batch_slice(b, 0, 2));
	batch_free(b);
	take_event(&f, "e", f.a, 5);
	take_event(&f, "e", "\"third\"", 6);
	is_delivered(&f, 0, "1,2|3,4|5|", "after a split the other id's "
	    "later event follows the halves in their lane");
	is_delivered(&f, 1, "6|", "a third id went to an empty lane");
	ok(lanes_tracked(f.ls) == 0, "no id tracked at the end");
	fix_close(&f);
}

/*
 * The random run: S_EVENTS events of S_IDS ids, a third of them identity
 * events, fed, closed, sent, split and delivered in a random order.  The
 * model keeps, for each id, the events naming it in input order and how
 * many of them were delivered: a batch may go only if each of its
 * events is the next undelivered one of every id it names, counting
 * the events before it in the batch.
 */
#define S_IDS		24
#define S_EVENTS	3000

struct model {
	int		 own[S_EVENTS + 1];	/* event's id */
	int		 other[S_EVENTS + 1];	/* identity event's, or own */
	int		*named[S_IDS];		/* events naming each id */
	int		 nnamed[S_IDS];
	int		 done[S_IDS];		/* of them delivered */
	int		 wrong;			/* batches out of order */
	int		 heavy;		/* id 0 owns half the events */
	unsigned long	 rnd;
};

static unsigned
rnd(struct model *m, unsigned n)
{
	m->rnd = m->rnd * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(m->rnd >> 33) % n;
}

static void
model_name(struct model *m, int id, int e)
{
	m->named[id][m->nnamed[id]++] = e;
}

static void
model_make(struct model *m, unsigned long seed, int heavy)
{
	int e, id;

	memset(m, 0, sizeof(*m));
	m->rnd = seed;
	m->heavy = heavy;
	for (id = 0; id < S_IDS; id++)
		m->named[id] = calloc(S_EVENTS, sizeof(int));
	for (e = 1; e <= S_EVENTS; e++) {
		m->own[e] = m->other[e] = m->heavy && rnd(m, 2) == 0 ? 0 :
		    (int)rnd(m, S_IDS);
		if (rnd(m, 3) == 0)
			m->other[e] = (int)rnd(m, S_IDS);
		model_name(m, m->own[e], e);
		if (m->other[e] != m->own[e])
			model_name(m, m->other[e], e);
	}
}

static void
model_free(struct model *m)
{
	int id;

	for (id = 0; id < S_IDS; id++)
		free(m->named[id]);
}

/* Whether b's events are each the next of their ids; 1: they are now. */
static int
model_deliver(struct model *m, const struct batch *b, int commit)
{
	int next[S_IDS], ids[2], e, k, id;
	size_t i;

	memcpy(next, m->done, sizeof(next));
	for (i = 0; i < b->n; i++) {
		e = (int)b->line[i];
		ids[0] = m->own[e];
		ids[1] = m->other[e];
		for (k = 0; k < (ids[1] != ids[0] ? 2 : 1); k++) {
			id = ids[k];
			if (next[id] >= m->nnamed[id] ||
			    m->named[id][next[id]] != e)
				return 0;
			next[id]++;
		}
	}
	if (commit)
		memcpy(m->done, next, sizeof(next));
	return 1;
}

static void
feed(struct fix *f, struct model *m, int e)
{
	char own[32], other[32];
	static const char *names[] = {
		"$identify", "$create_alias", "$merge_dangerously"
	};

	snprintf(own, sizeof(own), "\"s%d\"", m->own[e]);
	snprintf(other, sizeof(other), "\"s%d\"", m->other[e]);
	if (m->other[e] != m->own[e])
		take_identity(f, names[rnd(m, 3)], own, other,
		    (unsigned long long)e);
	else
		take_event(f, "e", own, (unsigned long long)e);
}

/* One step on lane i's current batch: checked when sent, then settled. */
static void
wire_step(struct fix *f, struct model *m, int i, int *sent)
{
	struct lane *l = lanes_at(f->ls, i);
	struct batch *b;
	size_t half;

	if (!sent[i]) {
		if ((b = lane_next(l)) == NULL)
			return;
		m->wrong += !model_deliver(m, b, 0);
		sent[i] = 1;
		return;
	}
	sent[i] = 0;
	b = lane_release(l);
	if (b->n > 1 && rnd(m, 4) == 0) {
		half = 1 + rnd(m, (unsigned)b->n - 1);
		lanes_push_front(f->ls, l, batch_slice(b, half, b->n));
		lanes_push_front(f->ls, l, batch_slice(b, 0, half));
	} else
		m->wrong += !model_deliver(m, b, 1);
	batch_free(b);
}

/* Distinct hashes for the ids: the run tests order, not collisions. */
static int
ids_apart(void)
{
	struct event_info info;
	uint64_t h[S_IDS];
	char line[128], why[256];
	int i, j;

	for (i = 0; i < S_IDS; i++) {
		snprintf(line, sizeof(line), "{\"event\":\"e\","
		    "\"distinct_id\":\"s%d\",\"properties\":{}}", i);
		if (check_event(&chk, line, strlen(line), &info, why,
		    sizeof(why)) == -1)
			return 0;
		h[i] = info.person;
		for (j = 0; j < i; j++)
			if (h[j] == h[i])
				return 0;
	}
	return 1;
}

static void
test_random(int n, size_t batch_size, unsigned long seed, int heavy)
{
	struct fix f;
	struct model m;
	int sent[8] = { 0 }, next = 1, steps = 0, named = 0, left, i;

	fix_open(&f, n, batch_size, NULL);
	model_make(&m, seed, heavy);
	for (i = 0; i < S_IDS; i++)
		named += m.nnamed[i];
	for (;;) {
		for (left = named, i = 0; i < S_IDS; i++)
			left -= m.done[i];
		if (left == 0 && lanes_tracked(f.ls) == 0)
			break;
		if (++steps > 1000000)
			break;
		switch (rnd(&m, 8)) {
		case 0: case 1: case 2:
			if (lanes_pending(f.ls))
				lanes_place_pending(f.ls);
			else if (next <= S_EVENTS)
				feed(&f, &m, next++);
			break;
		case 3:
			lanes_close_batches(f.ls, 0, (int)rnd(&m, 2));
			break;
		default:
			wire_step(&f, &m, (int)rnd(&m, (unsigned)n), sent);
		}
	}
	ok(left == 0 && m.wrong == 0, "%d lanes, batches of %zu: %d "
	    "events of %d ids%s, a third naming a second id, all delivered, "
	    "each id's in input order (%d batches out of order, %d steps)",
	    n, batch_size, S_EVENTS, S_IDS, heavy ? ", half of one" : "",
	    m.wrong, steps);
	model_free(&m);
	fix_close(&f);
}

/* A split batch goes back at the head of its empty lane, halves in order. */
static void
test_push_front(void)
{
	struct fix f;
	struct lane *l;
	struct batch *b;

	fix_open(&f, 1, 4, NULL);
	l = lanes_at(f.ls, 0);
	take_run(&f, 1, 4);
	lanes_close_batches(f.ls, 0, 1);
	b = lane_next(l);
	ok(b != NULL && lane_current(l) == b, "the batch on the wire is "
	    "the lane's current one");
	ok(!lane_idle(l), "a lane is not idle with a current batch");
	b = lane_release(l);
	ok(lane_current(l) == NULL, "released, it is current no more");
	lanes_push_front(f.ls, l, batch_slice(b, 2, 4));
	lanes_push_front(f.ls, l, batch_slice(b, 0, 2));
	batch_free(b);
	take_event(&f, "e", f.a, 5);
	is_delivered(&f, 0, "1,2|3,4|5|",
	    "the halves go first, then what came after");
	fix_close(&f);
}

/* A partial batch waits flush_after, and only while its lane is idle. */
static void
test_flush(void)
{
	struct fix f;
	struct lane *l;
	double at;

	fix_open(&f, 1, 3, NULL);
	l = lanes_at(f.ls, 0);
	ok(lanes_flush_at(f.ls, l) == HUGE_VAL, "an empty lane never flushes");
	take_event(&f, "e", f.a, 1);
	at = lanes_flush_at(f.ls, l);
	lanes_close_batches(f.ls, at - 0.01, 0);
	ok(lane_next(l) == NULL, "a partial batch waits before flush_after");
	lanes_close_batches(f.ls, at, 0);
	ok(lane_next(l) != NULL, "and goes at flush_after");
	take_event(&f, "e", f.a, 2);
	ok(lanes_flush_at(f.ls, l) == HUGE_VAL, "behind a current batch it "
	    "waits for no timer");
	lanes_close_batches(f.ls, at + 1000, 0);
	deliver_next(&f, 0);
	ok(lane_next(l) == NULL, "and is not closed by time then");
	take_event(&f, "e", f.a, 3);
	take_event(&f, "e", f.a, 4);
	lanes_close_batches(f.ls, 0, 0);
	ok(lane_next(l) != NULL, "a full batch goes at once");
	is_delivered(&f, 0, "2,3,4|", "the batches' order");
	fix_close(&f);
}

/*
 * The count table against plain arrays: keys that share probe runs come
 * and go, and every count reads back; at zero the table is empty.
 */
static void
test_idcount(void)
{
	static uint32_t want[500][3];
	struct idcount t = { 0 };
	struct model m = { .rnd = 7 };
	int i, k, bad = 0, step;
	size_t peak = 0;

	for (step = 0; step < 200000; step++) {
		i = (int)rnd(&m, 500);
		k = (int)rnd(&m, 3);
		if (want[i][k] > 0 && rnd(&m, 2 + (step > 100000)) != 0) {
			idcount_dec(&t, (uint64_t)i << 40, (uint32_t)k);
			want[i][k]--;
		} else if (step < 100000) {
			idcount_inc(&t, (uint64_t)i << 40, (uint32_t)k);
			want[i][k]++;
		}
		if (t.cap > peak)
			peak = t.cap;
		if (step % 1000 == 0)
			for (i = 0; i < 500; i++)
				for (k = 0; k < 3; k++)
					bad += idcount_get(&t, (uint64_t)i <<
					    40, (uint32_t)k) != want[i][k];
	}
	ok(bad == 0, "id counts read back as counted (%d wrong)", bad);
	ok(idcount_keys(&t) == 0 && t.cap < peak, "all back to zero: no key "
	    "left, and the table shrank (%zu slots, %zu at most)", t.cap,
	    peak);
	idcount_free(&t);
}

int
main(void)
{
	envelope_init(&env, "phc_test", 1, 0);
	test_spread();
	test_same_id("\"1000\"", "1000");
	test_same_id("\"ab\"", "\"\\u0061b\"");
	test_order();
	test_full_lane();
	test_identity("$identify");
	test_identity("$create_alias");
	test_identity("$merge_dangerously");
	test_identity_not_blocking();
	test_identity_decoded("7");
	test_identity_decoded("\"\\u0037\"");
	test_follows_holder();
	test_third_id();
	test_same_pair();
	test_split_counts();
	ok(ids_apart(), "the random run's ids have distinct hashes");
	test_random(1, 3, 1, 0);
	test_random(2, 1, 2, 0);
	test_random(3, 4, 3, 0);
	test_random(4, 5, 4, 0);
	test_random(8, 2, 5, 0);
	test_random(8, 7, 6, 0);
	test_random(4, 5, 7, 1);
	test_random(8, 3, 8, 1);
	test_idcount();
	test_push_front();
	test_flush();
	envelope_free(&env);
	checker_free(&chk);
	return done_testing();
}
