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

#define LEDGER_TEXT	64

struct slot {
	uint64_t	 hash;		/* of the line's bytes */
	int		 settled;
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
};

/* The fingerprint of a prefix, extended by one more line's bytes. */
uint64_t	 ledger_extend(uint64_t prefix, const char *line, size_t len);

/* Track the next line (number done + count + 1). */
void		 ledger_add(struct ledger *, const char *line, size_t len,
		    const char *ts, const char *uuid);

/* Line no is settled: 1 if the gap-free prefix grew. */
int		 ledger_settle(struct ledger *, unsigned long long no);

void		 ledger_free(struct ledger *);

#endif
