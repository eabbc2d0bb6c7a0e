#ifndef STRATA_GC_H
#define STRATA_GC_H
/* Garbage collection of the store: what a tag or a recent step result reaches (through the
   manifests, indexes and configs it names) stays; every other blob, result and dirs/ entry goes,
   with the tmp/ entries of dead writers or older than an hour. */

struct error;
struct store;

/* remove every blob, result and dir not reachable from a tag or from a result newer than
   keep_seconds (-1: none is kept for its age), and tmp entries older than an hour or of a dead
   process; counts what was freed into *freed_bytes; holds the exclusive lock meanwhile, then
   returns to the lock the caller had; 0 or -1 with err */
int gc_run(struct store *s, long long keep_seconds, long long *freed_bytes, struct error *err);

#endif
