/* Unit tests of common/diag.c and common/buf.c. */
#include "buf.h"
#include "diag.h"
#include "tap.h"

int
main(void)
{
	struct buf b = { 0 };
	char out[16];
	int i;

	is_str(printable("ok\x01\n\x7f", 5, out, sizeof(out)), "ok???",
	    "control bytes become '?'");
	is_str(printable("0123456789abcdefghij", 20, out, sizeof(out)),
	    "0123456789ab...", "long text is cut with ...");
	is_str(printable("0123456789abcde", 15, out, sizeof(out)),
	    "0123456789abcde", "text that fits is whole");
	for (i = 0; i < 1000; i++)
		buf_addc(&b, 'x');
	buf_printf(&b, "%d-%s", 42, "end");
	ok(b.len == 1006 && b.p[999] == 'x', "buf grows");
	is_mem(b.p + 1000, b.len - 1000, "42-end", "buf_printf appends");
	buf_free(&b);
	ok(b.p == NULL && b.len == 0, "buf_free empties");
	return done_testing();
}
