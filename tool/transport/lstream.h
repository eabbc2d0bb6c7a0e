#ifndef STRATA_LSTREAM_H
#define STRATA_LSTREAM_H
/* A layer blob read as a stream: raw bytes -> (gunzip or unzstd) -> tar bytes -> (gzip with the
   layer contract's settings), hashing the raw and the tar bytes on the way and never reading past
   the size the blob should have. */
#include <stddef.h>
#include <sys/types.h>
#include <zlib.h>

#include "digest.h"
#include "error.h"

struct compress;
struct compression;
struct sha256;
struct ZSTD_DCtx_s;

/* the size of the stream's buffers, also a good size for reading blobs */
enum { LSTREAM_IOBUF = 256 << 10 };

/* how a layer blob is compressed; GZ_AUTO: gzip or zstd by their magic numbers, else none */
enum gzmode { GZ_NO, GZ_YES, GZ_AUTO, GZ_ZSTD };

struct lstream {
	int fd;
	int gz; /* 0: a plain tar, 1: gzip, 2: zstd */
	struct ZSTD_DCtx_s *zd;
	z_stream zin;
	int zin_init, zin_end, raw_eof;
	unsigned char *in, *out;
	size_t in_pos, in_len;
	struct sha256 *rawh, *tarh;
	long long rawsize, tarsize;
	long long limit; /* the raw bytes there are (the file's size): reading more is an error */
	int wfd;   /* a copy of the raw bytes, or of the recompressed output, goes here; -1 for none */
	int gzout; /* recompress the tar (compress.h) */
	struct compress *zout; /* until the stream is closed */
	char gzdigest[DIGEST_SIZE];
	int gzdone;
	long long gzsize;
	struct error err;
};

/* how a layer of media type mt is compressed: GZ_YES, GZ_ZSTD, GZ_NO, or GZ_AUTO for a type that
   is no layer type strata knows */
enum gzmode lstream_mode(const char *mt);
/* start reading the blob in fd (size bytes, never read past), compressed as gzmode says; a copy of
   the raw bytes goes to wfd (-1: none), or with out the tar recompressed as out says; 0 or -1 with
   ls->err (lstream_close it in both cases) */
int lstream_open(struct lstream *ls, int fd, long long size, enum gzmode gzmode, int wfd,
		 const struct compression *out);
/* the next bytes of the tar stream in *p: their count, 0 at the end, -1 with ls->err */
ssize_t lstream_next(struct lstream *ls, const void **p);
/* read what is left of the tar stream, then end the gzip output; 0 or -1 with ls->err */
int lstream_finish(struct lstream *ls);
/* after a failure: hash the rest of the raw bytes, so the digest can name the cause */
void lstream_drain(struct lstream *ls);
/* free ls; the digests of the raw bytes, the tar and the gzip output go to the non-NULL outs; 0, or
   -1 with err when a digest could not be made */
int lstream_close(struct lstream *ls, char *raw, char *tar, char *gz, struct error *err);

#endif
