/*
 * Unit tests of ph-send/lanes.c (doc/design.md, "Lanes by distinct_id"):
 * one person's events go to one lane, as capture reads the distinct_id,
 * and leave it in input order; an identity event waits until the other
 * id's lane has delivered what it holds, and that lane takes nothing
 * more until the identity event is delivered; a full lane holds the next
 * event back; a split batch goes back first.  The sender is played
 * here: lane_next takes a batch to send, lane_release delivers it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "check.h"
#include "lanes.h"
#include "tap.h"

static struct checker chk = { .max_event = 1000000, .token_len = 8 };
static struct envelope env;

static struct lanes *
new_lanes(int n, size_t batch_size)
{
	struct lane_limits lim = { batch_size, 1 << 20, 1 };

	return lanes_new(n, &lim, &env, NULL);
}

/* Check line and hand it to the lanes, as take_line does. */
static void
take(struct lanes *ls, const char *line, unsigned long long no)
{
	struct event_info info;
	char why[256];

	if (check_event(&chk, line, strlen(line), &info, why,
	    sizeof(why)) == -1) {
		printf("# line %llu refused: %s\n", no, why);
		return;
	}
	lanes_take(ls, &info, line, strlen(line), no);
}

/* An event of id, given as JSON text ("\"a\"" or 42). */
static void
take_event(struct lanes *ls, const char *name, const char *id,
    unsigned long long no)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"event\":\"%s\",\"distinct_id\":%s,"
	    "\"properties\":{}}", name, id);
	take(ls, line, no);
}

/* An identity event of id naming other ($identify: the anonymous id). */
static void
take_identity(struct lanes *ls, const char *name, const char *id,
    const char *other, unsigned long long no)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"event\":\"%s\",\"distinct_id\":%s,"
	    "\"properties\":{\"%s\":%s}}", name, id,
	    strcmp(name, "$identify") == 0 ? "$anon_distinct_id" : "alias",
	    other);
	take(ls, line, no);
}

/* What out holds, as a C string though nothing was added since len = 0. */
static const char *
text(struct buf *out)
{
	if (out->p == NULL)
		return "";
	out->p[out->len] = '\0';
	return out->p;
}

/* The lane's batch that goes now, as "1,2|" (empty: none), delivered. */
static void
deliver_one(struct lanes *ls, int i, struct buf *out)
{
	struct lane *l = lanes_at(ls, i);
	struct batch *b = lane_next(l);
	size_t k;

	if (b == NULL)
		return;
	for (k = 0; k < b->n; k++)
		buf_printf(out, "%s%llu", k > 0 ? "," : "", b->line[k]);
	buf_addstr(out, "|");
	batch_free(lane_release(l));
}

/* Everything lane i holds, batch by batch, delivered: "1,2|3|". */
static const char *
deliver_all(struct lanes *ls, int i, struct buf *out)
{
	size_t before;

	out->len = 0;
	lanes_close_batches(ls, 0, 1);
	do {
		before = out->len;
		deliver_one(ls, i, out);
	} while (out->len > before);
	return text(out);
}

/* The lane of id's events among n, found by sending one. */
static int
lane_of(int n, const char *id)
{
	struct lanes *ls = new_lanes(n, 1000);
	struct buf out = { 0 };
	int i, found = -1;

	take_event(ls, "$pageview", id, 1);
	for (i = 0; i < n; i++)
		if (strcmp(deliver_all(ls, i, &out), "1|") == 0)
			found = i;
	buf_free(&out);
	lanes_free(ls);
	return found;
}

/* Ids a (JSON text, first if given) and b in different lanes among n. */
static void
two_lanes(int n, char *a, char *b, size_t size, int *la, int *lb)
{
	int k;

	if (a[0] == '\0')
		snprintf(a, size, "\"anon-0\"");
	*la = lane_of(n, a);
	for (k = 1; k < 100; k++) {
		snprintf(b, size, "\"user-%d\"", k);
		if ((*lb = lane_of(n, b)) != *la)
			return;
	}
}

static void
test_placement(void)
{
	char a[32], b[32];
	int i, same = 0, spread = 0, first = lane_of(64, "\"id-0\"");

	/* "42" and 42, "a" and "\u0061": capture's one distinct_id. */
	for (i = 0; i < 20; i++) {
		snprintf(a, sizeof(a), "\"%d\"", 1000 + i);
		snprintf(b, sizeof(b), "%d", 1000 + i);
		same += lane_of(64, a) == lane_of(64, b);
	}
	ok(same == 20, "\"N\" and N go to one lane (%d of 20)", same);
	ok(lane_of(64, "\"ab\"") == lane_of(64, "\"\\u0061b\""),
	    "an escaped id goes where its decoded text goes");
	for (i = 1; i < 20; i++) {
		snprintf(a, sizeof(a), "\"id-%d\"", i);
		spread += lane_of(64, a) != first;
	}
	ok(spread > 0, "different ids use different lanes (%d of 19 apart)",
	    spread);
}

static void
test_order(void)
{
	struct lanes *ls = new_lanes(4, 3);
	struct buf out = { 0 };
	char a[32] = "", b[32];
	int la, lb;

	two_lanes(4, a, b, sizeof(a), &la, &lb);
	take_event(ls, "e", a, 1);
	take_event(ls, "e", b, 2);
	take_event(ls, "e", a, 3);
	take_event(ls, "e", a, 4);
	take_event(ls, "e", b, 5);
	take_event(ls, "e", a, 6);
	deliver_all(ls, la, &out);
	is_str(text(&out), "1,3,4|6|",
	    "one id's events leave in input order, in batches of 3");
	deliver_all(ls, lb, &out);
	is_str(text(&out), "2,5|", "the other id's, likewise");
	ok(!lanes_pending(ls), "nothing held");
	buf_free(&out);
	lanes_free(ls);
}

/* Two batches ready and a full one filling: the next event waits. */
static void
test_full_lane(void)
{
	struct lanes *ls = new_lanes(1, 2);
	struct buf out = { 0 };
	struct lane *l = lanes_at(ls, 0);
	unsigned long long no;

	for (no = 1; no <= 6; no++)
		take_event(ls, "e", "\"a\"", no);
	ok(!lanes_pending(ls), "2 ready batches and a full one: 6 events in");
	take_event(ls, "e", "\"a\"", 7);
	ok(lanes_pending(ls), "the 7th is held for room");
	ok(!lanes_ordering(ls), "for room, not for order");
	ok(!lanes_place_pending(ls), "and stays held while the lane is full");
	ok(lane_next(l) != NULL && lanes_place_pending(ls),
	    "a batch on the wire makes room: the 7th goes in");
	ok(!lanes_pending(ls), "nothing held after");
	take_event(ls, "e", "\"a\"", 8);
	ok(!lanes_pending(ls), "the 8th joins the 7th's batch");
	deliver_all(ls, 0, &out);
	is_str(text(&out), "1,2|3,4|5,6|7,8|",
	    "the lane's batches leave in order");
	ok(lane_idle(l), "a delivered lane is idle");
	buf_free(&out);
	lanes_free(ls);
}

/*
 * id b's identity event naming a: after a's earlier events, before its
 * later ones, whose lane waits for it.
 */
static void
test_identity(const char *name)
{
	struct lanes *ls = new_lanes(4, 1000);
	struct buf out = { 0 };
	char a[32] = "", b[32];
	int la, lb;

	two_lanes(4, a, b, sizeof(a), &la, &lb);
	take_event(ls, "e", a, 1);
	take_identity(ls, name, b, a, 2);
	ok(lanes_pending(ls) && lanes_ordering(ls),
	    "%s waits while the other id's lane holds events", name);
	lanes_close_batches(ls, 0, 1);
	ok(lane_next(lanes_at(ls, la)) != NULL && !lanes_place_pending(ls),
	    "%s: and while their batch is on the wire", name);
	deliver_one(ls, la, &out);
	ok(lanes_place_pending(ls), "%s goes once they are delivered", name);
	is_str(text(&out), "1|", "%s: the earlier event went first", name);
	take_event(ls, "e", a, 3);
	ok(lanes_pending(ls) && lanes_ordering(ls),
	    "%s: a later event of the other id waits for it", name);
	lanes_close_batches(ls, 0, 1);
	ok(lane_next(lanes_at(ls, lb)) != NULL && !lanes_place_pending(ls),
	    "%s: still waiting while it is on the wire", name);
	out.len = 0;
	deliver_one(ls, lb, &out);
	is_str(text(&out), "2|", "%s went alone in its own id's lane", name);
	ok(lanes_place_pending(ls), "%s: delivered, it frees the other lane",
	    name);
	deliver_all(ls, la, &out);
	is_str(text(&out), "3|", "%s: the later event follows",
	    name);
	ok(lane_idle(lanes_at(ls, la)) && lane_idle(lanes_at(ls, lb)),
	    "%s: both lanes idle at the end", name);
	buf_free(&out);
	lanes_free(ls);
}

static void
test_identity_not_blocking(void)
{
	struct lanes *ls = new_lanes(4, 1000);
	struct buf out = { 0 };
	char a[32] = "", b[32];
	int la, lb;

	two_lanes(4, a, b, sizeof(a), &la, &lb);
	take_event(ls, "e", a, 1);
	take_identity(ls, "$identify", b, b, 2);
	ok(!lanes_pending(ls), "an identity event naming its own id waits "
	    "for no other lane");
	take_event(ls, "$pageview", a, 3);
	ok(!lanes_pending(ls), "and blocks none");
	take_identity(ls, "$set", b, a, 4);
	ok(!lanes_pending(ls), "an alias on another event is no identity");
	deliver_all(ls, la, &out);
	is_str(text(&out), "1,3|", "a's lane");
	deliver_all(ls, lb, &out);
	is_str(text(&out), "2,4|", "b's lane");
	buf_free(&out);
	lanes_free(ls);
}

/* The other id as capture reads it: 7 and "\u0037" name "7"'s lane. */
static void
test_identity_decoded(const char *other)
{
	struct lanes *ls = new_lanes(4, 1000);
	char a[32] = "\"7\"", b[32];
	int la, lb;

	two_lanes(4, a, b, sizeof(a), &la, &lb);
	take_event(ls, "e", a, 1);
	take_identity(ls, "$create_alias", b, other, 2);
	ok(lanes_pending(ls) && lanes_ordering(ls), "an identity event "
	    "naming %s waits for the lane of \"7\"", other);
	lanes_free(ls);
}

/* Only the blocked lane waits; the others take events meanwhile. */
static void
test_others_run(void)
{
	struct lanes *ls = new_lanes(2, 1000);
	struct buf out = { 0 };
	char a[32] = "", b[32];
	int la, lb;

	two_lanes(2, a, b, sizeof(a), &la, &lb);
	take_identity(ls, "$create_alias", b, a, 1);
	ok(!lanes_pending(ls), "an idle other lane: the identity event goes");
	take_event(ls, "e", b, 2);
	ok(!lanes_pending(ls), "its own lane takes more meanwhile");
	take_event(ls, "e", a, 3);
	ok(lanes_pending(ls) && lanes_ordering(ls), "the other lane does not");
	deliver_all(ls, lb, &out);
	is_str(text(&out), "1,2|", "its lane delivered");
	ok(lanes_place_pending(ls), "then the other lane takes the event");
	buf_free(&out);
	lanes_free(ls);
}

/* A split batch goes back at the head of its empty lane, halves in order. */
static void
test_push_front(void)
{
	struct lanes *ls = new_lanes(1, 4);
	struct lane *l = lanes_at(ls, 0);
	struct buf out = { 0 };
	struct batch *b;
	unsigned long long no;

	for (no = 1; no <= 4; no++)
		take_event(ls, "e", "\"a\"", no);
	lanes_close_batches(ls, 0, 1);
	b = lane_next(l);
	ok(b != NULL && lane_current(l) == b, "the batch on the wire is "
	    "the lane's current one");
	ok(!lane_idle(l), "a lane is not idle with a current batch");
	b = lane_release(l);
	ok(lane_current(l) == NULL, "released, it is current no more");
	lanes_push_front(ls, l, batch_slice(b, 2, 4));
	lanes_push_front(ls, l, batch_slice(b, 0, 2));
	batch_free(b);
	take_event(ls, "e", "\"a\"", 5);
	deliver_all(ls, 0, &out);
	is_str(text(&out), "1,2|3,4|5|",
	    "the halves go first, then what came after");
	buf_free(&out);
	lanes_free(ls);
}

/* A partial batch waits flush_after, and only while its lane is idle. */
static void
test_flush(void)
{
	struct lanes *ls = new_lanes(1, 3);
	struct lane *l = lanes_at(ls, 0);
	struct buf out = { 0 };
	double at;

	ok(lanes_flush_at(ls, l) == HUGE_VAL, "an empty lane never flushes");
	take_event(ls, "e", "\"a\"", 1);
	at = lanes_flush_at(ls, l);
	lanes_close_batches(ls, at - 0.01, 0);
	ok(lane_next(l) == NULL, "a partial batch waits before flush_after");
	lanes_close_batches(ls, at, 0);
	ok(lane_next(l) != NULL, "and goes at flush_after");
	take_event(ls, "e", "\"a\"", 2);
	ok(lanes_flush_at(ls, l) == HUGE_VAL, "behind a current batch it "
	    "waits for no timer");
	lanes_close_batches(ls, at + 1000, 0);
	deliver_one(ls, 0, &out);
	ok(lane_next(l) == NULL, "and is not closed by time then");
	take_event(ls, "e", "\"a\"", 3);
	take_event(ls, "e", "\"a\"", 4);
	lanes_close_batches(ls, 0, 0);
	ok(lane_next(l) != NULL, "a full batch goes at once");
	deliver_all(ls, 0, &out);
	is_str(text(&out), "2,3,4|", "the batches' order");
	buf_free(&out);
	lanes_free(ls);
}

int
main(void)
{
	envelope_init(&env, "phc_test", 1, 0);
	test_placement();
	test_order();
	test_full_lane();
	test_identity("$identify");
	test_identity("$create_alias");
	test_identity("$merge_dangerously");
	test_identity_not_blocking();
	test_identity_decoded("7");
	test_identity_decoded("\"\\u0037\"");
	test_others_run();
	test_push_front();
	test_flush();
	envelope_free(&env);
	checker_free(&chk);
	return done_testing();
}
