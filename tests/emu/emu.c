/*
 * ph-emu: the plumbing.  Options, the HTTP daemon (libmicrohttpd, one
 * thread per connection so injected delays stall only their own
 * request), faults, the request log, and routing to capture.c and
 * source.c.
 *
 *   ph-emu --port-file F [--store F] [--log F] [--load F] [faults...]
 *
 * It listens on 127.0.0.1, on a free port unless --port is given, and
 * writes "PORT FOREIGN-PORT" to the port file once it accepts requests.
 * SIGTERM or SIGINT stop it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu.h"
#include "isotime.h"
#include "jscan.h"
#include "numparse.h"
#include "persons.h"
#include "persons-api.h"
#include "xalloc.h"

static struct emu emu;
static const char *persons_path;	/* --load-persons */

double
emu_random(struct emu *e)
{
	uint64_t x;

	pthread_mutex_lock(&e->lock);
	x = e->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->rng = x;
	pthread_mutex_unlock(&e->lock);
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) /
	    9007199254740992.0;
}

int64_t
emu_now(const struct emu *e)
{
	return e->c.now_us != 0 ? e->c.now_us : isotime_now();
}

void
emu_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
reply_str(struct MHD_Connection *c, unsigned status, const char *json)
{
	return reply(c, status, "application/json", json, strlen(json));
}

/* An error in the form the configured PostHog version answers with. */
enum MHD_Result
reply_error(struct emu *e, struct MHD_Connection *c, unsigned status,
    const char *code, const char *msg)
{
	return reply_error_as(e, c, e->c.error_format, status, code, msg);
}

/* An error in the form given: ERR_TEXT, ERR_JSON, ERR_DJANGO, ... */
enum MHD_Result
reply_error_as(struct emu *e, struct MHD_Connection *c, int format,
    unsigned status, const char *code, const char *msg)
{
	struct buf b = { 0 };
	enum MHD_Result r;

	switch (format) {
	case ERR_DJANGO_2021:	/* posthog/api/capture.py, 2021 */
		buf_addstr(&b, "{\"code\":\"validation\",\"message\":");
		js_escape(&b, msg, strlen(msg));
		buf_addc(&b, '}');
		break;
	case ERR_JSON:		/* newest Rust capture */
		buf_printf(&b, "{\"status\":%u,\"code\":\"%s\",\"error\":", status,
		    code);
		js_escape(&b, msg, strlen(msg));
		buf_addc(&b, '}');
		break;
	case ERR_DJANGO:	/* Django capture and the REST API */
		buf_printf(&b, "{\"type\":\"validation_error\",\"code\":\"%s\","
		    "\"detail\":", code);
		js_escape(&b, msg, strlen(msg));
		buf_addstr(&b, ",\"attr\":null}");
		break;
	default:		/* older Rust capture: plain text */
		buf_addstr(&b, msg);
	}
	r = reply(c, status, format == ERR_TEXT ? "text/plain" :
	    "application/json", b.p, b.len);
	buf_free(&b);
	pthread_mutex_lock(&e->lock);
	e->st.rejected_requests++;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* A reset, not a close: SO_LINGER 0 makes the kernel send RST. */
static enum MHD_Result
reset_connection(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct linger lg = { 1, 0 };

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
	return MHD_NO;
}

/*
 * An injected 429 (--p429, --first-429): the body of PostHog's throttle
 * (../shared/docs/posthog-api.md, rate limits), with a Retry-After of
 * --retry-after seconds, as a proxy in front may send.  PostHog's own
 * throttle sends no Retry-After and says the seconds in its detail:
 * --rate-per-min copies that (throttled() in source.c).
 */
static enum MHD_Result
reply_429(struct emu *e, struct MHD_Connection *c, struct req *r)
{
	struct MHD_Response *resp;
	const char *body = "{\"type\":\"throttled_error\","
	    "\"code\":\"throttled\",\"detail\":\"Request was throttled.\","
	    "\"attr\":null}";
	enum MHD_Result ret;
	char hdr[32];

	r->fault = "429";
	resp = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	snprintf(hdr, sizeof(hdr), "%u", e->c.retry_after);
	MHD_add_response_header(resp, "Retry-After", hdr);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 429, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* --first-429: whether this request is one of the first N. */
static int
among_first_429(struct emu *e)
{
	int r;

	pthread_mutex_lock(&e->lock);
	r = e->first_429_given < e->c.first_429;
	if (r)
		e->first_429_given++;
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* Draw this request's fault, if any: 1 when it has been answered. */
static int
inject_fault(struct emu *e, struct MHD_Connection *c, struct req *r,
    enum MHD_Result *ret)
{
	double u = emu_random(e), p = 0;

	if (e->c.latency_ms > 0)
		emu_sleep_ms(e->c.latency_ms);
	if (among_first_429(e))
		*ret = reply_429(e, c, r);
	else if (u < (p += e->c.preset)) {
		r->fault = "reset";
		*ret = reset_connection(c);
	} else if (u < (p += e->c.p503)) {
		r->fault = "503";
		*ret = reply(c, 503, "text/plain",
		    "transient error, please retry", 29);
	} else if (u < (p += e->c.p500)) {
		r->fault = "500";
		*ret = reply(c, 500, "text/plain", "internal error", 14);
	} else if (u < (p += e->c.pbad)) {
		r->fault = "bad";
		*ret = reply_str(c, 200, "{\"next\":null,\"results\":[{\"id\"");
	} else if (u < (p += e->c.p429))
		*ret = reply_429(e, c, r);
	else {
		if (u < (p += e->c.pslow)) {
			r->fault = "slow";
			emu_sleep_ms(e->c.slow_ms);
		}
		return 0;
	}
	pthread_mutex_lock(&e->lock);
	e->st.faults++;
	pthread_mutex_unlock(&e->lock);
	return r->fault != NULL && strcmp(r->fault, "slow") != 0;
}

static enum MHD_Result
add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct buf *b = cls;

	(void)kind;
	buf_addstr(b, b->len > 0 ? "&" : "");
	buf_addstr(b, key);
	if (value != NULL) {
		buf_addc(b, '=');
		buf_addstr(b, value);
	}
	return MHD_YES;
}

static void
log_request(struct emu *e, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method, unsigned status)
{
	struct buf b = { 0 }, q = { 0 };
	struct timespec ts;

	if (e->log_fd == -1)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
	buf_printf(&b, "{\"t\":%lld.%06ld,\"method\":\"%s\",\"path\":",
	    (long long)ts.tv_sec, ts.tv_nsec / 1000, method);
	js_escape(&b, url, strlen(url));
	buf_addstr(&b, ",\"query\":");
	js_escape(&b, q.p ? q.p : "", q.len);
	buf_printf(&b, ",\"status\":%u,\"bytes\":%zu,\"fault\":", status,
	    r->body.len);
	if (r->fault != NULL)
		buf_printf(&b, "\"%s\"", r->fault);
	else
		buf_addstr(&b, "null");
	if (r->log.len > 0)
		buf_add(&b, r->log.p, r->log.len);
	buf_addstr(&b, "}\n");
	pthread_mutex_lock(&e->lock);
	if (write(e->log_fd, b.p, b.len) != (ssize_t)b.len)
		warn("log");
	pthread_mutex_unlock(&e->lock);
	buf_free(&b);
	buf_free(&q);
}

static enum MHD_Result
stats(struct emu *e, struct MHD_Connection *c)
{
	struct buf b = { 0 };
	enum MHD_Result r;

	pthread_mutex_lock(&e->lock);
	buf_printf(&b, "{\"requests\":%lu,\"capture_ok\":%lu,\"events\":%lu,"
	    "\"rejected_requests\":%lu,\"faults\":%lu,\"foreign_hits\":%lu,"
	    "\"source_pages\":%lu,\"rate_limited\":%lu,"
	    "\"max_in_flight\":%lu}\n", e->st.requests,
	    e->st.capture_ok, e->st.events, e->st.rejected_requests,
	    e->st.faults, e->st.foreign_hits, e->st.source_pages,
	    e->st.rate_limited, e->st.max_in_flight);
	pthread_mutex_unlock(&e->lock);
	r = reply(c, 200, "application/json", b.p, b.len);
	buf_free(&b);
	return r;
}

/* The status queued for the log: the handler's return does not say. */
static unsigned
last_status(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	return ci != NULL ? ci->http_status : 0;
}

static enum MHD_Result
route(struct emu *e, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method)
{
	enum MHD_Result ret;

	if (strcmp(url, "/_emu/stats") == 0)
		return stats(e, c);
	if (persons_dump(e, c, url, &ret))
		return ret;
	pthread_mutex_lock(&e->lock);
	e->st.requests++;
	/* Overlap as the server sees it: no clock in the tests' facts. */
	if (++e->st.in_flight > e->st.max_in_flight)
		e->st.max_in_flight = e->st.in_flight;
	/* And in the log: the requests in flight when this one came. */
	buf_printf(&r->log, ",\"busy\":%lu", e->st.in_flight);
	pthread_mutex_unlock(&e->lock);
	if (inject_fault(e, c, r, &ret))
		;
	else if (is_capture_path(url) && strcmp(method, "POST") == 0)
		ret = capture(e, c, r, url);
	else if (persons_api(e, c, r, url, method, &ret))
		;
	else if (is_source_path(url))
		ret = source(e, c, r, url, method);
	else
		ret = reply_error(e, c, 404, "not_found", "Not found.");
	pthread_mutex_lock(&e->lock);
	e->st.in_flight--;
	pthread_mutex_unlock(&e->lock);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct emu *e = cls;
	struct req *r = *ctx;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {
		*ctx = xcalloc(1, sizeof(*r));
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* Keep reading a body that is too large, but drop it. */
		if (r->body.len + *upload_size > e->c.max_body)
			r->too_large = 1;
		else
			buf_add(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	ret = route(e, c, r, url, method);
	if (strcmp(url, "/_emu/stats") != 0)
		log_request(e, c, r, url, method, r->fault != NULL &&
		    strcmp(r->fault, "reset") == 0 ? 0 : last_status(c));
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *ctx;

	(void)cls, (void)c, (void)toe;
	if (r != NULL) {
		buf_free(&r->body);
		buf_free(&r->log);
		free(r);
	}
	*ctx = NULL;
}

/* The foreign host's listener: it only counts what reaches it. */
static enum MHD_Result
on_foreign(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct emu *e = cls;

	(void)url, (void)method, (void)version, (void)upload;
	if (*ctx == NULL) {
		*ctx = &emu;
		return MHD_YES;
	}
	*upload_size = 0;
	pthread_mutex_lock(&e->lock);
	e->st.foreign_hits++;
	pthread_mutex_unlock(&e->lock);
	warnx("foreign host got a request: %s %s (Authorization: %s)",
	    method, url, header(c, "Authorization") ? "present" : "none");
	return reply_str(c, 200, "{\"next\":null,\"results\":[]}");
}

static struct MHD_Daemon *
listen_on(unsigned short port, MHD_AccessHandlerCallback h, int completed)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, port, NULL, NULL,
	    h, &emu, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_NOTIFY_COMPLETED, completed ? on_completed : NULL,
	    NULL, MHD_OPTION_END);
	if (d == NULL)
		errx(1, "cannot listen on 127.0.0.1:%u", port);
	return d;
}

static unsigned short
port_of(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return i != NULL ? i->port : 0;
}

static void
write_port_file(const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		err(1, "%s", tmp);
	fprintf(f, "%u %u\n", emu.port, emu.foreign_port);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		err(1, "%s", path);
}

static int
open_out(const char *path)
{
	int fd;

	if (path == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		err(1, "%s", path);
	return fd;
}

static const char usage_text[] =
"usage: ph-emu [--port N] [--port-file F] [--store F] [--log F] [--load F]\n"
"              [--project-key K] [--personal-key K] [--latency MS]\n"
"              [--p503 P] [--p500 P] [--p429 P] [--preset P] [--pslow P]\n"
"              [--pbad P] [--first-429 N]\n"
"              [--retry-after S] [--slow-ms MS] [--max-body BYTES]\n"
"              [--max-event BYTES] [--auth-status 401|403]\n"
"              [--error-format text|json|django] [--quota-limited]\n"
"              [--legacy-status] [--refuse-event NAME] [--seed N]\n"
"              [--refuse-status 400|503] [--pmid P] [--no-partial]\n"
"              [--page-cap N] [--query-cap N] [--rate-per-min N]\n"
"              [--rate-window S] [--foreign-next] [--no-query]\n"
"              [--no-hasmore] [--default-24h] [--profile NAME]\n"
"              [--persons] [--load-persons F]\n"
"              [--scan-limit N] [--project-tz ZONE] [--now TIME]\n"
"profiles: postgres-2021, clickhouse-2022, 2024, 2026 (the default)\n";

enum {
	O_PORT = 256, O_PORT_FILE, O_STORE, O_LOG, O_LOAD, O_PROJECT_KEY,
	O_PERSONAL_KEY, O_LATENCY, O_P503, O_P500, O_P429, O_PRESET, O_PSLOW,
	O_PBAD, O_FIRST_429,
	O_RETRY_AFTER, O_SLOW_MS, O_MAX_BODY, O_MAX_EVENT, O_AUTH_STATUS,
	O_ERROR_FORMAT, O_QUOTA, O_LEGACY, O_REFUSE, O_SEED, O_PAGE_CAP, O_QUERY_CAP,
	O_RATE, O_RATE_WINDOW, O_FOREIGN, O_NO_QUERY, O_NO_HASMORE,
	O_DEFAULT_24H,
	O_PROFILE, O_PERSONS, O_LOAD_PERSONS, O_REFUSE_STATUS, O_PMID,
	O_NO_PARTIAL, O_SCAN_LIMIT, O_PROJECT_TZ, O_NOW
};

static const struct option longopts[] = {
	{ "port", required_argument, NULL, O_PORT },
	{ "port-file", required_argument, NULL, O_PORT_FILE },
	{ "store", required_argument, NULL, O_STORE },
	{ "log", required_argument, NULL, O_LOG },
	{ "load", required_argument, NULL, O_LOAD },
	{ "project-key", required_argument, NULL, O_PROJECT_KEY },
	{ "personal-key", required_argument, NULL, O_PERSONAL_KEY },
	{ "latency", required_argument, NULL, O_LATENCY },
	{ "p503", required_argument, NULL, O_P503 },
	{ "p500", required_argument, NULL, O_P500 },
	{ "p429", required_argument, NULL, O_P429 },
	{ "first-429", required_argument, NULL, O_FIRST_429 },
	{ "preset", required_argument, NULL, O_PRESET },
	{ "pslow", required_argument, NULL, O_PSLOW },
	{ "pbad", required_argument, NULL, O_PBAD },
	{ "retry-after", required_argument, NULL, O_RETRY_AFTER },
	{ "slow-ms", required_argument, NULL, O_SLOW_MS },
	{ "max-body", required_argument, NULL, O_MAX_BODY },
	{ "max-event", required_argument, NULL, O_MAX_EVENT },
	{ "auth-status", required_argument, NULL, O_AUTH_STATUS },
	{ "error-format", required_argument, NULL, O_ERROR_FORMAT },
	{ "quota-limited", no_argument, NULL, O_QUOTA },
	{ "legacy-status", no_argument, NULL, O_LEGACY },
	{ "refuse-event", required_argument, NULL, O_REFUSE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "page-cap", required_argument, NULL, O_PAGE_CAP },
	{ "query-cap", required_argument, NULL, O_QUERY_CAP },
	{ "rate-per-min", required_argument, NULL, O_RATE },
	{ "rate-window", required_argument, NULL, O_RATE_WINDOW },
	{ "foreign-next", no_argument, NULL, O_FOREIGN },
	{ "no-query", no_argument, NULL, O_NO_QUERY },
	{ "no-hasmore", no_argument, NULL, O_NO_HASMORE },
	{ "default-24h", no_argument, NULL, O_DEFAULT_24H },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "persons", no_argument, NULL, O_PERSONS },
	{ "load-persons", required_argument, NULL, O_LOAD_PERSONS },
	{ "refuse-status", required_argument, NULL, O_REFUSE_STATUS },
	{ "pmid", required_argument, NULL, O_PMID },
	{ "no-partial", no_argument, NULL, O_NO_PARTIAL },
	{ "scan-limit", required_argument, NULL, O_SCAN_LIMIT },
	{ "now", required_argument, NULL, O_NOW },
	{ "project-tz", required_argument, NULL, O_PROJECT_TZ },
	{ NULL, 0, NULL, 0 }
};

static double
prob(const char *s)
{
	const char *why;
	double v;

	if (parse_seconds(s, 0, 1, &v, &why) == -1)
		errx(2, "probability %s: %s", s, why);
	return v;
}

static long long
num(const char *s, long long max)
{
	const char *why;
	long long v;

	if (parse_size(s, 0, max, &v, &why) == -1)
		errx(2, "number %s: %s", s, why);
	return v;
}

/*
 * --profile: one PostHog version's behaviours, source half and capture
 * half.  Options given after it override single behaviours.
 */
static void
set_profile(struct emu_conf *c, const char *name)
{
	if (source_profile(c, name) == -1 || capture_profile(c, name) == -1)
		errx(2, "profile %s: not one of postgres-2021, "
		    "clickhouse-2022, 2024, 2026", name);
	c->profile = name;
}

static void
parse_options(int argc, char *argv[], const char **port_file,
    unsigned short *port)
{
	struct emu_conf *c = &emu.c;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		switch (ch) {
		case O_PORT: *port = (unsigned short)num(optarg, 65535); break;
		case O_PORT_FILE: *port_file = optarg; break;
		case O_STORE: c->store_path = optarg; break;
		case O_LOG: c->log_path = optarg; break;
		case O_LOAD: c->load_path = optarg; break;
		case O_PROJECT_KEY: c->project_key = optarg; break;
		case O_PERSONAL_KEY: c->personal_key = optarg; break;
		case O_LATENCY: c->latency_ms = (unsigned)num(optarg, 600000);
			break;
		case O_P503: c->p503 = prob(optarg); break;
		case O_P500: c->p500 = prob(optarg); break;
		case O_P429: c->p429 = prob(optarg); break;
		case O_FIRST_429: c->first_429 = (unsigned)num(optarg, 1000000);
			break;
		case O_PRESET: c->preset = prob(optarg); break;
		case O_PSLOW: c->pslow = prob(optarg); break;
		case O_PBAD: c->pbad = prob(optarg); break;
		case O_RETRY_AFTER: c->retry_after = (unsigned)num(optarg,
		    3600); break;
		case O_SLOW_MS: c->slow_ms = (unsigned)num(optarg, 600000);
			break;
		case O_MAX_BODY: c->max_body = (size_t)num(optarg, 1LL << 32);
			break;
		case O_MAX_EVENT: c->max_event = (size_t)num(optarg,
		    1LL << 32); break;
		case O_AUTH_STATUS: c->auth_status = (int)num(optarg, 599);
			break;
		case O_ERROR_FORMAT:
			c->error_format = strcmp(optarg, "json") == 0 ? ERR_JSON :
			    strcmp(optarg, "django") == 0 ? ERR_DJANGO : ERR_TEXT;
			c->capture_format = -1;
			break;
		case O_QUOTA: c->quota_limited = 1; break;
		case O_LEGACY: c->legacy_status = 1; break;
		case O_REFUSE: c->refuse_event = optarg; break;
		case O_SEED: c->seed = (uint64_t)num(optarg, 1LL << 62); break;
		case O_PAGE_CAP: c->page_cap = (unsigned)num(optarg,
		    100000000); break;
		case O_QUERY_CAP: c->query_cap = (unsigned)num(optarg,
		    100000000); break;
		case O_RATE: c->rate_per_min = (unsigned)num(optarg, 1000000);
			break;
		case O_RATE_WINDOW: c->rate_window = (double)num(optarg, 3600);
			break;
		case O_FOREIGN: c->foreign_next = 1; break;
		case O_NO_QUERY: c->no_query = 1; break;
		case O_NO_HASMORE: c->no_hasmore = 1; break;
		case O_DEFAULT_24H: c->default_24h = 1; break;
		case O_PROFILE: set_profile(c, optarg); break;
		case O_PERSONS: persons_enable(); break;
		case O_LOAD_PERSONS: persons_path = optarg; break;
		case O_REFUSE_STATUS: c->refuse_status = (int)num(optarg, 599);
			break;
		case O_PMID: c->pmid = prob(optarg); break;
		case O_NO_PARTIAL: c->partial = 0; break;
		case O_SCAN_LIMIT: c->scan_limit = (unsigned long)num(optarg,
		    1LL << 40); break;
		case O_PROJECT_TZ:
			/* The source renders local times with localtime_r. */
			c->project_tz = optarg;
			setenv("TZ", optarg, 1);
			tzset();
			break;
		case O_NOW:
			if (isotime_parse(optarg, strlen(optarg), &c->now_us) == -1)
				errx(2, "--now %s: not an ISO 8601 time", optarg);
			break;
		default:
			fputs(usage_text, stderr);
			exit(2);
		}
	if (optind != argc) {
		fputs(usage_text, stderr);
		exit(2);
	}
}

static void
set_defaults(void)
{
	struct emu_conf *c = &emu.c;

	c->project_key = "phc_test";
	c->personal_key = "phx_test";
	c->retry_after = 1;
	c->slow_ms = 500;
	c->max_body = 20 << 20;
	c->max_body_small = 2 << 20;
	c->max_event = 1000000;
	c->max_decompressed = 100 << 20;
	c->auth_status = 401;
	c->refuse_status = 400;
	c->partial = 1;
	c->capture_format = -1;
	c->seed = 1;
	c->page_cap = 1000;
	c->query_cap = 50000;
	c->rate_window = 60;
}

int
main(int argc, char *argv[])
{
	struct MHD_Daemon *d, *foreign;
	const char *port_file = NULL;
	unsigned short port = 0;
	sigset_t set;
	int sig;

	set_defaults();
	parse_options(argc, argv, &port_file, &port);
	if (emu.c.max_body_small > emu.c.max_body)
		emu.c.max_body_small = emu.c.max_body;
	emu.rng = emu.c.seed * 0x9E3779B97F4A7C15ULL + 1;
	pthread_mutex_init(&emu.lock, NULL);
	emu.store_fd = open_out(emu.c.store_path);
	emu.log_fd = open_out(emu.c.log_path);
	if (source_load(&emu) == -1 || persons_load(persons_path) == -1)
		exit(1);

	/* Threads inherit this mask; only sigwait below takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = listen_on(port, on_request, 1);
	foreign = listen_on(0, on_foreign, 0);
	emu.port = port_of(d);
	emu.foreign_port = port_of(foreign);
	if (port_file != NULL)
		write_port_file(port_file);
	sigwait(&set, &sig);
	MHD_stop_daemon(foreign);
	MHD_stop_daemon(d);
	return 0;
}
