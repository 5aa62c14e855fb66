/*
 * ph-emu: the capture endpoint, as PostHog's Rust capture behaves
 * (rust/capture/src/v0_request.rs, api.rs; doc/posthog.md sections 4
 * and 5).  gzip by hint or magic bytes; a single event, an array, or the
 * {"api_key", "historical_migration", "batch"} envelope, whose token is
 * the only one read; one bad event refuses the whole request; body and
 * event size limits.  Accepted events are appended to the store exactly
 * as they arrived, one per line.
 */
#include <err.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "emu.h"
#include "gunzip.h"
#include "jscan.h"
#include "uuid.h"
#include "xalloc.h"

static const char *const capture_paths[] = {
	"/batch", "/e", "/i/v0/e", "/capture", "/track", "/engage", NULL
};

int
is_capture_path(const char *url)
{
	size_t i, n;

	for (i = 0; capture_paths[i] != NULL; i++) {
		n = strlen(capture_paths[i]);
		if (strncmp(url, capture_paths[i], n) == 0 &&
		    (url[n] == '\0' || strcmp(url + n, "/") == 0))
			return 1;
	}
	return 0;
}

/* One request: its events and the envelope around them. */
struct capreq {
	struct jmembers	 top;
	struct jitems	 events;
	struct buf	 token;		/* decoded; empty when there is none */
	int		 has_token;
	int		 envelope;
	int		 historical;
	int		 has_sent_at;
	struct buf	 scratch;
};

/* Why a request fails: its status, a code, and a message. */
struct refusal {
	unsigned	 status;
	const char	*code;
	const char	*msg;
};

static unsigned
refuse(struct refusal *f, unsigned status, const char *code,
    const char *msg)
{
	f->status = status;
	f->code = code;
	f->msg = msg;
	return status;
}

static void
set_token(struct capreq *q, const struct jmember *m)
{
	q->has_token = 1;
	q->token.len = 0;
	if (m->type == JT_STRING)
		js_unescape(&q->token, m->val, m->vallen);
}

/* The envelope {"api_key": ..., "batch": [...]}. */
static unsigned
parse_envelope(struct capreq *q, long batch, struct refusal *f)
{
	const struct jmember *b = &q->top.v[batch];
	struct jerr e;
	long i;

	q->envelope = 1;
	if (b->type != JT_ARRAY ||
	    js_array(b->val, b->val + b->vallen, &q->events, &e) == NULL)
		return refuse(f, 400, "invalid_payload",
		    "failed to decode the request body");
	if ((i = js_find(&q->top, "api_key")) < 0)
		i = js_find(&q->top, "token");
	if (i < 0 || q->top.v[i].type != JT_STRING)
		return refuse(f, 400, "invalid_payload",
		    "failed to decode the request body");
	set_token(q, &q->top.v[i]);
	i = js_find(&q->top, "historical_migration");
	q->historical = i >= 0 && q->top.v[i].type == JT_TRUE;
	q->has_sent_at = js_find(&q->top, "sent_at") >= 0;
	return 0;
}

static unsigned
parse_request(struct capreq *q, const char *p, size_t n, struct refusal *f)
{
	const char *end = p + n, *s = js_ws(p, end), *r;
	struct jerr e;
	long batch;

	if (s < end && *s == '[') {
		r = js_array(s, end, &q->events, &e);
		if (r == NULL || js_ws(r, end) != end)
			return refuse(f, 400, "invalid_payload",
			    "failed to decode the request body");
		return 0;
	}
	if (js_parse_object(p, n, &q->top, NULL, NULL, &e) == -1)
		return refuse(f, 400, "invalid_payload",
		    "failed to decode the request body");
	if ((batch = js_find(&q->top, "batch")) >= 0)
		return parse_envelope(q, batch, f);
	while (end > s && (end[-1] == ' ' || end[-1] == '\n' ||
	    end[-1] == '\r' || end[-1] == '\t'))
		end--;
	q->events.v = xmalloc(sizeof(*q->events.v));
	q->events.v[0] = (struct jitem){ s, (size_t)(end - s), JT_OBJECT };
	q->events.n = q->events.cap = 1;
	return 0;
}

/* Outside an envelope, every event that names a token must agree. */
static unsigned
events_token(struct capreq *q, struct refusal *f)
{
	struct jmembers m = { 0 }, props = { 0 };
	struct buf first = { 0 };
	struct jerr e;
	size_t k;
	long i;

	for (k = 0; k < q->events.n; k++) {
		const struct jitem *it = &q->events.v[k];
		const struct jmember *t = NULL;

		if (js_parse_object(it->p, it->len, &m, "properties", &props,
		    &e) == -1)
			continue;	/* refused later, as a bad event */
		if ((i = js_find(&m, "token")) >= 0 ||
		    (i = js_find(&m, "api_key")) >= 0 ||
		    (i = js_find(&m, "$token")) >= 0)
			t = &m.v[i];
		else if ((i = js_find(&props, "token")) >= 0)
			t = &props.v[i];
		if (t == NULL)
			continue;
		if (!q->has_token) {
			set_token(q, t);
			buf_add(&first, q->token.p, q->token.len);
		} else {
			set_token(q, t);
			if (q->token.len != first.len ||
			    memcmp(q->token.p, first.p, first.len) != 0) {
				refuse(f, 400, "multiple_tokens",
				    "multiple tokens in one request");
				break;
			}
		}
	}
	js_members_free(&m);
	js_members_free(&props);
	buf_free(&first);
	return f->status;
}

static unsigned
check_token(struct emu *em, struct capreq *q, struct refusal *f)
{
	size_t klen = strlen(em->c.project_key);

	if (!q->envelope && events_token(q, f) != 0)
		return f->status;
	if (!q->has_token || q->token.len == 0)
		return refuse(f, 401, "no_token",
		    "API key is missing from the request");
	if (q->token.len > 4 && memcmp(q->token.p, "phx_", 4) == 0)
		return refuse(f, 401, "personal_api_key",
		    "a personal API key is not a project API key");
	if (q->token.len != klen || memcmp(q->token.p, em->c.project_key,
	    klen) != 0)
		return refuse(f, (unsigned)em->c.auth_status, "invalid_api_key",
		    "Project API key invalid. You can find your project API "
		    "key in PostHog project settings.");
	return 0;
}

/* One event as serde and capture's checks see it. */
static unsigned
check_event(struct emu *em, struct capreq *q, const struct jitem *it,
    struct jmembers *m, struct jmembers *props, struct refusal *f)
{
	const struct jmember *ev, *did, *uuid;
	unsigned char u[16];
	struct jerr e;

	if (it->type != JT_OBJECT || js_parse_object(it->p, it->len, m,
	    "properties", props, &e) == -1 || js_repeated_key(m, &q->scratch) != NULL)
		return refuse(f, 400, "invalid_payload",
		    "failed to decode the request body");
	ev = js_get(m, "event");
	if (ev == NULL || ev->type != JT_STRING || ev->vallen == 2)
		return refuse(f, 400, "missing_event_name",
		    "missing event name");
	/* Stands for checks ph-send cannot make (cookieless mode, ...). */
	if (em->c.refuse_event != NULL && js_str_eq(ev->val, ev->vallen, 1,
	    em->c.refuse_event))
		return refuse(f, 400, "invalid_event",
		    "event refused by validation");
	if ((did = js_get(m, "distinct_id")) == NULL)
		did = js_get(m, "$distinct_id");
	if (js_is_blank(did) && js_is_blank(js_get(props,
	    "distinct_id")))
		return refuse(f, 400, "missing_distinct_id",
		    "missing distinct_id");
	if ((uuid = js_get(m, "uuid")) != NULL && uuid->type != JT_NULL) {
		q->scratch.len = 0;
		if (uuid->type == JT_STRING)
			js_unescape(&q->scratch, uuid->val, uuid->vallen);
		if (uuid->type != JT_STRING || (q->scratch.len > 0 &&
		    uuid_parse(q->scratch.p, q->scratch.len, u) == -1))
			return refuse(f, 400, "invalid_payload",
			    "failed to decode the request body: invalid uuid");
	}
	if (it->len > em->c.max_event)
		return refuse(f, 413, "event_too_big",
		    "event too big: over the Kafka message limit");
	return 0;
}

static unsigned
check_events(struct emu *em, struct capreq *q, struct refusal *f)
{
	struct jmembers m = { 0 }, props = { 0 };
	size_t k;

	if (q->events.n == 0)
		return refuse(f, 400, "empty_batch", "empty batch");
	for (k = 0; k < q->events.n && f->status == 0; k++)
		check_event(em, q, &q->events.v[k], &m, &props, f);
	js_members_free(&m);
	js_members_free(&props);
	return f->status;
}

static void
store(struct emu *em, const struct capreq *q)
{
	struct buf b = { 0 };
	size_t k;

	for (k = 0; k < q->events.n; k++) {
		buf_add(&b, q->events.v[k].p, q->events.v[k].len);
		buf_addc(&b, '\n');
	}
	pthread_mutex_lock(&em->lock);
	if (em->store_fd != -1 && write(em->store_fd, b.p, b.len) !=
	    (ssize_t)b.len)
		err(1, "store");
	em->st.capture_ok++;
	em->st.events += q->events.n;
	pthread_mutex_unlock(&em->lock);
	buf_free(&b);
}

static int
wants_gzip(struct MHD_Connection *c, const struct buf *body)
{
	const char *ce = header(c, "Content-Encoding");
	const char *qc = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "compression");

	return gz_is_gzip(body->p, body->len) ||
	    (ce != NULL && strcasecmp(ce, "gzip") == 0) ||
	    (qc != NULL && (strcmp(qc, "gzip") == 0 ||
	    strcmp(qc, "gzip-js") == 0));
}

/* The body as JSON text: inflated when gzip, else as it came. */
static unsigned
body_text(struct emu *em, struct MHD_Connection *c, struct req *r,
    struct buf *plain, int *gzip, struct refusal *f)
{
	int z;

	*gzip = wants_gzip(c, &r->body);
	if (!*gzip)
		return 0;
	z = gz_decompress(plain, r->body.p, r->body.len,
	    em->c.max_decompressed);
	if (z == -2)
		return refuse(f, 413, "event_too_big",
		    "decompressed body over the limit");
	if (z == -1)
		return refuse(f, 400, "request_decoding_error",
		    "invalid gzip data");
	return 0;
}

enum MHD_Result
capture(struct emu *em, struct MHD_Connection *c, struct req *r,
    const char *url)
{
	struct refusal f = { 0, NULL, NULL };
	struct capreq q;
	struct buf plain = { 0 };
	enum MHD_Result ret;
	int gzip = 0;

	memset(&q, 0, sizeof(q));
	if (r->too_large || (strncmp(url, "/batch", 6) != 0 &&
	    r->body.len > em->c.max_body_small))
		refuse(&f, 413, "payload_too_large", "payload too large");
	else if (body_text(em, c, r, &plain, &gzip, &f) == 0 &&
	    parse_request(&q, gzip ? plain.p : r->body.p,
	    gzip ? plain.len : r->body.len, &f) == 0 &&
	    check_token(em, &q, &f) == 0)
		check_events(em, &q, &f);
	buf_printf(&r->log, ",\"events\":%zu,\"gzip\":%s,\"historical\":%s,"
	    "\"sent_at\":%s", q.events.n, gzip ? "true" : "false",
	    q.historical ? "true" : "false", q.has_sent_at ? "true" : "false");
	if (f.status != 0)
		ret = reply_error(em, c, f.status, f.code, f.msg);
	else if (em->c.quota_limited)
		ret = reply_str(c, 200, "{\"status\":\"Ok\","
		    "\"quota_limited\":[\"events\"]}");
	else {
		store(em, &q);
		ret = reply_str(c, 200, em->c.legacy_status ?
		    "{\"status\":1}" : "{\"status\":\"Ok\"}");
	}
	js_members_free(&q.top);
	js_items_free(&q.events);
	buf_free(&q.token);
	buf_free(&q.scratch);
	buf_free(&plain);
	return ret;
}

int
capture_profile(struct emu_conf *c, const char *name)
{
	(void)c;
	if (strcmp(name, "postgres-2021") == 0 ||
	    strcmp(name, "clickhouse-2022") == 0 ||
	    strcmp(name, "2024") == 0 || strcmp(name, "2026") == 0)
		return 0;
	return -1;
}
