/*
 * Unit tests of ph-send's ledger (the gap-free prefix of settled lines)
 * and ph-fetch's id set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "idset.h"
#include "ledger.h"
#include "tap.h"

static void
test_ledger(void)
{
	struct ledger l;
	uint64_t h = 0;
	char line[32], ts[32];
	int i;

	memset(&l, 0, sizeof(l));
	for (i = 1; i <= 3000; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		snprintf(ts, sizeof(ts), "t%d", i);
		ledger_add(&l, line, strlen(line), 0, i % 7 ? ts : "", "");
	}
	ok(!ledger_settle(&l, 2), "line 2 before line 1: no prefix yet");
	ok(l.done == 0, "done 0");
	ok(ledger_settle(&l, 1), "line 1: the prefix grows");
	ok(l.done == 2, "through line 2");
	for (i = 3000; i > 2; i--)
		ledger_settle(&l, (unsigned long long)i);
	ok(l.done == 3000, "settled backwards: all 3000");
	ok(strcmp(l.ts, "t3000") == 0, "last timestamp: %s", l.ts);
	ok(!ledger_settle(&l, 5), "settling twice changes nothing");
	for (i = 1; i <= 3000; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		h = ledger_extend(h, line, strlen(line));
	}
	ok(h == l.hash, "fingerprint equals the lines read again");
	ok(ledger_extend(0, "a", 1) != ledger_extend(0, "b", 1),
	    "fingerprint sees the bytes");
	ledger_free(&l);
}

/* Lines sent past the prefix: counted once, until the prefix passes them. */
static void
test_sent(void)
{
	struct ledger l;
	int i;

	memset(&l, 0, sizeof(l));
	for (i = 1; i <= 10; i++)
		ledger_add(&l, "x", 1, 0, "", "");
	ledger_mark_sent(&l, 2);
	ledger_mark_sent(&l, 3);
	ledger_mark_sent(&l, 3);
	ledger_mark_sent(&l, 11);
	ok(l.sent == 2, "two lines sent, one of them twice: 2 (%zu)", l.sent);
	ledger_settle(&l, 3);
	ok(l.sent == 2, "settled past a gap they still count");
	ledger_settle(&l, 1);
	ledger_settle(&l, 2);
	ok(l.done == 3 && l.sent == 0, "the prefix passed them: 0 (%zu)",
	    l.sent);
	ledger_mark_sent(&l, 2);
	ok(l.sent == 0, "a line of the prefix no longer counts");
	ledger_free(&l);
}

/*
 * Lines delivered past the prefix that name a uuid are listed (a rerun
 * skips them); the rest of the lines sent are what a rerun sends again.
 */
static void
test_delivered(void)
{
	struct ledger l;
	struct buf keys = { 0 };
	char hex[17];
	int i;

	memset(&l, 0, sizeof(l));
	for (i = 1; i <= 6; i++)
		ledger_add(&l, i == 5 ? "e" : "x", 1, 0, "", i == 4 ? "" :
		    "u");
	for (i = 2; i <= 5; i++)
		ledger_mark_sent(&l, (unsigned long long)i);
	ok(l.unlisted == 4 && l.listed == 0, "four sent, none delivered");
	ok(!ledger_deliver(&l, 3) && !ledger_deliver(&l, 4) &&
	    !ledger_deliver(&l, 5), "delivered past a gap: no prefix yet");
	ok(l.listed == 2 && l.unlisted == 2,
	    "two listed; one without a uuid and one in flight are not "
	    "(%zu, %zu)", l.listed, l.unlisted);
	ledger_delivered_keys(&l, &keys, 10);
	snprintf(hex, sizeof(hex), "%016" PRIx64, hash64("e", 1, 0));
	ok(keys.len == 32 && memcmp(keys.p + 16, hex, 16) == 0,
	    "their fingerprints, in input order");
	keys.len = 0;
	ledger_delivered_keys(&l, &keys, 1);
	ok(keys.len == 16, "no more than asked for");
	ledger_deliver(&l, 6);
	ok(l.listed == 3 && l.unlisted == 2,
	    "delivered without being sent (skipped): listed, not unlisted");
	ok(!ledger_deliver(&l, 3) && l.listed == 3, "delivered twice: once");
	ledger_settle(&l, 1);
	ledger_deliver(&l, 2);
	ok(l.done == 6 && l.listed == 0 && l.unlisted == 0,
	    "the prefix passed them all: 0 and 0 (%zu, %zu)", l.listed,
	    l.unlisted);
	buf_free(&keys);
	ledger_free(&l);
}

/* Refused lines come out in input order, as read, once the prefix has them. */
static void
test_rejects(void)
{
	struct ledger l;

	memset(&l, 0, sizeof(l));
	ledger_add(&l, "a", 1, 0, "", "");
	ledger_add(&l, "b", 1, LEDGER_BOM | LEDGER_CR, "", "");
	ledger_add(&l, "c", 1, LEDGER_CR, "", "");
	ledger_add(&l, "d", 1, 0, "", "");
	ledger_keep_reject(&l, 3, "c", 1);
	ledger_settle(&l, 3);
	ledger_keep_reject(&l, 2, "b", 1);
	ledger_settle(&l, 2);
	ok(l.released.len == 0, "refused past the prefix: held back");
	ledger_settle(&l, 1);
	ok(l.released.len == 9 && memcmp(l.released.p,
	    "\xEF\xBB\xBF" "b\r\nc\r\n", 9) == 0,
	    "then released in input order, BOM and CRLF as read");
	l.released.len = 0;
	ledger_keep_reject(&l, 4, "d", 1);
	ledger_release_all(&l);
	ok(l.released.len == 2 && memcmp(l.released.p, "d\n", 2) == 0,
	    "at the end, the rest too");
	ledger_free(&l);
}

static void
test_idset(void)
{
	struct idset s = { 0 };
	char id[32];
	int i, all_new = 1, all_there = 1;

	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "%08d-uuid", i);
		all_new &= idset_add(&s, id, strlen(id));
	}
	ok(all_new, "5000 ids, each new");
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "%08d-uuid", i);
		all_there &= idset_has(&s, id, strlen(id));
	}
	ok(all_there, "all of them found");
	ok(!idset_add(&s, "00000042-uuid", 13), "adding one again: 0");
	ok(!idset_has(&s, "nope", 4), "another is not there");
	idset_clear(&s);
	ok(!idset_has(&s, "00000042-uuid", 13), "cleared");
	idset_free(&s);
	ok(!idset_has(&s, "x", 1), "freed: empty");
}

/*
 * Lines added while others settle, out of order, as ph-send's lanes do:
 * the ring's head goes round it many times, and it grows while wrapped.
 * Every fifth line is blank (no timestamp, no uuid) and the last line
 * is one of them.  A model says what done and the timestamp must be.
 */
enum { RING_LINES = 20000 };

static void
ring_add(struct ledger *l, unsigned long long no, int *grew_wrapped)
{
	char line[32], ts[32], uuid[32];

	snprintf(line, sizeof(line), "line %llu", no);
	snprintf(ts, sizeof(ts), "t%llu", no);
	snprintf(uuid, sizeof(uuid), "u%llu", no);
	if (l->count == l->cap && l->head != 0)
		*grew_wrapped = 1;
	if (no % 5 == 0)
		ledger_add(l, line, strlen(line), 0, "", "");
	else
		ledger_add(l, line, strlen(line), 0, ts, uuid);
}

static void
test_ring(void)
{
	static char settled[RING_LINES + 2];
	struct ledger l;
	unsigned long long added = 0, done = 0, no;
	uint32_t r = 12345;
	uint64_t h = 0;
	char want[32] = "", line[32];
	int wrapped = 0, grew_wrapped = 0, same_done = 1, same_ts = 1;
	size_t window;

	memset(&l, 0, sizeof(l));
	while (done < RING_LINES) {
		/* Past half way the window outgrows the first 1024 slots. */
		window = done < RING_LINES / 2 ? 1000 : 1500;
		while (added < RING_LINES && added - done < window)
			ring_add(&l, ++added, &grew_wrapped);
		r = r * 1103515245 + 12345;
		no = done + 1 + (r >> 8) % (added - done);
		while (settled[no])	/* the next unsettled, round */
			no = no == added ? done + 1 : no + 1;
		settled[no] = 1;
		ledger_settle(&l, no);
		while (done < added && settled[done + 1])
			if (++done % 5 != 0)
				snprintf(want, sizeof(want), "t%llu", done);
		wrapped |= l.count > 0 && l.head + l.count > l.cap;
		same_done &= l.done == done;
		same_ts &= strcmp(l.ts, want) == 0;
	}
	ok(wrapped, "the ring wrapped round");
	ok(grew_wrapped && l.cap == 2048, "and grew while wrapped (to %zu)",
	    l.cap);
	ok(same_done, "after each settle, done is the gap-free prefix");
	ok(same_ts, "and the timestamp that of its last event");
	ok(l.done == RING_LINES && l.count == 0, "all %d lines settled",
	    RING_LINES);
	ok(strcmp(l.ts, "t19999") == 0 && strcmp(l.uuid, "u19999") == 0,
	    "a trailing blank line keeps the previous timestamp: %s", l.ts);
	for (no = 1; no <= RING_LINES; no++) {
		snprintf(line, sizeof(line), "line %llu", no);
		h = ledger_extend(h, line, strlen(line));
	}
	ok(h == l.hash, "fingerprint equals the lines read again");
	ok(!ledger_settle(&l, RING_LINES + 1), "a line never added: no change");
	ledger_free(&l);
}

/* Every id hashes alike: only the ids themselves can tell them apart. */
static uint64_t
same_hash(const char *id, size_t len)
{
	(void)id, (void)len;
	return 42;
}

static void
test_idset_collisions(void)
{
	struct idset s = { 0 };
	char id[32];
	int i, all_new = 1, all_there = 1;

	s.hash = same_hash;
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "%d", i);
		all_new &= idset_add(&s, id, strlen(id));
	}
	ok(all_new && s.n == 300, "300 ids of one hash: each new, none dropped");
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "%d", i);
		all_there &= idset_has(&s, id, strlen(id));
	}
	ok(all_there, "  all of them found");
	ok(!idset_has(&s, "300", 3), "  an id of the same hash not added: absent");
	ok(!idset_has(&s, "2990", 4), "  an id that extends one is another id");
	ok(!idset_add(&s, "299", 3), "  adding one again: 0");
	idset_clear(&s);
	ok(s.hash == same_hash && idset_add(&s, "7", 1) && s.n == 1,
	    "  clearing keeps the hash function and empties the set");
	idset_free(&s);
}

int
main(void)
{
	test_ledger();
	test_rejects();
	test_sent();
	test_delivered();
	test_idset();
	test_ring();
	test_idset_collisions();
	return done_testing();
}
