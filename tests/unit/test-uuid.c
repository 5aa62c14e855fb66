/* Unit tests of common/sha1.c and common/uuid.c against known values. */
#include <string.h>

#include "sha1.h"
#include "tap.h"
#include "uuid.h"

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
sha1_of(const char *s, size_t n, size_t step, char out[41])
{
	unsigned char d[20];
	struct sha1 c;
	size_t i;

	sha1_init(&c);
	for (i = 0; i < n; i += step)
		sha1_update(&c, s + i, n - i < step ? n - i : step);
	sha1_final(&c, d);
	hex(d, 20, out);
}

static void
test_sha1(void)
{
	static char million[1000000];
	const char *abc = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char h[41];

	sha1_of("", 0, 1, h);
	is_str(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 empty");
	sha1_of("abc", 3, 1, h);
	is_str(h, "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1 abc");
	sha1_of(abc, strlen(abc), 7, h);
	is_str(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	    "sha1 two blocks, fed 7 bytes at a time");
	memset(million, 'a', sizeof(million));
	sha1_of(million, sizeof(million), 4099, h);
	is_str(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
	    "sha1 a million a's");
}

static void
test_uuid(void)
{
	unsigned char ns[16], u[16];
	char s[UUID_STRLEN + 1];

	/* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") */
	ok(uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", 36, ns) == 0,
	    "parse hyphenated");
	uuid_v5(ns, "python", ".org", 4, u);
	uuid_format(u, s);
	is_str(s, "886313e1-3b8a-5372-9b90-0c9aee199e5d", "uuid5 known value");
	ok(uuid_parse("6BA7B8109DAD11D180B400C04FD430C8", 32, u) == 0 &&
	    memcmp(u, ns, 16) == 0, "parse simple, upper case");
	ok(uuid_parse("{6ba7b810-9dad-11d1-80b4-00c04fd430c8}", 38, u) == 0,
	    "parse braced");
	ok(uuid_parse("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", 45,
	    u) == 0, "parse urn");
	ok(uuid_parse("URN:UUID:6ba7b810-9dad-11d1-80b4-00c04fd430c8", 45,
	    u) == -1, "refuse URN: in upper case, as the uuid crate does");
	ok(uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430cg", 36, u) == -1,
	    "refuse a non-hex digit");
	ok(uuid_parse("6ba7b8109-dad-11d1-80b4-00c04fd430c8", 36, u) == -1,
	    "refuse a misplaced hyphen");
	ok(uuid_parse("123", 3, u) == -1, "refuse an integer");
	uuid_v4(u);
	uuid_format(u, s);
	ok(s[14] == '4' && strchr("89ab", s[19]) != NULL,
	    "v4 has version and variant bits: %s", s);
}

int
main(void)
{
	test_sha1();
	test_uuid();
	return done_testing();
}
