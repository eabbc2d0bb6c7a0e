#ifndef STRATA_STATCACHE_H
#define STRATA_STATCACHE_H
/* A stat cache for content hashes, as git's index: a regular file whose device, inode, size,
   mode, mtime and ctime (ns) match its entry keeps its hash (and security.capability) without
   being opened. An entry whose mtime or ctime is not older than the start of the run that
   hashed it is racily clean (a same-tick edit after the hash would look identical) and is
   hashed again. The file is checksummed: a torn, truncated or garbage cache is an empty one. */
#include <stddef.h>
#include <sys/stat.h>

#include "key.h"

struct error;
struct statcache;

/* the most bytes of a security.capability value the cache keeps (a longer one is not cached) */
enum { STATCACHE_CAP_MAX = 256 };

/* the cache of the build context dir in the store at store_root (malloc'd path): one file per
   context, named by its absolute path and its device and inode; NULL when dir cannot be resolved */
char *statcache_context_file(const char *store_root, const char *dir);
/* load the cache kept in file for the files below the directory root (missing, unreadable or
   corrupt: empty); never fails */
struct statcache *statcache_open(const char *file, const char *root);
/* 1 with the hash and capability value (up to STATCACHE_CAP_MAX bytes into cap, its length in
   *caplen, 0 for none) of the regular file path (relative to root) when its entry matches st
   and is not racily clean, else 0 (and path's put is expected); the file keeps the entries in
   the order of these lookups, which a walk of the same tree repeats */
int statcache_get(struct statcache *c, const char *path, const struct stat *st, char hex[KEY_HEX], void *cap,
		  size_t *caplen);
/* remember that path, when its stat was st, held content hashing to hex with capability cap */
void statcache_put(struct statcache *c, const char *path, const struct stat *st, const char hex[KEY_HEX],
		   const void *cap, size_t caplen);
/* when anything was put since statcache_open, write the cache back (atomically, mode 0600):
   the entries looked up or put, and the others whose file still has their stat (the entries of
   files gone are dropped); then free c; NULL is fine; 0 or -1 with err (c is freed either way) */
int statcache_close(struct statcache *c, struct error *err);
/* remove the caches in the store at store_root whose context directory is gone (or is another
   directory now), and temporary files of saves cut short an hour ago; the bytes freed */
long long statcache_gc(const char *store_root);

#endif
