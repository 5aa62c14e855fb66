#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "ledger.h"
#include "xalloc.h"

uint64_t
ledger_extend(uint64_t prefix, const char *line, size_t len)
{
	uint64_t h = hash64(line, len, 0);

	return hash64(&h, sizeof(h), prefix);
}

void
ledger_skip(struct ledger *l, unsigned long long lines, uint64_t hash)
{
	l->done = lines;
	l->hash = hash;
}

void
ledger_start_after(struct ledger *l, const char *ts, const char *uuid)
{
	snprintf(l->ts, sizeof(l->ts), "%s", ts);
	snprintf(l->uuid, sizeof(l->uuid), "%s", uuid);
}

static void
grow(struct ledger *l)
{
	struct slot *ring = xcalloc(l->cap ? l->cap * 2 : 1024,
	    sizeof(*ring));
	size_t i;

	for (i = 0; i < l->count; i++)
		ring[i] = l->ring[(l->head + i) % l->cap];
	free(l->ring);
	l->ring = ring;
	l->cap = l->cap ? l->cap * 2 : 1024;
	l->head = 0;
}

static void
copy_text(char *dst, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= LEDGER_TEXT)
		n = LEDGER_TEXT - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
ledger_add(struct ledger *l, const char *line, size_t len, int ending,
    const char *ts, const char *uuid)
{
	struct slot *s;

	if (l->count == l->cap)
		grow(l);
	s = &l->ring[(l->head + l->count++) % l->cap];
	s->hash = hash64(line, len, 0);
	s->settled = 0;
	s->sent = 0;
	s->delivered = 0;
	s->ending = ending;
	s->reject = NULL;
	s->reject_len = 0;
	copy_text(s->ts, ts);
	copy_text(s->uuid, uuid);
}

uint64_t
ledger_line_hash(const struct ledger *l, unsigned long long no)
{
	return l->ring[(l->head + (no - l->done - 1)) % l->cap].hash;
}

void
ledger_keep_reject(struct ledger *l, unsigned long long no, const char *text,
    size_t len)
{
	struct slot *s;

	if (no <= l->done || no > l->done + l->count)
		return;
	s = &l->ring[(l->head + (no - l->done - 1)) % l->cap];
	free(s->reject);
	s->reject = xmemdup0(text, len);
	s->reject_len = len;
}

/* A kept refused line, as it was read, onto l->released. */
static void
release(struct ledger *l, struct slot *s)
{
	if (s->reject == NULL)
		return;
	if (s->ending & LEDGER_BOM)
		buf_add(&l->released, "\xEF\xBB\xBF", 3);
	buf_add(&l->released, s->reject, s->reject_len);
	buf_add(&l->released, "\r\n" + !(s->ending & LEDGER_CR),
	    1 + !!(s->ending & LEDGER_CR));
	free(s->reject);
	s->reject = NULL;
}

void
ledger_release_all(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		release(l, &l->ring[(l->head + i) % l->cap]);
}

void
ledger_mark_sent(struct ledger *l, unsigned long long no)
{
	struct slot *s;

	if (no <= l->done || no > l->done + l->count)
		return;
	s = &l->ring[(l->head + (no - l->done - 1)) % l->cap];
	if (!s->sent) {
		s->sent = 1;
		l->sent++;
		l->unlisted++;
	}
}

/* Delivered with a uuid: a rerun may skip a line with its bytes. */
static int
listable(const struct slot *s)
{
	return s->delivered && s->uuid[0] != '\0';
}

int
ledger_settle(struct ledger *l, unsigned long long no)
{
	struct slot *s;
	int grew = 0;

	if (no <= l->done || no > l->done + l->count)
		return 0;
	l->ring[(l->head + (no - l->done - 1)) % l->cap].settled = 1;
	while (l->count > 0 && (s = &l->ring[l->head])->settled) {
		l->hash = hash64(&s->hash, sizeof(s->hash), l->hash);
		release(l, s);
		if (s->ts[0] != '\0' || s->uuid[0] != '\0') {
			memcpy(l->ts, s->ts, sizeof(l->ts));
			memcpy(l->uuid, s->uuid, sizeof(l->uuid));
		}
		if (s->sent)
			l->sent--;
		if (listable(s))
			l->listed--;
		else if (s->sent)
			l->unlisted--;
		l->done++;
		l->head = (l->head + 1) % l->cap;
		l->count--;
		grew = 1;
	}
	return grew;
}

int
ledger_deliver(struct ledger *l, unsigned long long no)
{
	struct slot *s;

	if (no <= l->done || no > l->done + l->count)
		return 0;
	s = &l->ring[(l->head + (no - l->done - 1)) % l->cap];
	if (!s->settled && !s->delivered) {
		s->delivered = 1;
		if (listable(s)) {
			l->listed++;
			if (s->sent)
				l->unlisted--;
		}
	}
	return ledger_settle(l, no);
}

void
ledger_delivered_keys(const struct ledger *l, struct buf *out, size_t max)
{
	const struct slot *s;
	size_t i, n = 0;
	char hex[16];
	int k;

	for (i = 0; i < l->count && n < max; i++) {
		s = &l->ring[(l->head + i) % l->cap];
		if (!listable(s))
			continue;
		/* By hand: the state is written after each delivery. */
		for (k = 0; k < 16; k++)
			hex[k] = "0123456789abcdef"[(s->hash >> (60 - 4 * k)) &
			    0xf];
		buf_add(out, hex, 16);
		n++;
	}
}

void
ledger_free(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->ring[(l->head + i) % l->cap].reject);
	buf_free(&l->released);
	free(l->ring);
	memset(l, 0, sizeof(*l));
}
