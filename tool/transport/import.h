#ifndef STRATA_IMPORT_H
#define STRATA_IMPORT_H
/* Bringing images into the store from the transports users know from skopeo and podman:
     oci:DIR[:TAG]             an OCI image layout
     oci-archive:FILE[:TAG]    the same layout as a tar
     docker-archive:FILE[:REF] what `docker save` / `podman save` write
     rootfs:TAR|DIR            a root filesystem, made into one layer
   Everything read from outside is checked against its digest, and every layer entry against "..",
   before it enters the store; nothing enters the store unless the whole image does. */
#include "digest.h"

struct error;
struct store;
struct strv;

/* copy the image at src into the store; its manifest digest goes to out; 0 or -1 with err */
int transport_import(struct store *s, const char *src, char out[DIGEST_SIZE], struct error *err);
/* read the archive at path, docker-archive or oci-archive (detected), into the store: each image
   it names (or its only image) is imported; the names (normalised) go to names, and the manifest
   digest of each image imported to digests (both malloc'd strings); 0 or -1 with err */
int transport_load(struct store *s, const char *path, struct strv *names, struct strv *digests,
		   struct error *err);

#endif
