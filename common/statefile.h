/*
 * ph-send's state file: how far a run got, written after each batch the
 * server acknowledged, read back by ph-send (to skip what a replayed
 * file already delivered) and by ph-fetch --resume (to start a pipeline
 * again from the last delivered timestamp).  A small JSON object:
 *
 *   {"version":1,"pipe":false,"lines":1000,"prefix_hash":"...",
 *    "timestamp":"...","uuid":"...","sent":998,"rejected":2,
 *    "updated":"..."}
 *
 * lines: input lines from the start all settled (delivered, rejected or
 * blank); timestamp and uuid: of the last of them that was an event.
 */
#ifndef PH_STATEFILE_H
#define PH_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

struct saved_state {
	int			 pipe;		/* the run read a pipe */
	unsigned long long	 lines;
	uint64_t		 prefix_hash;
	char			 timestamp[64];
	char			 uuid[64];
	unsigned long long	 sent;
	unsigned long long	 rejected;
};

/*
 * 1 with *st filled when path holds a state, 0 when there is no file,
 * -1 with a reason when it cannot be read or makes no sense.
 */
int	state_load(const char *path, struct saved_state *st, char *why,
	    size_t whysize);

/* Replace path atomically (write, fsync, rename): 0, or -1 and errno. */
int	state_save(const char *path, const struct saved_state *);

#endif
