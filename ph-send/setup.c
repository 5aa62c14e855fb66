/*
 * ph-send: setting the engine up, resuming from a state file, and the
 * closing summary.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "exitcode.h"
#include "http.h"
#include "reply.h"
#include "signals.h"
#include "version.h"
#include "xalloc.h"

/*
 * PostHog asks migrations into its cloud to stay at 10k events a minute
 * unless its team agreed to more: "contact sales@posthog.com if you plan
 * to migrate more than 20M events (or 10k events per minute) to avoid
 * being rate-limited" (posthog.com/docs/migrate).
 */
#define CLOUD_RATE	(10000.0 / 60)

/* Every input must be readable before the first event goes out. */
static int
inputs_readable(char *const *paths, int npaths)
{
	int i;

	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i], "-") != 0 && access(paths[i], R_OK) == -1) {
			warn("%s", paths[i]);
			return 0;
		}
	return 1;
}

static void
setup_wire(struct sender *s, struct wire *w, struct lane *l)
{
	w->lane = l;
	w->h = curl_easy_init();
	if (w->h == NULL)
		errx(PH_EXIT_FATAL, "cannot set up libcurl");
	http_setup(w->h, "ph-send/" PH_VERSION, s->o.timeout, w->errbuf);
	curl_easy_setopt(w->h, CURLOPT_URL, s->o.url);
	curl_easy_setopt(w->h, CURLOPT_POST, 1L);
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, &w->reply);
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, (char *)w);
}

static void
setup_http(struct sender *s)
{
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (s->o.gzip_level > 0)
		s->headers = curl_slist_append(s->headers,
		    "Content-Encoding: gzip");
	/* A 100-continue round trip per batch buys nothing here. */
	s->headers = curl_slist_append(s->headers, "Expect:");
	s->multi = curl_multi_init();
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)s->o.parallel);
}

/*
 * After the compressor: a lane hands it each batch it readies.  Each
 * lane gets its own connection.
 */
static void
setup_lanes(struct sender *s)
{
	struct lane_limits lim = { s->o.batch_size, s->o.batch_bytes,
	    s->o.flush_after };
	int i;

	s->lanes = lanes_new(s->o.parallel, &lim, &s->env, s->zip);
	s->wire = xcalloc((size_t)s->o.parallel, sizeof(*s->wire));
	for (i = 0; i < s->o.parallel; i++)
		setup_wire(s, &s->wire[i], lanes_at(s->lanes, i));
}

/* Compression threads: one a core, no more than lanes. */
static int
workers(int parallel)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	return cpus < parallel ? (int)cpus : parallel;
}

/*
 * The state is this process's for the whole run, and replaceable, before
 * anything goes out.  A dry run writes no state: it takes no lock.
 */
static int
take_state(struct sender *s)
{
	char why[1024];
	int busy;

	if (s->o.state_path == NULL || s->o.dry_run)
		return 0;
	if ((s->lock_fd = state_lock(s->o.state_path, "ph-send", &busy, why,
	    sizeof(why))) == -1) {
		warnx("%s", why);
		return -1;
	}
	/* A line settled as refused is always in a reject file. */
	if (s->o.reject_path == NULL) {
		size_t n = strlen(s->o.state_path) + sizeof(".rejected.ndjson");

		s->default_reject = xmalloc(n);
		snprintf(s->default_reject, n, "%s.rejected.ndjson",
		    s->o.state_path);
		s->o.reject_path = s->default_reject;
	}
	return 0;
}

/* No --rate: PostHog Cloud's figure for migrations, else no limit. */
static void
set_rate(struct sender *s)
{
	if (s->o.rate >= 0)
		return;
	s->o.rate = reply_is_cloud(s->o.url) ? CLOUD_RATE : 0;
	if (s->o.rate > 0 && !s->o.quiet)
		warnx("%s is PostHog Cloud: at most 10000 events a minute, as "
		    "PostHog asks of migrations; --rate 0 lifts it", s->o.url);
}

struct sender *
sender_new(const struct send_opts *o)
{
	struct sender *s = xcalloc(1, sizeof(*s));

	s->o = *o;
	return s;
}

int
sender_init(struct sender *s, char *const *paths, int npaths)
{
	s->rej.fd = -1;		/* nothing to close if the open never comes */
	s->lock_fd = -1;
	if (!inputs_readable(paths, npaths) ||
	    input_init(&s->in, paths, npaths) == -1 || take_state(s) == -1)
		return PH_EXIT_FATAL;
	s->pipe = !input_is_replayable(&s->in);
	set_rate(s);
	s->chk.max_event = s->o.max_event;
	s->chk.token_len = s->o.key != NULL ? strlen(s->o.key) : 0;
	envelope_init(&s->env, s->o.key != NULL ? s->o.key : "",
	    s->o.historical, s->o.gzip_level);
	if (s->o.reject_path != NULL &&
	    ow_open_append(&s->rej, s->o.reject_path) == -1) {
		warn("%s", s->o.reject_path);
		return PH_EXIT_FATAL;
	}
	setup_http(s);
	if (s->o.gzip_level > 0)
		s->zip = compressor_new(workers(s->o.parallel), &s->env,
		    s->multi);
	setup_lanes(s);
	progress_init(&s->prog, s->o.force_progress, s->o.quiet);
	s->started = clock_now();
	return PH_EXIT_OK;
}

/* Read the first lines again; 0 if they are what the state recorded. */
static int
skip_delivered(struct sender *s)
{
	unsigned long long want = s->saved.lines, n = 0;
	uint64_t h = 0;
	struct line l;
	int r = 1;

	while (n < want && (r = input_getline(&s->in, &l)) == 1) {
		h = ledger_extend(h, l.p, l.len);
		n++;
	}
	if (r == -2)
		return -1;
	if (n < want || h != s->saved.prefix_hash) {
		warnx("%s: the input's first %llu lines are not the ones an "
		    "earlier run delivered; use another --state file, or "
		    "remove this one to send everything again",
		    s->o.state_path, want);
		return -1;
	}
	ledger_skip(&s->led, n, h);
	return 0;
}

/*
 * Upstream, ph-fetch --resume writes a new state (its run object) before
 * its first line: read the state once the input has something to say.
 */
static void
wait_for_first_line(struct sender *s)
{
	struct pollfd p = { .fd = input_fd(&s->in), .events = POLLIN };

	while (p.fd != -1 && !stop_signal && poll(&p, 1, -1) == -1 &&
	    errno == EINTR)
		continue;
}

/*
 * Bytes past what the state records are refused lines a killed run
 * wrote beyond its settled prefix: this run checks those lines again.
 */
static int
trim_rejects(struct sender *s)
{
	unsigned long long want = s->saved.reject_bytes;
	struct stat sb;

	if (s->o.reject_path == NULL || s->rej.fd == -1 ||
	    strcmp(s->saved.reject_file, s->o.reject_path) != 0)
		return 0;
	if (fstat(s->rej.fd, &sb) == -1) {
		warn("%s", s->o.reject_path);
		return -1;
	}
	if ((unsigned long long)sb.st_size < want)
		warnx("%s: shorter than %s records (%llu bytes): refused "
		    "lines an earlier run kept are missing from it",
		    s->o.reject_path, s->o.state_path, want);
	else if ((unsigned long long)sb.st_size > want &&
	    ftruncate(s->rej.fd, (off_t)want) == -1) {
		warn("%s", s->o.reject_path);
		return -1;
	}
	return 0;
}

/* Lines a state calls delivered were delivered there, not here. */
static int
same_destination(struct sender *s)
{
	if (s->saved.destination[0] == '\0' ||
	    strcmp(s->saved.destination, s->o.url) == 0)
		return 1;
	warnx("%s: made for another destination (%s here, %s in the "
	    "state); use a new state file for each destination",
	    s->o.state_path, s->o.url, s->saved.destination);
	return 0;
}

/*
 * The lines an earlier run delivered past its prefix (16 hex digits
 * each), which this run skips wherever they come: a pipe from ph-fetch
 * --resume starts again at the prefix's last event.
 */
static void
note_delivered(struct sender *s, const struct buf *listed)
{
	char hex[17];
	size_t i;

	for (i = 0; i + 16 <= listed->len; i += 16) {
		memcpy(hex, listed->p + i, 16);
		hex[16] = '\0';
		idcount_inc(&s->before, strtoull(hex, NULL, 16), 0);
	}
}

static int
load_state(struct sender *s)
{
	char why[512];
	struct buf listed = { 0 };

	wait_for_first_line(s);
	if (state_load_delivered(s->o.state_path, &s->saved, &listed, why,
	    sizeof(why)) == -1) {
		warnx("%s", why);
		buf_free(&listed);
		return -1;
	}
	note_delivered(s, &listed);
	buf_free(&listed);
	if (!same_destination(s))
		return -1;
	return s->o.dry_run ? 0 : trim_rejects(s);
}

int
sender_resume(struct sender *s)
{
	if (s->o.state_path == NULL)
		return PH_EXIT_OK;
	if (load_state(s) == -1)
		return PH_EXIT_FATAL;
	if (s->saved.lines == 0)
		return PH_EXIT_OK;
	/* Until this run delivers more, the state keeps the old point. */
	ledger_start_after(&s->led, s->saved.timestamp, s->saved.uuid);
	if (s->pipe || s->saved.pipe) {
		if (!s->o.quiet)
			warnx("%s: %s: nothing skipped; an earlier run got as "
			    "far as %s", s->o.state_path, s->pipe ?
			    "the input is a stream" : "that run read a stream",
			    s->saved.timestamp[0] ? s->saved.timestamp :
			    "its first event");
		return PH_EXIT_OK;
	}
	if (skip_delivered(s) == -1)
		return PH_EXIT_FATAL;
	if (!s->o.quiet)
		warnx("%s: resuming after line %llu, which an earlier run "
		    "delivered", s->o.state_path, s->saved.lines);
	return PH_EXIT_OK;
}

void
sender_state_extras(struct sender *s, struct saved_state *st)
{
	struct stat sb;

	/* The run ph-fetch recorded stays what the state is for. */
	memcpy(st->run, s->saved.run, sizeof(st->run));
	snprintf(st->destination, sizeof(st->destination), "%s", s->o.url);
	if (s->o.reject_path == NULL || fstat(s->rej.fd, &sb) == -1)
		return;
	snprintf(st->reject_file, sizeof(st->reject_file), "%s",
	    s->o.reject_path);
	st->reject_bytes = (unsigned long long)sb.st_size;
}

void
sender_write_rejects(struct sender *s)
{
	struct buf *r = &s->led.released;

	if (r->len > 0 && s->o.reject_path != NULL)
		ow_write(&s->rej, r->p, r->len);
	r->len = 0;
}

static double
megabytes(unsigned long long n)
{
	return (double)n / 1e6;
}

/* Where the refused lines are: the summary names it. */
static const char *
rejects_kept(const struct sender *s, char *out, size_t size)
{
	if (s->n.rejected == 0)
		return "";
	if (s->o.reject_path == NULL)
		return " (not kept: give -r file or --state)";
	snprintf(out, size, " (kept in %s)", s->o.reject_path);
	return out;
}

void
sender_summary(struct sender *s)
{
	double t = clock_now() - s->started;
	char kept[1100];

	if (s->o.quiet)
		return;
	progress_end(&s->prog);
	warnx("%s%llu sent, %llu rejected%s; %llu batches, %llu retries; "
	    "%.1f MB raw, %.1f MB %s; %.2f s, %.0f events/s",
	    s->o.dry_run ? "dry run, nothing sent: would have " : "",
	    s->n.sent, s->n.rejected, rejects_kept(s, kept, sizeof(kept)),
	    s->n.batches, s->n.retries,
	    megabytes(s->n.raw_bytes), megabytes(s->n.wire_bytes),
	    s->o.gzip_level > 0 ? "gzip" : "on the wire", t,
	    t > 0 ? (double)s->n.sent / t : 0.0);
	/*
	 * The 2021 plugin server (process-event.ts, handleIdentifyOrAlias)
	 * knows no $merge_dangerously; Django capture, which answers
	 * {"status": 1}, is the only sign of an install that old.
	 */
	if (s->django_warned && s->n.dangerous > 0)
		warnx("%llu $merge_dangerously events went to Django-era "
		    "capture: PostHog from 2021 ignores them and merges "
		    "nothing; for such a destination, run the persons pass "
		    "with ph-fetch --persons --create-alias", s->n.dangerous);
	if (s->n.skipped > 0)
		warnx("%llu events skipped: an earlier run delivered them past "
		    "the line it recorded", s->n.skipped);
	if (s->n.again > 0)
		warnx("%llu events sent again; %s", s->n.again,
		    s->django_warned ? "this destination cannot merge them" :
		    "PostHog merges them by uuid");
}

void
sender_free(struct sender *s)
{
	int i;

	/* Workers may hold batches: stop them before freeing any. */
	compressor_free(s->zip);
	for (i = 0; s->wire != NULL && i < s->o.parallel; i++) {
		struct wire *w = &s->wire[i];

		if (w->busy)
			curl_multi_remove_handle(s->multi, w->h);
		curl_easy_cleanup(w->h);
		buf_free(&w->reply);
	}
	free(s->wire);
	idcount_free(&s->before);
	buf_free(&s->listed);
	for (i = 0; i < s->nheld; i++)
		batch_free(s->held[i]);
	lanes_free(s->lanes);
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);
	/* Refused lines past the prefix: the state does not count them. */
	ledger_release_all(&s->led);
	sender_write_rejects(s);
	if (s->o.reject_path != NULL)
		ow_close(&s->rej);
	free(s->default_reject);
	if (s->lock_fd != -1)
		close(s->lock_fd);
	envelope_free(&s->env);
	buf_free(&s->scratch);
	checker_free(&s->chk);
	ledger_free(&s->led);
	input_free(&s->in);
	free(s);
}
