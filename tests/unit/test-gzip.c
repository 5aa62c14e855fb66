/* Unit tests of common/gzip.c, tests/emu/gunzip.c and common/secret.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "gunzip.h"
#include "gzip.h"
#include "secret.h"
#include "tap.h"

static void
test_gzip(void)
{
	struct buf z = { 0 }, back = { 0 };
	char text[100000];
	size_t i;
	int r;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (char)("{\"event\":\"e\"}\n"[i % 14] + (i % 97 == 0));
	ok(gz_compress(&z, text, sizeof(text), 3) == 0, "compressed");
	ok(gz_is_gzip(z.p, z.len), "with gzip's magic bytes");
	ok(z.len < sizeof(text) / 5, "to a fifth or less (%zu)", z.len);
	ok(gz_decompress(&back, z.p, z.len, sizeof(text)) == 0 &&
	    back.len == sizeof(text) && memcmp(back.p, text, back.len) == 0,
	    "and back, byte for byte");
	back.len = 0;
	ok(gz_decompress(&back, z.p, z.len, 1000) == -2, "a limit is kept");
	back.len = 0;
	ok(gz_decompress(&back, z.p, z.len / 2, sizeof(text)) == -1,
	    "cut data is refused");
	ok(!gz_is_gzip("{}", 2), "JSON is not gzip");
	z.len = back.len = 0;
	r = gz_compress(&z, "", 0, 1);
	ok(r == 0 && gz_is_gzip(z.p, z.len) &&
	    gz_decompress(&back, z.p, z.len, 10) == 0 && back.len == 0,
	    "nothing in: a gzip member of nothing (%zu bytes)", z.len);
	buf_free(&z);
	buf_free(&back);
}

static void
test_secret(void)
{
	char path[] = "/tmp/ph-key-XXXXXX", why[256];
	char *k;
	int fd;

	setenv("PH_TEST_KEY", "  phc_env \n", 1);
	k = secret_load("PH_TEST_KEY", NULL, why, sizeof(why));
	is_str(k ? k : "", "phc_env", "from the environment, trimmed");
	secret_free(k);
	setenv("PH_TEST_KEY", "", 1);
	ok(secret_load("PH_TEST_KEY", NULL, why, sizeof(why)) == NULL,
	    "an empty variable counts as unset");
	is_str(why, "no API key: set PH_TEST_KEY or use --key-file",
	    "and the message says where a key comes from");
	fd = mkstemp(path);
	if (write(fd, "phc_file\r\nsecond line\n", 22) != 22)
		return;
	close(fd);
	k = secret_load("PH_TEST_KEY", path, why, sizeof(why));
	is_str(k ? k : "", "phc_file", "from a file: its first line");
	secret_free(k);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	ok(secret_load("PH_TEST_KEY", path, why, sizeof(why)) == NULL,
	    "an empty file has no key");
	ok(strstr(why, "no key in the file") != NULL, "and says so");
	unlink(path);
	ok(secret_load("PH_TEST_KEY", path, why, sizeof(why)) == NULL,
	    "a missing file: NULL");
	ok(strstr(why, "No such file") != NULL, "naming the error");
}

int
main(void)
{
	test_gzip();
	test_secret();
	return done_testing();
}
