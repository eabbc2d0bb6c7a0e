#ifndef STRATA_ATOMIC_H
#define STRATA_ATOMIC_H
/* Replacing a file so that a reader, or the file system after a crash, finds the old content or
   the new, never a mix nor nothing: the new content goes to a temporary file in the same
   directory, which is fsync'd and renamed over the file, and then the directory is fsync'd, since
   only that makes the rename itself durable. Every file strata writes whole goes through here. */
#include <stddef.h>

struct error;

/* fsync tmp (through fd, or opened again when fd is -1), close it, rename it to path and fsync
   path's directory; fd is closed and tmp gone in every case; 0 or -1 with err */
int atomic_commit(int fd, const char *tmp, const char *path, struct error *err);
/* replace path's content with the n bytes at p (mode for a new file), through PATH.PID.tmp and
   atomic_commit; 0 or -1 with err */
int atomic_write(const char *path, const void *p, size_t n, unsigned mode, struct error *err);
/* atomic_write without the fsyncs, for a cache whose loss costs only a recomputation: a reader
   finds the old content or the new, but a crash may leave either, or a torn file; 0 or -1 with err */
int atomic_write_cache(const char *path, const void *p, size_t n, unsigned mode, struct error *err);
/* fsync the directory holding path, after a rename or a mkdir there; 0 or -1 with err */
int atomic_sync_parent(const char *path, struct error *err);

#endif
