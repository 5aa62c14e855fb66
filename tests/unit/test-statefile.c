/*
 * Unit tests of common/statefile.c: atomic save, load, bad files, the
 * run object, the list of lines delivered past the prefix, exclusive
 * creation, the lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "statefile.h"
#include "tap.h"

/*
 * ph-send's list of lines delivered past the prefix: written only when
 * there is one, read back whole, even a full list (over 64 KB).
 */
static void
test_delivered(const char *path, struct saved_state *a)
{
	struct saved_state b;
	struct buf list = { 0 }, got = { 0 };
	char why[512];
	size_t i;

	ok(state_save(path, a) == 0 && state_load_delivered(path, &b, &got,
	    why, sizeof(why)) == 1 && got.len == 0, "no list: nothing read");
	for (i = 0; i < STATE_DELIVERED_MAX; i++)
		buf_printf(&list, "%016zx", i * 7919);
	buf_addc(&list, '\0');
	a->delivered_past = list.p;
	ok(state_save(path, a) == 0, "saved with %d fingerprints",
	    STATE_DELIVERED_MAX);
	ok(state_load(path, &b, why, sizeof(why)) == 1 && b.lines == a->lines,
	    "the rest loads as before");
	ok(state_load_delivered(path, &b, &got, why, sizeof(why)) == 1 &&
	    got.len == list.len - 1 && memcmp(got.p, list.p, got.len) == 0,
	    "the list comes back whole");
	a->delivered_past = NULL;
	buf_free(&list);
	buf_free(&got);
}

int
main(void)
{
	char dir[] = "/tmp/ph-state-XXXXXX", path[256], tmp[300], why[512];
	struct saved_state a, b;
	int fd, fd2, busy;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	ok(state_load(path, &b, why, sizeof(why)) == 0, "no file: 0");
	memset(&a, 0, sizeof(a));
	a.pipe = 1;
	a.lines = 123456789012ULL;
	a.prefix_hash = 0xfedcba9876543210ULL;
	strcpy(a.timestamp, "2024-05-01T12:34:56.123456+00:00");
	strcpy(a.uuid, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
	a.sent = 99;
	a.rejected = 2;
	ok(state_save(path, &a) == 0, "saved");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ok(access(tmp, F_OK) == -1, "no temporary file is left");
	ok(state_load(path, &b, why, sizeof(why)) == 1, "loaded");
	ok(b.pipe == 1 && b.lines == a.lines && b.prefix_hash ==
	    a.prefix_hash && b.sent == 99 && b.rejected == 2,
	    "numbers survive, 64-bit ones too");
	is_str(b.timestamp, a.timestamp, "timestamp survives");
	is_str(b.uuid, a.uuid, "uuid survives");
	is_str(b.run, "", "no run object: empty");

	strcpy(a.run, "{\"source\":\"http://x\",\"after\":\"2024\"}");
	strcpy(a.reject_file, "s.rejected.ndjson");
	a.reject_bytes = 812;
	strcpy(a.destination, "https://eu.i.posthog.com/batch/");
	ok(state_save(path, &a) == 0, "saved with a run object");
	ok(state_load(path, &b, why, sizeof(why)) == 1 &&
	    strcmp(b.run, a.run) == 0, "the run object survives as it was");
	ok(strcmp(b.reject_file, a.reject_file) == 0 &&
	    b.reject_bytes == 812, "reject file and size survive");
	is_str(b.destination, a.destination, "destination survives");
	errno = 0;
	ok(state_create(path, &a) == -1 && errno == EEXIST,
	    "state_create never replaces a state");
	unlink(path);
	ok(state_create(path, &a) == 0 && state_load(path, &b, why,
	    sizeof(why)) == 1 && strcmp(b.run, a.run) == 0,
	    "state_create makes a whole one");

	test_delivered(path, &a);

	snprintf(tmp, sizeof(tmp), "%s.4242.tmp", path);
	close(open(tmp, O_WRONLY | O_CREAT, 0600));
	fd = state_lock(path, "ph-send", &busy, why, sizeof(why));
	ok(fd != -1 && !busy, "the lock is taken");
	ok(access(tmp, F_OK) == -1, "a killed run's temporary file is gone");
	fd2 = state_lock(path, "ph-send", &busy, why, sizeof(why));
	ok(fd2 == -1 && busy, "a second lock is refused");
	ok(strstr(why, "in use by another ph-send (pid ") != NULL,
	    "and the holder is named");
	close(fd);
	fd = state_lock(path, "ph-send", &busy, why, sizeof(why));
	ok(fd != -1, "once released it can be taken again");
	close(fd);
	snprintf(tmp, sizeof(tmp), "%s.lock", path);
	unlink(tmp);

	f = fopen(path, "w");
	fputs("{\"lines\": \"many\"}", f);
	fclose(f);
	ok(state_load(path, &b, why, sizeof(why)) == -1, "no number: -1");
	ok(strstr(why, "not a ph-send state file") != NULL, "and says so");
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	ok(state_load(path, &b, why, sizeof(why)) == -1, "garbage: -1");
	snprintf(tmp, sizeof(tmp), "%s/missing-dir/state.json", dir);
	ok(state_save(tmp, &a) == -1, "an unwritable place: -1");
	unlink(path);
	rmdir(dir);
	return done_testing();
}
