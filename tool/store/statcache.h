#ifndef STRATA_STATCACHE_H
#define STRATA_STATCACHE_H
/* A stat cache for content hashes, as git's index: a file whose device, inode, size, mode,
   mtime and ctime (ns) match its entry keeps its hash without being read. An entry whose
   mtime or ctime is not older than the start of the run that hashed it is racily clean (a
   same-tick edit after the hash would look identical) and is hashed again. */
#include <sys/stat.h>

#include "key.h"

struct error;
struct statcache;

/* load the cache kept in path (missing or unreadable: empty); never fails */
struct statcache *statcache_open(const char *path);
/* the XXH3-128 of the regular file path, open as fd, whose fstat is st: from the cache when
   clean, else read from fd (and remembered); 0 or -1 with errno */
int statcache_hash(struct statcache *c, const char *path, int fd, const struct stat *st, char hex[KEY_HEX]);
/* write the entries looked up since statcache_open back to its file (atomically, and only when
   anything changed), then free c; NULL is fine; 0 or -1 with err (c is freed either way) */
int statcache_close(struct statcache *c, struct error *err);

#endif
