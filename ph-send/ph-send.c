/*
 * ph-send: deliver capture-ready events (NDJSON) to a PostHog capture
 * endpoint, each exactly once, in gzip batches, whatever the server
 * does.  See ph-send(1).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "batch.h"
#include "capsize.h"
#include "cli.h"
#include "exitcode.h"
#include "http.h"
#include "secret.h"
#include "sender.h"
#include "signals.h"
#include "stdfds.h"
#include "xalloc.h"

#define DEFAULT_HOST	"https://us.i.posthog.com"

static const char usage_text[] =
"usage: ph-send [-hnqV] [--host url] [--key-file file] [--state file]\n"
"               [-r file] [--batch-size n] [--batch-bytes size]\n"
"               [--parallel n] [--rate n] [--max-retries n]\n"
"               [--retry-wait s] [--retry-max-wait s] [--timeout s]\n"
"               [--max-event size] [--no-gzip] [--no-historical]\n"
"               [--progress] [file ...]\n";

static const char help_text[] =
"Deliver capture-ready events (NDJSON, from ph-clean or a saved file) to\n"
"a PostHog capture endpoint, in gzip batches with historical_migration.\n"
"\n"
"      --host URL           capture host (PH_SEND_HOST; default\n"
"                           " DEFAULT_HOST ")\n"
"      --key-file FILE      project API key in FILE (else PH_SEND_KEY)\n"
"      --state FILE         record progress in FILE; a rerun resumes\n"
"  -r, --reject FILE        append refused events, unchanged, to FILE\n"
"      --batch-size N       events per request (1000)\n"
"      --batch-bytes SIZE   bytes per request before gzip (5M)\n"
"      --parallel N         requests in flight (16)\n"
"      --rate N             at most N events a second (PostHog Cloud:\n"
"                           166; other hosts and 0: no limit)\n"
"      --max-retries N      retries of one batch before giving up (10)\n"
"      --retry-wait S       first wait before a retry, seconds (1)\n"
"      --retry-max-wait S   longest wait before a retry (30)\n"
"      --timeout S          longest one request may take (60)\n"
"      --max-event SIZE     refuse events whose Kafka message in capture\n"
"                           is larger (1000000)\n"
"      --no-gzip            send uncompressed bodies\n"
"      --no-historical      leave historical_migration out\n"
"  -n, --dry-run            do everything but send\n"
"      --progress           progress on stderr even when not a terminal\n"
"  -q, --quiet              no progress, retry notes or summary\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print the version and exit\n"
"\n"
"Exit status: 0 all delivered, 1 events rejected, 2 usage, 3 fatal\n"
"error, 4 key refused, 5 retries used up.  See ph-send(1).\n";

enum {
	O_HOST = 256, O_KEY_FILE, O_STATE, O_BATCH_SIZE, O_BATCH_BYTES,
	O_PARALLEL, O_RATE, O_MAX_EVENT, O_NO_GZIP, O_NO_HISTORICAL,
	O_PROGRESS
};

static const struct option longopts[] = {
	{ "batch-bytes", required_argument, NULL, O_BATCH_BYTES },
	{ "batch-size", required_argument, NULL, O_BATCH_SIZE },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "host", required_argument, NULL, O_HOST },
	{ "key-file", required_argument, NULL, O_KEY_FILE },
	{ "max-event", required_argument, NULL, O_MAX_EVENT },
	{ "no-gzip", no_argument, NULL, O_NO_GZIP },
	{ "no-historical", no_argument, NULL, O_NO_HISTORICAL },
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "rate", required_argument, NULL, O_RATE },
	{ "reject", required_argument, NULL, 'r' },
	{ "state", required_argument, NULL, O_STATE },
	{ "version", no_argument, NULL, 'V' },
	CLI_RETRY_OPTIONS,
	{ NULL, 0, NULL, 0 }
};

static void
defaults(struct send_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->historical = 1;
	o->gzip_level = GZIP_LEVEL;
	o->batch_size = 1000;
	o->batch_bytes = 5 << 20;
	o->parallel = 16;
	o->max_retries = 10;
	o->retry_wait = 1;
	o->retry_max_wait = 30;
	o->timeout = 60;
	o->flush_after = 1;
	o->max_event = CAPTURE_KAFKA_MAX;
	o->rate = -1;		/* by the host: see set_rate */
}

/* Options into *o; returns the host given, or NULL. */
static const char *
parse_options(int argc, char *argv[], struct send_opts *o,
    const char **key_file)
{
	const struct cli_retry retry = { &o->max_retries, &o->retry_wait,
	    &o->retry_max_wait, &o->timeout };
	const char *host = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "hnqr:V", longopts, NULL)) != -1)
		switch (ch) {
		case 'h': cli_help(); break;
		case 'n': o->dry_run = 1; break;
		case 'q': o->quiet = 1; break;
		case 'r': o->reject_path = optarg; break;
		case 'V': cli_version(); break;
		case O_HOST: host = optarg; break;
		case O_KEY_FILE: *key_file = optarg; break;
		case O_STATE: o->state_path = optarg; break;
		case O_BATCH_SIZE:
			o->batch_size = (size_t)cli_number("--batch-size", optarg, 1,
			    100000);
			break;
		case O_BATCH_BYTES:
			o->batch_bytes = (size_t)cli_size("--batch-bytes", optarg, 1024,
			    100 << 20);
			break;
		case O_PARALLEL:
			o->parallel = (int)cli_number("--parallel", optarg, 1, 64);
			break;
		case O_RATE:
			o->rate = (double)cli_number("--rate", optarg, 0, 10000000);
			break;
		case O_MAX_EVENT:
			o->max_event = (size_t)cli_size("--max-event", optarg, 16,
			    100 << 20);
			break;
		case O_NO_GZIP: o->gzip_level = 0; break;
		case O_NO_HISTORICAL: o->historical = 0; break;
		case O_PROGRESS: o->force_progress = 1; break;
		default:
			if (!cli_retry_option(ch, optarg, &retry))
				cli_usage_error();
		}
	return host;
}

/* The capture URL: host + /batch/, unless the host names it already. */
static char *
batch_url(const char *host)
{
	char *base = http_base_url(host), *url;
	size_t n;

	if (base == NULL) {
		warnx("--host %s: not an http:// or https:// URL", host);
		cli_usage_error();
	}
	n = strlen(base);
	url = xmalloc(n + 8);
	snprintf(url, n + 8, "%s%s", base, n >= 6 &&
	    strcmp(base + n - 6, "/batch") == 0 ? "/" : "/batch/");
	free(base);
	return url;
}

static void
load_key(struct send_opts *o, const char *key_file)
{
	char why[512];

	/* A dry run builds bodies but sends none: a key may be missing. */
	if (!o->dry_run)
		o->key = secret_require("PH_SEND_KEY", key_file);
	else if ((o->key = secret_load("PH_SEND_KEY", key_file, why,
	    sizeof(why))) == NULL)
		return;
	if (strncmp(o->key, "phx_", 4) == 0) {
		warnx("the key is a personal API key (phx_...); capture "
		    "takes the destination project's API key (phc_...)");
		exit(PH_EXIT_AUTH);
	}
}

/* Whether the input named (none: standard input) includes stdin. */
static int
reads_stdin(char *const *paths, int npaths)
{
	int i;

	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i], "-") == 0)
			return 1;
	return npaths == 0;
}

int
main(int argc, char *argv[])
{
	const char *host, *key_file = NULL;
	struct send_opts o;
	struct sender *s;
	int status, stdin_closed;

	/* getopt_long names the program by argv[0]: use the short name. */
	argv[0] = program_invocation_short_name;
	cli_init(usage_text, help_text);
	/* A closed stdin is no input at all, not an empty one. */
	stdin_closed = fcntl(STDIN_FILENO, F_GETFD) == -1;
	ensure_std_fds();
	memset(&o, 0, sizeof(o));
	defaults(&o);
	host = parse_options(argc, argv, &o, &key_file);
	if (stdin_closed && reads_stdin(argv + optind, argc - optind))
		errx(PH_EXIT_FATAL, "stdin: %s", strerror(EBADF));
	host = cli_or_env(host, "PH_SEND_HOST");
	o.url = batch_url(host != NULL ? host : DEFAULT_HOST);
	load_key(&o, key_file);
	if (!o.dry_run)
		secret_check_url(o.url);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(PH_EXIT_FATAL, "cannot set up libcurl");
	catch_stop_signals();

	s = sender_new(&o);
	status = sender_init(s, argv + optind, argc - optind);
	if (status == PH_EXIT_OK)
		status = sender_resume(s);
	if (status == PH_EXIT_OK) {
		status = sender_run(s);
		sender_summary(s);
	}
	sender_free(s);
	secret_free(o.key);
	free(o.url);
	curl_global_cleanup();
	if (stop_signal)
		die_by_signal(stop_signal);
	return status;
}
