/*
 * Unit tests of ph-send's ledger (the gap-free prefix of settled lines)
 * and ph-fetch's id set.
 */
#include <stdio.h>
#include <string.h>

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
		ledger_add(&l, line, strlen(line), i % 7 ? ts : "", "");
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
	test_idset();
	test_idset_collisions();
	return done_testing();
}
