#ifndef STRATA_UNTAR_H
#define STRATA_UNTAR_H
/* Safe extraction of tar archives (plain, gzip, bzip2, xz, zstd: detected by
   libarchive) into a directory, as ADD of a local archive and the store's
   extracted layers need. Nothing is ever written outside dest: entries with
   "..", absolute paths (made relative, as docker does), or a path through a
   symlink, are refused or resolved inside dest. Symlinks on the way to an
   entry resolve as in a chroot at dest (openat2 RESOLVE_IN_ROOT, like docker's
   chrooted unpack); one in the entry's own place is replaced, never followed.
   Only the security.capability xattr is applied. */

struct error;

enum untar_mode {
	UNTAR_ADD,      /* ADD: extract as docker does; whiteout names are ordinary files */
	UNTAR_APPLY,    /* apply an image layer onto a root filesystem: .wh.NAME deletes NAME,
	                   .wh..wh..opq empties the directory first */
	UNTAR_OVERLAY,  /* one layer as an overlayfs lower dir: .wh.NAME becomes char 0:0 NAME,
	                   .wh..wh..opq sets trusted.overlay.opaque=y on its directory */
	UNTAR_OVERLAY_USER, /* the same for an overlay mounted with userxattr (in a user namespace):
	                       user.overlay.opaque=y */
};

/* 1 when the file at path is an archive libarchive can read (as ADD decides whether to extract), else 0 */
int untar_is_archive(const char *path);
/* extract the archive at path into the existing directory dest; 0, or -1 with err naming the entry
   (an owner this user namespace does not map is named as such) */
int untar_extract(const char *path, const char *dest, enum untar_mode mode, struct error *err);

#endif
