#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "secret.h"
#include "xalloc.h"

#define SECRET_MAX	4096

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first line of s, trimmed, as a new string; NULL if empty. */
static char *
first_line(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t end = nl != NULL ? (size_t)(nl - s) : n, start = 0;

	while (start < end && is_space(s[start]))
		start++;
	while (end > start && is_space(s[end - 1]))
		end--;
	return end > start ? xmemdup0(s + start, end - start) : NULL;
}

static char *
from_file(const char *path, char *why, size_t whysize)
{
	char buf[SECRET_MAX];
	ssize_t n;
	char *key;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n == -1) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	key = first_line(buf, (size_t)n);
	memset(buf, 0, sizeof(buf));
	if (key == NULL)
		snprintf(why, whysize, "%s: no key in the file", path);
	return key;
}

char *
secret_load(const char *env, const char *file, char *why, size_t whysize)
{
	const char *v;
	char *key;

	if (file != NULL)
		return from_file(file, why, whysize);
	v = getenv(env);
	if (v == NULL || (key = first_line(v, strlen(v))) == NULL) {
		snprintf(why, whysize, "no API key: set %s or use --key-file",
		    env);
		return NULL;
	}
	return key;
}

char *
secret_require(const char *env, const char *file)
{
	char why[512], *key;

	if ((key = secret_load(env, file, why, sizeof(why))) == NULL) {
		warnx("%s", why);
		exit(file != NULL ? PH_EXIT_FATAL : PH_EXIT_USAGE);
	}
	return key;
}

void
secret_free(char *key)
{
	if (key == NULL)
		return;
	explicit_bzero(key, strlen(key));
	free(key);
}
