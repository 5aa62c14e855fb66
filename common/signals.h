/*
 * SIGINT and SIGTERM ask a program to stop: the handler only records
 * the signal, and the main loop finishes cleanly, then dies by the same
 * signal so that the calling shell sees it (status 130 or 143).
 */
#ifndef PH_SIGNALS_H
#define PH_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t stop_signal;	/* last stop signal, or 0 */
extern volatile sig_atomic_t stop_count;	/* how many arrived */

/* Catch SIGINT and SIGTERM, without SA_RESTART so reads return EINTR. */
void	catch_stop_signals(void);

/* Take the default action of sig: the process ends by that signal. */
void	die_by_signal(int sig) __attribute__((noreturn));

#endif
