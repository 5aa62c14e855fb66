/* UUIDs: recognising the forms capture accepts, and making new ones. */
#ifndef PH_UUID_H
#define PH_UUID_H

#include <stddef.h>

#define UUID_STRLEN	36	/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */

/*
 * ph's namespace for name-based UUIDs: a derived id is
 * uuid5(PH_UUID_NAMESPACE, name), the same on every run and machine.
 */
#define PH_UUID_NAMESPACE	"0203f60f-eeb8-4a67-b122-d62af66ea6f1"

/*
 * Parse the forms the Rust uuid crate accepts (hyphenated, 32 hex
 * digits, {braced}, urn:uuid:), hex digits in any case: 0 and the 16
 * bytes, or -1.
 */
int	uuid_parse(const char *, size_t, unsigned char out[16]);

/* Lower-case hyphenated text, NUL-terminated (37 bytes). */
void	uuid_format(const unsigned char u[16], char out[UUID_STRLEN + 1]);

/* Version 5: SHA-1 of the namespace and the name prefix || name. */
void	uuid_v5(const unsigned char ns[16], const char *prefix,
	    const void *name, size_t len, unsigned char out[16]);

/* Version 4 from the kernel's random source. */
void	uuid_v4(unsigned char out[16]);

#endif
