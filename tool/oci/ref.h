#ifndef STRATA_REF_H
#define STRATA_REF_H
/* Image names and IDs as docker and podman use them. A name follows docker's
   reference grammar (distribution/reference): `busybox`, `library/busybox`
   and `docker.io/library/busybox:latest` are one name, kept in docker's
   familiar form with its tag (`busybox:latest`); `NAME@sha256:...` pins a
   manifest. An image ID is the config digest; any unique prefix of it (with
   or without "sha256:") names the image wherever a name does. */
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct error;
struct store;

enum { REF_MAX = 1024 };

/* s normalised as docker's ParseNormalizedNamed does, in familiar form, with ":latest" added
   when it has neither tag nor digest (a tag beside a digest is dropped, as docker does); 0, or -1
   with docker's message in err ("invalid reference format: ...") */
int ref_normalize(const char *s, char out[REF_MAX], struct error *err);
/* the fully qualified form of a normalised name (docker.io/library/busybox:latest) */
void ref_qualify(const char *name, char out[REF_MAX]);
/* the repository and the tag ("<none>" when pinned by digest) of a normalised name */
void ref_split(const char *name, char repo[REF_MAX], char tag[REF_MAX]);

/* what an image argument names */
struct ref_image {
	char manifest[DIGEST_SIZE]; /* the manifest digest */
	char id[DIGEST_SIZE];       /* the config digest: the image ID */
	char name[REF_MAX];         /* the normalised name used, "" when named by ID or digest */
};

/* resolve arg (a name, NAME@DIGEST, a manifest digest, an ID or a unique prefix of one) in the
   store; 0, or -1 with err ("no such image: ...", "ambiguous image ID prefix ...") */
int ref_resolve(struct store *s, const char *arg, struct ref_image *out, struct error *err);
/* the same, but 1 when found, 0 when the store has no such image (err says so, out->name holds
   the normalised name), -1 on a bad name or a store error */
int ref_lookup(struct store *s, const char *arg, struct ref_image *out, struct error *err);
/* the config digest (image ID) of the manifest md */
int ref_image_id(struct store *s, const char *md, char id[DIGEST_SIZE], struct error *err);

#endif
