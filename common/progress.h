/*
 * A progress line on stderr: rewritten in place on a terminal, a line
 * every few seconds when forced onto a file or pipe.
 */
#ifndef PH_PROGRESS_H
#define PH_PROGRESS_H

#include <stdarg.h>

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

/* A message in warnx(3)'s form, on a line of its own. */
void	progress_warnx(struct progress *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	progress_vwarnx(struct progress *, const char *fmt, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
