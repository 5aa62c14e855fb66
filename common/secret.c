#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* Like ssh: a key file others can read is a key others may have. */
static void
check_mode(int fd, const char *path)
{
	struct stat sb;

	if (fstat(fd, &sb) == 0 && (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		warnx("%s: permissions %04o let others read the key; "
		    "chmod 600 %s", path, (unsigned)(sb.st_mode & 07777), path);
}

/* A core dump would hold the key: none from a process that has one. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
	check_mode(fd, path);
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

	no_core_dumps();
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

static int
is_local_host(const char *h, size_t n)
{
	static const char *const names[] = { "localhost", "[::1]", "::1" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && strncasecmp(h, names[i], n) == 0)
			return 1;
	/* 127.0.0.0/8, written as a dotted address. */
	return n > 4 && strncmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") >= n;
}

void
secret_check_url(const char *url)
{
	const char *h, *end, *at;

	if (strncasecmp(url, "http://", 7) != 0)
		return;
	h = url + 7;
	end = h + strcspn(h, "/?#");
	/* user:password@ comes before the host. */
	if ((at = memchr(h, '@', (size_t)(end - h))) != NULL)
		h = at + 1;
	if (*h == '[')
		end = h + strcspn(h, "]/") + (h[strcspn(h, "]/")] == ']');
	else
		end = h + strcspn(h, ":/?#");
	if (!is_local_host(h, (size_t)(end - h)))
		warnx("%.*s: the key would go over plain http:// to another "
		    "machine, readable on the way; use https://",
		    (int)(end - h), h);
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
