#ifndef STRATA_HASHPOOL_H
#define STRATA_HASHPOOL_H
/* Content hashes of open files on helper threads, one per CPU the process may use, while the
   caller goes on walking a tree: results come back in submission order, and at most a bounded
   number of descriptors are in flight. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "key.h"

struct hashpool;

struct hashpool_result {
	size_t tag;                 /* as submitted */
	int fd;                     /* as submitted: the caller keeps or closes it */
	int err;                    /* 0, or the errno of a failed fstat or read */
	struct stat after;          /* fstat of fd after the read (the caller compares it with a stat
	                               from before the open) */
	char hash[KEY_HEX];         /* key_fd's hash of the content */
	unsigned char cap[256];     /* the security.capability value, caplen bytes (0: none) */
	size_t caplen;
};

/* do r->fd's job on the caller's thread (a file too small to be worth a hand-over) */
void hashpool_run(struct hashpool_result *r);
/* a pool (threads start at the first submit) */
struct hashpool *hashpool_new(void);
/* true when no job can be submitted before a result is taken */
bool hashpool_full(const struct hashpool *p);
/* hash fd (a regular file open for reading) with tag on a helper thread; p must not be full */
void hashpool_submit(struct hashpool *p, int fd, size_t tag);
/* the oldest submitted job's result when it is done (or, with wait, once it is): 1, or 0 when
   there is none (nothing submitted, or not done and !wait) */
int hashpool_take(struct hashpool *p, bool wait, struct hashpool_result *r);
/* stop the threads and free p; every job must have been taken; NULL is fine */
void hashpool_free(struct hashpool *p);

#endif
