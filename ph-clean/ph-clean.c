/*
 * ph-clean: raw PostHog events in, capture-ready events out, one line
 * each, in order.  See ph-clean(1).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clean.h"
#include "cli.h"
#include "diag.h"
#include "exitcode.h"
#include "lineio.h"
#include "output.h"
#include "stdfds.h"

static const char usage_text[] =
"usage: ph-clean [-hsuV] [--keep-geoip] [--random-distinct-id]\n"
"                [-r file] [file ...]\n";

static const char help_text[] =
"Turn raw PostHog events (NDJSON, from ph-fetch or the query API) into\n"
"capture-ready events on standard output, one per input event, in order.\n"
"\n"
"  -r, --reject FILE        append rejected lines, unchanged, to FILE\n"
"  -s, --strict             stop at the first bad line\n"
"  -u, --unbuffered         flush standard output after each event\n"
"      --keep-geoip         do not set properties.$geoip_disable\n"
"      --random-distinct-id give an event with no usable distinct_id a\n"
"                           random UUID instead of one derived from it\n"
"  -h, --help               print this help and exit\n"
"  -V, --version            print the version and exit\n"
"\n"
"With no file, or when file is -, read standard input.\n"
"Exit status: 0 all cleaned, 1 lines rejected, 2 usage, 3 fatal error.\n"
"See ph-clean(1).\n";

enum {
	OPT_KEEP_GEOIP = 256,
	OPT_RANDOM_DISTINCT_ID
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "keep-geoip", no_argument, NULL, OPT_KEEP_GEOIP },
	{ "random-distinct-id", no_argument, NULL, OPT_RANDOM_DISTINCT_ID },
	{ "reject", required_argument, NULL, 'r' },
	{ "strict", no_argument, NULL, 's' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct run {
	struct cleaner	 c;
	struct owriter	 out;
	struct owriter	 rej;
	const char	*rejpath;	/* NULL: rejected lines are dropped */
	int		 strict;
	int		 status;
	int		 stop;		/* --strict met a bad line */
	int		 stdin_closed;	/* descriptor 0 was closed at start */
};

static void
set_status(struct run *r, int status)
{
	/* A fatal error outranks rejected lines. */
	if (r->status == PH_EXIT_OK || status == PH_EXIT_FATAL)
		r->status = status;
}

/* The line as it was read, BOM and CR included, goes to -r. */
static void
reject_line(struct run *r, const struct lreader *lr, const struct line *l,
    size_t bom, const char *why)
{
	warn_at(lr->name, l->no, "%s", why);
	set_status(r, PH_EXIT_REJECTED);
	if (r->rejpath != NULL) {
		ow_write(&r->rej, l->p - bom, l->len + bom);
		ow_write(&r->rej, "\r\n" + !l->cr, 1 + l->cr);
		/* Rejects are rare: make each one safe at once. */
		ow_flush(&r->rej);
	}
	if (r->strict)
		r->stop = 1;
}

static void
clean_line(struct run *r, const struct lreader *lr, struct line *l)
{
	size_t bom = 0;
	char why[256];

	if (l->no == 1)
		bom = lr_drop_bom(l);
	if (js_ws(l->p, l->p + l->len) == l->p + l->len)
		return;		/* blank */
	if (clean_event(&r->c, l->p, l->len, why, sizeof(why)) == -1) {
		reject_line(r, lr, l, bom, why);
		return;
	}
	buf_addc(&r->c.out, '\n');
	ow_write(&r->out, r->c.out.p, r->c.out.len);
	ow_endrecord(&r->out);
}

static void
clean_file(struct run *r, const char *path)
{
	struct lreader lr;
	struct line l;
	int got = 0;

	/*
	 * ensure_std_fds put /dev/null there: reading it would pass an
	 * input we never had for an empty one.
	 */
	if (r->stdin_closed && strcmp(path, "-") == 0) {
		warnx("stdin: %s", strerror(EBADF));
		set_status(r, PH_EXIT_FATAL);
		return;
	}
	if (lr_open(&lr, path) == -1) {
		warn("%s", path);
		set_status(r, PH_EXIT_FATAL);
		return;
	}
	while (!r->stop && (got = lr_getline(&lr, &l)) == 1)
		clean_line(r, &lr, &l);
	if (!r->stop && got == -1) {
		warn("%s", lr.name);
		set_status(r, PH_EXIT_FATAL);
	}
	lr_close(&lr);
}

int
main(int argc, char *argv[])
{
	struct run r;
	int ch, i;

	/* getopt_long names the program by argv[0]: use the short name. */
	argv[0] = program_invocation_short_name;
	cli_init(usage_text, help_text);
	if (!stdout_is_open())
		errx(PH_EXIT_FATAL, "stdout: %s", strerror(EBADF));
	memset(&r, 0, sizeof(r));
	r.stdin_closed = fcntl(STDIN_FILENO, F_GETFD) == -1;
	ensure_std_fds();
	ow_init(&r.out, 1, "stdout");
	while ((ch = getopt_long(argc, argv, "hr:suV", longopts, NULL)) != -1)
		switch (ch) {
		case 'h':
			cli_help();
			break;
		case 'r':
			r.rejpath = optarg;
			break;
		case 's':
			r.strict = 1;
			break;
		case 'u':
			r.out.unbuffered = 1;
			break;
		case 'V':
			cli_version();
			break;
		case OPT_KEEP_GEOIP:
			r.c.keep_geoip = 1;
			break;
		case OPT_RANDOM_DISTINCT_ID:
			r.c.random_distinct_id = 1;
			break;
		default:
			cli_usage_error();
		}
	argc -= optind;
	argv += optind;

	if (r.rejpath != NULL && ow_open_append(&r.rej, r.rejpath) == -1)
		err(PH_EXIT_FATAL, "%s", r.rejpath);
	if (argc == 0)
		clean_file(&r, "-");
	for (i = 0; i < argc && !r.stop; i++)
		clean_file(&r, argv[i]);
	ow_close(&r.out);
	if (r.rejpath != NULL)
		ow_close(&r.rej);
	cleaner_free(&r.c);
	return r.status;
}
