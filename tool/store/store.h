#ifndef STRATA_STORE_H
#define STRATA_STORE_H
/* The content-addressed store shared by every build of a user:
   $STRATA_STORE, else $XDG_CACHE_HOME/strata, else ~/.cache/strata.
     blobs/sha256/HEX      blobs by digest (layers, configs, manifests)
     results/KEY           step results by step key (small JSON text)
     dirs/KIND/ID/         directories made once and then read-only (extracted layers, root filesystems)
     tags/NAME             image names -> manifest digest
     gc                    rewritten by every gc (build graphs depend on it)
     statcache/ID          a build context's stat cache (statcache.h), removed by gc once the
                           context is gone
     tmp/                  temporary files, renamed into place
   Every write is temp + fsync + rename; readers verify digests; several
   processes may use one store at once. */
#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct error;
struct strv;
struct store;

/* the most bytes of a manifest, index or image config: one limit for what a build writes and
   what an import accepts (a larger JSON blob is no such document) */
enum { STORE_JSON_MAX = 16 << 20 };

/* open the store, creating its folders; 0 or -1 with err */
int store_open(struct store **s, struct error *err);
void store_close(struct store *s);
/* the store's root folder */
const char *store_root(const struct store *s);

/* a new temporary file in the store for writing (mode 0600, O_CLOEXEC, a name unique across
   processes and threads); *path is malloc'd */
int store_tmpfile(struct store *s, char **path, int *fd, struct error *err);
/* a new temporary file holding the n bytes at p, still open; removed again on error */
int store_tmpwrite(struct store *s, const void *p, size_t n, char **path, int *fd, struct error *err);
/* a new empty temporary directory in the store (mode 0700, which store_dir_commit keeps);
   *path is malloc'd */
int store_tmpdir(struct store *s, char **path, struct error *err);
/* fsync fd, close it and rename tmp to the blob of digest (dropping tmp if the blob is there); the
   content is trusted to match digest; fd (-1 if already closed) is closed and tmp gone in every case */
int store_blob_commit(struct store *s, const char *tmp, int fd, const char *digest, struct error *err);
/* store len bytes as a blob; its digest goes to digest */
int store_blob_put(struct store *s, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err);
/* true when the blob exists */
bool store_blob_has(struct store *s, const char *digest);
/* the path of a blob (malloc'd), whether or not it exists; NULL when digest is malformed */
char *store_blob_path(struct store *s, const char *digest);
/* read a whole blob into *p (malloc'd, NUL-terminated), verifying its digest */
int store_blob_read(struct store *s, const char *digest, char **p, size_t *len, struct error *err);
/* hash the blob and compare with its name: 0 when it matches, -1 with err ("corrupt blob ...") when not */
int store_blob_verify(struct store *s, const char *digest, struct error *err);

/* the result text of step key (1 to 128 lower-case hex digits): 1 with *text (malloc'd) when
   present, 0 when absent, -1 on error */
int store_result_get(struct store *s, const char *key, char **text, struct error *err);
/* record text as the result of key (atomic replace) */
int store_result_put(struct store *s, const char *key, const char *text, struct error *err);
/* every step key with a result, appended to out (malloc'd strings, unsorted) */
int store_result_list(struct store *s, struct strv *out, struct error *err);

/* the path of dirs/KIND/ID (malloc'd) when it exists, else NULL */
char *store_dir_get(struct store *s, const char *kind, const char *id);
/* move the finished directory tmp (from store_tmpdir) into dirs/KIND/ID (kind and id: [A-Za-z0-9._-]+)
   after syncing it to disk; if another process got there first, remove tmp; *path (malloc'd) is the
   final directory; tmp is gone afterwards in every case (unless it is no tmp dir of this store) */
int store_dir_commit(struct store *s, const char *kind, const char *id, const char *tmp, char **path,
		     struct error *err);

/* the persistent directory of RUN --mount=type=cache's id (cache/HEX, HEX the SHA-256 of id), made on
   first use with mode, uid and gid; *path malloc'd; *lockfd an open fd of its lock file (for flock:
   the caller decides how the cache is shared) */
int store_cache_dir(struct store *s, const char *id, unsigned mode, unsigned uid, unsigned gid, char **path,
		    int *lockfd, struct error *err);

/* remove a temporary file or directory tree made by store_tmpfile or store_tmpdir */
void store_tmp_discard(struct store *s, const char *tmp);

/* name (as "name:tag", no whitespace or control bytes) -> manifest digest */
int store_tag_set(struct store *s, const char *name, const char *digest, struct error *err);
/* 1 with digest filled when name is tagged, 0 when not, -1 on error */
int store_tag_get(struct store *s, const char *name, char digest[DIGEST_SIZE], struct error *err);
/* 1 when removed, 0 when there was no such tag, -1 on error */
int store_tag_del(struct store *s, const char *name, struct error *err);
/* the file that holds name's tag (malloc'd), whether or not it exists: a build graph watches it;
   NULL with err when name is invalid */
char *store_tag_file(struct store *s, const char *name, struct error *err);
/* the file gc rewrites on every run (malloc'd): a build graph's step targets depend on it */
char *store_gc_file(const struct store *s);
/* rewrite the gc file: a build graph's stamps made before it are out of date; 0 or -1 with err */
int store_gc_mark(struct store *s, struct error *err);
/* all tag names, sorted, appended to out (malloc'd strings) */
int store_tag_list(struct store *s, struct strv *out, struct error *err);

/* the lock this handle holds */
enum store_lockmode { STORE_UNLOCKED, STORE_SHARED, STORE_EXCLUSIVE };
enum store_lockmode store_locked(const struct store *s);
/* hold mode instead (a downgrade, or a release of what store_lock took); 0 or -1 with err */
int store_relock(struct store *s, enum store_lockmode mode, struct error *err);
/* take the store lock shared (builds) or exclusive (gc), waiting for it; released by store_close
   (a child forked without exec shares the lock until it exits) */
int store_lock(struct store *s, bool exclusive, struct error *err);

#endif
