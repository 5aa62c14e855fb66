#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
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

/*
 * The file's bytes, NUL-terminated: a state file is small (its
 * delivered_past at most STATE_DELIVERED_MAX fingerprints).
 */
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
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < (64 << 20))
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

/* state_load, and the delivered_past text onto delivered unless NULL. */
static int
load(const char *path, struct saved_state *st, struct buf *delivered,
    char *why, size_t whysize)
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
	if (json_object_object_get_ex(o, "run", &v) &&
	    json_object_is_type(v, json_type_object))
		snprintf(st->run, sizeof(st->run), "%s",
		    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	copy_field(o, "destination", st->destination,
	    sizeof(st->destination));
	copy_field(o, "reject_file", st->reject_file,
	    sizeof(st->reject_file));
	st->reject_bytes = int_field(o, "reject_bytes") > 0 ?
	    (unsigned long long)int_field(o, "reject_bytes") : 0;
	if (delivered != NULL &&
	    json_object_object_get_ex(o, "delivered_past", &v) &&
	    json_object_is_type(v, json_type_string))
		buf_add(delivered, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	json_object_put(o);
	return 1;
}

int
state_load(const char *path, struct saved_state *st, char *why,
    size_t whysize)
{
	return load(path, st, NULL, why, whysize);
}

int
state_load_delivered(const char *path, struct saved_state *st,
    struct buf *out, char *why, size_t whysize)
{
	return load(path, st, out, why, whysize);
}

static void
format(struct buf *b, const struct saved_state *st)
{
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addstr(b, "{\"version\":1,");
	if (st->run[0] != '\0')
		buf_printf(b, "\"run\":%s,", st->run);
	buf_printf(b, "\"pipe\":%s,\"lines\":%llu,"
	    "\"prefix_hash\":\"%016" PRIx64 "\",\"timestamp\":",
	    st->pipe ? "true" : "false", st->lines, st->prefix_hash);
	js_escape(b, st->timestamp, strlen(st->timestamp));
	buf_addstr(b, ",\"uuid\":");
	js_escape(b, st->uuid, strlen(st->uuid));
	buf_printf(b, ",\"sent\":%llu,\"rejected\":%llu,", st->sent,
	    st->rejected);
	if (st->delivered_past != NULL && st->delivered_past[0] != '\0') {
		buf_addstr(b, "\"delivered_past\":\"");
		buf_addstr(b, st->delivered_past);
		buf_addstr(b, "\",");
	}
	if (st->destination[0] != '\0') {
		buf_addstr(b, "\"destination\":");
		js_escape(b, st->destination, strlen(st->destination));
		buf_addc(b, ',');
	}
	if (st->reject_file[0] != '\0') {
		buf_addstr(b, "\"reject_file\":");
		js_escape(b, st->reject_file, strlen(st->reject_file));
		buf_printf(b, ",\"reject_bytes\":%llu,", st->reject_bytes);
	}
	buf_printf(b, "\"updated\":\"%s\"}\n", now);
}

/* The directory part of path, "." when it has none. */
static void
dir_of(const char *path, struct buf *dir)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		buf_addc(dir, '.');
	else
		buf_add(dir, path, slash == path ? 1 : (size_t)(slash - path));
	buf_addc(dir, '\0');
}

/* Make the rename itself durable: fsync the directory that holds it. */
static void
sync_dir(const char *path)
{
	struct buf dir = { 0 };
	int fd;

	dir_of(path, &dir);
	if ((fd = open(dir.p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	buf_free(&dir);
}

/* Write all of b to fd and fsync it: 0, or -1 and errno. */
static int
write_synced(int fd, const struct buf *b)
{
	ssize_t n;

	do
		n = write(fd, b->p, b->len);
	while (n == -1 && errno == EINTR);
	if (n >= 0 && n != (ssize_t)b->len)
		errno = ENOSPC;
	if (n != (ssize_t)b->len || fsync(fd) == -1)
		return -1;
	return 0;
}

int
state_save(const char *path, const struct saved_state *st)
{
	struct buf b = { 0 }, tmp = { 0 };
	int fd, saved;

	format(&b, st);
	/* One name, under the lock; never through a link left there. */
	buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		goto fail;
	if (write_synced(fd, &b) == -1) {
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

/* Without O_TMPFILE: an exclusive create, written in place. */
static int
create_in_place(const char *path, const struct buf *b)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return -1;
	if (write_synced(fd, b) == -1 || close(fd) == -1) {
		saved = errno;
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

int
state_create(const char *path, const struct saved_state *st)
{
	struct buf b = { 0 }, dir = { 0 };
	char proc[64];
	int fd, r = -1, saved;

	format(&b, st);
	dir_of(path, &dir);
	fd = open(dir.p, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL))
		r = create_in_place(path, &b);
	else if (fd != -1) {
		/* A nameless file gets its name only when it is whole. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (write_synced(fd, &b) == 0)
			r = linkat(AT_FDCWD, proc, AT_FDCWD, path,
			    AT_SYMLINK_FOLLOW);
		saved = errno;
		close(fd);
		errno = saved;
		/* No /proc to name the file by: create it in place. */
		if (r == -1 && errno == ENOENT && access("/proc/self/fd",
		    F_OK) == -1)
			r = create_in_place(path, &b);
	}
	saved = errno;
	if (r == 0)
		sync_dir(path);
	buf_free(&b);
	buf_free(&dir);
	errno = saved;
	return r;
}

/* Whether name is base.tmp or base.PID.tmp (earlier versions' name). */
static int
is_stale_tmp(const char *name, const char *base)
{
	size_t n = strlen(base);
	const char *p;

	if (strncmp(name, base, n) != 0 || name[n] != '.')
		return 0;
	p = name + n + 1;
	p += strspn(p, "0123456789");
	if (p != name + n + 1 && *p == '.')
		p++;
	return strcmp(p, "tmp") == 0;
}

/* Under the lock no other writer is alive: their temporaries are junk. */
static void
remove_stale_tmps(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	struct buf dir = { 0 }, victim = { 0 };
	struct dirent *e;
	DIR *d;

	dir_of(path, &dir);
	if ((d = opendir(dir.p)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (is_stale_tmp(e->d_name, base)) {
				victim.len = 0;
				buf_printf(&victim, "%s/%s", dir.p, e->d_name);
				unlink(victim.p);
			}
		closedir(d);
	}
	buf_free(&dir);
	buf_free(&victim);
}

/* The pid the holder wrote in the lock file, or 0. */
static long
holder(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strtol(text, NULL, 10);
}

/* Fail now, not after the first batch, if path cannot be replaced. */
static int
can_replace(const char *path)
{
	struct buf tmp = { 0 };
	struct stat sb;
	int fd, r = -1;

	buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd != -1) {
		close(fd);
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			errno = EISDIR;
		else
			r = 0;
		unlink(tmp.p);
	}
	buf_free(&tmp);
	return r;
}

int
state_lock(const char *path, const char *who, int *busy, char *why,
    size_t whysize)
{
	struct buf lock = { 0 };
	char pid[32];
	long other;
	int fd;

	*busy = 0;
	buf_printf(&lock, "%s.lock", path);
	fd = open(lock.p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(why, whysize, "%s: %s", lock.p, strerror(errno));
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*busy = 1;
			other = holder(fd);
			snprintf(why, whysize, "%s is in use by another %s%s; "
			    "one state file serves one run at a time", path,
			    who, other > 0 ? (snprintf(pid, sizeof(pid),
			    " (pid %ld)", other), pid) : "");
		} else
			snprintf(why, whysize, "%s: %s", lock.p,
			    strerror(errno));
		close(fd);
		goto fail;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		snprintf(why, whysize, "%s: %s", lock.p, strerror(errno));
		close(fd);
		goto fail;
	}
	remove_stale_tmps(path);
	if (can_replace(path) == -1) {
		snprintf(why, whysize, "%s: cannot be written: %s", path,
		    strerror(errno));
		close(fd);
		goto fail;
	}
	buf_free(&lock);
	return fd;
fail:
	buf_free(&lock);
	return -1;
}
