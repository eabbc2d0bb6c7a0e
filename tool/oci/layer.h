#ifndef STRATA_LAYER_H
#define STRATA_LAYER_H
/* Writing one image layer under the layer contract of DESIGN.md: entries
   sorted bytewise by path, pax-restricted tar through libarchive, mtime =
   epoch with 0 ns and no atime/ctime/birthtime, empty uname/gname, only
   security.capability kept, hard links to the first path in sorted order,
   gzip through zlib at a fixed level and block size (compress.h) with header mtime 0, fixed OS
   byte, no name; diff_id and blob digest computed in the same pass. */
#include <stddef.h>
#include <sys/stat.h>

#include "compress.h"
#include "digest.h"

struct arena;
struct archive;
struct error;
struct stat;

/* set the tar format of the layer contract (pax restricted) on a libarchive writer; ARCHIVE_OK or
   libarchive's error */
int layer_tar_format(struct archive *a);

enum layer_type { LAYER_REG, LAYER_DIR, LAYER_SYMLINK, LAYER_CHAR, LAYER_BLOCK, LAYER_FIFO };

/* a regular file's content read through a descriptor, not a path: rel opened below rootfd
   (openat_root, never following a last symlink) and required to be the file st describes
   (device, inode, size, mtime, ctime) */
struct layer_src {
	int rootfd;
	const char *rel;
	struct stat st;
};

struct layer_entry {
	const char *path;    /* in the layer: relative, no "./", no leading or trailing '/' */
	enum layer_type type;
	unsigned mode;       /* permission bits with suid/sgid/sticky (07777) */
	unsigned uid, gid;
	const char *src;     /* LAYER_REG: host file to read the content from; NULL: use data/size */
	const struct layer_src *srcfd;   /* LAYER_REG: read src through this instead (src names it) */
	const char *data;    /* LAYER_REG with src NULL: the content */
	long long size;      /* LAYER_REG: content size (checked against src while writing) */
	const char *link;    /* LAYER_SYMLINK: the target, written as given */
	unsigned long long hardlink_key; /* any type but LAYER_DIR: nonzero and equal for the paths of
	                                    one inode; the first in sorted order carries the content,
	                                    the others are written as hard links to it */
	unsigned devmajor, devminor;     /* LAYER_CHAR, LAYER_BLOCK (a whiteout is written by the caller as a
	                                    LAYER_REG ".wh.NAME" of size 0) */
	const void *cap;     /* security.capability xattr value, or NULL */
	size_t caplen;
};

struct layer_digests {
	char diff_id[DIGEST_SIZE];  /* sha256 of the uncompressed tar */
	char digest[DIGEST_SIZE];   /* sha256 of the compressed stream (the blob) */
	long long size;             /* bytes of the gzip stream */
	enum compress_method method; /* how the blob is compressed (its media type) */
};

/* the file at path (host), whose lstat is st, as the entry e at the layer path lpath: type, mode,
   owner, content (src, size), link target, device numbers and security.capability (for any type,
   as docker reads it), strings in a; hardlink_key is the caller's. 1, 0 for a socket (no file of
   an image, as in docker) or a type a layer has not, -1 with err */
int layer_entry_stat(struct arena *a, const char *path, const struct stat *st, const char *lpath,
		     struct layer_entry *e, struct error *err);
/* 1 when the file name base is a whiteout that names no file: ".wh." followed by nothing, "." or
   ".." (applied, it would remove its own directory or the one above, outside the layer's place);
   every reader and writer of layers refuses such an entry */
int layer_whiteout_bad(const char *base);

/* sort e[0..n) in place and write them to out_fd as a tar compressed as how says (NULL: gzip), mtimes = epoch; fill d; 0 or -1 with err
   (a duplicate or malformed path, a src that is missing or whose size is not size, a write error).
   Deflate runs on compress_threads() threads (STRATA_LAYER_THREADS): the same bytes for any number. */
/* the epoch of the layer contract, the one place SOURCE_DATE_EPOCH is read: its value, or 0 when
   unset; -1 with err when it is no number of seconds up to the year 9999 */
int layer_epoch(long long *epoch, struct error *err);
int layer_write(struct layer_entry *e, size_t n, long long epoch, const struct compression *how, int out_fd,
		struct layer_digests *d, struct error *err);

#endif
