#ifndef STRATA_GOJSON_H
#define STRATA_GOJSON_H
/* the exec form's JSON, read as Go's encoding/json.Unmarshal into []any reads it (BuildKit's parseJSON) */
#include <stddef.h>

struct arena;

enum gojson {
	GOJSON_NO = 0,          /* not JSON to Go: syntax, nesting over 10,000, a number beyond float64 */
	GOJSON_STRINGS = 1,     /* an array of strings */
	GOJSON_NOT_STRINGS = 2, /* an array with an element that is no string */
};

/* decode s[0, n) (starting at '['); on GOJSON_STRINGS *v and *len hold *count strings from a, which may
   hold NUL; a bad UTF-8 byte and a lone surrogate escape become U+FFFD as in Go */
enum gojson gojson_strings(struct arena *a, const char *s, size_t n, char ***v, size_t **len, size_t *count);

#endif
