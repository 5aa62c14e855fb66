/*
 * ph-fetch: events out of a PostHog instance, oldest first, each once.
 * The pieces: request.c (one request, retried as its failure calls
 * for), events.c (the event-listing API), query.c (the query API),
 * window.c (the time window a query scans), split.c (--split), emit.c
 * (output and progress), jobs.c (--jobs: windows fetched side by side).
 */
#ifndef PH_FETCH_H
#define PH_FETCH_H

#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "idset.h"
#include "jscan.h"
#include "output.h"
#include "progress.h"

/* API_AUTO: the query API where the source has one, else the listing. */
enum api { API_AUTO, API_EVENTS, API_QUERY };

struct fetch_opts {
	char		*base;		/* https://host, no trailing slash */
	char		*key;		/* personal API key */
	const char	*project;	/* "@current" or an id */
	int64_t		 after;		/* first microsecond, inclusive */
	int64_t		 before;	/* end, exclusive */
	const char	*event;		/* only this event, or NULL */
	enum api	 api;
	int		 legacy;	/* /api/event/ */
	unsigned	 page_size;
	int		 page_given;	/* --page-size: no default of ours */
	unsigned	 max_retries;
	double		 retry_wait;
	double		 retry_max_wait;
	double		 timeout;
	unsigned	 split;		/* print windows instead */
	unsigned	 jobs;		/* windows fetched at once; 0: auto */
	int		 quiet;
	int		 force_progress;
	/* --count: one line a period (count.c) */
	int		 count;
	int		 by_hour;	/* --by hour */
	int		 by_event;	/* --by-event */
	const char	*tz;		/* --tz: the periods' zone, or NULL */
	const char	*compare;	/* --compare HOST */
	const char	*compare_key_file;
	/* --follow (follow.c) */
	int		 follow;
	double		 lag;		/* seconds kept from now */
	int64_t		 origin;	/* --after, before --resume moved it */
	const char	*state;		/* --resume FILE */
	char		 resume_uuid[64];	/* its last delivered event */
	int		 persons;	/* --persons */
	int		 create_alias;	/* ties by $create_alias (2021) */
};

struct fetch_counts {
	unsigned long long events, pages, retries, waits, repeats;
};

struct job;

/* One connection to the source; each --jobs worker has its own. */
struct conn {
	CURL			*h;
	struct curl_slist	*headers;	/* the first holds the key */
	char			 errbuf[CURL_ERROR_SIZE];
	struct buf		 url;		/* of the request */
	struct buf		 reply;		/* its body */
};

/* Buffers for parsing replies; each --jobs worker has its own. */
struct scratch {
	struct jmembers		 top;		/* the reply's */
	struct jmembers		 ev;
	struct jitems		 items;
	struct jitems		 row;
	struct buf		 tmp;
	struct {			/* a page set aside */
		struct buf	 reply;
		struct buf	 url;
		struct jmembers	 top;
		struct jitems	 items;
		int		 has_next;	/* of the page read ahead */
	}			 aside;
};

struct fetcher {
	struct fetch_opts	 o;
	struct conn		 c;
	struct scratch		 s;
	struct job		*job;		/* a --jobs worker's, or NULL */
	struct owriter		 out;
	struct progress		 prog;
	struct fetch_counts	 n;
	double			 started;
	int64_t			 at;		/* newest timestamp written */
	int			 query_missing;	/* the server has no query API */
	int			 any_range;	/* its listing: no one-year limit */
	unsigned		 qpage;		/* query rows a page, may shrink */
	size_t			 most_rows;	/* most rows a query page held */
	int			 next_noted;	/* a foreign next was reported */
	int			 array_ok;	/* a reply may be a JSON list */
	int			 postgres;	/* Postgres-era: integer ids */
	unsigned		 page;		/* listing limit, may shrink */
	unsigned		 narrowed;	/* queries that ran out of time */
	int64_t			 width;		/* a first window, or 0: a day */
	struct idset		 seen;		/* ids at the boundary time */
	/* events.c: a fetcher of its own for a probe beside a page, or NULL */
	struct fetcher		*side;

	/* More SQL for the events query: " AND ..." (follow.c). */
	struct buf		 where;
	/* Where events go instead of stdout, when set (count.c, follow.c). */
	void			(*sink)(struct fetcher *, const char *p, size_t n,
				    int64_t ts);
	void			*sink_arg;
};

/*
 * request.c: 0 with a 200 reply parsed in f->s.top, else an exit status
 * or, as its flags ask, a negative answer.  FETCH_QUIET_404 answers -1
 * for a server without the route (404, 405, or 400 for a query kind it
 * does not know);
 * FETCH_SHRINK answers -2 for a reply too large, or failures that a
 * smaller page may avoid.
 */
#define FETCH_QUIET_404	1
#define FETCH_SHRINK	2
/* -1 for a 404 only: the route is missing (an install without HogQL). */
#define FETCH_NO_ROUTE	4
/* -3 for a query that ran out of time: its window should narrow. */
#define FETCH_NARROW	8
/* -2 for a reply over the cap, only. */
#define FETCH_TOO_LARGE	16
int	 fetch_get(struct fetcher *, const char *url);
/* A listing page: -2 if the reply passed the cap, else as fetch_get. */
int	 fetch_get_page(struct fetcher *, const char *url);
int	 fetch_post(struct fetcher *, const char *url, const char *body,
	    int flags);
/* The reply's "results" list into f->s.items: 0, or an exit status. */
int	 reply_results(struct fetcher *);
/* Append an URL-encoded parameter "&name=value" to f->c.url. */
void	 url_param(struct fetcher *, const char *name, const char *value);
void	 url_start(struct fetcher *, const char *path);
/* A connection with the key and the headers every request carries. */
void	 conn_open(struct conn *, const struct fetch_opts *);
void	 conn_close(struct conn *);
void	 scratch_free(struct scratch *);
/* The fetcher's connection, scratch and id set. */
void	 fetch_cleanup(struct fetcher *);

/* events.c */
int	 fetch_events(struct fetcher *, int64_t after, int64_t before);
/* The query API's route answered 404: a listing of any range and page. */
void	 events_before_2023(struct fetcher *);
/* query.c; fetch_query answers -1 for a source without a query API. */
int	 fetch_query(struct fetcher *, int64_t after, int64_t before);
int	 query_cluster(struct fetcher *, int64_t at);
/* The rows a query page can hold: as asked, or the server's cap. */
unsigned long long query_page_rows(const struct fetcher *);
int	 query_hours(struct fetcher *, int64_t after, int64_t before,
	    int64_t **buckets, unsigned long long **counts, size_t *n);
/* The width of query_hours' buckets for a range, in microseconds. */
#define BUCKET_US(after, before) (BUCKET_BY_DAY(after, before) ? \
	    86400LL * 1000000 : 3600LL * 1000000)
/* Ranges of over 400 days are counted a day a bucket, others an hour. */
#define BUCKET_BY_DAY(after, before) ((before) - (after) > \
	    400LL * 86400 * 1000000)
int	 post_query(struct fetcher *, const struct buf *sql, int flags);
void	 sql_string(struct buf *, const char *);
void	 sql_time(struct buf *, int64_t us);
/* " timestamp >= lo AND timestamp < hi", and --event's name. */
void	 sql_range(const struct fetcher *, struct buf *, int64_t lo,
	    int64_t hi);
/* count.c: --count, and --compare */
int	 fetch_count(struct fetcher *);
/* follow.c: --follow */
int	 fetch_follow(struct fetcher *);
/* persons.c */
int	 fetch_persons(struct fetcher *);
/* split.c */
int	 fetch_split(struct fetcher *);
/* jobs.c: [after, before) with o.jobs workers, written in order. */
int	 fetch_jobs(struct fetcher *, int64_t after, int64_t before);
void	 jobs_page_done(struct fetcher *);
/* A worker's request succeeded: the source answers, others may ask. */
void	 jobs_replied(struct fetcher *, double seconds);
/*
 * A worker's listing window whose first page, full, held first to last:
 * the rest may be split off to other workers; answers its end now.
 */
int64_t	 jobs_split(struct fetcher *, int64_t first, int64_t last,
	    int64_t end);
/* A worker's window will never be written: its requests stop. */
int	 jobs_aborted(const struct fetcher *);
/* A worker got a 429 (wait: the seconds asked): --jobs auto halves. */
void	 jobs_throttled(struct fetcher *, double wait);
/* ph-fetch.c: the note when the source has no query API. */
void	 warn_no_query_api(struct fetcher *);
/* emit.c */
void	 emit_event(struct fetcher *, const char *p, size_t n, int64_t ts);
/* The event to stdout, whatever sink is set. */
void	 emit_write(struct fetcher *, const char *p, size_t n, int64_t ts);
void	 emit_page_done(struct fetcher *);
void	 fetch_progress(struct fetcher *);
void	 fetch_summary(struct fetcher *);
void	 note(struct fetcher *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
