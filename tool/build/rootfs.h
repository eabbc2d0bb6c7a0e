#ifndef STRATA_ROOTFS_H
#define STRATA_ROOTFS_H
/* A read-only view of an image's root filesystem: each layer extracted once
   into the store (dirs/layer/HEX, the overlayfs lower directories the RUN
   executor uses too) and stacked with a read-only overlay mount. */
#include <stddef.h>

struct error;
struct image;
struct store;
struct rootfs;

/* mount the filesystem of im; the process must be in a private mount namespace (sys_private_mounts) */
int rootfs_open(struct store *s, const struct image *im, struct rootfs **out, struct error *err);
/* the most lower directories rootfs_lowers gives: overlayfs stacks at most 500, and the caller may
   add a few of its own */
enum { ROOTFS_LOWERS_MAX = 400 };

/* the extracted layers of im as overlayfs lower directories: symlinks "0", "1", ... made in dir (short
   names, so many layers fit one mount's options), topmost first, each layer once, at most
   ROOTFS_LOWERS_MAX (the bottom layers of a larger image applied into one flat directory, cached in
   the store); *names (malloc'd, as its strings) and *n; an image without layers gives none */
int rootfs_lowers(struct store *s, const struct image *im, const char *dir, char ***names, size_t *n,
		  struct error *err);
/* where it is mounted */
const char *rootfs_path(const struct rootfs *r);
/* unmount and free; NULL is fine */
void rootfs_close(struct rootfs *r);
/* extract layer i of im into the store when not there yet; its directory (malloc'd) into *dir */
int rootfs_layer_dir(struct store *s, const struct image *im, size_t i, char **dir, struct error *err);

#endif
