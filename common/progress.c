#include <err.h>
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

#define TTY_PERIOD	0.5	/* seconds between redraws on a terminal */
#define LOG_PERIOD	5.0	/* and between lines in a log */

void
progress_init(struct progress *p, int force, int quiet)
{
	p->tty = isatty(STDERR_FILENO);
	p->on = !quiet && (force || p->tty);
	p->shown = 0;
	p->last = 0;
}

int
progress_due(struct progress *p, double now)
{
	if (!p->on || now - p->last < (p->tty ? TTY_PERIOD : LOG_PERIOD))
		return 0;
	p->last = now;
	return 1;
}

void
progress_show(struct progress *p, const char *line)
{
	if (!p->on)
		return;
	if (p->tty) {
		/* \033[K clears what a longer earlier line left behind. */
		fprintf(stderr, "\r%s\033[K", line);
		p->shown = 1;
	} else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void
progress_end(struct progress *p)
{
	if (p->shown) {
		fputc('\n', stderr);
		p->shown = 0;
	}
}

void
progress_vwarnx(struct progress *p, const char *fmt, va_list ap)
{
	char msg[1024];

	progress_end(p);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	warnx("%s", msg);
}

void
progress_warnx(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	progress_vwarnx(p, fmt, ap);
	va_end(ap);
}
