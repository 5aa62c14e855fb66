#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backoff.h"
#include "clock.h"
#include "diag.h"
#include "engine.h"
#include "exitcode.h"
#include "http.h"
#include "jscan.h"
#include "reply.h"
#include "signals.h"
#include "xalloc.h"

/* Batches a lane may read ahead of the gap-free prefix: the memory bound. */
#define WINDOW_BATCHES	4

/*
 * Batches of lines past the gap-free prefix that may have been sent, in
 * all lanes: what a kill -9 can make a rerun send again (ph-send(1)).
 */
#define SENT_BATCHES	16

/*
 * Batches of lines sent past the prefix, delivered or not, listed or
 * not, with or without a state: what one held batch lets the other
 * lanes run ahead, and so the ledger and the state's delivered_past
 * (16 bytes a line) it keeps.  Four times the resend bound: 64,000
 * lines, a 1 MB list, at the default batch size.  The read window
 * (WINDOW_BATCHES a lane) binds first up to 16 lanes.
 */
#define PAST_BATCHES	(4 * SENT_BATCHES)

/* Refusals of single events in a row, none delivered between, to stop. */
#define REFUSAL_STREAK	((int)(sizeof(((struct sender *)0)->held) / \
			    sizeof(((struct sender *)0)->held[0])))

static void
set_status(struct sender *s, int status)
{
	/* Stopping failures outrank rejected events, which outrank none. */
	if (s->status == PH_EXIT_OK ||
	    (s->status == PH_EXIT_REJECTED && status != PH_EXIT_OK))
		s->status = status;
}

#define say(s, ...)	progress_warnx(&(s)->prog, __VA_ARGS__)

/* Stop reading and starting requests; finish what is on the wire. */
static void
begin_stop(struct sender *s, int status)
{
	set_status(s, status);
	s->stopping = 1;
}

static void
abort_transfers(struct sender *s)
{
	struct wire *w;
	int i;

	for (i = 0; i < s->o.parallel; i++) {
		w = &s->wire[i];
		if (w->busy) {
			curl_multi_remove_handle(s->multi, w->h);
			w->busy = 0;
		}
	}
}

/* A stop whose cause every lane would meet: said once per run. */
static void __attribute__((format(printf, 2, 3)))
stop_once(struct sender *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!s->stop_said) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		say(s, "%s", msg);
		s->stop_said = 1;
	}
	begin_stop(s, PH_EXIT_FATAL);
}

/* "1000 events, stdin:1 to stdin:3997" */
static const char *
batch_where(struct sender *s, const struct batch *b, char *out,
    size_t size)
{
	char first[256], last[256];

	input_where(&s->in, b->line[0], first, sizeof(first));
	if (b->n == 1)
		return snprintf(out, size, "%s", first), out;
	input_where(&s->in, b->line[b->n - 1], last, sizeof(last));
	snprintf(out, size, "%zu events, %s to %s", b->n, first, last);
	return out;
}

static void
write_state(struct sender *s)
{
	struct saved_state st;

	if (s->o.state_path == NULL || s->o.dry_run)
		return;
	/* A line the state calls settled must be in the reject file. */
	if (s->o.reject_path != NULL)
		ow_sync(&s->rej);
	memset(&st, 0, sizeof(st));
	st.pipe = s->pipe;
	st.lines = s->led.done;
	st.prefix_hash = s->led.hash;
	s->listed.len = 0;
	ledger_delivered_keys(&s->led, &s->listed, STATE_DELIVERED_MAX);
	buf_addc(&s->listed, '\0');
	st.delivered_past = s->listed.p;
	memcpy(st.timestamp, s->led.ts, sizeof(st.timestamp));
	memcpy(st.uuid, s->led.uuid, sizeof(st.uuid));
	sender_state_extras(s, &st);
	st.sent = s->saved.sent + s->n.sent;
	st.rejected = s->saved.rejected + s->n.rejected;
	if (state_save(s->o.state_path, &st) == -1) {
		say(s, "%s: %s", s->o.state_path, strerror(errno));
		begin_stop(s, PH_EXIT_FATAL);
	}
}

static void
settle(struct sender *s, unsigned long long no, int *grew)
{
	if (ledger_settle(&s->led, no)) {
		*grew = 1;
		sender_write_rejects(s);
	}
}

/* A line that must not be sent: reported, kept, and settled. */
static void
reject_line(struct sender *s, unsigned long long no, const char *text,
    size_t len, const char *why, int *grew)
{
	char where[300];

	say(s, "%s: %s", input_where(&s->in, no, where, sizeof(where)), why);
	if (s->o.reject_path != NULL)
		ledger_keep_reject(&s->led, no, text, len);
	s->n.rejected++;
	set_status(s, PH_EXIT_REJECTED);
	settle(s, no, grew);
}

/* How the line was read, so that a refused one is written as it came. */
static int
line_ending(const struct sender *s, const struct line *l)
{
	return (l->no == s->in.bom_line ? LEDGER_BOM : 0) |
	    (l->cr ? LEDGER_CR : 0);
}

/*
 * Whether an earlier run delivered this line past its prefix: the same
 * bytes with a uuid.  Each listed delivery skips one line, so that an
 * input that holds a line twice still sends it as often as it holds it
 * (a destination that ignores uuids keeps both).
 */
static int
delivered_before(struct sender *s, const struct line *l,
    const struct event_info *info)
{
	uint64_t key;

	if (idcount_keys(&s->before) == 0 || info->uuid[0] == '\0')
		return 0;
	key = ledger_line_hash(&s->led, l->no);
	if (idcount_get(&s->before, key, 0) == 0)
		return 0;
	idcount_dec(&s->before, key, 0);
	return 1;
}

/* A line from the input: checked, recorded, and given to its lane. */
static void
take_line(struct sender *s, struct line *l)
{
	struct event_info info;
	char why[256];
	int grew = 0;

	if (js_ws(l->p, l->p + l->len) == l->p + l->len) {
		ledger_add(&s->led, l->p, l->len, line_ending(s, l), "", "");
		settle(s, l->no, &grew);
		return;
	}
	if (check_event(&s->chk, l->p, l->len, &info, why, sizeof(why)) ==
	    -1) {
		ledger_add(&s->led, l->p, l->len, line_ending(s, l), "", "");
		reject_line(s, l->no, l->p, l->len, why, &grew);
		return;
	}
	ledger_add(&s->led, l->p, l->len, line_ending(s, l), info.ts,
	    info.uuid);
	if (delivered_before(s, l, &info)) {
		if (ledger_deliver(&s->led, l->no))
			sender_write_rejects(s);
		s->n.skipped++;
		return;
	}
	s->n.dangerous += info.dangerous;
	if (info.uuid[0] == '\0' && !s->uuid_warned) {
		char where[300];

		say(s, "%s: an event without a uuid: sent twice, it could not "
		    "be merged (ph-clean gives every event one)",
		    input_where(&s->in, l->no, where, sizeof(where)));
		s->uuid_warned = 1;
	}
	lanes_take(s->lanes, &info, l->p, l->len, l->no);
}

/*
 * Whether reading must wait for the gap-free prefix to advance: the lines
 * tracked past it are the ones a rerun would send again, and the memory
 * they hold.
 */
static int
window_full(const struct sender *s)
{
	return s->led.count >= (size_t)s->o.parallel * WINDOW_BATCHES *
	    s->o.batch_size;
}

/* What read_input leaves to do. */
enum { INPUT_IDLE, INPUT_POLL, INPUT_MORE };

/*
 * Read what the input has ready: INPUT_POLL when it must be waited on,
 * INPUT_MORE when lines are left for the next turn, else INPUT_IDLE.
 */
static int
read_input(struct sender *s)
{
	struct line l;
	int n, r;

	for (n = 0; n < 20000; n++) {
		if (s->stopping || window_full(s))
			return INPUT_IDLE;
		if (lanes_pending(s->lanes)) {
			if (!lanes_place_pending(s->lanes))
				return INPUT_IDLE;
			continue;
		}
		if (s->input_done)
			return INPUT_IDLE;
		if ((r = input_next(&s->in, &l)) == 1)
			take_line(s, &l);
		else if (r == 0)
			return INPUT_POLL;
		else if (r == -1)
			s->input_done = 1;
		else
			begin_stop(s, PH_EXIT_FATAL);
	}
	return INPUT_MORE;
}

/* Whether no more lines will come soon: partial batches go now. */
static int
drained(const struct sender *s)
{
	return (s->input_done && !lanes_pending(s->lanes)) || window_full(s) ||
	    lanes_ordering(s->lanes);
}

/* --- results ------------------------------------------------------------ */

/* Capture refused these one by one, and delivered others: settle them. */
static void
release_held(struct sender *s)
{
	struct batch *b;
	const char *ev;
	int grew = 0, i;
	size_t len;

	for (i = 0; i < s->nheld; i++) {
		b = s->held[i];
		ev = batch_event(b, 0, &len);
		reject_line(s, b->line[0], ev, len, b->why, &grew);
		batch_free(b);
	}
	s->nheld = 0;
	if (grew)
		write_state(s);
}

static void
note_reply(struct sender *s, enum reply_kind k)
{
	if (k == REPLY_OK_QUOTA && !s->quota_warned) {
		say(s, "%s: the destination says its quota is used up: "
		    "PostHog drops such events while answering 200",
		    s->o.url);
		s->quota_warned = 1;
	}
	if (k == REPLY_OK_DJANGO && !s->django_warned) {
		say(s, "%s: the destination answers as Django-era capture "
		    "({\"status\": 1}), which gives each event a new uuid: "
		    "an event sent twice cannot be merged there", s->o.url);
		s->django_warned = 1;
	}
}

static void
delivered(struct sender *s, struct wire *w, enum reply_kind k)
{
	struct batch *b = lane_release(w->lane);
	int grew = 0;
	size_t i;

	s->n.sent += b->n;
	s->n.again += batch_sent_before(b);
	s->n.batches++;
	s->n.raw_bytes += b->rawlen;
	s->n.wire_bytes += b->body.len;
	note_reply(s, k);
	for (i = 0; i < b->n; i++)
		if (ledger_deliver(&s->led, b->line[i]))
			grew = 1;
	if (grew)
		sender_write_rejects(s);
	batch_free(b);
	w->retry_at = 0;
	/* Capture is what answers: its refusals were its own. */
	release_held(s);
	/*
	 * Past the prefix too: the state lists what was delivered there,
	 * written once for all the replies of this turn (sender_run), before
	 * any batch starts again.
	 */
	s->state_due = 1;
}

/*
 * Retry the lane's batch after a wait; when retries are used up, stop
 * with giveup: 5 for what may pass, 3 for a reply that is not capture's.
 */
static void
retry_later(struct sender *s, struct wire *w, const char *why,
    curl_off_t retry_after, int giveup)
{
	struct batch *b = lane_current(w->lane);
	char where[600];
	double delay;

	s->n.retries++;
	b->attempts++;
	batch_where(s, b, where, sizeof(where));
	if (s->stopping)
		return;
	if (b->attempts > s->o.max_retries && giveup == PH_EXIT_FATAL) {
		stop_once(s, "%s: %s; giving up after %u retries: this is not "
		    "PostHog's capture answering (a proxy, a login page, or "
		    "--host naming another server); nothing was counted as "
		    "delivered", where, why, s->o.max_retries);
		return;
	}
	if (b->attempts > s->o.max_retries) {
		say(s, "%s: %s; giving up after %u retries", where, why,
		    s->o.max_retries);
		begin_stop(s, PH_EXIT_TEMPFAIL);
		return;
	}
	delay = backoff_delay(s->o.retry_wait, s->o.retry_max_wait,
	    b->attempts, retry_after > 0 ? (double)retry_after : 0,
	    backoff_random());
	w->retry_at = clock_now() + delay;
	if (!s->o.quiet)
		say(s, "%s: %s; retry %u of %u in %.1f s", where, why,
		    b->attempts, s->o.max_retries, delay);
}

/*
 * A single event capture refused: settled as refused once a delivery
 * shows that capture is what answers.  A long run of them with none
 * delivered between is no bad data but something else answering.
 */
static void
hold_refusal(struct sender *s, struct batch *b, const char *why)
{
	size_t n = strlen(why);

	if (s->nheld >= REFUSAL_STREAK) {
		batch_free(b);		/* stopping already: never settled */
		return;
	}
	/* Cut to fit: the server's reason is a line of stderr. */
	if (n >= sizeof(b->why))
		n = sizeof(b->why) - 1;
	memcpy(b->why, why, n);
	b->why[n] = '\0';
	s->held[s->nheld++] = b;
	if (s->nheld < REFUSAL_STREAK)
		return;
	stop_once(s, "%s: %d events in a row refused one by one, none "
	    "delivered between, for reasons no local check finds (last: "
	    "%s): likely not PostHog's capture answering, or a --host that "
	    "is not the destination's; none of them was settled",
	    s->o.url, REFUSAL_STREAK, why);
}

/* 400 or 413: one event spoils the batch; halve until it stands alone. */
static void
split_or_reject(struct sender *s, struct wire *w, const char *why)
{
	struct batch *b = lane_release(w->lane);
	size_t half;

	if (b->n == 1) {
		hold_refusal(s, b, why);
		return;
	}
	half = b->n / 2;
	lanes_push_front(s->lanes, w->lane, batch_slice(b, half, b->n));
	lanes_push_front(s->lanes, w->lane, batch_slice(b, 0, half));
	batch_free(b);
}

static void
refused_key(struct sender *s, const char *why)
{
	say(s, "%s: %s: the key was refused; check that PH_SEND_KEY (or "
	    "--key-file) holds the destination project's API key (phc_...) "
	    "and that --host is that project's capture host", s->o.url, why);
	begin_stop(s, PH_EXIT_AUTH);
	abort_transfers(s);
}

/* A 3xx: capture never redirects, so --host is not its final URL. */
static void
redirected(struct sender *s, struct wire *w, long status)
{
	char *loc = NULL, where[512];

	curl_easy_getinfo(w->h, CURLINFO_REDIRECT_URL, &loc);
	stop_once(s, "%s: %ld: a redirect to %s; give the final URL as --host "
	    "(ph-send follows none, so that the key goes nowhere else)",
	    s->o.url, status, loc != NULL ? printable(loc, strlen(loc),
	    where, sizeof(where)) : "(no Location)");
}

/* A failure after which capture may hold part of the batch. */
static int
may_have_stored(CURLcode rc, long status, const struct buf *reply)
{
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_COULDNT_RESOLVE_PROXY)
		return 0;
	if (rc == CURLE_OK && status == 413)
		return !reply_body_refused(reply->p, reply->len);
	return rc != CURLE_OK || status >= 500;
}

static void
finished(struct sender *s, struct wire *w, CURLcode rc)
{
	curl_off_t retry_after = -1;
	struct batch *b = lane_current(w->lane);
	enum reply_kind k;
	char why[512];
	long status = 0;

	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(w->h, CURLINFO_RETRY_AFTER, &retry_after);
	if (rc == CURLE_OK && status >= 200 && status <= 299) {
		k = reply_success(status, w->reply.p, w->reply.len);
		if (k != REPLY_FOREIGN) {
			delivered(s, w, k);
			return;
		}
		/* Retried: a proxy may pass the next one through. */
		batch_mark_sent(b);
		snprintf(why, sizeof(why), "%ld with %s", status,
		    reply_what(w->reply.p, w->reply.len));
		retry_later(s, w, why, retry_after, PH_EXIT_FATAL);
		return;
	}
	http_failure(rc, status, w->errbuf, &w->reply, why, sizeof(why));
	if (may_have_stored(rc, status, &w->reply))
		batch_mark_sent(b);
	if (http_transient(rc, status))
		retry_later(s, w, why, retry_after, PH_EXIT_TEMPFAIL);
	else if (rc == CURLE_OK && (status == 400 || status == 413) &&
	    !reply_is_capture_error(w->reply.p, w->reply.len) &&
	    (status == 400 || b->n == 1))
		stop_once(s, "%s: %ld with %s: not PostHog's capture answering "
		    "(HTTP sent to an HTTPS port, or a proxy in the way?); "
		    "none of its events settled", s->o.url, status,
		    reply_what(w->reply.p, w->reply.len));
	else if (rc == CURLE_OK && (status == 400 || status == 413))
		split_or_reject(s, w, why);
	else if (rc == CURLE_OK && (status == 401 || status == 403))
		refused_key(s, why);
	else if (rc == CURLE_OK && status >= 300 && status <= 399)
		redirected(s, w, status);
	else
		stop_once(s, "%s: %s%s", s->o.url, why, rc == CURLE_OK &&
		    status == 404 ? " (is --host a PostHog capture host?)" : "");
}

/* --- the wire ----------------------------------------------------------- */

/* Whether the batch's body is ready to go: 1, 0 not yet, -1 failed. */
static int
body_ready(struct sender *s, struct batch *b)
{
	int built;

	if (b->building) {
		/* Only the worker writes b->built until it is done. */
		if ((built = compressor_done(s->zip, b)) == 0)
			return 0;	/* its worker wakes the loop when done */
		b->building = 0;
		b->built = built;
	} else if (b->built == 0)
		b->built = batch_build(b, &s->env, &s->scratch) == 0 ? 1 : -1;
	return b->built;
}

/* b's lines may reach capture from now on: a crash would resend them. */
static void
note_resendable(struct sender *s, const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		ledger_mark_sent(&s->led, b->line[i]);
}

static void
start(struct sender *s, struct wire *w, double now)
{
	struct batch *b = lane_current(w->lane);
	int ready = body_ready(s, b);

	if (ready == 0)
		return;
	if (ready == -1) {
		say(s, "gzip failed");
		begin_stop(s, PH_EXIT_FATAL);
		return;
	}
	if (s->o.rate > 0)
		s->next_start = (s->next_start > now ? s->next_start : now) +
		    (double)b->n / s->o.rate;
	if (s->o.dry_run) {
		delivered(s, w, REPLY_OK);
		return;
	}
	note_resendable(s, b);
	w->reply.len = 0;
	w->errbuf[0] = '\0';
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, b->body.p);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)b->body.len);
	curl_multi_add_handle(s->multi, w->h);
	w->busy = 1;
}

/*
 * Lines a crash now would make a rerun send again: sent past the prefix
 * and not in the state's list of lines delivered there (in flight,
 * refused, without a uuid, or past the list's end).
 */
static size_t
resendable(const struct sender *s)
{
	const struct ledger *l = &s->led;

	return l->unlisted + (l->listed > STATE_DELIVERED_MAX ?
	    l->listed - STATE_DELIVERED_MAX : 0);
}

/*
 * Whether b may be sent: the lines sent past the prefix stay within
 * PAST_BATCHES batches, and what a rerun after a crash would send again
 * within SENT_BATCHES, however many lanes run.  The batch that holds the
 * prefix's next line always may, or nothing would move.  Without a state
 * file a rerun sends everything again: only the first bound holds.
 */
static int
within_reach(const struct sender *s, const struct batch *b)
{
	if (b->line[0] <= s->led.done + 1)
		return 1;
	if (s->led.sent + b->n > (size_t)PAST_BATCHES * s->o.batch_size)
		return 0;
	if (s->o.state_path == NULL || s->o.dry_run)
		return 1;
	return resendable(s) + b->n <= (size_t)SENT_BATCHES * s->o.batch_size;
}

static void
start_transfers(struct sender *s, double now)
{
	struct wire *w;
	int i;

	for (i = 0; i < s->o.parallel && !s->stopping; i++) {
		w = &s->wire[i];
		if (w->busy || lane_next(w->lane) == NULL)
			continue;
		if (!within_reach(s, lane_current(w->lane)))
			continue;
		if (now < w->retry_at || (s->o.rate > 0 && now <
		    s->next_start))
			continue;
		start(s, w, now);
	}
}

/* Drive the transfers; the number that finished. */
static int
collect(struct sender *s)
{
	struct wire *w;
	CURLMsg *msg;
	int running, left, done = 0;

	curl_multi_perform(s->multi, &running);
	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&w);
		curl_multi_remove_handle(s->multi, w->h);
		w->busy = 0;
		finished(s, w, msg->data.result);
		done++;
	}
	return done;
}

/* Nothing in flight; when not stopping, nothing waiting or filling. */
static int
lanes_idle(const struct sender *s)
{
	const struct wire *w;
	int i;

	for (i = 0; i < s->o.parallel; i++) {
		w = &s->wire[i];
		if (w->busy || (!s->stopping && !lane_idle(w->lane)))
			return 0;
	}
	return 1;
}

/* Nothing in flight, waiting or filling in any lane. */
static int
lanes_idle_all(const struct sender *s)
{
	int i;

	for (i = 0; i < s->o.parallel; i++)
		if (!lane_idle(lanes_at(s->lanes, i)))
			return 0;
	return 1;
}

static int
all_done(const struct sender *s)
{
	if (s->stopping)
		return lanes_idle(s);
	return s->input_done && !lanes_pending(s->lanes) && lanes_idle(s);
}

/*
 * How long the loop may sleep before a timer is due, in ms.  Only timers
 * that will fire count: a body being built wakes the loop itself, and a
 * partial batch waits only while its lane is idle.
 */
static int
sleep_ms(const struct sender *s, double now)
{
	double t = 0.5;		/* progress, signals */
	int i, rate_bound = 0;

	for (i = 0; i < s->o.parallel; i++) {
		const struct wire *w = &s->wire[i];

		if (lane_current(w->lane) != NULL && !w->busy &&
		    w->retry_at > now && w->retry_at - now < t)
			t = w->retry_at - now;
		if (lanes_flush_at(s->lanes, w->lane) - now < t)
			t = lanes_flush_at(s->lanes, w->lane) - now;
		if (!w->busy && lane_has_batch(w->lane) && w->retry_at <= now)
			rate_bound = 1;
	}
	if (rate_bound && s->o.rate > 0 && s->next_start > now &&
	    s->next_start - now < t)
		t = s->next_start - now;
	return t <= 0 ? 0 : (int)(t * 1000) + 1;
}

static void
wait_for_work(struct sender *s, int want_input, int busy, double now)
{
	struct curl_waitfd in = { 0, CURL_WAIT_POLLIN, 0 };
	int n = 0;

	if (want_input && input_fd(&s->in) != -1) {
		in.fd = input_fd(&s->in);
		n = 1;
	}
	curl_multi_poll(s->multi, &in, (unsigned)n, busy ? 0 :
	    sleep_ms(s, now), NULL);
	if (n == 1 && (in.revents & (CURL_WAIT_POLLIN | POLLHUP | POLLERR)) &&
	    input_fill(&s->in) == -2)
		begin_stop(s, PH_EXIT_FATAL);
}

static void
show_progress(struct sender *s, double now)
{
	char line[256];
	double t = now - s->started;
	int i, busy = 0;

	if (!progress_due(&s->prog, now))
		return;
	for (i = 0; i < s->o.parallel; i++)
		busy += s->wire[i].busy;
	snprintf(line, sizeof(line), "ph-send: %llu sent, %.0f events/s, "
	    "%llu retries, %llu rejected, %d in flight", s->n.sent,
	    t > 0 ? (double)s->n.sent / t : 0.0, s->n.retries,
	    s->n.rejected, busy);
	progress_show(&s->prog, line);
}

int
sender_run(struct sender *s)
{
	int input, done;
	double now;

	while (!all_done(s)) {
		now = clock_now();
		if (stop_signal && !s->stopping) {
			say(s, "%s: finishing the requests in flight",
			    strsignal(stop_signal));
			s->stopping = 1;
		}
		if (stop_count >= 2)
			abort_transfers(s);
		input = read_input(s);
		if (!s->stopping)
			lanes_close_batches(s->lanes, now, drained(s));
		start_transfers(s, now);
		done = collect(s);
		if (s->state_due) {
			write_state(s);
			s->state_due = 0;
		}
		show_progress(s, now);
		/* No delivery can come now to show the refusals are real. */
		if (s->nheld > 0 && !s->stopping && lanes_idle_all(s))
			release_held(s);
		if (!all_done(s))
			wait_for_work(s, input == INPUT_POLL && !s->stopping,
			    done > 0 || input == INPUT_MORE, now);
	}
	if (s->nheld < REFUSAL_STREAK)
		release_held(s);
	write_state(s);
	return s->status;
}
