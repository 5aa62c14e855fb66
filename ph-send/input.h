/*
 * ph-send's input: the named files in turn (or standard input), read a
 * piece at a time so the main loop can wait on the network and the
 * input together.  Lines are numbered across all files.
 */
#ifndef PH_SEND_INPUT_H
#define PH_SEND_INPUT_H

#include <stddef.h>

#include "lineio.h"

struct input {
	char *const	*paths;		/* "-" is standard input */
	int		 npaths;
	int		 cur;		/* the file being read */
	struct lreader	 lr;
	int		 open;
	int		 done;		/* every file read to its end */
	unsigned long long line;	/* the last line handed out */
	unsigned long long *starts;	/* lines before each file */
	unsigned long long bom_line;	/* the last line that lost a BOM */
};

/* 0, or -1 with a message when a file cannot be opened. */
int	input_init(struct input *, char *const *paths, int npaths);
void	input_free(struct input *);

/*
 * The next line: 1; 0 when no whole line is buffered (wait for
 * input_fd, then input_fill); -1 when every file is read; -2 after a
 * read error, reported.
 */
int	input_next(struct input *, struct line *);
int	input_fd(const struct input *);
/* One read from the current file: 0, or -2 after an error. */
int	input_fill(struct input *);
/* Blocking: the next line, as input_next without the 0. */
int	input_getline(struct input *, struct line *);

/* Whether every input is a regular file, which reads the same again. */
int	input_is_replayable(const struct input *);

/* "file:line" of global line no. */
const char *input_where(const struct input *, unsigned long long no,
	    char *out, size_t size);

#endif
