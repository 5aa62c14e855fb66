/*
 * ph-fetch --follow: read [after, now - lag) as usual, then keep
 * polling for what arrives since, late events (an old timestamp,
 * ingested now) included, each written once, until SIGINT or SIGTERM.
 *
 * The ingestion time is the events table's created_at, which HogQL
 * exposes (posthog/hogql/database/schema/events.py, 2024-26; the
 * listing API has no such filter, so --follow needs the query API).
 * What has been written is the set of events with
 *
 *	origin <= timestamp < T  and  created_at < W
 *
 * and a poll at time now moves both T and W to P = now - lag by reading
 * exactly the difference, two ranges through the usual range driver
 * (fetch_query, window by window):
 *
 *	late:  origin <= timestamp < T,  W <= created_at < P
 *	new:   T <= timestamp < P,       created_at < P
 *
 * No event is in both, and none is read by two polls, so nothing needs
 * remembering: memory stays flat however long it follows.  The lag
 * keeps reads away from the edge where events are still being
 * ingested: rows become visible some time after their created_at (the
 * pipeline's lag), and the two clocks may differ.
 *
 * Each poll writes its late events and then its new ones, oldest first,
 * so a poll's output is in timestamp order though the whole stream is
 * not.  Resuming from ph-send's state (its last settled event, E, at
 * timestamp ts): the poll that wrote E had P > ts, and every poll
 * before it is settled, as is the part of its own output before E; so
 * the events with timestamp < ts and created_at < ts are all settled,
 * and T = W = ts is a sound place to start again.  It resends what was
 * delivered past that: the events at ts onwards, and those ingested
 * since ts.  Two records in FILE.follow (this program's own state,
 * beside ph-send's FILE) bound that: the P of the last poll with the
 * last event written (after a clean stop ph-send's last event is that
 * one: the run resumes at that P, resending nothing), and the P of the
 * last poll at whose end ph-send's state showed every written event
 * settled, read from ph-send's FILE at each poll (a resume may start
 * there whatever the last event was, so a crash resends only what was
 * written since ph-send last caught up).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fetch.h"
#include "isotime.h"
#include "signals.h"
#include "statefile.h"

/* The last event written, and where the polls stand. */
struct follow {
	int64_t		 t, w;		/* written: timestamp < t, created < w */
	int		 has_w;		/* w is set (not before the first poll) */
	int64_t		 last_ts;
	char		 last_uuid[64];
	struct buf	 side;		/* FILE.follow, or empty */
	int64_t		 settled;	/* ph-send had all of S(settled) */
	int		 has_settled;
};

/* A query row's id, as query.c writes it first: {"id":"...". */
static void
remember(struct follow *fw, const char *p, size_t n, int64_t ts)
{
	const char *q;
	size_t k;

	fw->last_ts = ts;
	fw->last_uuid[0] = '\0';
	if (n < 8 || strncmp(p, "{\"id\":\"", 7) != 0 ||
	    (q = memchr(p + 7, '"', n - 7)) == NULL)
		return;
	k = (size_t)(q - (p + 7));
	if (k < sizeof(fw->last_uuid)) {
		memcpy(fw->last_uuid, p + 7, k);
		fw->last_uuid[k] = '\0';
	}
}

/*
 * A stop asked for part-way through a poll ends the run before the
 * next event: what was written is whole, and the resume rule covers
 * the rest of the poll.
 */
static void
follow_event(struct fetcher *f, const char *p, size_t n, int64_t ts)
{
	if (stop_signal) {
		ow_close(&f->out);
		die_by_signal(stop_signal);
	}
	emit_write(f, p, n, ts);
	remember(f->sink_arg, p, n, ts);
}

/*
 * FILE.follow: {"poll": P, "timestamp": last, "uuid": last, "settled":
 * S}: the end of the last poll and the last event written, and the end
 * of a poll all of whose events ph-send was seen to have settled.
 */
static int
save_side(struct fetcher *f, const struct follow *fw)
{
	char p[ISOTIME_LEN], t[ISOTIME_LEN], st[ISOTIME_LEN], tmp[4200];
	FILE *fp;
	int fd, ok;

	if (fw->side.len == 0 || fw->last_uuid[0] == '\0')
		return 0;
	isotime_z(fw->t, p);
	isotime_z(fw->last_ts, t);
	snprintf(tmp, sizeof(tmp), "%s.tmp", fw->side.p);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		goto fail;
	isotime_z(fw->has_settled ? fw->settled : INT64_MIN / 2, st);
	fprintf(fp, "{\"poll\":\"%s\",\"timestamp\":\"%s\",\"uuid\":\"%s\","
	    "\"settled\":\"%s\"}\n", p, t, fw->last_uuid,
	    fw->has_settled ? st : "");
	ok = fflush(fp) == 0 && fsync(fd) == 0;
	if (fclose(fp) != 0 || !ok || rename(tmp, fw->side.p) == -1)
		goto fail;
	return 0;
fail:
	warnx("%s: %s", fw->side.p, strerror(errno));
	(void)f;
	return PH_EXIT_FATAL;
}

/*
 * The side state: *poll when its last event is ph-send's last one, and
 * *settled when it recorded one; 0 when it says nothing of use.
 */
static int
read_side(struct fetcher *f, struct follow *fw, int64_t *poll,
    int64_t *settled, int *has_settled)
{
	char line[512], p[64], t[64], u[64], st[64];
	int64_t ts;
	FILE *fp;
	int r = 0, n;

	*has_settled = 0;
	if (fw->side.len == 0 || (fp = fopen(fw->side.p, "r")) == NULL)
		return 0;
	st[0] = '\0';
	if (fgets(line, sizeof(line), fp) != NULL &&
	    (n = sscanf(line, "{\"poll\":\"%63[^\"]\",\"timestamp\":\"%63[^\"]\","
	    "\"uuid\":\"%63[^\"]\",\"settled\":\"%63[^\"]\"}", p, t, u,
	    st)) >= 3 && isotime_parse(p, strlen(p), poll) == 0 &&
	    isotime_parse(t, strlen(t), &ts) == 0) {
		*has_settled = n == 4 && isotime_parse(st, strlen(st),
		    settled) == 0;
		r = f->o.resume_uuid[0] != '\0' && ts == f->o.after &&
		    strcasecmp(u, f->o.resume_uuid) == 0 && *poll >= ts;
	}
	fclose(fp);
	return r;
}

/*
 * Whether ph-send has settled every event written so far: its state's
 * last event is the last one written.  Then all the polls up to fw->t
 * are delivered, for good: a resume may start there.
 */
static void
check_settled(struct fetcher *f, struct follow *fw)
{
	struct saved_state st;
	char why[256];
	int64_t ts;

	if (f->o.state == NULL || fw->last_uuid[0] == '\0' ||
	    state_load(f->o.state, &st, why, sizeof(why)) != 1 ||
	    isotime_parse(st.timestamp, strlen(st.timestamp), &ts) == -1)
		return;
	if (ts == fw->last_ts && strcasecmp(st.uuid, fw->last_uuid) == 0) {
		fw->settled = fw->t;
		fw->has_settled = 1;
	}
}

/* Where to start: fresh, at ph-send's last event, or at the last poll. */
static void
start_at(struct fetcher *f, struct follow *fw)
{
	char t[ISOTIME_LEN];
	int64_t poll, settled;
	int has_settled;

	fw->t = f->o.after;
	fw->has_w = 0;
	if (f->o.after == f->o.origin && f->o.resume_uuid[0] == '\0')
		return;
	fw->has_w = 1;
	fw->w = f->o.after;
	if (read_side(f, fw, &poll, &settled, &has_settled)) {
		fw->t = fw->w = poll;
		isotime_z(poll, t);
		note(f, "%s: its last event ends the poll up to %s: following "
		    "on from there", fw->side.p, t);
	} else if (has_settled && settled > fw->t) {
		/* The last delivered event was late: start past more. */
		fw->t = fw->w = settled;
		isotime_z(settled, t);
		note(f, "%s: every event up to the poll ending %s was "
		    "delivered: following on from there", fw->side.p, t);
	}
	if (has_settled && (!fw->has_settled || settled > fw->settled)) {
		fw->settled = settled;
		fw->has_settled = 1;
	}
}

static void
bounds(struct fetcher *f, const char *op, int64_t at)
{
	buf_printf(&f->where, " AND created_at %s ", op);
	sql_time(&f->where, at);
}

/* One poll: the late events, then the new ones, up to p. */
static int
poll_once(struct fetcher *f, struct follow *fw, int64_t p)
{
	int r;

	check_settled(f, fw);
	if (fw->has_w && fw->t > f->o.origin && fw->w < p) {
		f->where.len = 0;
		bounds(f, ">=", fw->w);
		bounds(f, "<", p);
		if ((r = fetch_query(f, f->o.origin, fw->t)) != 0)
			return r;
	}
	f->where.len = 0;
	bounds(f, "<", p);
	if ((r = fetch_query(f, fw->t, p)) != 0)
		return r;
	fw->t = fw->w = p;
	fw->has_w = 1;
	return save_side(f, fw);
}

/* Sleep s seconds unless a stop signal comes first. */
static void
pause_for(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) *
	    1e9) };

	while (!stop_signal && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
fetch_follow(struct fetcher *f)
{
	struct follow fw;
	int64_t lag = (int64_t)(f->o.lag * 1e6), p;
	/* Often enough next to the lag, never a busy loop. */
	double every = f->o.lag / 4 < 0.05 ? 0.05 : f->o.lag / 4 > 30 ? 30 :
	    f->o.lag / 4;
	int r = 0;

	memset(&fw, 0, sizeof(fw));
	if (f->o.state != NULL) {
		buf_printf(&fw.side, "%s.follow", f->o.state);
		buf_addc(&fw.side, '\0');
		fw.side.len--;
	}
	catch_stop_signals();
	start_at(f, &fw);
	f->sink = follow_event;
	f->sink_arg = &fw;
	while (!stop_signal && r == 0) {
		p = isotime_now() - lag;
		if (p > fw.t) {
			r = poll_once(f, &fw, p);
			if (r == -1) {
				warnx("%s: no query API (404): --follow reads by "
				    "ingestion time (created_at), which only the "
				    "query API offers", f->o.base);
				r = PH_EXIT_FATAL;
			}
		}
		if (r == 0)
			pause_for(every);
	}
	f->sink = NULL;
	/* The summary's window: what the polls covered. */
	f->o.before = fw.t > f->o.after ? fw.t : f->o.after;
	buf_free(&f->where);
	buf_free(&fw.side);
	return r;
}
