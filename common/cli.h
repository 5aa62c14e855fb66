/*
 * The command line, as the three programs share it: --help on stdout,
 * --version, misuse with the usage on stderr and status 2, and option
 * values checked for range with messages in one form:
 * "prog: --parallel too small: 0".
 */
#ifndef PH_CLI_H
#define PH_CLI_H

/* The usage lines and the help text, set once at the start of main. */
void	cli_init(const char *usage, const char *help);

void	cli_help(void) __attribute__((noreturn));
void	cli_version(void) __attribute__((noreturn));
void	cli_usage_error(void) __attribute__((noreturn));
void	cli_bad_value(const char *opt, const char *why, const char *value)
	    __attribute__((noreturn));

/* An option's value if given, else the environment's (empty is unset). */
const char *cli_or_env(const char *value, const char *env);

long long cli_number(const char *opt, const char *s, long long min,
	    long long max);
/* A byte count with an optional K, M or G suffix. */
long long cli_size(const char *opt, const char *s, long long min,
	    long long max);
double	cli_seconds(const char *opt, const char *s, double min, double max);

#endif
