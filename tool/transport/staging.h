#ifndef STRATA_STAGING_H
#define STRATA_STAGING_H
/* Blobs waiting to enter the store all together: each is written to the store's tmp/ first and
   they are committed in the order staged (manifests last), so nothing enters the store unless the
   whole image does. A struct staging starts as {.s = store}. */
#include <stddef.h>

#include "digest.h"

struct error;
struct json_t;
struct store;

struct staging {
	struct store *s;
	struct staged {
		char *tmp;
		char digest[DIGEST_SIZE];
	} *v;
	size_t n, cap;
};

/* stage the finished store temporary file tmp (malloc'd; st owns it now) as the blob digest */
void staging_add(struct staging *st, char *tmp, const char *digest);
/* stage the len bytes at p; their digest goes to digest; 0 or -1 with err */
int staging_mem(struct staging *st, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err);
/* stage doc as compact JSON with sorted keys; its digest and size go out; 0 or -1 with err */
int staging_json(struct staging *st, struct json_t *doc, char digest[DIGEST_SIZE], long long *size,
		 struct error *err);
/* move every staged blob into the store, in the order staged; on failure the rest are removed;
   0 or -1 with err */
int staging_commit(struct staging *st, struct error *err);
/* remove the blobs still staged and free st's memory */
void staging_free(struct staging *st);

#endif
