#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "gzip.h"
#include "jscan.h"
#include "xalloc.h"

#define BATCH_TAIL	"]}"

void
envelope_init(struct envelope *env, const char *key, int historical,
    int gzip_level)
{
	memset(env, 0, sizeof(*env));
	buf_addstr(&env->head, "{\"api_key\":");
	js_escape(&env->head, key, strlen(key));
	/* No sent_at: capture would shift every timestamp by the delay. */
	if (historical)
		buf_addstr(&env->head, ",\"historical_migration\":true");
	buf_addstr(&env->head, ",\"batch\":[");
	env->gzip_level = gzip_level;
}

void
envelope_free(struct envelope *env)
{
	/* The head holds the API key: leave nothing behind in memory. */
	if (env->head.p != NULL)
		explicit_bzero(env->head.p, env->head.cap);
	buf_free(&env->head);
}

size_t
envelope_overhead(const struct envelope *env)
{
	return env->head.len + sizeof(BATCH_TAIL) - 1;
}

struct batch *
batch_new(double now)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	b->opened = now;
	return b;
}

void
batch_add(struct batch *b, const char *ev, size_t len,
    unsigned long long line)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->end = xreallocarray(b->end, b->cap, sizeof(*b->end));
		b->line = xreallocarray(b->line, b->cap, sizeof(*b->line));
		b->sent = xreallocarray(b->sent, b->cap, sizeof(*b->sent));
		b->person = xreallocarray(b->person, b->cap,
		    sizeof(*b->person));
		b->other = xreallocarray(b->other, b->cap, sizeof(*b->other));
	}
	b->sent[b->n] = 0;
	b->person[b->n] = b->other[b->n] = 0;
	if (b->n > 0)
		buf_addc(&b->data, ',');
	buf_add(&b->data, ev, len);
	b->end[b->n] = b->data.len;
	b->line[b->n++] = line;
}

const char *
batch_event(const struct batch *b, size_t i, size_t *len)
{
	size_t start = i == 0 ? 0 : b->end[i - 1] + 1;

	*len = b->end[i] - start;
	return b->data.p + start;
}

void
batch_mark_sent(struct batch *b)
{
	if (b->n > 0)
		memset(b->sent, 1, b->n);
}

size_t
batch_sent_before(const struct batch *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->n; i++)
		n += b->sent[i];
	return n;
}

struct batch *
batch_slice(const struct batch *b, size_t from, size_t to)
{
	struct batch *s = batch_new(b->opened);
	const char *ev;
	size_t i, len;

	for (i = from; i < to; i++) {
		ev = batch_event(b, i, &len);
		batch_add(s, ev, len, b->line[i]);
		s->sent[s->n - 1] = b->sent[i];
		s->person[s->n - 1] = b->person[i];
		s->other[s->n - 1] = b->other[i];
	}
	return s;
}

int
batch_build(struct batch *b, const struct envelope *env, struct buf *scratch)
{
	struct buf *raw = env->gzip_level > 0 ? scratch : &b->body;

	raw->len = 0;
	buf_reserve(raw, envelope_overhead(env) + b->data.len);
	buf_add(raw, env->head.p, env->head.len);
	buf_add(raw, b->data.p, b->data.len);
	buf_addstr(raw, BATCH_TAIL);
	b->rawlen = raw->len;
	if (env->gzip_level > 0) {
		b->body.len = 0;
		if (gz_compress(&b->body, raw->p, raw->len, env->gzip_level) ==
		    -1)
			return -1;
		/* The raw body holds the key: leave nothing behind. */
		explicit_bzero(raw->p, raw->len);
	}
	return 0;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	buf_free(&b->data);
	if (b->body.p != NULL)
		explicit_bzero(b->body.p, b->body.len);
	buf_free(&b->body);
	free(b->end);
	free(b->line);
	free(b->sent);
	free(b->person);
	free(b->other);
	free(b);
}
