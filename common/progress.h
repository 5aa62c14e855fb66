/*
 * A progress line on stderr: rewritten in place on a terminal, a line
 * every few seconds when forced onto a file or pipe.
 */
#ifndef PH_PROGRESS_H
#define PH_PROGRESS_H

struct progress {
	int	 on;		/* print at all */
	int	 tty;		/* stderr is a terminal */
	int	 shown;		/* a line is on screen, not yet ended */
	double	 last;		/* clock_now() of the last line */
};

/* On for a terminal, or when forced; off when quiet. */
void	progress_init(struct progress *, int force, int quiet);

/* Whether a new line is due now. */
int	progress_due(struct progress *, double now);

void	progress_show(struct progress *, const char *line);

/* End the line on screen, before other output to stderr. */
void	progress_end(struct progress *);

#endif
