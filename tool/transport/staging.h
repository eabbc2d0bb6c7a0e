#ifndef STRATA_STAGING_H
#define STRATA_STAGING_H
/* Blobs waiting to enter the store all together: each is written to the store's tmp/ first and
   they are committed in the order staged (manifests last), so nothing enters the store unless the
   whole image does. A struct staging starts as {.s = store}. */
#include <stddef.h>

#include "digest.h"
#include "error.h"
#include "lstream.h"

struct compression;
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
/* what staging_layer read: the digests of the bytes read (raw), of their tar (the diff_id) and of
   the recompressed output (gz), unless hashed is -1 (the cause in herr) */
struct staged_layer {
	char raw[DIGEST_SIZE], tar[DIGEST_SIZE], gz[DIGEST_SIZE];
	long long rawsize, gzsize;
	int gz_in;  /* the blob read: 0 a plain tar, 1 gzip, 2 zstd */
	int hashed; /* 0, or -1 with herr */
	struct error herr;
};

/* stream the layer blob in fd (size bytes, compressed as gz says; fd stays open) into a staged
   blob: its bytes as they are, or with how its tar recompressed. scan (when set) reads the tar
   stream first; judge rules on the outcome (rc: the stream's 0, or -1 with err) and l, returning 0
   or -1 with err. Staged on 0, as l->gz with how, else as l->raw; 0 or -1 with err */
int staging_layer(struct staging *st, int fd, long long size, enum gzmode gz, const struct compression *how,
		  int (*scan)(struct lstream *ls, void *arg, struct error *err),
		  int (*judge)(int rc, const struct staged_layer *l, void *arg, struct error *err), void *arg,
		  struct staged_layer *l, struct error *err);
/* move every staged blob into the store, in the order staged; on failure the rest are removed;
   0 or -1 with err */
int staging_commit(struct staging *st, struct error *err);
/* remove the blobs still staged and free st's memory */
void staging_free(struct staging *st);

#endif
