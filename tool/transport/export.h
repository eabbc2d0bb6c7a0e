#ifndef STRATA_EXPORT_H
#define STRATA_EXPORT_H
/* Writing a store image out to the transports users know from skopeo and podman (oci:DIR[:TAG],
   oci-archive:FILE[:TAG], docker-archive:FILE[:REF], rootfs:TAR|DIR; see output.h for the specs).
   Outputs are written beside the destination and renamed into place, deterministically (sorted
   entries, mtime SOURCE_DATE_EPOCH or 0, uid/gid 0); every blob is verified as it is read. */

#include "digest.h"

struct compression;
struct error;
struct store;

/* write the store image with manifest digest md to dest (an output spec, see output.h); name (a
   normalised NAME:TAG, or NULL for an unnamed image) gives the default TAG of oci: and the name
   inside archives; 0 or -1 with err */
int transport_export(struct store *s, const char *md, const char *dest, const char *name, struct error *err);

/* the store image md with its layers compressed as how says, for an export: a layer already in
   how's method is kept as stored unless how names a level; the new blobs and manifest (OCI media
   types, the same config) enter the store, and the manifest's digest goes to out (md itself when
   nothing changes); 0 or -1 with err (a level out of range, a damaged blob) */
int transport_recompress(struct store *s, const char *md, const struct compression *how, char out[DIGEST_SIZE],
			 struct error *err);

#endif
