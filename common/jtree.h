/*
 * JSON text as a json-c tree whose numbers and strings print as the text
 * they came as.  json-c's own parser changes values: integers beyond 64
 * bits saturate, lone surrogates become U+FFFD, and strings print with
 * json-c's escapes.  Here json-c holds only the structure (and a decoded
 * copy of each value, for reading); printing the tree gives every value
 * byte for byte.  Validated by common/jscan, so what it refuses (lone
 * surrogates, invalid UTF-8) is refused here.
 */
#ifndef PH_JTREE_H
#define PH_JTREE_H

#include <stddef.h>

#include <json.h>

#include "jscan.h"

/*
 * The object or array that is the whole text, or NULL with *e set (also
 * for a key holding \u0000, which json-c keys cannot hold).
 */
json_object	*jtree_parse(const char *p, size_t len, struct jerr *e);

/* The text a number or string leaf prints, or NULL for other values. */
const char	*jtree_text(json_object *);

/* Make a value print as text (NULL: as json-c prints it). */
void		 jtree_set_text(json_object *, const char *text);

#endif
