/*
 * ph-send: setting the engine up, resuming from a state file, and the
 * closing summary.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exitcode.h"
#include "http.h"
#include "sender.h"
#include "version.h"
#include "xalloc.h"

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
setup_lane(struct sender *s, struct lane *l)
{
	l->h = curl_easy_init();
	if (l->h == NULL)
		errx(PH_EXIT_FATAL, "cannot set up libcurl");
	http_setup(l->h, "ph-send/" PH_VERSION, s->o.timeout, l->errbuf);
	curl_easy_setopt(l->h, CURLOPT_URL, s->o.url);
	curl_easy_setopt(l->h, CURLOPT_POST, 1L);
	curl_easy_setopt(l->h, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(l->h, CURLOPT_WRITEDATA, &l->reply);
	curl_easy_setopt(l->h, CURLOPT_PRIVATE, (char *)l);
}

static void
setup_http(struct sender *s)
{
	int i;

	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (s->o.gzip_level > 0)
		s->headers = curl_slist_append(s->headers,
		    "Content-Encoding: gzip");
	/* A 100-continue round trip per batch buys nothing here. */
	s->headers = curl_slist_append(s->headers, "Expect:");
	s->multi = curl_multi_init();
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)s->o.parallel);
	s->lanes = xcalloc((size_t)s->o.parallel, sizeof(*s->lanes));
	for (i = 0; i < s->o.parallel; i++)
		setup_lane(s, &s->lanes[i]);
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

int
sender_init(struct sender *s, char *const *paths, int npaths)
{
	char why[512];

	s->rej.fd = -1;		/* nothing to close if the open never comes */
	if (!inputs_readable(paths, npaths) ||
	    input_init(&s->in, paths, npaths) == -1)
		return PH_EXIT_FATAL;
	s->pipe = !input_is_replayable(&s->in);
	s->chk.max_event = s->o.max_event;
	envelope_init(&s->env, s->o.key != NULL ? s->o.key : "",
	    s->o.historical, s->o.gzip_level);
	if (s->o.reject_path != NULL &&
	    ow_open_append(&s->rej, s->o.reject_path) == -1) {
		warn("%s", s->o.reject_path);
		return PH_EXIT_FATAL;
	}
	if (s->o.state_path != NULL && state_load(s->o.state_path, &s->saved,
	    why, sizeof(why)) == -1) {
		warnx("%s", why);
		return PH_EXIT_FATAL;
	}
	setup_http(s);
	if (s->o.gzip_level > 0)
		s->zip = compressor_new(workers(s->o.parallel), &s->env,
		    s->multi);
	progress_init(&s->prog, s->o.force_progress, s->o.quiet);
	s->started = clock_now();
	return PH_EXIT_OK;
}

/* Read the first lines again; 0 if they are what the state recorded. */
static int
skip_delivered(struct sender *s)
{
	unsigned long long want = s->saved.lines;
	uint64_t h = 0;
	struct line l;
	int r = 1;

	while (s->led.done < want && (r = input_getline(&s->in, &l)) == 1) {
		h = ledger_extend(h, l.p, l.len);
		s->led.done++;
	}
	if (r == -2)
		return -1;
	if (s->led.done < want || h != s->saved.prefix_hash) {
		warnx("%s: the input's first %llu lines are not the ones an "
		    "earlier run delivered; use another --state file, or "
		    "remove this one to send everything again",
		    s->o.state_path, want);
		return -1;
	}
	s->led.hash = h;
	return 0;
}

int
sender_resume(struct sender *s)
{
	if (s->o.state_path == NULL || s->saved.lines == 0)
		return PH_EXIT_OK;
	/* Until this run delivers more, the state keeps the old point. */
	memcpy(s->led.ts, s->saved.timestamp, sizeof(s->led.ts));
	memcpy(s->led.uuid, s->saved.uuid, sizeof(s->led.uuid));
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
		    "delivered", s->o.state_path, s->led.done);
	return PH_EXIT_OK;
}

static double
megabytes(unsigned long long n)
{
	return (double)n / 1e6;
}

void
sender_summary(struct sender *s)
{
	double t = clock_now() - s->started;

	if (s->o.quiet)
		return;
	progress_end(&s->prog);
	warnx("%s%llu sent, %llu rejected; %llu batches, %llu retries; "
	    "%.1f MB raw, %.1f MB %s; %.2f s, %.0f events/s",
	    s->o.dry_run ? "dry run, nothing sent: would have " : "",
	    s->n.sent, s->n.rejected, s->n.batches, s->n.retries,
	    megabytes(s->n.raw_bytes), megabytes(s->n.wire_bytes),
	    s->o.gzip_level > 0 ? "gzip" : "on the wire", t,
	    t > 0 ? (double)s->n.sent / t : 0.0);
}

void
sender_free(struct sender *s)
{
	int i;

	/* Workers may hold batches: stop them before freeing any. */
	compressor_free(s->zip);
	for (i = 0; s->lanes != NULL && i < s->o.parallel; i++) {
		struct lane *l = &s->lanes[i];
		struct batch *b;

		if (l->busy)
			curl_multi_remove_handle(s->multi, l->h);
		curl_easy_cleanup(l->h);
		batch_free(l->fill);
		batch_free(l->cur);
		while ((b = l->head) != NULL) {
			l->head = b->next;
			batch_free(b);
		}
		buf_free(&l->reply);
	}
	free(s->lanes);
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);
	if (s->o.reject_path != NULL)
		ow_close(&s->rej);
	envelope_free(&s->env);
	buf_free(&s->scratch);
	checker_free(&s->chk);
	ledger_free(&s->led);
	input_free(&s->in);
	buf_free(&s->pending);
}
