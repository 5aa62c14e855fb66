/*
 * ph-emu: a local PostHog for tests, benchmarks and the demo.  It speaks
 * the capture API (the destination) and the event-listing and query APIs
 * (the source) as doc/posthog.md describes them, stores
 * what it accepts, and injects faults on request.
 */
#ifndef PH_EMU_H
#define PH_EMU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"

struct emu_conf {
	const char	*project_key;	/* capture token */
	const char	*personal_key;	/* source API Bearer key */
	const char	*store_path;	/* accepted events, one per line */
	const char	*log_path;	/* one JSON line per request */
	const char	*load_path;	/* events the source API serves */
	unsigned	 latency_ms;	/* added to every request */
	double		 p503, p500, p429, preset, pslow, pbad;
	unsigned	 first_429;	/* the first N requests: 429 */
	unsigned	 retry_after;	/* seconds, on injected 429s */
	unsigned	 slow_ms;
	size_t		 max_body;	/* /batch, compressed, on the wire */
	size_t		 max_body_small;	/* other capture routes */
	size_t		 max_event;	/* one event, bytes */
	size_t		 max_decompressed;
	int		 auth_status;	/* 401 (older) or 403 (newest) */
	int		 error_format;	/* ERR_TEXT, ERR_JSON, ERR_DJANGO */
	int		 quota_limited;	/* 200 but drop, as billing does */
	int		 legacy_status;	/* {"status": 1}, old Django */
	const char	*refuse_event;	/* refuse batches holding it */
	int		 refuse_status;	/* 400 (checks) or 503 (the sink) */
	double		 pmid;		/* 503 half-way through a batch */
	int		 partial;	/* a sink failure keeps those before */
	int		 capture_format;	/* a profile's; -1: error_format */
	int		 ignore_uuid;	/* Django 2021: a new uuid each */
	int		 huge_ok;	/* Django: 1e400 read as inf */
	uint64_t	 seed;

	/* Source API. */
	unsigned	 page_cap;	/* events limit cap; 0: none */
	unsigned	 query_cap;	/* query API row cap */
	unsigned	 rate_per_min;	/* 429 past this many a window; 0 off */
	double		 rate_window;	/* seconds: 60, as PostHog's burst */
	int		 foreign_next;	/* next names the second listener */
	int		 no_query;	/* old install: no query API */
	int		 no_hasmore;	/* 2023 query API: no hasMore */
	int		 default_24h;	/* no after: after = before - 24 h */
	int		 hasmore_null;	/* hasMore null when the query has LIMIT */
	int		 modifiers_2024; /* no convertToProjectTimezone: 400 */
	unsigned long	 scan_limit;	/* a query scanning more events: 504 */
	const char	*project_tz;	/* the project's timezone, or NULL */
	int64_t		 now_us;	/* --now: the server's clock; 0 real */
	int		 keep_quotes;	/* listing: no parse_properties */
	int		 this_monday;	/* Postgres-era list(): Monday first */
	int		 any_range;	/* listing: no one-year limit (pre-2023) */
	const char	*profile;	/* PostHog version copied; NULL: 2026 */
};

enum { ERR_TEXT, ERR_JSON, ERR_DJANGO, ERR_DJANGO_2021 };

struct emu_stats {
	unsigned long	 requests;
	unsigned long	 capture_ok;
	unsigned long	 events;		/* accepted */
	unsigned long	 rejected_requests;	/* 4xx answers */
	unsigned long	 faults;
	unsigned long	 foreign_hits;
	unsigned long	 source_pages;
	unsigned long	 rate_limited;
	unsigned long	 in_flight;		/* requests being answered */
	unsigned long	 max_in_flight;		/* the most at once */
};

struct emu {
	struct emu_conf	 c;
	pthread_mutex_t	 lock;
	int		 store_fd;
	int		 log_fd;
	uint64_t	 rng;
	struct emu_stats st;
	unsigned short	 port;
	unsigned short	 foreign_port;
	void		*src;		/* source data, source.c */
	double		 window_start;	/* rate limiting */
	unsigned	 window_count;
	unsigned	 first_429_given;	/* --first-429 */
};

/* What one request carries once its body has arrived. */
struct req {
	struct buf	 body;
	int		 too_large;
	struct buf	 log;		/* extra members for its log line */
	const char	*fault;		/* the fault injected, if any */
};

/* Reply helpers, emu.c. */
enum MHD_Result	 reply(struct MHD_Connection *, unsigned status,
		    const char *type, const char *body, size_t len);
/* A JSON reply from a string. */
enum MHD_Result	 reply_str(struct MHD_Connection *, unsigned status,
		    const char *json);
enum MHD_Result	 reply_error(struct emu *, struct MHD_Connection *,
		    unsigned status, const char *code, const char *msg);
enum MHD_Result	 reply_error_as(struct emu *, struct MHD_Connection *,
		    int format, unsigned status, const char *code,
		    const char *msg);
double		 emu_random(struct emu *);
/* The server's now, in microseconds: --now if given, else the clock. */
int64_t		 emu_now(const struct emu *);
void		 emu_sleep_ms(unsigned);
const char	*header(struct MHD_Connection *, const char *name);

/* capture.c */
int		 is_capture_path(const char *url);
enum MHD_Result	 capture(struct emu *, struct MHD_Connection *,
		    struct req *, const char *url);
/* Set the capture behaviours of a version: 0, or -1 if unknown. */
int		 capture_profile(struct emu_conf *, const char *name);

/* source.c */
int		 source_load(struct emu *);
/* Set the source behaviours of a version: 0, or -1 if unknown. */
int		 source_profile(struct emu_conf *, const char *name);
/*
 * Make events capture stored (lines, one a line) readable through the
 * source API, with created_at now; no_uuid says, a line each, which have
 * no uuid (NULL: not known), so that they are parsed only when read.
 * Called without e->lock held.
 */
void		 source_ingest(struct emu *, const char *lines, size_t len,
		    const unsigned char *no_uuid);
/* Merge the events ingested since into what reads see. */
void		 source_settle(struct emu *);
int		 is_source_path(const char *url);
enum MHD_Result	 source(struct emu *, struct MHD_Connection *,
		    struct req *, const char *url, const char *method);

#endif
