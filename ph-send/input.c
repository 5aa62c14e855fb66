#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "xalloc.h"

static int
open_current(struct input *in)
{
	in->starts[in->cur] = in->line;
	if (lr_open(&in->lr, in->paths[in->cur]) == -1) {
		warn("%s", in->paths[in->cur]);
		return -1;
	}
	in->open = 1;
	return 0;
}

int
input_init(struct input *in, char *const *paths, int npaths)
{
	static char dash[] = "-";
	static char *const stdin_only[] = { dash };

	memset(in, 0, sizeof(*in));
	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	in->paths = paths;
	in->npaths = npaths;
	in->starts = xcalloc((size_t)npaths, sizeof(*in->starts));
	return open_current(in);
}

void
input_free(struct input *in)
{
	if (in->open)
		lr_close(&in->lr);
	free(in->starts);
	memset(in, 0, sizeof(*in));
}

int
input_next(struct input *in, struct line *l)
{
	for (;;) {
		if (in->done)
			return -1;
		if (lr_next(&in->lr, l)) {
			/* Dropped here, so every reader hashes alike. */
			if (in->lr.lineno == 1 && lr_drop_bom(l) > 0)
				in->bom_line = in->line + 1;
			l->no = ++in->line;
			return 1;
		}
		if (!in->lr.eof)
			return 0;
		lr_close(&in->lr);
		in->open = 0;
		if (++in->cur == in->npaths) {
			in->done = 1;
			return -1;
		}
		if (open_current(in) == -1)
			return -2;
	}
}

int
input_fd(const struct input *in)
{
	return in->open ? in->lr.fd : -1;
}

int
input_fill(struct input *in)
{
	if (!in->open || lr_fill(&in->lr) != -1)
		return 0;
	warn("%s", in->lr.name);
	return -2;
}

int
input_getline(struct input *in, struct line *l)
{
	int r;

	while ((r = input_next(in, l)) == 0)
		if (input_fill(in) == -2)
			return -2;
	return r;
}

int
input_is_replayable(const struct input *in)
{
	struct stat st;
	int i;

	for (i = 0; i < in->npaths; i++) {
		if (strcmp(in->paths[i], "-") == 0) {
			if (fstat(STDIN_FILENO, &st) == -1 ||
			    !S_ISREG(st.st_mode))
				return 0;
		} else if (stat(in->paths[i], &st) == -1 ||
		    !S_ISREG(st.st_mode))
			return 0;
	}
	return 1;
}

const char *
input_where(const struct input *in, unsigned long long no, char *out,
    size_t size)
{
	int i = in->cur < in->npaths ? in->cur : in->npaths - 1;
	const char *name;

	while (i > 0 && in->starts[i] >= no)
		i--;
	name = strcmp(in->paths[i], "-") == 0 ? "stdin" : in->paths[i];
	snprintf(out, size, "%s:%llu", name, no - in->starts[i]);
	return out;
}
