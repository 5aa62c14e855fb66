/*
 * Which input lines are settled (delivered, rejected, or blank), and
 * how many from the start are settled with no gap.  Batches of different
 * lanes finish out of order; the gap-free prefix is what a resumed run
 * may skip, so only it is ever recorded.
 */
#ifndef PH_SEND_LEDGER_H
#define PH_SEND_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define LEDGER_TEXT	64

/* How a line was read, so that a refused one is written as it came. */
#define LEDGER_BOM	1	/* a byte order mark opened it */
#define LEDGER_CR	2	/* it ended in CRLF */

struct slot {
	uint64_t	 hash;		/* of the line's bytes */
	int		 settled;
	int		 sent;		/* went out in a request */
	int		 delivered;	/* capture acknowledged it */
	int		 ending;	/* LEDGER_BOM, LEDGER_CR */
	char		*reject;	/* a refused line's text, or NULL */
	size_t		 reject_len;
	char		 ts[LEDGER_TEXT];
	char		 uuid[LEDGER_TEXT];
};

struct ledger {
	unsigned long long done;	/* lines 1..done are settled */
	uint64_t	 hash;		/* fingerprint of lines 1..done */
	char		 ts[LEDGER_TEXT];	/* of the last of them */
	char		 uuid[LEDGER_TEXT];	/* that had an event */
	struct slot	*ring;		/* lines done+1 .. done+count */
	size_t		 cap;
	size_t		 head;
	size_t		 count;
	/* Of them, lines sent. */
	size_t		 sent;
	/*
	 * Of them, lines delivered that name a uuid, which the state lists
	 * (ledger_delivered_keys), and lines sent that it cannot list: in
	 * flight, refused, or without a uuid.  What a crash now would make
	 * a rerun send again is the second, and what the list leaves out.
	 */
	size_t		 listed;
	size_t		 unlisted;
	/* Refused lines of the prefix, as read, for the reject file. */
	struct buf	 released;
};

/* The fingerprint of a prefix, extended by one more line's bytes. */
uint64_t	 ledger_extend(uint64_t prefix, const char *line, size_t len);

/*
 * An earlier run settled lines 1..lines, with fingerprint hash: they are
 * not tracked again.
 */
void		 ledger_skip(struct ledger *, unsigned long long lines,
		    uint64_t hash);

/* Until a line settles, the last event is still an earlier run's. */
void		 ledger_start_after(struct ledger *, const char *ts,
		    const char *uuid);

/* Track the next line (number done + count + 1). */
void		 ledger_add(struct ledger *, const char *line, size_t len,
		    int ending, const char *ts, const char *uuid);

/*
 * Line no was refused: keep its text until the prefix reaches it, so
 * that the reject file holds exactly the refused lines of the prefix
 * (in input order) whenever the state is saved.
 */
void		 ledger_keep_reject(struct ledger *, unsigned long long no,
		    const char *text, size_t len);

/* At the end: refused lines past the prefix join l->released too. */
void		 ledger_release_all(struct ledger *);

/* The fingerprint ledger_add took of tracked line no's bytes. */
uint64_t	 ledger_line_hash(const struct ledger *, unsigned long long no);

/* Line no went out in a request (once or again). */
void		 ledger_mark_sent(struct ledger *, unsigned long long no);

/* Line no is settled: 1 if the gap-free prefix grew. */
int		 ledger_settle(struct ledger *, unsigned long long no);

/* Line no is settled as delivered: 1 if the gap-free prefix grew. */
int		 ledger_deliver(struct ledger *, unsigned long long no);

/*
 * The fingerprints of the lines past the prefix that were delivered and
 * name a uuid, as 16 hex digits each, onto out: a rerun may skip a line
 * with the same bytes (PostHog would merge it with the one delivered).
 * A line without a uuid would be a new event each time: never listed.
 */
void		 ledger_delivered_keys(const struct ledger *,
		    struct buf *out, size_t max);

void		 ledger_free(struct ledger *);

#endif
