/*
 * ph-send's state file: how far a run got, written after each batch the
 * server acknowledged, read back by ph-send (to skip what a replayed
 * file already delivered) and by ph-fetch --resume (to start a pipeline
 * again from the last delivered timestamp).  A small JSON object:
 *
 *   {"version":1,"run":{...},"pipe":false,"lines":1000,
 *    "prefix_hash":"...","timestamp":"...","uuid":"...","sent":998,
 *    "rejected":2,"destination":"...","reject_file":"...",
 *    "reject_bytes":812,"updated":"..."}
 *
 * lines: input lines from the start all settled (delivered, rejected or
 * blank); timestamp and uuid: of the last of them that was an event.
 * run: what the state was made for (ph-fetch --resume writes it when it
 * creates the file: source, project, API, window); ph-send keeps it as
 * it is.  destination: the capture URL ph-send delivered to.  reject_file, reject_bytes: the reject file and its size when
 * it held exactly the refused lines among the first "lines".
 * delivered_past (ph-send, when there are any): the fingerprints of
 * lines past "lines" that capture acknowledged, 16 hex digits each, so
 * that a rerun sends again only what was in flight (state_load_delivered).
 *
 * A state belongs to one run at a time: ph-send holds an exclusive
 * flock(2) on FILE.lock while it runs, and writes FILE through FILE.tmp
 * under that lock.
 */
#ifndef PH_STATEFILE_H
#define PH_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define STATE_RUN_MAX	2048

struct saved_state {
	int			 pipe;		/* the run read a pipe */
	unsigned long long	 lines;
	uint64_t		 prefix_hash;
	char			 timestamp[64];
	char			 uuid[64];
	unsigned long long	 sent;
	unsigned long long	 rejected;
	char			 run[STATE_RUN_MAX];	/* JSON; "" if none */
	char			 destination[1024];	/* "" if none */
	char			 reject_file[1024];	/* "" if none */
	unsigned long long	 reject_bytes;
	const char		*delivered_past; /* written only; NULL: none */
};

/* At most this many fingerprints in delivered_past: the file stays small. */
#define STATE_DELIVERED_MAX	262144

/*
 * 1 with *st filled when path holds a state, 0 when there is no file,
 * -1 with a reason when it cannot be read or makes no sense.
 */
int	state_load(const char *path, struct saved_state *st, char *why,
	    size_t whysize);

/*
 * state_load, and the delivered_past text onto out (nothing when it has
 * none), from one read of the file.
 */
int	state_load_delivered(const char *path, struct saved_state *st,
	    struct buf *out, char *why, size_t whysize);

/*
 * Replace path atomically (write path.tmp, fsync, rename): 0, or -1 and
 * errno.  Only the holder of state_lock may call it.
 */
int	state_save(const char *path, const struct saved_state *);

/*
 * Create path holding st, whole or not at all, unless it exists: 0, or
 * -1 and errno (EEXIST when another process made it first).  Needs no
 * lock: the file appears with its bytes (O_TMPFILE and linkat).
 */
int	state_create(const char *path, const struct saved_state *);

/*
 * Take path.lock for the life of the process, remove temporary files
 * a killed run left, and make sure path can be replaced: a descriptor,
 * or -1 with a reason (*busy set when another process holds the lock).
 */
int	state_lock(const char *path, const char *who, int *busy, char *why,
	    size_t whysize);

#endif
