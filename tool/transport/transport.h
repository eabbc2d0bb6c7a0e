#ifndef STRATA_TRANSPORT_H
#define STRATA_TRANSPORT_H
/* Moving images between the store and the transports users know from
   skopeo and podman:
     oci:DIR[:TAG]             an OCI image layout
     oci-archive:FILE[:TAG]    the same layout as a tar
     docker-archive:FILE[:REF] what `docker save` / `podman save` write
     rootfs:TAR|DIR            (import only) a root filesystem, made into one layer
   Everything read from outside is checked against its digest, and every
   layer entry against "..", before it enters the store; nothing enters the
   store unless the whole image does. Outputs are written beside the
   destination and renamed into place, deterministically (sorted entries,
   mtime SOURCE_DATE_EPOCH or 0, uid/gid 0). */
#include <stddef.h>

#include "digest.h"

struct error;
struct store;
struct strv;

/* copy the image at src into the store; its manifest digest goes to out; 0 or -1 with err */
int transport_import(struct store *s, const char *src, char out[DIGEST_SIZE], struct error *err);
/* write the store image with manifest digest md to dest (an output spec, see output.h); name (a
   normalised NAME:TAG, or NULL for an unnamed image) gives the default TAG of oci: and the name
   inside archives; 0 or -1 with err */
int transport_export(struct store *s, const char *md, const char *dest, const char *name, struct error *err);
/* read the archive at path, docker-archive or oci-archive (detected), into the store: each image
   it names (or its only image) is imported; the names (normalised) go to names, and the manifest
   digest of each image imported to digests (both malloc'd strings); 0 or -1 with err */
int transport_load(struct store *s, const char *path, struct strv *names, struct strv *digests,
		   struct error *err);

#endif
