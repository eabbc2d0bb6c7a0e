/* transport: import images into the store from OCI layouts, archives and root
   filesystems, and export them again */
#include "transport.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "cleanup.h"
#include "compress.h"
#include "error.h"
#include "image.h"
#include "layer.h"
#include "output.h"
#include "platform.h"
#include "ref.h"
#include "store.h"
#include "untar.h"
#include "util.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REF_NAME "org.opencontainers.image.ref.name"
#define JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

enum {
	IOBUF = 256 << 10,
};

/* how a layer blob is compressed; GZ_AUTO: gzip or zstd by their magic numbers, else none */
enum gzmode { GZ_NO, GZ_YES, GZ_AUTO, GZ_ZSTD };

/* ---- small helpers ---- */

static ssize_t read_some(int fd, void *p, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* 1 when a component of the path p is ".." */
static int path_escapes(const char *p)
{
	for (const char *c = p;;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return 1;
		if (!end)
			return 0;
		c = end + 1;
	}
}

/* src split as KIND:PATH[:REST]; PATH ends at the first ':' as in skopeo's references */
struct ref {
	char *kind, *path, *rest; /* rest NULL when absent */
};

static int ref_parse(const char *s, struct ref *r, struct error *err)
{
	memset(r, 0, sizeof *r);
	const char *c = strchr(s, ':');
	if (!c || c == s)
		return err_set(err, "%s: want TRANSPORT:PATH (oci:, oci-archive:, docker-archive:, rootfs:)", s);
	r->kind = xstrndup(s, (size_t)(c - s));
	const char *p = c + 1;
	const char *c2 = strcmp(r->kind, "rootfs") ? strchr(p, ':') : NULL;
	r->path = c2 ? xstrndup(p, (size_t)(c2 - p)) : xstrdup(p);
	if (c2)
		r->rest = xstrdup(c2 + 1);
	if (!*r->path || (r->rest && !*r->rest)) {
		err_set(err, "%s: empty %s", s, *r->path ? "tag" : "path");
		free(r->kind);
		free(r->path);
		free(r->rest);
		memset(r, 0, sizeof *r);
		return -1;
	}
	return 0;
}

static void ref_free(struct ref *r)
{
	free(r->kind);
	free(r->path);
	free(r->rest);
}

/* ---- blobs waiting to enter the store all together ---- */

struct staging {
	struct store *s;
	struct staged {
		char *tmp;
		char digest[DIGEST_SIZE];
	} *v;
	size_t n, cap;
};

static void stage_add(struct staging *st, char *tmp, const char *digest)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 8;
		st->v = xrealloc(st->v, st->cap * sizeof *st->v);
	}
	st->v[st->n].tmp = tmp;
	memcpy(st->v[st->n].digest, digest, DIGEST_SIZE);
	st->n++;
}

static int stage_mem(struct staging *st, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err)
{
	digest_buf(p, len, digest);
	char *tmp;
	int fd;
	if (store_tmpwrite(st->s, p, len, &tmp, &fd, err) < 0)
		return -1;
	close(fd);
	stage_add(st, tmp, digest);
	return 0;
}

/* doc as compact JSON with sorted keys, staged; its digest and size go out */
static int stage_json(struct staging *st, json_t *doc, char digest[DIGEST_SIZE], long long *size, struct error *err)
{
	char *p = json_dumps(doc, JSON_FLAGS);
	if (!p)
		return err_set(err, "cannot serialise JSON");
	*size = (long long)strlen(p);
	int r = stage_mem(st, p, strlen(p), digest, err);
	free(p);
	return r;
}

/* move every staged blob into the store, in the order staged (manifests last) */
static int stage_commit(struct staging *st, struct error *err)
{
	int rc = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (rc == 0 && store_blob_commit(st->s, st->v[i].tmp, -1, st->v[i].digest, err) < 0)
			rc = -1;
		else if (rc < 0)
			unlink(st->v[i].tmp);
		free(st->v[i].tmp);
	}
	st->n = 0;
	return rc;
}

static void stage_free(struct staging *st)
{
	for (size_t i = 0; i < st->n; i++) {
		unlink(st->v[i].tmp);
		free(st->v[i].tmp);
	}
	free(st->v);
	st->v = NULL;
	st->n = st->cap = 0;
}

/* ---- a layer as a stream: raw bytes -> (gunzip) -> tar bytes -> (gzip) ---- */

struct lstream {
	int fd;
	int gz; /* 0: a plain tar, 1: gzip, 2: zstd */
	ZSTD_DCtx *zd;
	z_stream zin;
	int zin_init, zin_end, raw_eof;
	unsigned char *in, *out;
	size_t in_pos, in_len;
	struct sha256 *rawh, *tarh;
	long long rawsize, tarsize;
	long long limit; /* the raw bytes there are (the file's size): reading more is an error */
	int wfd;   /* a copy of the raw bytes, or of the gzip output, goes here; -1 for none */
	int gzout; /* recompress the tar with the layer contract's gzip */
	struct compress *zout; /* until the stream is closed */
	char gzdigest[DIGEST_SIZE];
	int gzdone;
	long long gzsize;
	struct error err;
};

static int ls_fail(struct lstream *ls, const char *what)
{
	return err_set(&ls->err, "%s", what);
}

static ssize_t raw_fill(struct lstream *ls)
{
	/* one byte past the limit at most: enough to see that the file grew, never more */
	size_t want = IOBUF;
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

/* gzmode: whether fd holds gzip; size: its bytes (never read past); wfd/gzout: where a copy goes
   (see struct lstream) */
static int ls_open(struct lstream *ls, int fd, long long size, enum gzmode gzmode, int wfd, int gzout)
{
	memset(ls, 0, sizeof *ls);
	ls->fd = fd;
	ls->limit = size;
	ls->wfd = wfd;
	ls->gzout = gzout && wfd >= 0;
	ls->in = xmalloc(IOBUF);
	ls->out = xmalloc(IOBUF);
	ls->rawh = sha256_new();
	ls->tarh = sha256_new();
	if (ls->gzout && !(ls->zout = compress_open(wfd, NULL, &ls->err)))
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
static ssize_t ls_next(struct lstream *ls, const void **p)
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
			ZSTD_outBuffer out = { ls->out, IOBUF, 0 };
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
			ls->zin.avail_out = IOBUF;
			int r = inflate(&ls->zin, Z_NO_FLUSH);
			ls->in_pos = ls->in_len - ls->zin.avail_in;
			n = IOBUF - ls->zin.avail_out;
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
static int ls_finish(struct lstream *ls)
{
	const void *p;
	ssize_t r;
	while ((r = ls_next(ls, &p)) > 0)
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
static void ls_drain_raw(struct lstream *ls)
{
	ls->wfd = -1;
	while (!ls->raw_eof && raw_fill(ls) > 0)
		;
}

/* free ls; the digests of the raw bytes, the tar and the gzip output go to the non-NULL outs */
static void ls_close(struct lstream *ls, char *raw, char *tar, char *gz)
{
	char tmp[DIGEST_SIZE];
	sha256_final(ls->rawh, raw ? raw : tmp);
	sha256_final(ls->tarh, tar ? tar : tmp);
	if (gz && ls->gzdone)
		memcpy(gz, ls->gzdigest, DIGEST_SIZE);
	if (ls->zin_init)
		inflateEnd(&ls->zin);
	compress_free(ls->zout);
	ZSTD_freeDCtx(ls->zd);
	free(ls->in);
	free(ls->out);
}

static la_ssize_t scan_read(struct archive *a, void *ctx, const void **buf)
{
	struct lstream *ls = ctx;
	ssize_t n = ls_next(ls, buf);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", ls->err.msg);
		return -1;
	}
	return n;
}

/* walk the tar entries of ls, refusing any that leaves the root; label names the layer */
static int layer_scan(struct lstream *ls, const char *label, struct error *err)
{
	struct archive *a = archive_read_new();
	if (!a)
		return err_set(err, "%s: out of memory", label);
	int rc = -1;
	if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_format_empty(a) != ARCHIVE_OK ||
	    archive_read_open(a, ls, NULL, scan_read, NULL) != ARCHIVE_OK)
		goto fail;
	for (;;) {
		struct archive_entry *ae;
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			goto fail;
		const char *p = archive_entry_pathname_utf8(ae);
		if (!p)
			p = archive_entry_pathname(ae);
		const char *h = archive_entry_hardlink_utf8(ae);
		if (!h)
			h = archive_entry_hardlink(ae);
		if (!p) {
			err_set(err, "%s: an entry has an unreadable name", label);
			goto out;
		}
		if (path_escapes(p)) {
			err_set(err, "%s: entry %s: path leaves the root", label, p);
			goto out;
		}
		if (h && path_escapes(h)) {
			err_set(err, "%s: entry %s: hard link to %s leaves the root", label, p, h);
			goto out;
		}
		const char *base = strrchr(p, '/');
		if (layer_whiteout_bad(base ? base + 1 : p)) {
			err_set(err, "%s: entry %s: a whiteout that names no file", label, p);
			goto out;
		}
		if (archive_entry_uid(ae) < 0 || (unsigned long long)archive_entry_uid(ae) > ID_MAX ||
		    archive_entry_gid(ae) < 0 || (unsigned long long)archive_entry_gid(ae) > ID_MAX) {
			err_set(err, "%s: entry %s: owner %lld:%lld out of range (ids go from 0 to %llu)", label, p,
				(long long)archive_entry_uid(ae), (long long)archive_entry_gid(ae), ID_MAX);
			goto out;
		}
		if (archive_read_data_skip(a) < ARCHIVE_WARN)
			goto fail;
	}
	rc = 0;
	goto out;
fail:;
	const char *m = archive_error_string(a);
	err_set(err, "%s: %s", label, m ? m : "cannot read the tar stream");
out:
	archive_read_free(a);
	return rc;
}

/* what a layer read from outside must be */
struct layer_want {
	const char *path;     /* the file */
	const char *name;     /* the file as messages name it (its name in an archive) */
	const char *digest;   /* the blob's digest, or NULL when unknown (docker-archive) */
	long long size;       /* its size, or -1 */
	const char *diff_id;  /* what the config says */
	enum gzmode gz;
	int recompress;       /* store the tar gzip'd (layer contract), not the bytes as they are */
};

struct layer_got {
	char digest[DIGEST_SIZE];
	long long size;
	int gz; /* the stored blob: 0 a plain tar, 1 gzip'd, 2 zstd */
};

static int size_error(struct error *err, const char *what, long long got, long long want)
{
	if (got < want)
		return err_set(err, "%s: truncated: %lld of %lld bytes", what, got, want);
	return err_set(err, "%s: size %lld, want %lld", what, got, want);
}

/* verify the layer w (digest, size, entries, diff_id) into a staged blob */
static int ingest_layer(struct staging *st, const struct layer_want *w, struct layer_got *g, struct error *err)
{
	char label[DIGEST_SIZE + 16], blabel[DIGEST_SIZE + 16];
	snprintf(label, sizeof label, "layer %s", w->digest ? w->digest : w->diff_id);
	snprintf(blabel, sizeof blabel, "blob %s", w->digest ? w->digest : w->diff_id);
	char *what = xasprintf("%s: %s", blabel, w->name);
	int fd;
	struct stat sb;
	int r = open_regular(w->path, what, true, &fd, &sb, err);
	free(what);
	if (r < 0)
		return -1;
	if (w->size >= 0 && sb.st_size != w->size) {
		size_error(err, blabel, sb.st_size, w->size);
		close(fd);
		return -1;
	}
	char *tmp;
	int tfd;
	if (store_tmpfile(st->s, &tmp, &tfd, err) < 0) {
		close(fd);
		return -1;
	}
	struct lstream ls;
	int rc = ls_open(&ls, fd, sb.st_size, w->gz, tfd, w->recompress);
	if (rc < 0)
		*err = ls.err;
	else if ((rc = layer_scan(&ls, label, err)) == 0 && (rc = ls_finish(&ls)) < 0)
		*err = ls.err;
	if (rc < 0)
		ls_drain_raw(&ls);
	char raw[DIGEST_SIZE], tar[DIGEST_SIZE], gz[DIGEST_SIZE];
	long long rawsize = ls.rawsize, gzsize = ls.gzsize;
	int wasgz = ls.gz;
	ls_close(&ls, raw, tar, gz);
	close(fd);
	if (rc < 0 && strncmp(err->msg, label, strlen(label)) != 0)
		err_wrap(err, "%s", label);
	/* a wrong digest is the cause of whatever else went wrong */
	if (w->digest && strcmp(raw, w->digest) != 0)
		rc = err_set(err, "%s: digest mismatch: content is %s", blabel, raw);
	else if (rc == 0 && strcmp(tar, w->diff_id) != 0)
		rc = err_set(err, "%s: diff_id %s, but the config says %s", label, tar, w->diff_id);
	if (rc == 0 && close(tfd) < 0)
		rc = err_sys(err, "write %s", tmp);
	else if (rc < 0)
		close(tfd);
	if (rc < 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (w->recompress) {
		memcpy(g->digest, gz, DIGEST_SIZE);
		g->size = gzsize;
		g->gz = 1;
	} else {
		/* kept as it came: plain, gzip or zstd */
		memcpy(g->digest, raw, DIGEST_SIZE);
		g->size = rawsize;
		g->gz = wasgz;
	}
	stage_add(st, tmp, g->digest);
	return 0;
}

/* ---- reading JSON and blobs from a directory we may not trust ---- */

struct srcdir {
	const char *root;
	char *real;   /* realpath of root when confined, else NULL */
};

/* root/rel, refused when it resolves outside root (for archives we extracted) */
static char *src_path(struct srcdir *d, const char *rel, struct error *err)
{
	if (*rel == '/' || path_escapes(rel)) {
		err_set(err, "%s: path leaves the archive", rel);
		return NULL;
	}
	char *p = xasprintf("%s/%s", d->root, rel);
	if (!d->real)
		return p;
	char *r = realpath(p, NULL);
	if (!r) {
		err_sys(err, "%s", rel);
		free(p);
		return NULL;
	}
	size_t n = strlen(d->real);
	int inside = strncmp(r, d->real, n) == 0 && r[n] == '/';
	free(p);
	if (!inside) {
		err_set(err, "%s: path leaves the archive", rel);
		free(r);
		return NULL;
	}
	/* resolved: what is opened is what was checked (the folder is ours, nothing changes it) */
	return r;
}

/* a whole small regular file (no symlink, fifo or device); size is checked against want (-1: any) */
static char *read_small(const char *path, const char *what, long long want, size_t *len, struct error *err)
{
	int fd;
	struct stat sb;
	if (open_regular(path, what, true, &fd, &sb, err) < 0)
		return NULL;
	char *p = NULL;
	if (want >= 0 && sb.st_size != want) {
		size_error(err, what, sb.st_size, want);
		goto out;
	}
	if (sb.st_size > STORE_JSON_MAX) {
		err_set(err, "%s: not a JSON document of at most %d bytes", what, STORE_JSON_MAX);
		goto out;
	}
	p = xmalloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t r = read_some(fd, p + got, (size_t)sb.st_size - got);
		if (r <= 0) {
			if (r < 0)
				err_sys(err, "%s", what);
			else
				err_set(err, "%s: file shrank while read", what);
			free(p);
			p = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	p[got] = 0;
	*len = got;
out:
	close(fd);
	return p;
}

static json_t *parse_json(const char *p, size_t len, const char *what, struct error *err)
{
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	if (!j)
		err_set(err, "%s: invalid JSON: %s (line %d)", what, je.text, je.line);
	else if (!json_is_object(j)) {
		err_set(err, "%s: not a JSON object", what);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* the blob digest of layout d, verified (size and digest); *p malloc'd */
static char *layout_blob(struct srcdir *d, const char *digest, long long size, size_t *len, struct error *err)
{
	char what[DIGEST_SIZE + 8];
	if (!digest || !digest_valid(digest)) {
		err_set(err, "invalid digest \"%.100s\"", digest ? digest : "(none)");
		return NULL;
	}
	snprintf(what, sizeof what, "blob %s", digest);
	char *rel = xasprintf("blobs/sha256/%s", digest + 7);
	char *path = src_path(d, rel, err);
	free(rel);
	if (!path)
		return (void)err_wrap(err, "%s", what), NULL;
	char *p = read_small(path, what, size, len, err);
	free(path);
	if (!p)
		return NULL;
	char got[DIGEST_SIZE];
	digest_buf(p, *len, got);
	if (strcmp(got, digest) != 0) {
		err_set(err, "%s: digest mismatch: content is %s", what, got);
		free(p);
		return NULL;
	}
	return p;
}

/* a descriptor's fields; -1 with err when malformed */
static int desc_get(json_t *desc, const char *what, const char **mt, const char **digest, long long *size,
		    struct error *err)
{
	json_t *jsize = json_object_get(desc, "size");
	*mt = json_string_value(json_object_get(desc, "mediaType"));
	*digest = json_string_value(json_object_get(desc, "digest"));
	if (!json_is_object(desc) || !*digest || !json_is_integer(jsize) || json_integer_value(jsize) < 0)
		return err_set(err, "%s: malformed descriptor", what);
	if (!digest_valid(*digest))
		return err_set(err, "%s: invalid digest \"%.100s\"", what, *digest);
	*size = json_integer_value(jsize);
	if (!*mt)
		*mt = "";
	return 0;
}

/* the architecture of the host's platform (its os is linux) */
static const char *host_arch(char arch[PLATFORM_MAX])
{
	char variant[PLATFORM_MAX];
	if (sscanf(platform_host(), "linux/%127[^/]/%127s", arch, variant) < 1)
		snprintf(arch, PLATFORM_MAX, "amd64");
	return arch;
}

static int is_manifest_type(const char *mt)
{
	return !strcmp(mt, MT_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST);
}

static int is_index_type(const char *mt)
{
	return !strcmp(mt, MT_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
}

/* pick from an index's manifests: by ref name when tag, else the only one; for a
   nested index (platform != NULL), the host's platform */
static json_t *index_pick(json_t *index, const char *what, const char *tag, int by_platform, struct error *err)
{
	json_t *ms = json_object_get(index, "manifests");
	if (!json_is_array(ms)) {
		err_set(err, "%s: no manifests array", what);
		return NULL;
	}
	json_t *found = NULL, *v;
	size_t i, n = 0;
	json_array_foreach(ms, i, v) {
		int match;
		if (by_platform) {
			json_t *pl = json_object_get(v, "platform");
			const char *os = json_string_value(json_object_get(pl, "os"));
			const char *arch = json_string_value(json_object_get(pl, "architecture"));
			const char *variant = json_string_value(json_object_get(pl, "variant"));
			match = os && arch && platform_matches(platform_host(), os, arch, variant);
		} else if (tag) {
			const char *ref = json_string_value(json_object_get(json_object_get(v, "annotations"), REF_NAME));
			match = ref && !strcmp(ref, tag);
		} else {
			match = 1;
		}
		if (match && !found)
			found = v;
		n += match;
	}
	if (by_platform && !found)
		err_set(err, "%s: no image for %s", what, platform_host());
	else if (!found && tag)
		err_set(err, "%s: no image named %s", what, tag);
	else if (!found)
		err_set(err, "%s: no images", what);
	else if (n > 1 && !by_platform)
		err_set(err, "%s: %zu images%s; choose one with :TAG", what, n, tag ? " with that name" : "");
	else
		return found;
	return NULL;
}

/* the config's rootfs.diff_ids, checked to be n digests */
static json_t *config_diff_ids(json_t *config, size_t n, const char *what, struct error *err)
{
	json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		err_set(err, "%s: no rootfs.diff_ids", what);
		return NULL;
	}
	if (json_array_size(ids) != n) {
		err_set(err, "%s: %zu diff_ids for %zu layers", what, json_array_size(ids), n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || !digest_valid(d)) {
			err_set(err, "%s: invalid diff_id \"%.100s\"", what, d ? d : "(none)");
			return NULL;
		}
	}
	return ids;
}

/* ---- import ---- */

static int import_layout(struct staging *st, struct srcdir *d, const char *tag, char out[DIGEST_SIZE],
			 struct error *err)
{
	int rc = -1;
	char *ipath = src_path(d, "index.json", err);
	size_t len;
	char *itext = ipath ? read_small(ipath, "index.json", -1, &len, err) : NULL;
	free(ipath);
	if (!itext)
		return err_wrap(err, "%s: not an OCI layout", d->root);
	json_t *index = parse_json(itext, len, "index.json", err), *nested = NULL, *manifest = NULL, *config = NULL;
	char *mtext = NULL, *ctext = NULL, *ntext = NULL;
	free(itext);
	if (!index)
		return -1;
	json_t *desc = index_pick(index, "index.json", tag, 0, err);
	const char *mt, *md, *cmt, *cd;
	long long msize, csize;
	if (!desc || desc_get(desc, "index.json", &mt, &md, &msize, err) < 0)
		goto out;
	if (is_index_type(mt)) {
		if (!(ntext = layout_blob(d, md, msize, &len, err)) ||
		    !(nested = parse_json(ntext, len, md, err)) || !(desc = index_pick(nested, md, NULL, 1, err)) ||
		    desc_get(desc, md, &mt, &md, &msize, err) < 0)
			goto out;
	}
	if (!(mtext = layout_blob(d, md, msize, &len, err)) || !(manifest = parse_json(mtext, len, md, err)))
		goto out;
	size_t mlen = len;
	const char *own = json_string_value(json_object_get(manifest, "mediaType"));
	if (!*mt && own)
		mt = own;
	if (!is_manifest_type(mt) || json_integer_value(json_object_get(manifest, "schemaVersion")) != 2) {
		err_set(err, "manifest %s: unsupported media type \"%s\"", md, mt);
		goto out;
	}
	json_t *layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers)) {
		err_set(err, "manifest %s: no layers array", md);
		goto out;
	}
	if (desc_get(json_object_get(manifest, "config"), md, &cmt, &cd, &csize, err) < 0 ||
	    !(ctext = layout_blob(d, cd, csize, &len, err)) || !(config = parse_json(ctext, len, cd, err)))
		goto out;
	size_t clen = len;
	json_t *ids = config_diff_ids(config, json_array_size(layers), cd, err);
	if (!ids)
		goto out;
	json_t *l;
	size_t i;
	json_array_foreach(layers, i, l) {
		struct layer_want w = {0};
		struct layer_got g;
		const char *lmt;
		if (desc_get(l, md, &lmt, &w.digest, &w.size, err) < 0)
			goto out;
		if (!strcmp(lmt, MT_LAYER_GZ) || !strcmp(lmt, MT_DOCKER_LAYER_GZ))
			w.gz = GZ_YES;
		else if (!strcmp(lmt, MT_LAYER_ZSTD))
			w.gz = GZ_ZSTD;
		else if (!strcmp(lmt, MT_LAYER))
			w.gz = GZ_NO;
		else {
			err_set(err, "layer %s: unsupported media type \"%s\"", w.digest, lmt);
			goto out;
		}
		char *rel = xasprintf("blobs/sha256/%s", w.digest + 7);
		char *path = src_path(d, rel, err);
		if (!path) {
			free(rel);
			err_wrap(err, "blob %s", w.digest);
			goto out;
		}
		w.path = path;
		w.name = d->real ? rel : path;
		w.diff_id = json_string_value(json_array_get(ids, i));
		int r = ingest_layer(st, &w, &g, err);
		free(rel);
		free(path);
		if (r < 0)
			goto out;
	}
	char got[DIGEST_SIZE];
	if (stage_mem(st, ctext, clen, got, err) < 0 || stage_mem(st, mtext, mlen, got, err) < 0)
		goto out;
	memcpy(out, md, DIGEST_SIZE);
	rc = 0;
out:
	json_decref(index);
	json_decref(nested);
	json_decref(manifest);
	json_decref(config);
	free(ntext);
	free(mtext);
	free(ctext);
	return rc;
}

/* a manifest for config (already staged as cd/csize) and the layers in ls, staged */
static int stage_manifest(struct staging *st, const char *cd, long long csize, json_t *layers, char out[DIGEST_SIZE],
			  struct error *err)
{
	json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
			      "config", "mediaType", MT_CONFIG, "digest", cd, "size", (json_int_t)csize, "layers",
			      layers);
	if (!m)
		return err_set(err, "cannot build the manifest");
	long long size;
	int r = stage_json(st, m, out, &size, err);
	json_decref(m);
	return r;
}

static json_t *layer_desc(const struct layer_got *g)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType",
			 g->gz == 2 ? MT_LAYER_ZSTD : g->gz ? MT_LAYER_GZ : MT_LAYER, "digest", g->digest, "size",
			 (json_int_t)g->size);
}

static int import_docker(struct staging *st, struct srcdir *d, const char *want, char out[DIGEST_SIZE],
			 struct error *err)
{
	int rc = -1;
	size_t len;
	char *mpath = src_path(d, "manifest.json", err);
	char *mtext = mpath ? read_small(mpath, "manifest.json", -1, &len, err) : NULL;
	free(mpath);
	if (!mtext)
		return err_wrap(err, "not a docker archive");
	json_error_t je;
	json_t *list = json_loadb(mtext, len, 0, &je), *config = NULL, *layers = json_array();
	char *ctext = NULL;
	free(mtext);
	if (!json_is_array(list) || json_array_size(list) == 0) {
		err_set(err, "manifest.json: want a non-empty JSON array");
		goto out;
	}
	json_t *img = NULL, *v;
	size_t i;
	if (want) {
		char a[REF_MAX], b[REF_MAX];
		struct error e;
		if (ref_normalize(want, a, &e) < 0)
			snprintf(a, sizeof a, "%s", want);
		json_array_foreach(list, i, v) {
			json_t *t;
			size_t j;
			json_array_foreach(json_object_get(v, "RepoTags"), j, t) {
				const char *s = json_string_value(t);
				if (s && !img && ref_normalize(s, b, &e) == 0 && !strcmp(b, a))
					img = v;
			}
		}
		if (!img) {
			err_set(err, "manifest.json: no image named %s", want);
			goto out;
		}
	} else if (json_array_size(list) > 1) {
		err_set(err, "manifest.json: %zu images; choose one with :NAME:TAG", json_array_size(list));
		goto out;
	} else {
		img = json_array_get(list, 0);
	}
	const char *cfile = json_string_value(json_object_get(img, "Config"));
	json_t *lfiles = json_object_get(img, "Layers");
	if (!cfile || !json_is_array(lfiles)) {
		err_set(err, "manifest.json: want Config and Layers");
		goto out;
	}
	char *cpath = src_path(d, cfile, err);
	ctext = cpath ? read_small(cpath, cfile, -1, &len, err) : NULL;
	free(cpath);
	if (!ctext || !(config = parse_json(ctext, len, cfile, err)))
		goto out;
	size_t clen = len;
	char cd[DIGEST_SIZE];
	digest_buf(ctext, clen, cd);
	/* the config's name is its digest (HEX.json, or blobs/sha256/HEX) */
	const char *base = strrchr(cfile, '/') ? strrchr(cfile, '/') + 1 : cfile;
	size_t bl = strcspn(base, ".");
	if (bl == 64 && strspn(base, "0123456789abcdef") == 64 && strncmp(base, cd + 7, 64) != 0) {
		err_set(err, "config %s: digest mismatch: content is %s", cfile, cd);
		goto out;
	}
	json_t *ids = config_diff_ids(config, json_array_size(lfiles), cfile, err);
	if (!ids)
		goto out;
	json_array_foreach(lfiles, i, v) {
		const char *lf = json_string_value(v);
		if (!lf) {
			err_set(err, "manifest.json: Layers holds a non-string");
			goto out;
		}
		char *path = src_path(d, lf, err);
		if (!path)
			goto out;
		struct layer_want w = {.path = path, .name = lf, .size = -1, .gz = GZ_AUTO, .recompress = 1};
		struct layer_got g;
		w.diff_id = json_string_value(json_array_get(ids, i));
		int r = ingest_layer(st, &w, &g, err);
		free(path);
		if (r < 0)
			goto out;
		json_array_append_new(layers, layer_desc(&g));
	}
	char got[DIGEST_SIZE];
	if (stage_mem(st, ctext, clen, got, err) < 0 || stage_manifest(st, cd, (long long)clen, layers, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(list);
	json_decref(config);
	json_decref(layers);
	free(ctext);
	return rc;
}

/* the files of a root filesystem as layer entries */
struct walk {
	struct arena *a;
	struct layer_entry *e;
	size_t n, cap;
	struct ino {
		dev_t dev;
		ino_t ino;
		size_t i;
	} *ino;
	size_t nino, capino;
};

static int walk_dir(struct walk *w, const char *abs, const char *rel, struct error *err)
{
	DIR *d = opendir(abs);
	if (!d)
		return err_sys(err, "%s", abs);
	int rc = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				rc = err_sys(err, "%s", abs);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *cabs = arena_printf(w->a, "%s/%s", abs, de->d_name);
		char *crel = rel ? arena_printf(w->a, "%s/%s", rel, de->d_name) : arena_strdup(w->a, de->d_name);
		struct stat sb;
		if (lstat(cabs, &sb) < 0) {
			rc = err_sys(err, "%s", cabs);
			break;
		}
		if (S_ISSOCK(sb.st_mode))
			continue; /* as docker: a socket is no file of an image */
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 256;
			w->e = xrealloc(w->e, w->cap * sizeof *w->e);
		}
		struct layer_entry *e = &w->e[w->n];
		memset(e, 0, sizeof *e);
		e->path = crel;
		e->mode = sb.st_mode & 07777;
		e->uid = sb.st_uid;
		e->gid = sb.st_gid;
		if (S_ISDIR(sb.st_mode)) {
			e->type = LAYER_DIR;
		} else if (S_ISREG(sb.st_mode)) {
			e->type = LAYER_REG;
			e->src = cabs;
			e->size = sb.st_size;
			char cap[256];
			ssize_t cl = lgetxattr(cabs, "security.capability", cap, sizeof cap);
			if (cl > 0) {
				char *c = arena_alloc(w->a, (size_t)cl);
				memcpy(c, cap, (size_t)cl);
				e->cap = c;
				e->caplen = (size_t)cl;
			}
			if (sb.st_nlink > 1) {
				if (w->nino == w->capino) {
					w->capino = w->capino ? 2 * w->capino : 64;
					w->ino = xrealloc(w->ino, w->capino * sizeof *w->ino);
				}
				w->ino[w->nino++] = (struct ino){sb.st_dev, sb.st_ino, w->n};
			}
		} else if (S_ISLNK(sb.st_mode)) {
			e->type = LAYER_SYMLINK;
			size_t sz = (size_t)sb.st_size + 1;
			char *t = arena_alloc(w->a, sz + 1);
			ssize_t tl = readlink(cabs, t, sz);
			if (tl < 0 || (size_t)tl >= sz) {
				rc = tl < 0 ? err_sys(err, "%s", cabs) : err_set(err, "%s: symlink changed while read", cabs);
				break;
			}
			t[tl] = 0;
			e->link = t;
		} else if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)) {
			e->type = S_ISCHR(sb.st_mode) ? LAYER_CHAR : LAYER_BLOCK;
			e->devmajor = major(sb.st_rdev);
			e->devminor = minor(sb.st_rdev);
		} else if (S_ISFIFO(sb.st_mode)) {
			e->type = LAYER_FIFO;
		} else {
			continue;
		}
		w->n++;
		if (S_ISDIR(sb.st_mode) && (rc = walk_dir(w, cabs, crel, err)) < 0)
			break;
	}
	closedir(d);
	return rc;
}

static int ino_cmp(const void *a, const void *b)
{
	const struct ino *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int import_rootfs(struct staging *st, const char *dir, char out[DIGEST_SIZE], struct error *err)
{
	long long epoch;
	if (layer_epoch(&epoch, err) < 0)
		return -1;
	struct walk w = {.a = arena_new()};
	int rc = -1;
	json_t *config = NULL, *layers = NULL;
	char *tmp = NULL;
	int fd = -1;
	if (walk_dir(&w, dir, NULL, err) < 0)
		goto out;
	/* one key per inode: layer_write links the later paths to the first */
	if (w.nino)
		qsort(w.ino, w.nino, sizeof *w.ino, ino_cmp);
	for (size_t i = 0, key = 0; i < w.nino; i++) {
		if (i == 0 || ino_cmp(&w.ino[i - 1], &w.ino[i]) != 0)
			key++;
		w.e[w.ino[i].i].hardlink_key = key;
	}
	struct layer_digests ld;
	if (store_tmpfile(st->s, &tmp, &fd, err) < 0)
		goto out;
	if (layer_write(w.e, w.n, epoch, NULL, fd, &ld, err) < 0) {
		close(fd);
		unlink(tmp);
		free(tmp);
		goto out;
	}
	if (close(fd) < 0) {
		err_sys(err, "write %s", tmp);
		unlink(tmp);
		free(tmp);
		goto out;
	}
	stage_add(st, tmp, ld.digest);

	/* layer_epoch keeps the epoch within RFC 3339's years */
	char created[32], arch[PLATFORM_MAX];
	image_time(epoch, created, sizeof created);
	config = json_pack("{s:s, s:s, s:s, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture", host_arch(arch), "os",
			   "linux", "created", created, "rootfs", "type", "layers", "diff_ids", ld.diff_id, "history",
			   "created", created, "created_by", "strata import rootfs");
	struct layer_got g = {.size = ld.size, .gz = 1};
	memcpy(g.digest, ld.digest, DIGEST_SIZE);
	layers = json_pack("[o]", layer_desc(&g));
	char cd[DIGEST_SIZE];
	long long csize;
	if (!config || !layers) {
		err_set(err, "cannot build the image config");
		goto out;
	}
	if (stage_json(st, config, cd, &csize, err) < 0 || stage_manifest(st, cd, csize, layers, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(config);
	json_decref(layers);
	free(w.e);
	free(w.ino);
	arena_free(w.a);
	return rc;
}

/* the names an archive gives its images: docker's RepoTags, or the OCI index's ref names that
   are whole names (podman save writes docker.io/library/x:tag; a bare tag names no image) */
static int load_names(struct srcdir *d, int docker, struct strv *wants, struct strv *names, struct error *err)
{
	size_t len;
	char *p = src_path(d, docker ? "manifest.json" : "index.json", err);
	char *text = p ? read_small(p, docker ? "manifest.json" : "index.json", -1, &len, err) : NULL;
	free(p);
	if (!text)
		return -1;
	json_t *doc = json_loadb(text, len, 0, NULL);
	free(text);
	if (!doc)
		return err_set(err, "%s: invalid JSON", docker ? "manifest.json" : "index.json");
	json_t *list = docker ? doc : json_object_get(doc, "manifests");
	size_t i, j;
	json_t *v, *t;
	json_array_foreach(list, i, v) {
		if (docker) {
			json_array_foreach(json_object_get(v, "RepoTags"), j, t) {
				char n[REF_MAX];
				struct error e;
				if (json_string_value(t) && ref_normalize(json_string_value(t), n, &e) == 0) {
					strv_push(wants, xstrdup(json_string_value(t)));
					strv_push(names, xstrdup(n));
				}
			}
		} else {
			const char *r = json_string_value(json_object_get(json_object_get(v, "annotations"), REF_NAME));
			char n[REF_MAX];
			struct error e;
			if (r && strpbrk(r, "/:") && ref_normalize(r, n, &e) == 0) {
				strv_push(wants, xstrdup(r));
				strv_push(names, xstrdup(n));
			}
		}
	}
	size_t n = json_array_size(list);
	json_decref(doc);
	if (wants->n == 0 && n > 1)
		return err_set(err, "%zu images and no names in the archive: import them one by one", n);
	return 0;
}

int transport_load(struct store *s, const char *path, struct strv *names, struct strv *digests, struct error *err)
{
	char *tmpdir = NULL;
	struct srcdir d = {0};
	struct strv wants;
	strv_init(&wants, NULL);
	int rc = -1;
	struct stat sb;
	if (stat(path, &sb) < 0) {
		err_sys(err, "%s", path);
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		err_set(err, "%s: is a directory, want an archive", path);
		goto out;
	}
	if (!untar_is_archive(path)) {
		err_set(err, "%s: not an archive (want a docker-archive or an oci-archive)", path);
		goto out;
	}
	if (store_tmpdir(s, &tmpdir, err) < 0)
		goto out;
	if (untar_extract(path, tmpdir, UNTAR_ADD, err) < 0)
		goto out;
	d.root = tmpdir;
	if (!(d.real = realpath(tmpdir, NULL))) {
		err_sys(err, "%s", tmpdir);
		goto out;
	}
	char *mj = xasprintf("%s/manifest.json", tmpdir), *ix = xasprintf("%s/index.json", tmpdir);
	int docker = access(mj, F_OK) == 0, oci = access(ix, F_OK) == 0;
	free(mj);
	free(ix);
	if (!docker && !oci) {
		err_set(err, "%s: neither a docker archive (manifest.json) nor an OCI archive (index.json)", path);
		goto out;
	}
	if (load_names(&d, docker, &wants, names, err) < 0)
		goto out;
	size_t n = wants.n ? wants.n : 1;
	for (size_t i = 0; i < n; i++) {
		struct staging st = {.s = s};
		char md[DIGEST_SIZE];
		const char *want = wants.n ? wants.v[i] : NULL;
		int r = docker ? import_docker(&st, &d, want, md, err) : import_layout(&st, &d, want, md, err);
		if (r == 0)
			r = stage_commit(&st, err);
		stage_free(&st);
		if (r < 0)
			goto out;
		strv_push(digests, xstrdup(md));
	}
	rc = 0;
out:
	if (tmpdir) {
		remove_tree_at(AT_FDCWD, tmpdir, NULL);
		free(tmpdir);
	}
	free(d.real);
	strv_free(&wants);
	return rc;
}

int transport_import(struct store *s, const char *src, char out[DIGEST_SIZE], struct error *err)
{
	struct ref r;
	if (ref_parse(src, &r, err) < 0)
		return -1;
	struct staging st = {.s = s};
	struct srcdir d = {0};
	char *tmpdir = NULL;
	int rc = -1;
	int is_oci = !strcmp(r.kind, "oci"), is_ocia = !strcmp(r.kind, "oci-archive"),
	    is_docker = !strcmp(r.kind, "docker-archive"), is_rootfs = !strcmp(r.kind, "rootfs");
	if (!is_oci && !is_ocia && !is_docker && !is_rootfs) {
		err_set(err, "%s: unknown transport \"%s\" (want oci:, oci-archive:, docker-archive: or rootfs:)", src,
			r.kind);
		goto out;
	}
	struct stat sb;
	if (stat(r.path, &sb) < 0) {
		err_sys(err, "%s", r.path);
		goto out;
	}
	if (is_oci || (is_rootfs && S_ISDIR(sb.st_mode))) {
		if (!S_ISDIR(sb.st_mode)) {
			err_set(err, "%s: not a directory", r.path);
			goto out;
		}
		d.root = r.path;
	} else {
		if (S_ISDIR(sb.st_mode)) {
			err_set(err, "%s: is a directory, want an archive", r.path);
			goto out;
		}
		/* a fifo would block the read, a device would never end */
		if (!S_ISREG(sb.st_mode)) {
			err_set(err, "%s: not a regular file", r.path);
			goto out;
		}
		if (store_tmpdir(s, &tmpdir, err) < 0)
			goto out;
		if (untar_extract(r.path, tmpdir, UNTAR_ADD, err) < 0) {
			err_wrap(err, "%s", r.path);
			goto out;
		}
		d.root = tmpdir;
		if (!is_rootfs && !(d.real = realpath(tmpdir, NULL))) {
			err_sys(err, "%s", tmpdir);
			goto out;
		}
	}
	if (is_rootfs)
		rc = import_rootfs(&st, d.root, out, err);
	else if (is_docker)
		rc = import_docker(&st, &d, r.rest, out, err);
	else
		rc = import_layout(&st, &d, r.rest, out, err);
	if (rc == 0)
		rc = stage_commit(&st, err);
out:
	stage_free(&st);
	if (tmpdir) {
		remove_tree_at(AT_FDCWD, tmpdir, NULL);
		free(tmpdir);
	}
	free(d.real);
	ref_free(&r);
	return rc;
}

/* ---- export ---- */

struct export_image {
	char md[DIGEST_SIZE];
	char *mtext;
	size_t mlen;
	const char *mt;
	json_t *manifest;
	json_t *config;  /* the config's descriptor */
	json_t *layers;
};

static int export_image_load(struct store *s, const char *md, struct export_image *im, struct error *err)
{
	memset(im, 0, sizeof *im);
	memcpy(im->md, md, DIGEST_SIZE);
	if (store_blob_read(s, md, &im->mtext, &im->mlen, err) < 0)
		return -1;
	if (!(im->manifest = parse_json(im->mtext, im->mlen, md, err)))
		return -1;
	im->mt = json_string_value(json_object_get(im->manifest, "mediaType"));
	if (!im->mt)
		im->mt = MT_MANIFEST;
	im->config = json_object_get(im->manifest, "config");
	im->layers = json_object_get(im->manifest, "layers");
	const char *mt, *d;
	long long sz;
	if (!is_manifest_type(im->mt) || !json_is_array(im->layers) ||
	    desc_get(im->config, md, &mt, &d, &sz, err) < 0)
		return err_set(err, "manifest %s: not an image manifest", md);
	size_t i;
	json_t *l;
	json_array_foreach(im->layers, i, l)
		if (desc_get(l, md, &mt, &d, &sz, err) < 0)
			return -1;
	return 0;
}

static void export_image_free(struct export_image *im)
{
	json_decref(im->manifest);
	free(im->mtext);
}

/* open a store blob and check its size; a wrong size means a damaged store */
static int blob_open(struct store *s, const char *digest, long long size, struct error *err)
{
	char *p = store_blob_path(s, digest);
	if (!p)
		return err_set(err, "invalid digest \"%.100s\"", digest);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(err, "blob %s", digest);
		free(p);
		return -1;
	}
	free(p);
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_size != size) {
		if (sb.st_size != size)
			size_error(err, "store", sb.st_size, size);
		else
			err_sys(err, "blob %s", digest);
		err_wrap(err, "blob %s", digest);
		close(fd);
		return -1;
	}
	return fd;
}

/* pass the store blob's bytes (size of them) to put, verifying its digest on the way */
static int blob_each(struct store *s, const char *digest, long long size,
		     int (*put)(void *ctx, const void *p, size_t n, struct error *err), void *ctx, struct error *err)
{
	int fd = blob_open(s, digest, size, err);
	if (fd < 0)
		return -1;
	char *buf = xmalloc(IOBUF);
	struct sha256 *h = sha256_new();
	int rc = 0;
	for (;;) {
		ssize_t r = read_some(fd, buf, IOBUF);
		if (r < 0)
			rc = err_sys(err, "read blob %s", digest);
		if (r <= 0)
			break;
		sha256_update(h, buf, (size_t)r);
		io_count(r);
		if ((rc = put(ctx, buf, (size_t)r, err)) < 0)
			break;
	}
	char got[DIGEST_SIZE];
	sha256_final(h, got);
	if (rc == 0 && strcmp(got, digest) != 0)
		rc = err_set(err, "corrupt blob %s in the store: content is %s", digest, got);
	free(buf);
	close(fd);
	return rc;
}

static int put_fd(void *ctx, const void *p, size_t n, struct error *err)
{
	return write_all(*(int *)ctx, p, n) < 0 ? err_sys(err, "write") : 0;
}

/* the blob to out_fd (size bytes), verified */
static int copy_blob(struct store *s, const char *digest, long long size, int out_fd, struct error *err)
{
	return blob_each(s, digest, size, put_fd, &out_fd, err);
}

/* a new file beside path, for writing and renaming over it */
static int tmp_beside(const char *path, char **tmp, int *fd, struct error *err)
{
	*tmp = xasprintf("%s.tmp-XXXXXX", path);
	*fd = mkostemp(*tmp, O_CLOEXEC);
	if (*fd < 0) {
		err_sys(err, "create %s", *tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(*fd, 0644) < 0) {
		err_sys(err, "chmod %s", *tmp);
		close(*fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	cleanup_add(*tmp);
	return 0;
}

/* fsync, close and rename tmp to path; tmp is gone in every case */
static int tmp_commit(char *tmp, int fd, const char *path, struct error *err)
{
	int rc = 0;
	if (fsync(fd) < 0)
		rc = err_sys(err, "write %s", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = err_sys(err, "write %s", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_sys(err, "rename %s to %s", tmp, path);
	if (rc < 0)
		unlink(tmp);
	cleanup_del(tmp);
	free(tmp);
	return rc;
}

static void tmp_abort(char *tmp, int fd)
{
	close(fd);
	unlink(tmp);
	cleanup_del(tmp);
	free(tmp);
}

static int file_put(const char *path, const void *p, size_t n, struct error *err)
{
	char *tmp;
	int fd;
	if (tmp_beside(path, &tmp, &fd, err) < 0)
		return -1;
	if (write_all(fd, p, n) < 0) {
		err_sys(err, "write %s", tmp);
		tmp_abort(tmp, fd);
		return -1;
	}
	return tmp_commit(tmp, fd, path, err);
}

/* index.json with the manifest of im named tag, replacing an entry of that name in old (or NULL) */
static char *index_json(json_t *old, const struct export_image *im, const char *tag, struct error *err)
{
	json_t *idx = old ? json_deep_copy(old) : json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX,
							     "manifests");
	json_t *ms = json_object_get(idx, "manifests");
	if (!json_is_array(ms)) {
		json_decref(idx);
		err_set(err, "index.json: no manifests array");
		return NULL;
	}
	for (size_t i = json_array_size(ms); i-- > 0;) {
		const char *ref =
			json_string_value(json_object_get(json_object_get(json_array_get(ms, i), "annotations"), REF_NAME));
		if (ref && tag && !strcmp(ref, tag))
			json_array_remove(ms, i);
	}
	json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", im->mt, "digest", im->md, "size", (json_int_t)im->mlen);
	if (tag)
		json_object_set_new(desc, "annotations", json_pack("{s:s}", REF_NAME, tag));
	json_array_append_new(ms, desc);
	char *text = json_dumps(idx, JSON_FLAGS);
	json_decref(idx);
	if (!text)
		err_set(err, "cannot serialise index.json");
	return text;
}

static const char oci_layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

/* every blob of im: digest and size, manifest first */
struct blobref {
	const char *digest;
	long long size;
};

static size_t image_blobs(const struct export_image *im, struct blobref **out)
{
	size_t n = json_array_size(im->layers) + 2;
	struct blobref *v = xmalloc(n * sizeof *v);
	v[0] = (struct blobref){im->md, (long long)im->mlen};
	for (size_t i = 1; i < n; i++) {
		json_t *d = i == 1 ? im->config : json_array_get(im->layers, i - 2);
		v[i] = (struct blobref){json_string_value(json_object_get(d, "digest")),
					json_integer_value(json_object_get(d, "size"))};
	}
	*out = v;
	return n;
}

static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int empty = 1;
	struct dirent *de;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static int export_oci_dir(struct store *s, const struct export_image *im, const char *dir, const char *tag,
			  struct error *err)
{
	struct stat sb;
	char *root = NULL, *itext = NULL;
	json_t *old = NULL;
	struct blobref *b = NULL;
	int fresh = 0, rc = -1;
	if (stat(dir, &sb) < 0) {
		if (errno != ENOENT)
			return err_sys(err, "%s", dir);
		root = xasprintf("%s.tmp-XXXXXX", dir);
		if (!mkdtemp(root)) {
			err_sys(err, "create %s", root);
			free(root);
			return -1;
		}
		fresh = 1;
		cleanup_add(root);
		if (chmod(root, 0755) < 0) {
			err_sys(err, "chmod %s", root);
			goto out;
		}
	} else if (!S_ISDIR(sb.st_mode)) {
		return err_set(err, "%s: not a directory", dir);
	} else {
		root = xstrdup(dir);
		char *lp = xasprintf("%s/oci-layout", dir);
		int has_layout = access(lp, F_OK) == 0;
		free(lp);
		if (has_layout) {
			char *ip = xasprintf("%s/index.json", dir);
			size_t len;
			itext = read_small(ip, ip, -1, &len, err);
			if (itext)
				old = parse_json(itext, len, ip, err);
			free(ip);
			if (itext ? !old : err->errnum != ENOENT)
				goto out;
		} else if (!dir_empty(dir)) {
			err_set(err, "%s: exists and is not an OCI layout", dir);
			goto out;
		}
	}
	char *p = xasprintf("%s/blobs", root);
	char *p2 = xasprintf("%s/blobs/sha256", root);
	int mk = (mkdir(p, 0755) < 0 && errno != EEXIST) || (mkdir(p2, 0755) < 0 && errno != EEXIST);
	if (mk)
		err_sys(err, "create %s", p2);
	free(p);
	free(p2);
	if (mk)
		goto out;
	size_t n = image_blobs(im, &b);
	for (size_t i = 0; i < n; i++) {
		char *bp = xasprintf("%s/blobs/sha256/%s", root, b[i].digest + 7);
		/* content-addressed: a blob of the right size there is this blob */
		if (stat(bp, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == b[i].size) {
			free(bp);
			continue;
		}
		char *tmp;
		int fd;
		int r = tmp_beside(bp, &tmp, &fd, err);
		if (r == 0 && (r = copy_blob(s, b[i].digest, b[i].size, fd, err)) < 0)
			tmp_abort(tmp, fd);
		else if (r == 0)
			r = tmp_commit(tmp, fd, bp, err);
		free(bp);
		if (r < 0)
			goto out;
	}
	char *lp = xasprintf("%s/oci-layout", root);
	int r = access(lp, F_OK) == 0 ? 0 : file_put(lp, oci_layout, strlen(oci_layout), err);
	free(lp);
	if (r < 0)
		goto out;
	char *text = index_json(old, im, tag, err);
	if (!text)
		goto out;
	char *ip = xasprintf("%s/index.json", root);
	r = file_put(ip, text, strlen(text), err);
	free(ip);
	free(text);
	if (r < 0)
		goto out;
	if (fresh && rename(root, dir) < 0) {
		err_sys(err, "rename %s to %s", root, dir);
		goto out;
	}
	fresh = 0;
	rc = 0;
out:
	if (fresh)
		remove_tree_at(AT_FDCWD, root, NULL);
	if (root)
		cleanup_del(root);
	free(root);
	free(itext);
	free(b);
	json_decref(old);
	return rc;
}

/* a deterministic tar: pax restricted, mtime epoch, uid/gid 0, no names */
struct tarw {
	struct archive *a;
	struct archive_entry *ae;
	long long epoch;
	const char *path;
};

static int tarw_fail(struct tarw *t, struct error *err)
{
	const char *m = archive_error_string(t->a);
	return err_set(err, "%s: %s", t->path, m ? m : "cannot write the archive");
}

static int tarw_open(struct tarw *t, int fd, const char *path, struct error *err)
{
	memset(t, 0, sizeof *t);
	t->path = path;
	if (layer_epoch(&t->epoch, err) < 0)
		return -1;
	t->a = archive_write_new();
	t->ae = archive_entry_new();
	if (!t->a || !t->ae)
		return err_set(err, "%s: out of memory", path);
	if (layer_tar_format(t->a) != ARCHIVE_OK ||
	    archive_write_open_fd(t->a, fd) != ARCHIVE_OK)
		return tarw_fail(t, err);
	return 0;
}

/* a directory (size < 0) or a file of size bytes, whose data follows */
static int tarw_header(struct tarw *t, const char *name, long long size, struct error *err)
{
	archive_entry_clear(t->ae);
	archive_entry_copy_pathname(t->ae, name);
	archive_entry_set_filetype(t->ae, size < 0 ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(t->ae, size < 0 ? 0755 : 0644);
	archive_entry_set_uid(t->ae, 0);
	archive_entry_set_gid(t->ae, 0);
	archive_entry_set_mtime(t->ae, (time_t)t->epoch, 0);
	archive_entry_set_size(t->ae, size < 0 ? 0 : size);
	if (archive_write_header(t->a, t->ae) != ARCHIVE_OK)
		return tarw_fail(t, err);
	return 0;
}

static int tarw_data(struct tarw *t, const void *p, size_t n, struct error *err)
{
	la_ssize_t r = archive_write_data(t->a, p, n);
	if (r < 0 || (size_t)r != n)
		return tarw_fail(t, err);
	return 0;
}

static int tarw_mem(struct tarw *t, const char *name, const void *p, size_t n, struct error *err)
{
	if (tarw_header(t, name, (long long)n, err) < 0)
		return -1;
	return n ? tarw_data(t, p, n, err) : 0;
}

/* finish the archive (err != NULL) or give it up (err NULL), and free t; 0 or -1 with err */
static int tarw_close(struct tarw *t, struct error *err)
{
	int rc = 0;
	if (t->a) {
		if (err && archive_write_close(t->a) != ARCHIVE_OK)
			rc = tarw_fail(t, err);
		archive_write_free(t->a);
	}
	if (t->ae)
		archive_entry_free(t->ae);
	t->a = NULL;
	t->ae = NULL;
	return rc;
}

static int put_tar(void *ctx, const void *p, size_t n, struct error *err)
{
	return tarw_data(ctx, p, n, err);
}

/* the store blob as the entry name, verified */
static int tarw_blob(struct tarw *t, struct store *s, const char *name, const char *digest, long long size,
		     struct error *err)
{
	if (tarw_header(t, name, size, err) < 0)
		return -1;
	return blob_each(s, digest, size, put_tar, t, err);
}

static int blobref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct blobref *)a)->digest, ((const struct blobref *)b)->digest);
}

static int export_oci_archive(struct store *s, const struct export_image *im, const char *file, const char *tag,
			      struct error *err)
{
	char *text = NULL;
	struct outfile f;
	struct blobref *b = NULL;
	struct tarw t = {0};
	if (outfile_open(&f, file, err) < 0)
		return -1;
	int rc = -1;
	if (!(text = index_json(NULL, im, tag, err)) || tarw_open(&t, f.fd, f.path, err) < 0)
		goto out;
	size_t n = image_blobs(im, &b);
	qsort(b, n, sizeof *b, blobref_cmp);
	if (tarw_header(&t, "blobs", -1, err) < 0 || tarw_header(&t, "blobs/sha256", -1, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(b[i - 1].digest, b[i].digest))
			continue;
		char name[80];
		snprintf(name, sizeof name, "blobs/sha256/%s", b[i].digest + 7);
		if (tarw_blob(&t, s, name, b[i].digest, b[i].size, err) < 0)
			goto out;
	}
	if (tarw_mem(&t, "index.json", text, strlen(text), err) < 0 ||
	    tarw_mem(&t, "oci-layout", oci_layout, strlen(oci_layout), err) < 0 || tarw_close(&t, err) < 0)
		goto out;
	rc = outfile_commit(&f, err);
out:
	tarw_close(&t, NULL);
	if (rc < 0)
		outfile_abort(&f);
	free(text);
	free(b);
	return rc;
}

/* the layer's tar (uncompressed) as the entry name; checked against diff_id */
static int tarw_layer(struct tarw *t, struct store *s, const char *name, json_t *desc, const char *diff_id,
		      struct error *err)
{
	const char *mt, *digest;
	long long size;
	if (desc_get(desc, "manifest", &mt, &digest, &size, err) < 0)
		return -1;
	enum gzmode gz = !strcmp(mt, MT_LAYER_GZ) || !strcmp(mt, MT_DOCKER_LAYER_GZ) ? GZ_YES
			 : !strcmp(mt, MT_LAYER_ZSTD)                                  ? GZ_ZSTD
			 : !strcmp(mt, MT_LAYER)                                       ? GZ_NO
											: GZ_AUTO;
	int fd = blob_open(s, digest, size, err);
	if (fd < 0)
		return -1;
	/* two passes: the tar header needs the size before the data */
	long long tarsize = 0;
	int rc = 0;
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		if (lseek(fd, 0, SEEK_SET) < 0) {
			rc = err_sys(err, "blob %s", digest);
			break;
		}
		struct lstream ls;
		const void *p;
		ssize_t r;
		rc = ls_open(&ls, fd, size, gz, -1, 0);
		if (rc == 0 && pass == 1)
			rc = tarw_header(t, name, tarsize, err);
		else if (rc < 0)
			*err = ls.err;
		while (rc == 0 && (r = ls_next(&ls, &p)) != 0) {
			if (r < 0)
				rc = (*err = ls.err, -1);
			else if (pass == 1)
				rc = tarw_data(t, p, (size_t)r, err);
		}
		char raw[DIGEST_SIZE], tar[DIGEST_SIZE];
		if (rc < 0)
			ls_drain_raw(&ls);
		long long got = ls.tarsize;
		ls_close(&ls, raw, tar, NULL);
		/* a damaged blob is the cause of whatever else went wrong */
		if (strcmp(raw, digest) != 0)
			rc = err_set(err, "corrupt blob %s in the store: content is %s", digest, raw);
		else if (rc < 0)
			err_wrap(err, "layer %s", digest);
		else if (strcmp(tar, diff_id) != 0)
			rc = err_set(err, "layer %s: diff_id %s, but the config says %s", digest, tar, diff_id);
		else if (pass == 1 && got != tarsize)
			rc = err_set(err, "layer %s: changed while read", digest);
		tarsize = got;
	}
	close(fd);
	return rc;
}

struct dentry {
	const char *name;
	int kind;    /* 0 config, 1 layer, 2 manifest.json */
	size_t i;    /* the layer's index */
};

static int dentry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dentry *)a)->name, ((const struct dentry *)b)->name);
}

static int export_docker_archive(struct store *s, const struct export_image *im, const char *file, const char *name,
				 struct error *err)
{
	const char *cmt, *cd;
	long long csize;
	if (desc_get(im->config, im->md, &cmt, &cd, &csize, err) < 0)
		return -1;
	char *ctext = NULL, *mtext = NULL;
	struct outfile f = {.fd = -1};
	size_t clen;
	json_t *config = NULL, *mj = NULL;
	struct dentry *e = NULL;
	struct tarw t = {0};
	struct arena *a = arena_new();
	int rc = -1;
	if (store_blob_read(s, cd, &ctext, &clen, err) < 0 || !(config = parse_json(ctext, clen, cd, err)))
		goto out;
	size_t nl = json_array_size(im->layers);
	json_t *ids = config_diff_ids(config, nl, cd, err);
	if (!ids)
		goto out;
	e = xmalloc((nl + 2) * sizeof *e);
	size_t n = 0;
	char *cname = arena_printf(a, "%s.json", cd + 7);
	e[n++] = (struct dentry){cname, 0, 0};
	json_t *lnames = json_array();
	for (size_t i = 0; i < nl; i++) {
		char *ln = arena_printf(a, "%s.tar", json_string_value(json_array_get(ids, i)) + 7);
		json_array_append_new(lnames, json_string(ln));
		int dup = 0;
		for (size_t j = 0; j < n; j++)
			dup |= !strcmp(e[j].name, ln);
		if (!dup)
			e[n++] = (struct dentry){ln, 1, i};
	}
	e[n++] = (struct dentry){"manifest.json", 2, 0};
	qsort(e, n, sizeof *e, dentry_cmp);
	mj = json_pack("[{s:s, s:o, s:o}]", "Config", cname, "RepoTags", name ? json_pack("[s]", name) : json_array(),
		       "Layers", lnames);
	if (!mj || !(mtext = json_dumps(mj, JSON_FLAGS))) {
		err_set(err, "cannot build manifest.json");
		goto out;
	}
	if (outfile_open(&f, file, err) < 0 || tarw_open(&t, f.fd, f.path, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int r;
		if (e[i].kind == 0)
			r = tarw_mem(&t, e[i].name, ctext, clen, err);
		else if (e[i].kind == 2)
			r = tarw_mem(&t, e[i].name, mtext, strlen(mtext), err);
		else
			r = tarw_layer(&t, s, e[i].name, json_array_get(im->layers, e[i].i),
				       json_string_value(json_array_get(ids, e[i].i)), err);
		if (r < 0)
			goto out;
	}
	if (tarw_close(&t, err) < 0)
		goto out;
	rc = outfile_commit(&f, err);
out:
	tarw_close(&t, NULL);
	if (rc < 0)
		outfile_abort(&f);
	json_decref(config);
	json_decref(mj);
	free(ctext);
	free(mtext);
	free(e);
	arena_free(a);
	return rc;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct layer_entry *)a)->path, ((const struct layer_entry *)b)->path);
}

/* one entry of a root filesystem walk into the tar, its file content read from e->src */
static int tarw_entry(struct tarw *t, const struct layer_entry *e, struct error *err)
{
	static const int types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK, AE_IFIFO};
	archive_entry_clear(t->ae);
	archive_entry_copy_pathname(t->ae, e->path);
	archive_entry_set_filetype(t->ae, (unsigned)types[e->type]);
	archive_entry_set_perm(t->ae, e->mode);
	archive_entry_set_uid(t->ae, e->uid);
	archive_entry_set_gid(t->ae, e->gid);
	archive_entry_set_mtime(t->ae, (time_t)t->epoch, 0);
	archive_entry_set_size(t->ae, e->type == LAYER_REG ? e->size : 0);
	if (e->type == LAYER_SYMLINK)
		archive_entry_copy_symlink(t->ae, e->link);
	if (e->type == LAYER_CHAR || e->type == LAYER_BLOCK)
		archive_entry_set_rdev(t->ae, makedev(e->devmajor, e->devminor));
	if (archive_write_header(t->a, t->ae) != ARCHIVE_OK)
		return tarw_fail(t, err);
	if (e->type != LAYER_REG || e->size == 0)
		return 0;
	int fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(err, "%s", e->src);
	char *buf = xmalloc(IOBUF);
	long long left = e->size;
	int rc = 0;
	while (rc == 0 && left > 0) {
		ssize_t r = read_some(fd, buf, (size_t)(left < IOBUF ? left : IOBUF));
		if (r <= 0)
			rc = r < 0 ? err_sys(err, "read %s", e->src) : err_set(err, "%s: changed while read", e->src);
		else if ((rc = tarw_data(t, buf, (size_t)r, err)) == 0)
			left -= r;
	}
	free(buf);
	close(fd);
	return rc;
}

/* the image's filesystem (its layers applied in order) as a directory or a tar */
static int export_rootfs(struct store *s, const struct export_image *im, const struct output_spec *o, struct error *err)
{
	char *dir = NULL, *tmp = NULL;
	int rc = -1;
	struct walk w = {.a = arena_new()};
	struct tarw t = {0};
	struct outfile f = {.fd = -1};
	struct stat sb;
	if (o->kind == OUT_ROOTFS_DIR && stat(o->path, &sb) == 0) {
		dir = xstrdup(o->path); /* as docker's local exporter: into the directory there */
	} else if (o->kind == OUT_ROOTFS_DIR) {
		tmp = xasprintf("%s.tmp-XXXXXX", o->path);
		if (!mkdtemp(tmp)) {
			err_sys(err, "create %s", tmp);
			free(tmp);
			tmp = NULL;
			goto out;
		}
		cleanup_add(tmp);
		if (chmod(tmp, 0755) < 0) {
			err_sys(err, "chmod %s", tmp);
			goto out;
		}
		dir = xstrdup(tmp);
	} else {
		if (store_tmpdir(s, &tmp, err) < 0)
			goto out;
		dir = xstrdup(tmp);
	}
	for (size_t i = 0; i < json_array_size(im->layers); i++) {
		const char *d = json_string_value(json_object_get(json_array_get(im->layers, i), "digest"));
		char *bp = d ? store_blob_path(s, d) : NULL;
		int r = bp ? untar_extract(bp, dir, UNTAR_APPLY, err) : err_set(err, "manifest %s: bad layer", im->md);
		free(bp);
		if (r < 0)
			goto out;
	}
	if (o->kind == OUT_ROOTFS_DIR) {
		if (tmp && rename(tmp, o->path) < 0) {
			err_sys(err, "rename %s to %s", tmp, o->path);
			goto out;
		}
		if (tmp)
			cleanup_del(tmp);
		free(tmp);
		tmp = NULL;
		rc = 0;
		goto out;
	}
	if (walk_dir(&w, dir, NULL, err) < 0)
		goto out;
	qsort(w.e, w.n, sizeof *w.e, entry_cmp);
	if (outfile_open(&f, o->path, err) < 0 || tarw_open(&t, f.fd, f.path, err) < 0)
		goto out;
	for (size_t i = 0; i < w.n; i++)
		if (tarw_entry(&t, &w.e[i], err) < 0)
			goto out;
	if (tarw_close(&t, err) < 0)
		goto out;
	rc = outfile_commit(&f, err);
out:
	tarw_close(&t, NULL);
	if (rc < 0)
		outfile_abort(&f);
	if (tmp && o->kind == OUT_ROOTFS_DIR) {
		remove_tree_at(AT_FDCWD, tmp, NULL);
		cleanup_del(tmp);
	} else if (tmp)
		store_tmp_discard(s, tmp);
	free(tmp);
	free(dir);
	free(w.e);
	free(w.ino);
	arena_free(w.a);
	return rc;
}

int transport_export(struct store *s, const char *md, const char *dest, const char *name, struct error *err)
{
	struct output_spec o;
	if (output_parse(dest, &o, err) < 0)
		return -1;
	struct export_image im = {0};
	int rc = -1;
	char nbuf[REF_MAX], repo[REF_MAX], tag[REF_MAX] = "latest";
	if (o.rest && o.kind != OUT_OCI && ref_normalize(o.rest, nbuf, err) < 0) {
		err_wrap(err, "%s", dest);
		goto out;
	}
	const char *as = o.rest ? nbuf : name;
	if (name && !strchr(name, '@'))
		ref_split(name, repo, tag);
	if (export_image_load(s, md, &im, err) < 0)
		goto out;
	if (o.kind == OUT_OCI)
		rc = export_oci_dir(s, &im, o.path, o.rest ? o.rest : tag, err);
	else if (o.kind == OUT_OCI_ARCHIVE)
		/* an archive travels alone: it carries the whole name, as podman save writes it, so
		   podman load names the image; with no name it is unnamed there too */
		rc = export_oci_archive(s, &im, o.path, as, err);
	else if (o.kind == OUT_DOCKER_ARCHIVE)
		rc = export_docker_archive(s, &im, o.path, as, err);
	else
		rc = export_rootfs(s, &im, &o, err);
out:
	export_image_free(&im);
	output_free(&o);
	return rc;
}
