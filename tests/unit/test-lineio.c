/* Unit tests of common/lineio.c: endings, long lines, short reads. */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lineio.h"
#include "tap.h"

/* A reader over a pipe fed by a child, in chunks of chunk bytes. */
static void
open_feed(struct lreader *r, const char *data, size_t n, size_t chunk)
{
	int fd[2];
	size_t off;

	if (pipe(fd) == -1)
		abort();
	if (fork() == 0) {
		close(fd[0]);
		for (off = 0; off < n; off += chunk)
			if (write(fd[1], data + off, n - off < chunk ?
			    n - off : chunk) == -1)
				_exit(1);
		_exit(0);
	}
	close(fd[1]);
	lr_init_fd(r, fd[0], "pipe");
}

static void
close_feed(struct lreader *r)
{
	close(r->fd);
	r->fd = -1;
	lr_close(r);
	wait(NULL);
}

static void
test_endings(size_t chunk)
{
	const char data[] = "one\ntwo\r\n\nlast";
	struct lreader r;
	struct line l;

	open_feed(&r, data, sizeof(data) - 1, chunk);
	ok(lr_getline(&r, &l) == 1 && l.no == 1, "chunk %zu: line 1", chunk);
	is_mem(l.p, l.len, "one", "chunk %zu: LF", chunk);
	ok(lr_getline(&r, &l) == 1, "chunk %zu: line 2", chunk);
	is_mem(l.p, l.len, "two", "chunk %zu: CRLF", chunk);
	ok(lr_getline(&r, &l) == 1 && l.len == 0, "chunk %zu: empty", chunk);
	ok(lr_getline(&r, &l) == 1 && l.no == 4, "chunk %zu: line 4", chunk);
	is_mem(l.p, l.len, "last", "chunk %zu: no final newline", chunk);
	ok(l.p[l.len] == '\0', "chunk %zu: NUL-terminated", chunk);
	ok(lr_getline(&r, &l) == 0, "chunk %zu: end of file", chunk);
	close_feed(&r);
}

static void
test_long_line(void)
{
	size_t n = 3 * 1024 * 1024, i;
	char *data = malloc(n + 8);
	struct lreader r;
	struct line l;
	int same = 1;

	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	memcpy(data + n, "\nshort\n", 7);
	open_feed(&r, data, n + 7, 65536);
	ok(lr_getline(&r, &l) == 1 && l.len == n, "3 MiB line whole");
	for (i = 0; i < n && same; i++)
		same = l.p[i] == data[i];
	ok(same, "3 MiB line intact");
	ok(lr_getline(&r, &l) == 1, "line after it");
	is_mem(l.p, l.len, "short", "line after it intact");
	ok(lr_getline(&r, &l) == 0, "then end of file");
	close_feed(&r);
	free(data);
}

static void
test_nonblocking_use(void)
{
	const char data[] = "a\nb";
	struct lreader r;
	struct line l;

	open_feed(&r, data, 3, 3);
	ok(lr_next(&r, &l) == 0, "nothing before a fill");
	while (lr_fill(&r) > 0)
		;
	ok(lr_next(&r, &l) == 1 && l.len == 1 && l.p[0] == 'a', "a");
	ok(lr_next(&r, &l) == 1 && l.len == 1 && l.p[0] == 'b', "b at eof");
	ok(lr_next(&r, &l) == 0, "then nothing");
	close_feed(&r);
}

static void
test_bom(void)
{
	char with[] = "\xEF\xBB\xBF{}", without[] = "{}", half[] = "\xEF\xBB";
	struct line a = { with, 5, 0, 1 }, b = { without, 2, 0, 1 },
	    c = { half, 2, 0, 1 };

	ok(lr_drop_bom(&a) == 3, "a BOM is dropped: 3 bytes");
	is_mem(a.p, a.len, "{}", "  what is left");
	ok(lr_drop_bom(&b) == 0 && b.p == without && b.len == 2,
	    "no BOM: the line as it was");
	ok(lr_drop_bom(&c) == 0 && c.len == 2, "part of a BOM: kept");
}

int
main(void)
{
	test_endings(1);
	test_endings(3);
	test_endings(4096);
	test_long_line();
	test_nonblocking_use();
	test_bom();
	return done_testing();
}
