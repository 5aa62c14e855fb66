#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signals.h"

volatile sig_atomic_t stop_signal;
volatile sig_atomic_t stop_count;

static void
on_stop(int sig)
{
	stop_signal = sig;
	stop_count++;
}

void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void
die_by_signal(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
