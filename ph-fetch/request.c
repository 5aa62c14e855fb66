/*
 * ph-fetch: one request to the source, retried as its failure calls for
 * (doc/posthog.md section 3): a 429 waits as long as the server says,
 * in Retry-After or in the body's "Expected available in N seconds.";
 * 408, 5xx, resets, timeouts and replies that are not JSON back off and
 * retry up to --max-retries; 401 and 403 stop at once.  A reply that
 * succeeds is left parsed in f->s.top.  The rate limit is the source's,
 * not one connection's: a 429's wait holds back every --jobs worker.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "clock.h"
#include "exitcode.h"
#include "fetch.h"
#include "http.h"
#include "jscan.h"
#include "version.h"
#include "xalloc.h"

void
conn_open(struct conn *c, const struct fetch_opts *o)
{
	struct buf auth = { 0 };

	if ((c->h = curl_easy_init()) == NULL)
		errx(PH_EXIT_FATAL, "cannot set up libcurl");
	http_setup(c->h, "ph-fetch/" PH_VERSION, o->timeout, c->errbuf);
	buf_printf(&auth, "Authorization: Bearer %s", o->key);
	c->headers = curl_slist_append(NULL, auth.p);
	explicit_bzero(auth.p, auth.len);
	buf_free(&auth);
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	c->headers = curl_slist_append(c->headers,
	    "Content-Type: application/json");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->reply);
	/* Pages of JSON shrink five times with gzip. */
	curl_easy_setopt(c->h, CURLOPT_ACCEPT_ENCODING, "");
}

void
conn_close(struct conn *c)
{
	/* The first header holds the key. */
	if (c->headers != NULL)
		explicit_bzero(c->headers->data, strlen(c->headers->data));
	curl_slist_free_all(c->headers);
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	buf_free(&c->url);
	buf_free(&c->reply);
}

void
scratch_free(struct scratch *s)
{
	buf_free(&s->tmp);
	buf_free(&s->aside.reply);
	buf_free(&s->aside.url);
	js_members_free(&s->aside.top);
	js_items_free(&s->aside.items);
	js_members_free(&s->top);
	js_members_free(&s->ev);
	js_items_free(&s->items);
	js_items_free(&s->row);
}

void
fetch_cleanup(struct fetcher *f)
{
	if (f->side != NULL) {
		fetch_cleanup(f->side);
		free(f->side);
		f->side = NULL;
	}
	conn_close(&f->c);
	scratch_free(&f->s);
	idset_free(&f->seen);
}

void
url_start(struct fetcher *f, const char *path)
{
	f->c.url.len = 0;
	buf_addstr(&f->c.url, f->o.base);
	buf_addstr(&f->c.url, path);
	buf_addc(&f->c.url, '\0');
	f->c.url.len--;
}

void
url_param(struct fetcher *f, const char *name, const char *value)
{
	char *v = curl_easy_escape(f->c.h, value, 0);

	buf_addc(&f->c.url, memchr(f->c.url.p, '?', f->c.url.len) ? '&' : '?');
	buf_printf(&f->c.url, "%s=%s", name, v);
	curl_free(v);
}

static void
sleep_for(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * A --jobs worker whose window will never be written (one before it
 * failed) stops waiting within a slice, so that it can be joined.
 */
#define WAIT_SLICE	0.2

static void
pause_for(struct fetcher *f, double seconds)
{
	double until = clock_now() + seconds, now;

	while (!jobs_aborted(f) && (now = clock_now()) < until)
		sleep_for(until - now < WAIT_SLICE ? until - now : WAIT_SLICE);
}

/* Until when (clock_now) the source asked every request to wait. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static double gate_until;

static void
gate_raise(double until)
{
	pthread_mutex_lock(&gate_lock);
	if (until > gate_until)
		gate_until = until;
	pthread_mutex_unlock(&gate_lock);
}

/* Wait out a 429 that this worker or any other received. */
static void
gate_wait(struct fetcher *f)
{
	double until, now;

	while (!jobs_aborted(f)) {
		pthread_mutex_lock(&gate_lock);
		until = gate_until;
		pthread_mutex_unlock(&gate_lock);
		if ((now = clock_now()) >= until)
			return;
		pause_for(f, until - now);
	}
}

/* The N of "Expected available in N seconds." in a 429's body, or 0. */
static double
expected_in(const struct buf *reply)
{
	const char *p;
	double v;

	if (reply->len == 0 || (p = memmem(reply->p, reply->len,
	    "available in ", 13)) == NULL)
		return 0;
	v = strtod(p + 13, NULL);
	return v > 0 && v < 86400 ? v : 0;
}

static int
perform(struct fetcher *f, const char *url, const char *body, long *status,
    curl_off_t *retry_after)
{
	CURLcode rc;

	f->c.reply.len = 0;
	f->c.errbuf[0] = '\0';
	*status = 0;
	*retry_after = -1;
	curl_easy_setopt(f->c.h, CURLOPT_URL, url);
	if (body != NULL) {
		curl_easy_setopt(f->c.h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(f->c.h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	} else
		curl_easy_setopt(f->c.h, CURLOPT_HTTPGET, 1L);
	rc = curl_easy_perform(f->c.h);
	curl_easy_getinfo(f->c.h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_getinfo(f->c.h, CURLINFO_RETRY_AFTER, retry_after);
	return rc;
}

/* A request that cannot succeed: the message, then the exit status. */
static int
refused(const char *url, long status, const char *why)
{
	if (status == 401 || status == 403) {
		warnx("%s: %s: the key was refused; check that PH_FETCH_KEY (or "
		    "--key-file) holds a personal API key (phx_...) with the "
		    "query:read scope, and --host and --project", url, why);
		return PH_EXIT_AUTH;
	}
	warnx("%s: %s%s", url, why, status == 404 ? " (check --host and "
	    "--project; an old install may need --legacy)" : "");
	return PH_EXIT_FATAL;
}

/*
 * A 200 whose body is not a JSON object (cut short by a proxy, an
 * error page) is a passing failure too.  Parsed here, into f->s.top.
 */
static int
reply_is_json(struct fetcher *f, char *why, size_t size)
{
	char msg[200];
	struct jerr e;
	size_t i;

	if (js_parse_object(f->c.reply.p, f->c.reply.len, &f->s.top, NULL, NULL,
	    &e) == 0)
		return 1;
	/* A list (groups_types/), which its reader parses itself. */
	for (i = 0; f->array_ok && i < f->c.reply.len; i++)
		if (strchr(" \t\r\n", f->c.reply.p[i]) == NULL) {
			if (f->c.reply.p[i] == '[')
				return 1;
			break;
		}
	snprintf(why, size, "200 with a reply that is not a JSON object: %s",
	    js_strerror(&e, f->c.reply.p, msg, sizeof(msg)));
	return 0;
}

/*
 * The query ran out of time: PostHog answers 504 when ClickHouse stops
 * it at max_execution_time (TIMEOUT_EXCEEDED, code 159, becomes
 * ClickHouseQueryTimeOut: "Query has hit the max execution time before
 * completing"), 512 when ClickHouse estimates it would (TOO_SLOW, code
 * 160: "Estimated query execution time ... is too long"); see
 * posthog/errors.py and posthog/exceptions.py.  A proxy's 504 and our
 * own --timeout say the same.
 */
static int
timed_out(struct fetcher *f, CURLcode rc, long status)
{
	curl_off_t connected = 0;

	/* A connection that never came is not a slow query. */
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return curl_easy_getinfo(f->c.h, CURLINFO_CONNECT_TIME_T,
		    &connected) == CURLE_OK && connected > 0;
	return rc == CURLE_OK && (status == 504 || status == 512);
}

/* A reply came: --jobs learns how long the source takes, and that it answers. */
static void
count_request(struct fetcher *f)
{
	double t = 0;

	if (f->job == NULL)
		return;
	curl_easy_getinfo(f->c.h, CURLINFO_TOTAL_TIME, &t);
	jobs_replied(f, t);
}

static int
request(struct fetcher *f, const char *url, const char *body, int flags)
{
	curl_off_t retry_after;
	unsigned attempt = 0;
	double wait;
	char why[512];
	long status;
	CURLcode rc;

	for (;;) {
		gate_wait(f);
		/* Nobody will read the reply: end quietly, to be joined. */
		if (jobs_aborted(f))
			return PH_EXIT_FATAL;
		rc = perform(f, url, body, &status, &retry_after);
		if (rc == CURLE_ABORTED_BY_CALLBACK && jobs_aborted(f))
			return PH_EXIT_FATAL;
		if (rc == CURLE_OK && status == 200 && reply_is_json(f, why,
		    sizeof(why))) {
			count_request(f);
			return 0;
		}
		if (rc != CURLE_OK || status != 200)
			http_failure(rc, status, f->c.errbuf, &f->c.reply, why,
			    sizeof(why));
		/* Only http_collect fails a write: the reply passed its cap. */
		if (rc == CURLE_WRITE_ERROR &&
		    (flags & (FETCH_SHRINK | FETCH_TOO_LARGE)))
			return -2;
		wait = retry_after > 0 ? (double)retry_after : rc == CURLE_OK &&
		    status == 429 ? expected_in(&f->c.reply) : 0;
		/* Any 429, with a wait or not: fewer --jobs workers. */
		if (rc == CURLE_OK && status == 429 && f->job != NULL)
			jobs_throttled(f, wait);
		if (rc == CURLE_OK && status == 429 && wait > 0) {
			/* The server said when: not a failure, just a wait. */
			note(f, "rate limited; waiting %.0f s as the server asks",
			    wait);
			f->n.waits++;
			gate_raise(clock_now() + wait);
			continue;
		}
		if ((flags & FETCH_NARROW) && timed_out(f, rc, status))
			return -3;
		if ((flags & FETCH_NO_ROUTE) && rc == CURLE_OK && status == 404)
			return -1;
		if (status != 200 && !http_transient(rc, status)) {
			if ((flags & FETCH_QUIET_404) && rc == CURLE_OK &&
			    (status == 404 || status == 405 || status == 400))
				return -1;
			return refused(url, rc == CURLE_OK ? status : 0, why);
		}
		/* A query that keeps failing may fit in a smaller page. */
		if ((flags & FETCH_SHRINK) && attempt >= 2 && status != 429)
			return -2;
		if (++attempt > f->o.max_retries) {
			warnx("%s: %s; giving up after %u retries", url, why,
			    f->o.max_retries);
			return PH_EXIT_TEMPFAIL;
		}
		wait = backoff_delay(f->o.retry_wait, f->o.retry_max_wait,
		    attempt, wait, backoff_random());
		note(f, "%s: %s; retry %u of %u in %.1f s", url, why, attempt,
		    f->o.max_retries, wait);
		f->n.retries++;
		pause_for(f, wait);
	}
}

int
reply_results(struct fetcher *f)
{
	const struct jmember *results = js_get(&f->s.top, "results");
	struct jerr e;

	if (results == NULL || results->type != JT_ARRAY) {
		warnx("%s: the reply has no results list", f->c.url.p);
		return PH_EXIT_FATAL;
	}
	js_array(results->val, results->val + results->vallen, &f->s.items, &e);
	return 0;
}

int
fetch_get(struct fetcher *f, const char *url)
{
	return request(f, url, NULL, 0);
}

int
fetch_get_page(struct fetcher *f, const char *url)
{
	return request(f, url, NULL, FETCH_TOO_LARGE);
}

int
fetch_post(struct fetcher *f, const char *url, const char *body, int flags)
{
	return request(f, url, body, flags);
}
