/*
 * make bench, compression part: the request bodies ph-send would build
 * from an events file, gzipped by zlib and by libdeflate at the levels
 * that matter, on one thread.  Prints CPU seconds per million events and
 * how many times smaller the bodies get; every body is inflated again
 * with zlib and compared byte for byte, so a contender that is fast but
 * wrong fails the run.
 *   gzbench EVENTS-FILE
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>
#include <zlib.h>

#include "batch.h"
#include "gunzip.h"
#include "gzip.h"
#include "hash.h"
#include "jscan.h"

/* ph-send's defaults: --batch-size 1000, --batch-bytes 5M, --parallel 4. */
#define BATCH_EVENTS	1000
#define BATCH_BYTES	(5 << 20)
#define LANES		4

struct contender {
	const char	*name;
	int		 level;
	int		 (*gz)(struct contender *, struct buf *, const void *,
			    size_t);
	struct libdeflate_compressor *ld;	/* reused from body to body */
	double		 cpu;
	unsigned long long raw, wire;
};

static int
zlib_gz(struct contender *c, struct buf *out, const void *p, size_t n)
{
	z_stream z;
	int r;

	/* As common/gzip.c did before libdeflate: 32 KiB window, gzip. */
	memset(&z, 0, sizeof(z));
	out->len = 0;
	if (deflateInit2(&z, c->level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	buf_reserve(out, deflateBound(&z, (uLong)n));
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->p;
	z.avail_out = (uInt)(out->cap - 1);
	r = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

static int
libdeflate_gz(struct contender *c, struct buf *out, const void *p, size_t n)
{
	if (c->ld == NULL &&
	    (c->ld = libdeflate_alloc_compressor(c->level)) == NULL)
		return -1;
	out->len = 0;
	buf_reserve(out, libdeflate_gzip_compress_bound(c->ld, n));
	out->len = libdeflate_gzip_compress(c->ld, p, n, out->p, out->cap);
	return out->len == 0 ? -1 : 0;
}

/* What ph-send itself calls, whichever library is behind it. */
static int
ph_gz(struct contender *c, struct buf *out, const void *p, size_t n)
{
	out->len = 0;
	return gz_compress(out, p, n, c->level);
}

static struct contender contenders[] = {
	{ "zlib", 1, zlib_gz, NULL, 0, 0, 0 },
	{ "zlib (ph-send before)", 3, zlib_gz, NULL, 0, 0, 0 },
	{ "zlib (its default)", 6, zlib_gz, NULL, 0, 0, 0 },
	{ "libdeflate", 1, libdeflate_gz, NULL, 0, 0, 0 },
	{ "libdeflate", 2, libdeflate_gz, NULL, 0, 0, 0 },
	{ "libdeflate", 3, libdeflate_gz, NULL, 0, 0, 0 },
	{ "libdeflate", 4, libdeflate_gz, NULL, 0, 0, 0 },
	{ "libdeflate", 6, libdeflate_gz, NULL, 0, 0, 0 },
	{ "gz_compress (ph-send now)", GZIP_LEVEL, ph_gz, NULL, 0, 0, 0 },
};
#define NCONTENDERS	(sizeof(contenders) / sizeof(contenders[0]))

static double
thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compress one body with every contender and check each result. */
static void
run_body(const struct buf *raw, struct buf *out, struct buf *back)
{
	struct contender *c;
	double t0;
	size_t i;

	for (i = 0; i < NCONTENDERS; i++) {
		c = &contenders[i];
		t0 = thread_cpu();
		if (c->gz(c, out, raw->p, raw->len) == -1)
			errx(1, "%s: compression failed", c->name);
		c->cpu += thread_cpu() - t0;
		back->len = 0;
		if (!gz_is_gzip(out->p, out->len) ||
		    gz_decompress(back, out->p, out->len, raw->len) != 0 ||
		    back->len != raw->len ||
		    memcmp(back->p, raw->p, raw->len) != 0)
			errx(1, "%s: a body does not inflate back", c->name);
		c->raw += raw->len;
		c->wire += out->len;
	}
}

/* Everything a run keeps between lines. */
struct bench {
	struct envelope	 env;
	struct batch	*lanes[LANES];
	struct jmembers	 top, props;
	struct buf	 tmp;
	struct buf	 scratch, out, back;
	unsigned long long events, bodies;
};

/* Send a lane's batch: build its body as ph-send does, then race. */
static void
flush(struct bench *r, size_t k)
{
	struct batch *b = r->lanes[k];

	if (b == NULL)
		return;
	if (batch_build(b, &r->env, &r->scratch) == -1)
		errx(1, "cannot build a body");
	run_body(&b->body, &r->out, &r->back);
	r->bodies++;
	batch_free(b);
	r->lanes[k] = NULL;
}

/* The lane ph-send's sender.c would pick: by the distinct_id's hash. */
static size_t
lane_of(struct bench *r, const char *line, size_t len)
{
	const struct jmember *did;
	struct jerr e;

	if (js_parse_object(line, len, &r->top, "properties", &r->props,
	    &e) == -1 || (did = js_get(&r->top, "distinct_id")) == NULL)
		return 0;
	r->tmp.len = 0;
	if (did->type == JT_STRING)
		js_unescape(&r->tmp, did->val, did->vallen);
	else
		buf_add(&r->tmp, did->val, did->vallen);
	return hash64(r->tmp.p ? r->tmp.p : "", r->tmp.len, 0) % LANES;
}

/* An event joins its lane's batch, as sender.c's fits() allows. */
static void
take(struct bench *r, const char *line, size_t len)
{
	size_t k = lane_of(r, line, len);
	struct batch *b = r->lanes[k];

	if (b != NULL && (b->n == BATCH_EVENTS || envelope_overhead(&r->env) +
	    b->data.len + 1 + len > BATCH_BYTES))
		flush(r, k);
	if (r->lanes[k] == NULL)
		r->lanes[k] = batch_new(0);
	batch_add(r->lanes[k], line, len, ++r->events);
}

static void
report(const struct bench *r)
{
	const struct contender *c, *base = &contenders[1];
	size_t i;

	printf("  %llu events, %llu bodies of %.0f kB on average; one "
	    "thread, each checked by zlib's inflate\n", r->events, r->bodies,
	    (double)base->raw / (double)r->bodies / 1e3);
	printf("  %-26s %5s %11s %6s %6s %12s\n", "compressor", "level",
	    "CPU s/1M ev", "MB/s", "ratio", "speed");
	for (i = 0; i < NCONTENDERS; i++) {
		c = &contenders[i];
		printf("  %-26s %5d %11.2f %6.0f %5.2fx %5.2fx zlib 3\n",
		    c->name, c->level, c->cpu * 1e6 / (double)r->events,
		    (double)c->raw / c->cpu / 1e6,
		    (double)c->raw / (double)c->wire, base->cpu / c->cpu);
	}
}

static void
bench_free(struct bench *r)
{
	size_t i;

	for (i = 0; i < NCONTENDERS; i++)
		libdeflate_free_compressor(contenders[i].ld);
	buf_free(&r->tmp);
	buf_free(&r->scratch);
	buf_free(&r->out);
	buf_free(&r->back);
	js_members_free(&r->top);
	js_members_free(&r->props);
	envelope_free(&r->env);
}

int
main(int argc, char *argv[])
{
	static struct bench r;
	char *line = NULL;
	size_t cap = 0, k;
	ssize_t n;
	FILE *f;

	if (argc != 2)
		errx(2, "usage: gzbench EVENTS-FILE");
	if ((f = fopen(argv[1], "r")) == NULL)
		err(3, "%s", argv[1]);
	/* Level 0: batch_build leaves the raw body for the contenders. */
	envelope_init(&r.env, "phc_bench", 1, 0);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (n > 0)
			take(&r, line, (size_t)n);
	}
	if (ferror(f))
		err(3, "%s", argv[1]);
	for (k = 0; k < LANES; k++)
		flush(&r, k);
	if (r.events == 0)
		errx(1, "%s: no events", argv[1]);
	report(&r);
	bench_free(&r);
	free(line);
	fclose(f);
	return 0;
}
