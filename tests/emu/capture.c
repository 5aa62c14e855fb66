/*
 * ph-emu: the capture endpoint, as PostHog's Rust capture behaves
 * (rust/capture/src/v0_request.rs, api.rs; doc/posthog.md sections 4
 * and 5).  gzip by hint or magic bytes; a single event, an array, or the
 * {"api_key", "historical_migration", "batch"} envelope, whose token is
 * the only one read; one bad event refuses the whole request; body
 * limits.  Then, as the Kafka sink does, the events go out one by one:
 * one whose Kafka message is too large (common/capsize.c) gets a 413,
 * and a failure part-way leaves the events before it stored.  Accepted
 * events are appended to the store exactly as they arrived, one per
 * line.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capsize.h"
#include "emu.h"
#include "gunzip.h"
#include "jscan.h"
#include "persons.h"
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
	/* What the sink needs of each event, read while it is checked. */
	struct evfacts	*facts;
	unsigned char	*no_uuid;	/* an event each: no uuid string */
	int		 newline;	/* an event holds a raw newline */
};

struct evfacts {
	size_t		 msgsize;	/* its Kafka message, bytes */
	int		 refused;	/* the one --refuse-event names */
};

/* serde's errors come as "failed to parse request: {serde error}". */
#define BAD_JSON	"failed to parse request: invalid JSON"

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
		return refuse(f, 400, "invalid_payload", BAD_JSON);
	if ((i = js_find(&q->top, "api_key")) < 0)
		i = js_find(&q->top, "token");
	if (i < 0 || q->top.v[i].type != JT_STRING)
		return refuse(f, 400, "invalid_payload", BAD_JSON);
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
			return refuse(f, 400, "invalid_payload", BAD_JSON);
		return 0;
	}
	if (js_parse_object(p, n, &q->top, NULL, NULL, &e) == -1)
		return refuse(f, 400, "invalid_payload", BAD_JSON);
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
				    "batch submitted with inconsistent api_key "
				    "values");
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
		    "event submitted without an api_key");
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
		return refuse(f, 400, "invalid_payload", BAD_JSON);
	ev = js_get(m, "event");
	if (ev == NULL || ev->type != JT_STRING || ev->vallen == 2)
		return refuse(f, 400, "missing_event_name",
		    "event submitted with an empty event name");
	/* Stands for checks ph-send cannot make (cookieless mode, ...). */
	if (em->c.refuse_event != NULL && em->c.refuse_status == 400 &&
	    js_str_eq(ev->val, ev->vallen, 1, em->c.refuse_event))
		return refuse(f, 400, "invalid_event",
		    "failed to decode request: event refused by validation");
	if ((did = js_get(m, "distinct_id")) == NULL)
		did = js_get(m, "$distinct_id");
	if (js_is_blank(did) && js_is_blank(js_get(props,
	    "distinct_id")))
		return refuse(f, 400, "missing_distinct_id",
		    "event submitted without a distinct_id");
	if ((uuid = js_get(m, "uuid")) != NULL && uuid->type != JT_NULL) {
		q->scratch.len = 0;
		if (uuid->type == JT_STRING)
			js_unescape(&q->scratch, uuid->val, uuid->vallen);
		if (uuid->type != JT_STRING || (q->scratch.len > 0 &&
		    uuid_parse(q->scratch.p, q->scratch.len, u) == -1))
			return refuse(f, 400, "invalid_payload",
			    "failed to parse request: invalid uuid");
	}
	return 0;
}

/* Whether event it is the one --refuse-event names. */
static int
is_refused(struct emu *em, const struct jmembers *m)
{
	const struct jmember *ev = js_get(m, "event");

	return em->c.refuse_event != NULL && ev != NULL &&
	    js_str_eq(ev->val, ev->vallen, 1, em->c.refuse_event);
}

/*
 * Each event checked, and what the sink will need of it read from the
 * same parse: each is parsed once.
 */
static unsigned
check_events(struct emu *em, struct capreq *q, struct refusal *f)
{
	struct jmembers m = { 0 }, props = { 0 };
	const struct jitem *it;
	const struct jmember *u;
	size_t k;

	if (q->events.n == 0)
		return refuse(f, 400, "empty_batch", "request holds no event");
	q->facts = xreallocarray(NULL, q->events.n, sizeof(*q->facts));
	q->no_uuid = xcalloc(q->events.n, 1);
	for (k = 0; k < q->events.n && f->status == 0; k++) {
		it = &q->events.v[k];
		if (check_event(em, q, it, &m, &props, f) != 0)
			break;
		q->facts[k].refused = is_refused(em, &m);
		q->facts[k].msgsize = capture_message_size(&m, &props,
		    q->token.len);
		q->no_uuid[k] = (u = js_get(&m, "uuid")) == NULL ||
		    u->type != JT_STRING;
		if (memchr(it->p, '\n', it->len) != NULL)
			q->newline = 1;
	}
	js_members_free(&m);
	js_members_free(&props);
	return f->status;
}

/*
 * The Kafka sink: the events go out one by one, in order
 * (rust/capture/src/sinks/kafka.rs, send_batch), so a failure part-way
 * leaves the ones before it stored: "acked-before-failure events
 * included", and rust/capture/src/ingestion_warnings/legacy.rs says they
 * "typically deliver despite the 413".  An event whose Kafka message is
 * over message.max.bytes gets EventTooBig, 413.  Returns how many events
 * went out before a failure, set in *f.
 */
static size_t
sink(struct emu *em, struct capreq *q, struct req *r, struct refusal *f)
{
	size_t k, n = q->events.n;

	for (k = 0; k < n; k++) {
		if (k == n / 2 && n > 1 && em->c.pmid > 0 &&
		    emu_random(em) < em->c.pmid) {
			r->fault = "partial";
			refuse(f, 503, "retryable_sink",
			    "transient error, please retry");
			break;
		}
		if (em->c.refuse_status != 400 && q->facts[k].refused) {
			refuse(f, (unsigned)em->c.refuse_status, "retryable_sink",
			    "transient error, please retry");
			break;
		}
		if (q->facts[k].msgsize > em->c.max_event) {
			refuse(f, 413, "event_too_big",
			    "maximum event size exceeded");
			break;
		}
	}
	/* Django capture (partial off) is modelled as all or nothing. */
	return f->status != 0 && !em->c.partial ? 0 : k;
}

/*
 * Django capture gave every event a new uuid, whatever the client sent:
 * "event_uuid = UUIDT()" (posthog/api/capture.py, 2021 and 7745e45c).
 */
static void
add_event(struct emu *em, struct buf *b, const struct jitem *it)
{
	struct jmembers m = { 0 };
	const struct jmember *u;
	struct jerr e;
	int i;

	if (!em->c.ignore_uuid || js_parse_object(it->p, it->len, &m, NULL,
	    NULL, &e) == -1 || (u = js_get(&m, "uuid")) == NULL ||
	    u->type != JT_STRING) {
		buf_add(b, it->p, it->len);
		js_members_free(&m);
		return;
	}
	buf_add(b, it->p, (size_t)(u->val - it->p));
	buf_addc(b, '"');
	for (i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			buf_addc(b, '-');
		buf_addc(b, "0123456789abcdef"[(int)(emu_random(em) * 16)]);
	}
	buf_addc(b, '"');
	buf_add(b, u->val + u->vallen, (size_t)(it->p + it->len -
	    (u->val + u->vallen)));
	js_members_free(&m);
}

static void
store(struct emu *em, const struct capreq *q, size_t upto)
{
	struct buf b = { 0 };
	size_t k;

	for (k = 0; k < upto; k++) {
		add_event(em, &b, &q->events.v[k]);
		buf_addc(&b, '\n');
	}
	pthread_mutex_lock(&em->lock);
	if (em->store_fd != -1 && write(em->store_fd, b.p, b.len) !=
	    (ssize_t)b.len)
		err(1, "store");
	persons_ingest(em, q->events.v, upto);
	if (upto == q->events.n)
		em->st.capture_ok++;
	em->st.events += upto;
	pthread_mutex_unlock(&em->lock);
	/*
	 * The same emulator's query and listing APIs read what it stored,
	 * a line an event unless one holds a newline.
	 */
	source_ingest(em, b.p, b.len, q->newline ? NULL : q->no_uuid);
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
		    "maximum event size exceeded");
	if (z == -1)
		return refuse(f, 400, "request_decoding_error",
		    "failed to decode request: invalid gzip data");
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
	size_t stored = 0;
	int gzip = 0;

	memset(&q, 0, sizeof(q));
	if (r->too_large || (strncmp(url, "/batch", 6) != 0 &&
	    r->body.len > em->c.max_body_small))
		/* axum's DefaultBodyLimit answers this itself, in plain text. */
		refuse(&f, 413, "payload_too_large",
		    "Failed to buffer the request body: length limit exceeded");
	else {
		/*
		 * A number beyond a double (1e400) fails the whole request
		 * in Rust capture: serde_json, without arbitrary_precision
		 * (rust/Cargo.toml), answers "number out of range"
		 * (serde_json de.rs, f64_from_parts), a 400 as any parse
		 * error (rust/capture/src/v0_request.rs).  Django capture
		 * (posthog/api/capture.py, 2021-2022) read the body with
		 * load_data_from_request (posthog/utils.py): json.loads with
		 * parse_constant, which catches only the NaN and Infinity
		 * literals; 1e400 is Python's float inf, taken.
		 */
		js_refuse_huge_numbers(!em->c.huge_ok);
		if (body_text(em, c, r, &plain, &gzip, &f) == 0 &&
		    parse_request(&q, gzip ? plain.p : r->body.p,
		    gzip ? plain.len : r->body.len, &f) == 0 &&
		    check_token(em, &q, &f) == 0)
			check_events(em, &q, &f);
		js_refuse_huge_numbers(0);
	}
	if (f.status == 0 && !em->c.quota_limited) {
		stored = sink(em, &q, r, &f);
		store(em, &q, stored);
	}
	buf_printf(&r->log, ",\"events\":%zu,\"stored\":%zu,\"gzip\":%s,"
	    "\"historical\":%s,\"sent_at\":%s", q.events.n, stored,
	    gzip ? "true" : "false", q.historical ? "true" : "false",
	    q.has_sent_at ? "true" : "false");
	if (f.status != 0)
		ret = reply_error_as(em, c, em->c.capture_format >= 0 ?
		    em->c.capture_format : em->c.error_format, f.status, f.code,
		    f.msg);
	else if (em->c.quota_limited)
		ret = reply_str(c, 200, "{\"status\":\"Ok\","
		    "\"quota_limited\":[\"events\"]}");
	else
		ret = reply_str(c, 200, em->c.legacy_status ?
		    "{\"status\":1}" : "{\"status\":\"Ok\"}");
	js_members_free(&q.top);
	js_items_free(&q.events);
	buf_free(&q.token);
	buf_free(&q.scratch);
	free(q.facts);
	free(q.no_uuid);
	buf_free(&plain);
	return ret;
}

/*
 * --profile: capture as each version had it.
 * - postgres-2021: Django capture, posthog/api/capture.py (2021):
 *   {"status": 1}, errors {"code": "validation", "message"}, 401 for a
 *   bad key, a new uuid for every event (UUIDT()); each event is handed
 *   on in a loop, modelled here as all or nothing.
 * - clickhouse-2022: Django capture of the ClickHouse era
 *   (posthog/api/capture.py at 7745e45c): generate_exception_response's
 *   errors {"type", "code", "detail", "attr"}, {"status": 1}, 401, and
 *   still "event_uuid = UUIDT()" for every event.  (It also skips an
 *   event without a name or distinct_id and answers 200: not modelled.)
 * - 2024: Rust capture, rust/capture/src/api.rs (2024): plain-text
 *   CaptureError bodies, 401, {"status":"Ok"}; the Kafka sink stores a
 *   batch's events one by one (sinks/kafka.rs), so a failure part-way
 *   keeps the ones before.
 * - 2026: Rust capture, newest: JSON errors {"status", "code", "error"},
 *   403 for an unknown key (doc/posthog.md section 4), partial as 2024.
 */
int
capture_profile(struct emu_conf *c, const char *name)
{
	if (strcmp(name, "postgres-2021") == 0) {
		c->capture_format = ERR_DJANGO_2021;
		c->legacy_status = 1;
		c->auth_status = 401;
		c->partial = 0;
		c->ignore_uuid = 1;
		c->huge_ok = 1;
	} else if (strcmp(name, "clickhouse-2022") == 0) {
		c->capture_format = ERR_DJANGO;
		c->legacy_status = 1;
		c->auth_status = 401;
		c->partial = 0;
		c->ignore_uuid = 1;
		c->huge_ok = 1;
	} else if (strcmp(name, "2024") == 0) {
		c->capture_format = ERR_TEXT;
		c->auth_status = 401;
		c->partial = 1;
	} else if (strcmp(name, "2026") == 0) {
		c->capture_format = ERR_JSON;
		c->auth_status = 403;
		c->partial = 1;
	} else
		return -1;
	return 0;
}
