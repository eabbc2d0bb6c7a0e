#ifndef STRATA_COMPRESS_H
#define STRATA_COMPRESS_H
/* The layer contract's gzip, deflated in parallel (the pigz scheme): the stream is cut into
   blocks of COMPRESS_BLOCK bytes, each deflated on its own (raw deflate at the given level, the
   32 KiB before it as dictionary, ended by a sync flush, the last by the final block) and joined
   into one gzip member (header mtime 0, no name, OS byte 255) whose CRC-32 is combined from the
   blocks'. The bytes depend on the block size and the level only, never on the number of
   threads or the machine; SHA-256 and size of what is written come in the same pass. */
#include "digest.h"

struct error;
struct compress;

enum { COMPRESS_BLOCK = 128 << 10, COMPRESS_GZIP_OS = 255, COMPRESS_ZSTD_JOB = 4 << 20 };

/* how a layer is compressed: gzip (the pigz scheme above), zstd (libzstd's multi-threaded
   frame with a fixed job size of COMPRESS_ZSTD_JOB, content checksum on: its bytes do not
   depend on the number of workers, 1 or more) or none */
enum compress_method { COMPRESS_GZIP, COMPRESS_ZSTD, COMPRESS_NONE };
struct compression {
	enum compress_method method;
	int level; /* 0: the method's default (gzip 6, zstd 3) */
};

/* "gzip", "zstd" or "none" into *m; 0, or -1 with err */
int compress_parse(const char *name, enum compress_method *m, struct error *err);
/* the level a compression uses (its default for 0); -1 with err when out of the method's range
   (gzip 1-9, zstd 1-19, none only 0) */
int compress_level(const struct compression *how, struct error *err);
/* "gzip", "zstd" or "none" */
const char *compress_name(enum compress_method m);
/* the OCI media type of a layer compressed by m */
const char *compress_media_type(enum compress_method m);

/* the threads that deflate: STRATA_LAYER_THREADS when set (1: all on the caller's thread),
   else one per CPU the process may run on */
int compress_threads(void);
/* start a stream compressed as how says (NULL: gzip at its default level) written to out_fd
   (-1: hashed and counted only); NULL with err when the level is out of range, threads cannot
   start or the method's self-test fails (compress_selftest) */
struct compress *compress_open(int out_fd, const struct compression *how, struct error *err);
/* compress n bytes of p; 0, or -1 with err (a write failed) */
int compress_write(struct compress *c, const void *p, size_t n, struct error *err);
/* end the stream: the digest and size of the compressed bytes; 0 or -1 with err; then free */
int compress_close(struct compress *c, char digest[DIGEST_SIZE], long long *size, struct error *err);
/* abandon a stream that was not closed, stopping its threads */
void compress_free(struct compress *c);

/* once per process and method: compress a fixed built-in input and compare its SHA-256 with
   the digest pinned in the source; 0, or -1 with err naming the library when it gives other
   bytes (blobs would differ from other machines' builds); compress_allow_foreign(1) lets it pass */
int compress_selftest(enum compress_method m, struct error *err);
/* let a deflate that fails the self-test go on (--allow-foreign-deflate) */
void compress_allow_foreign(int allow);

#endif
