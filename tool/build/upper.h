#ifndef STRATA_UPPER_H
#define STRATA_UPPER_H
/* The upper directory of a RUN's overlay as the entries of its layer: what
   the command added or changed, whiteouts (char 0:0) as .wh.NAME, opaque
   directories marked with .wh..wh..opq, hard links kept by inode, and only
   security.capability of the extended attributes. */
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct error;
struct layer_entry;

/* walk upper into *out (entries, paths and link targets from a; regular files read from upper when
   the layer is written); userxattr: the opaque mark is user.overlay.opaque (a user namespace's
   overlay) instead of trusted.overlay.opaque; sockets are skipped (no tar holds them), and counted
   in *skipped */
int upper_entries(struct arena *a, const char *upper, bool userxattr, struct layer_entry **out, size_t *n,
		  size_t *skipped, struct error *err);
/* make upper (a root's overlay upper, unmounted, whose entries e[0..n) from upper_entries with
   nothing skipped were written as a layer at epoch) what extracting that layer for the overlay
   gives (untar.c, UNTAR_OVERLAY): every entry's times the epoch, no extended attribute but
   security.capability and the opaque mark; 0, or -1 with err when it cannot be (a file named as a
   whiteout, which the extraction would apply) */
int upper_adopt(const char *upper, const struct layer_entry *e, size_t n, long long epoch, struct error *err);

#endif
