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

/*
 * How ph-fetch and ph-send retry a request: --max-retries, --retry-wait,
 * --retry-max-wait and --timeout, the same names and ranges in both.
 * CLI_RETRY_OPTIONS goes in a getopt_long table; cli_retry_option takes
 * what getopt_long returned.
 */
enum {
	CLI_MAX_RETRIES = 0x400, CLI_RETRY_WAIT, CLI_RETRY_MAX_WAIT,
	CLI_TIMEOUT
};
#define CLI_RETRY_OPTIONS \
	{ "max-retries", required_argument, NULL, CLI_MAX_RETRIES }, \
	{ "retry-max-wait", required_argument, NULL, CLI_RETRY_MAX_WAIT }, \
	{ "retry-wait", required_argument, NULL, CLI_RETRY_WAIT }, \
	{ "timeout", required_argument, NULL, CLI_TIMEOUT }

/* Where a program keeps the values. */
struct cli_retry {
	unsigned	*max_retries;
	double		*wait;		/* the first backoff, seconds */
	double		*max_wait;
	double		*timeout;	/* of one request */
};

/* 1 when ch is one of the retry options, its value checked and stored. */
int	cli_retry_option(int ch, const char *arg, const struct cli_retry *);

#endif
