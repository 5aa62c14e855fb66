/* Make sure descriptors 0, 1 and 2 are open (curl's main_checkfds). */
#ifndef PH_STDFDS_H
#define PH_STDFDS_H

/*
 * A program started with one of them closed would otherwise open a
 * socket or file there, and its output or messages would go into it.
 */
void	ensure_std_fds(void);

/* Whether descriptor 1 is open: a filter with nowhere to write fails. */
int	stdout_is_open(void);

#endif
