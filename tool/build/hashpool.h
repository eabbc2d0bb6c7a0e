#ifndef STRATA_HASHPOOL_H
#define STRATA_HASHPOOL_H
/* Content hashes of files on helper threads, one per CPU the process may use, while the caller
   goes on walking a tree: each job opens a file in a directory, hashes it and closes it; results
   come back in submission order, and a bounded number of jobs are in flight. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "key.h"

struct hashpool;

/* a directory that jobs open files in, shared by the caller and the jobs: its descriptor is
   closed when the last of them lets go */
struct hashpool_dir {
	int fd;
	int refs;
};

struct hashpool_result {
	size_t tag;                 /* as submitted */
	int err;                    /* 0, or the errno of what failed */
	bool opened;                /* the open succeeded (err, if any, is a later step's) */
	struct stat after;          /* fstat after the read (the caller compares it with a stat from
	                               before the open) */
	char hash[KEY_HEX];         /* key_fd's hash of the content */
	unsigned char cap[256];     /* the security.capability value, caplen bytes (0: none) */
	size_t caplen;
};

/* a directory handle owning fd, held once by the caller */
struct hashpool_dir *hashpool_dir_new(int fd);
/* let go of d (closing its fd and freeing it when nothing else holds it); NULL is fine */
void hashpool_dir_put(struct hashpool_dir *d);
/* a pool (threads start at the first submit) */
struct hashpool *hashpool_new(void);
/* true when no job can be submitted before a result is taken */
bool hashpool_full(const struct hashpool *p);
/* hash name in d (opened without following a symlink, read, fstat'd, closed; name must outlive
   the job), of about size bytes, with tag on a helper thread, batched with the next jobs (a
   take with wait hands over a partial batch); p must not be full */
void hashpool_submit(struct hashpool *p, struct hashpool_dir *d, const char *name, off_t size, size_t tag);
/* the oldest submitted job's result when it is done (or, with wait, once it is): 1, or 0 when
   there is none (nothing submitted, or not done and !wait) */
int hashpool_take(struct hashpool *p, bool wait, struct hashpool_result *r);
/* stop the threads and free p; every job must have been taken; NULL is fine */
void hashpool_free(struct hashpool *p);

#endif
