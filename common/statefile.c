#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "buf.h"
#include "jscan.h"
#include "statefile.h"

static void
copy_field(struct json_object *o, const char *key, char *out, size_t size)
{
	struct json_object *v;
	const char *s;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) &&
	    (s = json_object_get_string(v)) != NULL)
		snprintf(out, size, "%s", s);
}

static long long
int_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* The file's bytes, NUL-terminated: a state file is small. */
static char *
slurp(const char *path, char *why, size_t whysize)
{
	struct buf b = { 0 };
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			snprintf(why, whysize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < 65536)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (n == -1) {
		snprintf(why, whysize, "%s: %s", path, strerror(errno));
		buf_free(&b);
		return NULL;
	}
	buf_addc(&b, '\0');
	return b.p;
}

int
state_load(const char *path, struct saved_state *st, char *why,
    size_t whysize)
{
	struct json_object *o, *v;
	char hash[32];
	long long lines;
	char *text;

	memset(st, 0, sizeof(*st));
	why[0] = '\0';
	if ((text = slurp(path, why, whysize)) == NULL)
		return why[0] == '\0' ? 0 : -1;
	o = json_tokener_parse(text);
	free(text);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    (lines = int_field(o, "lines")) < 0) {
		snprintf(why, whysize, "%s: not a ph-send state file", path);
		json_object_put(o);
		return -1;
	}
	st->lines = (unsigned long long)lines;
	st->pipe = json_object_object_get_ex(o, "pipe", &v) &&
	    json_object_get_boolean(v);
	copy_field(o, "prefix_hash", hash, sizeof(hash));
	st->prefix_hash = strtoull(hash, NULL, 16);
	copy_field(o, "timestamp", st->timestamp, sizeof(st->timestamp));
	copy_field(o, "uuid", st->uuid, sizeof(st->uuid));
	st->sent = int_field(o, "sent") > 0 ? (unsigned long long)
	    int_field(o, "sent") : 0;
	st->rejected = int_field(o, "rejected") > 0 ? (unsigned long long)
	    int_field(o, "rejected") : 0;
	json_object_put(o);
	return 1;
}

static void
format(struct buf *b, const struct saved_state *st)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b, "{\"version\":1,\"pipe\":%s,\"lines\":%llu,"
	    "\"prefix_hash\":\"%016" PRIx64 "\",\"timestamp\":",
	    st->pipe ? "true" : "false", st->lines, st->prefix_hash);
	js_escape(b, st->timestamp, strlen(st->timestamp));
	buf_addstr(b, ",\"uuid\":");
	js_escape(b, st->uuid, strlen(st->uuid));
	buf_printf(b, ",\"sent\":%llu,\"rejected\":%llu,\"updated\":\"%s\"}\n",
	    st->sent, st->rejected, now);
}

/* Make the rename itself durable: fsync the directory that holds it. */
static void
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct buf dir = { 0 };
	int fd;

	if (slash == NULL)
		buf_addc(&dir, '.');
	else
		buf_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	if ((fd = open(dir.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	buf_free(&dir);
}

int
state_save(const char *path, const struct saved_state *st)
{
	struct buf b = { 0 }, tmp = { 0 };
	int fd, saved;
	ssize_t n;

	format(&b, st);
	/* Per process, and never through a link someone left there. */
	buf_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto fail;
	do
		n = write(fd, b.p, b.len);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)b.len || fsync(fd) == -1) {
		if (n >= 0 && n != (ssize_t)b.len)
			errno = ENOSPC;
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp.p, path) == -1)
		goto fail;
	sync_dir(path);
	buf_free(&b);
	buf_free(&tmp);
	return 0;
fail:
	saved = errno;
	if (tmp.p != NULL)
		unlink(tmp.p);
	buf_free(&b);
	buf_free(&tmp);
	errno = saved;
	return -1;
}
