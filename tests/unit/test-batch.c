/*
 * Unit tests of ph-send/batch.c's bodies: gzipped with libdeflate, each
 * must be one gzip member (1f 8b 08, as capture detects it) that zlib's
 * gunzip turns back into the plain body byte for byte, with body.len
 * the exact size on the wire, for an empty, a small and a full batch.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "gunzip.h"
#include "gzip.h"
#include "tap.h"

/* An event of about 1.5 kB whose text varies, as real ones do. */
static void
make_event(struct buf *ev, unsigned i, uint32_t *seed)
{
	unsigned k;

	ev->len = 0;
	buf_printf(ev, "{\"event\":\"$pageview\",\"distinct_id\":\"user-%u\","
	    "\"uuid\":\"01890000-0000-7000-8000-%012u\",\"properties\":{",
	    i % 97, i);
	for (k = 0; k < 64; k++) {
		*seed = *seed * 1103515245u + 12345u;
		buf_printf(ev, "%s\"p%u\":\"%08x-%u\"", k ? "," : "", k,
		    (unsigned)*seed, (unsigned)(*seed >> 7) % 1000);
	}
	buf_addstr(ev, "}}");
}

/* The body as it would go without gzip. */
static void
plain_body(struct batch *b, const char *key, struct buf *out)
{
	struct envelope env;
	struct buf scratch = { 0 };

	envelope_init(&env, key, 1, 0);
	batch_build(b, &env, &scratch);
	out->len = 0;
	buf_add(out, b->body.p, b->body.len);
	envelope_free(&env);
	buf_free(&scratch);
}

static int
all_zero(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (b->p[i] != 0)
			return 0;
	return 1;
}

/* Build b's body gzipped and check it against the plain one. */
static void
round_trip(struct batch *b, const char *what)
{
	struct envelope env;
	struct buf plain = { 0 }, scratch = { 0 }, back = { 0 };
	const unsigned char *z;
	uint32_t isize;

	plain_body(b, "phc_test", &plain);
	envelope_init(&env, "phc_test", 1, GZIP_LEVEL);
	ok(batch_build(b, &env, &scratch) == 0, "%s: built", what);
	z = (const unsigned char *)b->body.p;
	ok(b->body.len > 18 && memcmp(z, "\x1f\x8b\x08", 3) == 0 &&
	    gz_is_gzip(z, b->body.len), "%s: a gzip member (1f 8b 08)", what);
	ok(b->rawlen == plain.len, "%s: rawlen is the plain body's %zu bytes",
	    what, plain.len);
	ok(gz_decompress(&back, b->body.p, b->body.len, plain.len) == 0 &&
	    back.len == plain.len && memcmp(back.p, plain.p, plain.len) == 0,
	    "%s: zlib's gunzip gives the plain body back, byte for byte",
	    what);
	/* The member ends exactly at body.len: its trailer is there. */
	isize = (uint32_t)z[b->body.len - 4] |
	    (uint32_t)z[b->body.len - 3] << 8 |
	    (uint32_t)z[b->body.len - 2] << 16 |
	    (uint32_t)z[b->body.len - 1] << 24;
	ok(isize == (uint32_t)plain.len,
	    "%s: body.len ends the member (ISIZE %u)", what, isize);
	ok(all_zero(&scratch), "%s: no plain copy of the key left behind",
	    what);
	envelope_free(&env);
	buf_free(&plain);
	buf_free(&scratch);
	buf_free(&back);
}

int
main(void)
{
	struct batch *b;
	struct buf ev = { 0 };
	uint32_t seed = 7;
	unsigned i;

	b = batch_new(0);
	round_trip(b, "empty batch");
	batch_free(b);

	b = batch_new(0);
	make_event(&ev, 1, &seed);
	batch_add(b, ev.p, ev.len, 1);
	round_trip(b, "one event");
	batch_free(b);

	/* ph-send's largest default body: --batch-bytes 5M. */
	b = batch_new(0);
	for (i = 0; b->data.len + ev.len < (size_t)5 << 20; i++) {
		make_event(&ev, i, &seed);
		batch_add(b, ev.p, ev.len, i + 1);
	}
	round_trip(b, "5 MiB batch");
	ok(b->body.len < b->rawlen / 2, "5 MiB batch: %zu bytes on the wire "
	    "for %zu", b->body.len, b->rawlen);
	batch_free(b);

	buf_free(&ev);
	return done_testing();
}
