/*
 * The cleaning rules: one raw PostHog event in, one capture-ready event
 * out.  Values are copied byte for byte; only the members the rules
 * name are touched.
 */
#ifndef PH_CLEAN_H
#define PH_CLEAN_H

#include <stddef.h>

#include "buf.h"
#include "jscan.h"

struct cleaner {
	int		 keep_geoip;
	int		 random_distinct_id;

	/* Scratch space reused from line to line. */
	struct jmembers	 top;		/* the event's members */
	unsigned char	*role;		/* what each member is for */
	size_t		 rolecap;
	struct jmembers	 props;		/* the properties' members */
	struct buf	 propstext;	/* properties given as a string */
	struct buf	 tmp;
	struct buf	 out;		/* the cleaned event, no newline */
};

/*
 * Clean the event in line[0..len).  Returns 0 with the result in
 * c->out, or -1 with the reason in msg.
 */
int	clean_event(struct cleaner *, const char *line, size_t len,
	    char *msg, size_t msgsize);

void	cleaner_free(struct cleaner *);

#endif
