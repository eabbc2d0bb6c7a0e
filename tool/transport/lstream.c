/* lstream: a layer blob read as a stream */
#include "lstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "compress.h"
#include "ocidoc.h"
#include "util.h"

static int ls_fail(struct lstream *ls, const char *what)
{
	return err_set(&ls->err, "%s", what);
}

static ssize_t raw_fill(struct lstream *ls)
{
	/* one byte past the limit at most: enough to see that the file grew, never more */
	size_t want = LSTREAM_IOBUF;
	if (ls->limit - ls->rawsize + 1 < (long long)want)
		want = (size_t)(ls->limit - ls->rawsize + 1);
	ssize_t r = read_some(ls->fd, ls->in, want);
	if (r < 0)
		return err_sys(&ls->err, "read");
	if (ls->rawsize + r > ls->limit)
		return err_set(&ls->err, "changed while read: more than its %lld bytes", ls->limit);
	if (r == 0) {
		ls->raw_eof = 1;
		return 0;
	}
	sha256_update(ls->rawh, ls->in, (size_t)r);
	ls->rawsize += r;
	io_count(r);
	if (ls->wfd >= 0 && !ls->gzout && write_all(ls->wfd, ls->in, (size_t)r) < 0)
		return err_sys(&ls->err, "write");
	ls->in_pos = 0;
	ls->in_len = (size_t)r;
	return r;
}

enum gzmode lstream_mode(const char *mt)
{
	return !strcmp(mt, MT_LAYER_GZ) || !strcmp(mt, MT_DOCKER_LAYER_GZ) ? GZ_YES
	     : !strcmp(mt, MT_LAYER_ZSTD)                                  ? GZ_ZSTD
	     : !strcmp(mt, MT_LAYER)                                       ? GZ_NO
	                                                                   : GZ_AUTO;
}

/* gzmode: whether fd holds gzip; size: its bytes (never read past); wfd/out: where a copy goes
   (see struct lstream) */
int lstream_open(struct lstream *ls, int fd, long long size, enum gzmode gzmode, int wfd,
		 const struct compression *out)
{
	memset(ls, 0, sizeof *ls);
	ls->fd = fd;
	ls->limit = size;
	ls->wfd = wfd;
	ls->gzout = out && wfd >= 0;
	ls->in = xmalloc(LSTREAM_IOBUF);
	ls->out = xmalloc(LSTREAM_IOBUF);
	ls->rawh = sha256_new();
	ls->tarh = sha256_new();
	if (ls->gzout && !(ls->zout = compress_open(wfd, out, &ls->err)))
		return -1;
	if (raw_fill(ls) < 0)
		return -1;
	ls->gz = gzmode == GZ_YES || (gzmode == GZ_AUTO && ls->in_len >= 2 && ls->in[0] == 0x1f && ls->in[1] == 0x8b);
	if (gzmode == GZ_ZSTD || (gzmode == GZ_AUTO && ls->in_len >= 4 && !memcmp(ls->in, "\x28\xb5\x2f\xfd", 4))) {
		ls->gz = 2;
		if (!(ls->zd = ZSTD_createDCtx()))
			return ls_fail(ls, "zstd: out of memory");
	}
	if (ls->gz == 1) {
		if (inflateInit2(&ls->zin, 15 + 16) != Z_OK)
			return ls_fail(ls, "inflateInit2 failed");
		ls->zin_init = 1;
	}
	return 0;
}

/* the next bytes of the tar stream in *p: their count, 0 at the end, -1 with ls->err */
ssize_t lstream_next(struct lstream *ls, const void **p)
{
	size_t n;
	if (!ls->gz) {
		if (ls->in_pos == ls->in_len) {
			ssize_t r = ls->raw_eof ? 0 : raw_fill(ls);
			if (r <= 0)
				return r;
		}
		*p = ls->in + ls->in_pos;
		n = ls->in_len - ls->in_pos;
		ls->in_pos = ls->in_len;
	} else if (ls->gz == 2) {
		for (;;) {
			if (ls->in_pos == ls->in_len && !ls->raw_eof && raw_fill(ls) < 0)
				return -1;
			ZSTD_inBuffer in = { ls->in, ls->in_len, ls->in_pos };
			ZSTD_outBuffer out = { ls->out, LSTREAM_IOBUF, 0 };
			size_t r = ZSTD_decompressStream(ls->zd, &out, &in);
			if (ZSTD_isError(r))
				return err_set(&ls->err, "zstd: %s", ZSTD_getErrorName(r));
			/* a frame ended (0), or input went into the next one */
			if (r == 0)
				ls->zin_end = 1;
			else if (in.pos > ls->in_pos)
				ls->zin_end = 0;
			ls->in_pos = in.pos;
			n = out.pos;
			if (n) {
				*p = ls->out;
				break;
			}
			if (ls->raw_eof && ls->in_pos == ls->in_len) {
				if (!ls->zin_end)
					return ls_fail(ls, "zstd: unexpected end of data (truncated)");
				return 0;
			}
		}
	} else {
		for (;;) {
			if (ls->in_pos == ls->in_len && !ls->raw_eof && raw_fill(ls) < 0)
				return -1;
			if (ls->zin_end) {
				if (ls->in_pos == ls->in_len)
					return 0;
				/* another gzip member follows */
				if (inflateReset(&ls->zin) != Z_OK)
					return ls_fail(ls, "inflateReset failed");
				ls->zin_end = 0;
			}
			ls->zin.next_in = ls->in + ls->in_pos;
			ls->zin.avail_in = (unsigned)(ls->in_len - ls->in_pos);
			ls->zin.next_out = ls->out;
			ls->zin.avail_out = LSTREAM_IOBUF;
			int r = inflate(&ls->zin, Z_NO_FLUSH);
			ls->in_pos = ls->in_len - ls->zin.avail_in;
			n = LSTREAM_IOBUF - ls->zin.avail_out;
			if (r == Z_STREAM_END)
				ls->zin_end = 1;
			else if (r != Z_OK && r != Z_BUF_ERROR)
				return err_set(&ls->err, "gzip: %s", ls->zin.msg ? ls->zin.msg : "invalid data");
			if (n) {
				*p = ls->out;
				break;
			}
			if (!ls->zin_end && ls->raw_eof && ls->in_pos == ls->in_len)
				return ls_fail(ls, "gzip: unexpected end of data (truncated)");
		}
	}
	sha256_update(ls->tarh, *p, n);
	ls->tarsize += (long long)n;
	if (ls->gzout && compress_write(ls->zout, *p, n, &ls->err) < 0)
		return -1;
	return (ssize_t)n;
}

/* read what is left of the tar stream, then end the gzip output */
int lstream_finish(struct lstream *ls)
{
	const void *p;
	ssize_t r;
	while ((r = lstream_next(ls, &p)) > 0)
		;
	if (r < 0)
		return -1;
	if (ls->gzout) {
		struct compress *c = ls->zout;
		ls->zout = NULL;
		if (compress_close(c, ls->gzdigest, &ls->gzsize, &ls->err) < 0)
			return -1;
		ls->gzdone = 1;
	}
	return 0;
}

/* after a failure: hash the rest of the raw bytes, so the digest can name the cause */
void lstream_drain(struct lstream *ls)
{
	ls->wfd = -1;
	while (!ls->raw_eof && raw_fill(ls) > 0)
		;
}

int lstream_close(struct lstream *ls, char *raw, char *tar, char *gz, struct error *err)
{
	char tmp[DIGEST_SIZE];
	int rc = sha256_final(ls->rawh, raw ? raw : tmp, err);
	if (rc < 0)
		sha256_free(ls->tarh);
	else
		rc = sha256_final(ls->tarh, tar ? tar : tmp, err);
	if (gz && ls->gzdone)
		memcpy(gz, ls->gzdigest, DIGEST_SIZE);
	if (ls->zin_init)
		inflateEnd(&ls->zin);
	compress_free(ls->zout);
	ZSTD_freeDCtx(ls->zd);
	free(ls->in);
	free(ls->out);
	return rc;
}

