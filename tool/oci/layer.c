#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "compress.h"
#include "error.h"
#include "map.h"
#include "util.h"

enum { READ_SIZE = 256 << 10 };

/* The tar side (libarchive, SHA-256 of the tar) runs on the caller's thread and hands the
   stream to the block-parallel compressor (compress.c). */
struct writer {
	struct sha256 *tarh;
	struct compress *gz;
	struct error gzerr;
	int failed;         /* the compressor failed: its error is the cause */
};

static la_ssize_t tar_out(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct writer *w = ctx;
	if (w->failed)
		return -1;
	sha256_update(w->tarh, p, n);
	if (compress_write(w->gz, p, n, &w->gzerr) < 0) {
		w->failed = 1;
		archive_set_error(a, EIO, "compressor failed");
		return -1;
	}
	return (la_ssize_t)n;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct layer_entry *)a)->path, ((const struct layer_entry *)b)->path);
}

/* for sorted e: links[i] = the path entry i is a hard link to (the first of its key), or NULL */
static const char **hardlinks(const struct layer_entry *e, size_t n)
{
	const char **links = xcalloc(n ? n : 1, sizeof *links);
	struct map first; /* hardlink_key -> the first path of it */
	map_init(&first, NULL, sizeof(const char *));
	for (size_t i = 0; i < n; i++) {
		if (!e[i].hardlink_key || e[i].type == LAYER_DIR)
			continue;
		bool added;
		const char **f = map_putn(&first, &e[i].hardlink_key, sizeof e[i].hardlink_key, &added);
		if (added)
			*f = e[i].path;
		else
			links[i] = *f;
	}
	map_free(&first);
	return links;
}

static int path_ok(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p;;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!end)
			return 1;
		c = end + 1;
	}
}

int layer_entry_stat(struct arena *a, const char *path, const struct stat *st, const char *lpath,
		     struct layer_entry *e, struct error *err)
{
	memset(e, 0, sizeof *e);
	e->path = lpath;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	if (S_ISDIR(st->st_mode)) {
		e->type = LAYER_DIR;
	} else if (S_ISREG(st->st_mode)) {
		e->type = LAYER_REG;
		e->src = path;
		e->size = st->st_size;
	} else if (S_ISLNK(st->st_mode)) {
		e->type = LAYER_SYMLINK;
		size_t sz = (size_t)st->st_size + 1;
		char *t = arena_alloc(a, sz + 1);
		ssize_t tl = readlink(path, t, sz);
		if (tl < 0 || (size_t)tl >= sz)
			return tl < 0 ? err_sys(err, "readlink %s", path) : err_set(err, "%s: symlink changed while read", path);
		t[tl] = 0;
		e->link = t;
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		e->type = S_ISCHR(st->st_mode) ? LAYER_CHAR : LAYER_BLOCK;
		e->devmajor = major(st->st_rdev);
		e->devminor = minor(st->st_rdev);
	} else if (S_ISFIFO(st->st_mode)) {
		e->type = LAYER_FIFO;
	} else {
		return 0;
	}
	char cap[256];
	ssize_t cl = lgetxattr(path, "security.capability", cap, sizeof cap);
	if (cl > 0) {
		e->cap = memcpy(arena_alloc(a, (size_t)cl), cap, (size_t)cl);
		e->caplen = (size_t)cl;
	}
	return 1;
}

int layer_whiteout_bad(const char *base)
{
	if (strncmp(base, ".wh.", 4) != 0)
		return 0;
	const char *t = base + 4;
	return !*t || !strcmp(t, ".") || !strcmp(t, "..");
}

static int archive_fail(struct archive *a, const char *path, struct error *err)
{
	const char *m = archive_error_string(a);
	return err_set(err, "layer: %s: %s", path, m ? m : "libarchive failed");
}

static int write_data(struct archive *a, const char *path, const void *p, size_t n, struct error *err)
{
	la_ssize_t r = archive_write_data(a, p, n);
	if (r < 0 || (size_t)r != n)
		return archive_fail(a, path, err);
	return 0;
}

/* the content of a regular file entry from e->src or e->data, checked against e->size */
static int write_content(struct archive *a, struct archive_entry *ae, const struct layer_entry *e, char *rbuf,
			 struct error *err)
{
	if (!e->src) {
		if (e->size > 0 && !e->data)
			return err_set(err, "layer: %s: no content", e->path);
		if (archive_write_header(a, ae) < ARCHIVE_WARN)
			return archive_fail(a, e->path, err);
		for (long long off = 0; off < e->size;) {
			size_t k = e->size - off < READ_SIZE ? (size_t)(e->size - off) : READ_SIZE;
			if (write_data(a, e->path, e->data + off, k, err) < 0)
				return -1;
			off += (long long)k;
		}
		return 0;
	}
	const struct layer_src *ls = e->srcfd;
	int fd = ls ? openat_root(ls->rootfd, ls->rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
	            : open(e->src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && ls && errno == ELOOP)
		goto changed;
	if (fd < 0)
		return err_sys(err, "layer: %s", e->src);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_sys(err, "layer: %s", e->src);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, "layer: %s: not a regular file", e->src);
		goto fail;
	}
	if (st.st_size != e->size)
		goto changed;
	if (ls && (st.st_dev != ls->st.st_dev || st.st_ino != ls->st.st_ino ||
		   st.st_mtim.tv_sec != ls->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != ls->st.st_mtim.tv_nsec ||
		   st.st_ctim.tv_sec != ls->st.st_ctim.tv_sec || st.st_ctim.tv_nsec != ls->st.st_ctim.tv_nsec))
		goto changed;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (archive_write_header(a, ae) < ARCHIVE_WARN) {
		archive_fail(a, e->path, err);
		goto fail;
	}
	long long off = 0;
	for (;;) {
		size_t want = off < e->size && e->size - off < READ_SIZE ? (size_t)(e->size - off) : READ_SIZE;
		if (off == e->size)
			want = 1; /* only to see that the file has not grown */
		ssize_t r = pread(fd, rbuf, want, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			io_count(r);
		if (r < 0) {
			err_sys(err, "layer: read %s", e->src);
			goto fail;
		}
		if (off == e->size) {
			if (r != 0)
				goto changed;
			break;
		}
		if (r == 0)
			goto changed;
		if (write_data(a, e->path, rbuf, (size_t)r, err) < 0)
			goto fail;
		off += r;
	}
	close(fd);
	return 0;
changed:
	err_set(err, "layer: %s: file changed while writing the layer (expected %lld bytes)", e->src, e->size);
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int write_entry(struct archive *a, struct archive_entry *ae, const struct layer_entry *e, const char *link,
		       long long epoch, char *rbuf, struct error *err)
{
	static const unsigned types[] = {
		[LAYER_REG] = AE_IFREG, [LAYER_DIR] = AE_IFDIR,  [LAYER_SYMLINK] = AE_IFLNK,
		[LAYER_CHAR] = AE_IFCHR, [LAYER_BLOCK] = AE_IFBLK, [LAYER_FIFO] = AE_IFIFO,
	};
	if ((unsigned)e->type >= sizeof types / sizeof types[0])
		return err_set(err, "layer: %s: unknown entry type %d", e->path, (int)e->type);
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, e->path);
	archive_entry_set_filetype(ae, types[e->type]);
	archive_entry_set_perm(ae, e->mode & 07777);
	archive_entry_set_uid(ae, e->uid);
	archive_entry_set_gid(ae, e->gid);
	/* mtime only: pax writes atime, ctime and birthtime whenever they are set */
	archive_entry_set_mtime(ae, (time_t)epoch, 0);
	if (e->cap && e->caplen)
		archive_entry_xattr_add_entry(ae, "security.capability", e->cap, e->caplen);
	if (link) {
		archive_entry_copy_hardlink(ae, link);
		archive_entry_set_size(ae, 0);
	} else if (e->type == LAYER_REG) {
		if (e->size < 0)
			return err_set(err, "layer: %s: negative size", e->path);
		archive_entry_set_size(ae, e->size);
		return write_content(a, ae, e, rbuf, err);
	} else if (e->type == LAYER_SYMLINK) {
		if (!e->link || !*e->link)
			return err_set(err, "layer: %s: symlink without a target", e->path);
		archive_entry_copy_symlink(ae, e->link);
	} else if (e->type == LAYER_CHAR || e->type == LAYER_BLOCK) {
		archive_entry_set_rdevmajor(ae, e->devmajor);
		archive_entry_set_rdevminor(ae, e->devminor);
	}
	if (archive_write_header(a, ae) < ARCHIVE_WARN)
		return archive_fail(a, e->path, err);
	return 0;
}

int layer_write(struct layer_entry *e, size_t n, long long epoch, const struct compression *how, int out_fd,
		struct layer_digests *d, struct error *err)
{
	if (n)
		qsort(e, n, sizeof *e, entry_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].path || !path_ok(e[i].path))
			return err_set(err, "layer: invalid path '%s'", e[i].path ? e[i].path : "(null)");
		if (i && strcmp(e[i - 1].path, e[i].path) == 0)
			return err_set(err, "layer: duplicate path '%s'", e[i].path);
		const char *base = strrchr(e[i].path, '/');
		if (layer_whiteout_bad(base ? base + 1 : e[i].path))
			return err_set(err, "layer: %s: a whiteout that names no file", e[i].path);
	}

	struct writer w;
	memset(&w, 0, sizeof w);
	w.gz = compress_open(out_fd, how, err);
	if (!w.gz)
		return -1;
	w.tarh = sha256_new();

	/* Names go into pax headers as UTF-8 converted from the locale's
	   charset; pin the charset so the caller's locale cannot change them. */
	locale_t loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	locale_t oldloc = loc ? uselocale(loc) : (locale_t)0;

	const char **links = hardlinks(e, n);
	char *rbuf = xmalloc(READ_SIZE);
	struct archive_entry *ae = archive_entry_new();
	struct archive *a = archive_write_new();
	int rc = -1;
	if (!a || !ae) {
		err_set(err, "layer: out of memory");
		goto out;
	}
	/* unblocked: no padding of the end to 10240 bytes */
	if (layer_tar_format(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open(a, &w, NULL, tar_out, NULL) != ARCHIVE_OK) {
		archive_fail(a, "(open)", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (write_entry(a, ae, &e[i], links[i], epoch, rbuf, err) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_fail(a, "(close)", err);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		w.failed = 1;
	if (a)
		archive_write_free(a);
	if (ae)
		archive_entry_free(ae);
	free(rbuf);
	free(links);
	if (loc) {
		uselocale(oldloc);
		freelocale(loc);
	}
	if (w.failed && w.gzerr.msg[0]) /* the compressor's error is the cause, not libarchive's echo of it */
		*err = w.gzerr;
	if (rc == 0 && compress_close(w.gz, d->digest, &d->size, err) < 0)
		rc = -1;
	else if (rc < 0)
		compress_free(w.gz);
	if (rc == 0)
		rc = sha256_final(w.tarh, d->diff_id, err);
	else
		sha256_free(w.tarh);
	d->method = how ? how->method : COMPRESS_GZIP;
	return rc;
}

int layer_epoch(long long *epoch, struct error *err)
{
	*epoch = 0;
	const char *v = getenv("SOURCE_DATE_EPOCH");
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || *end || errno)
		return err_set(err, "SOURCE_DATE_EPOCH=%s: want a number of seconds", v);
	/* RFC 3339, as configs write times, ends with the year 9999 */
	if (x > 253402300799LL)
		return err_set(err, "SOURCE_DATE_EPOCH=%s: after the year 9999", v);
	*epoch = x;
	return 0;
}

int layer_tar_format(struct archive *a)
{
	return archive_write_set_format_pax_restricted(a);
}
