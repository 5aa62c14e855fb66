#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcode.h"
#include "numparse.h"
#include "output.h"
#include "version.h"

static const char *usage_text = "";
static const char *help_text = "";

void
cli_init(const char *usage, const char *help)
{
	usage_text = usage;
	help_text = help;
}

void
cli_help(void)
{
	struct owriter w;

	ow_init(&w, 1, "stdout");
	ow_write(&w, usage_text, strlen(usage_text));
	ow_write(&w, "\n", 1);
	ow_write(&w, help_text, strlen(help_text));
	ow_close(&w);
	exit(PH_EXIT_OK);
}

void
cli_version(void)
{
	struct owriter w;
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%s %s\n",
	    program_invocation_short_name, PH_VERSION);
	ow_init(&w, 1, "stdout");
	ow_write(&w, line, (size_t)n);
	ow_close(&w);
	exit(PH_EXIT_OK);
}

void
cli_usage_error(void)
{
	fputs(usage_text, stderr);
	fprintf(stderr, "Try '%s --help' for more information.\n",
	    program_invocation_short_name);
	exit(PH_EXIT_USAGE);
}

void
cli_bad_value(const char *opt, const char *why, const char *value)
{
	warnx("%s %s: %s", opt, why, value);
	cli_usage_error();
}

const char *
cli_or_env(const char *value, const char *env)
{
	if (value == NULL && (value = getenv(env)) != NULL && *value == '\0')
		value = NULL;
	return value;
}

/* s read by parse (parse_ll, parse_size), or a usage error. */
static long long
integer(int (*parse)(const char *, long long, long long, long long *,
    const char **), const char *opt, const char *s, long long min,
    long long max)
{
	const char *why;
	long long v;

	if (parse(s, min, max, &v, &why) == -1)
		cli_bad_value(opt, why, s);
	return v;
}

long long
cli_number(const char *opt, const char *s, long long min, long long max)
{
	return integer(parse_ll, opt, s, min, max);
}

long long
cli_size(const char *opt, const char *s, long long min, long long max)
{
	return integer(parse_size, opt, s, min, max);
}

double
cli_seconds(const char *opt, const char *s, double min, double max)
{
	const char *why;
	double v;

	if (parse_seconds(s, min, max, &v, &why) == -1)
		cli_bad_value(opt, why, s);
	return v;
}

int
cli_retry_option(int ch, const char *arg, const struct cli_retry *r)
{
	switch (ch) {
	case CLI_MAX_RETRIES:
		*r->max_retries = (unsigned)cli_number("--max-retries", arg, 0,
		    1000);
		return 1;
	case CLI_RETRY_WAIT:
		*r->wait = cli_seconds("--retry-wait", arg, 0, 3600);
		return 1;
	case CLI_RETRY_MAX_WAIT:
		*r->max_wait = cli_seconds("--retry-max-wait", arg, 0, 86400);
		return 1;
	case CLI_TIMEOUT:
		*r->timeout = cli_seconds("--timeout", arg, 0.01, 86400);
		return 1;
	}
	return 0;
}
