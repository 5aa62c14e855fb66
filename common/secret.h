/*
 * API keys: from a file or the environment, never from the command line
 * (which other users can read in ps), and never printed.
 */
#ifndef PH_SECRET_H
#define PH_SECRET_H

#include <stddef.h>

/*
 * The key in file (its first line, white space trimmed) when file is not
 * NULL, else in the environment variable env (empty counts as unset).
 * NULL with a reason in why when there is none.  A key file others may
 * read gets a warning; a process that holds a key dumps no core.
 */
char	*secret_load(const char *env, const char *file, char *why,
	    size_t whysize);

/*
 * As secret_load, but with no key it prints why and exits: 2 when none
 * was given (a usage error), 3 when the key file cannot be read.
 */
char	*secret_require(const char *env, const char *file);

/*
 * Warn when url is plain http:// to a host that is not this machine
 * (127.0.0.0/8, ::1, localhost): the key would cross the network in
 * clear.
 */
void	 secret_check_url(const char *url);

/* Overwrite and free a key. */
void	 secret_free(char *);

#endif
