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

/* A class name, or an attribute and its value, in cleaner.text. */
struct chainpart {
	size_t		 koff, klen;	/* the name */
	size_t		 voff, vlen;	/* the value */
	size_t		 seq;		/* of equal names, the last counts */
	const char	*k, *v;		/* set once text stops growing */
};

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

	/* An "elements" array made into an elements chain. */
	struct jitems	 elems;		/* the array's items */
	struct jitems	 classes;	/* one element's attr_class */
	struct jmembers	 el;		/* one element's members */
	struct jmembers	 elattrs;	/* its attributes */
	struct chainpart *parts;
	size_t		 nparts;
	size_t		 partcap;
	struct buf	 text;		/* decoded names and values */
	struct buf	 chain;		/* the chain, not yet a JSON string */
};

/*
 * Clean the event in line[0..len).  Returns 0 with the result in
 * c->out, or -1 with the reason in msg.
 */
int	clean_event(struct cleaner *, const char *line, size_t len,
	    char *msg, size_t msgsize);

void	cleaner_free(struct cleaner *);

#endif
