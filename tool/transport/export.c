/* export: store images to OCI layouts, archives and root filesystems */
#include "export.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "cleanup.h"
#include "compress.h"
#include "error.h"
#include "layer.h"
#include "lstream.h"
#include "ocidoc.h"
#include "output.h"
#include "ref.h"
#include "rootwalk.h"
#include "staging.h"
#include "store.h"
#include "untar.h"
#include "util.h"

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
	if (!(im->manifest = ocidoc_parse(im->mtext, im->mlen, md, err)))
		return -1;
	im->mt = json_string_value(json_object_get(im->manifest, "mediaType"));
	if (!im->mt)
		im->mt = MT_MANIFEST;
	im->config = json_object_get(im->manifest, "config");
	im->layers = json_object_get(im->manifest, "layers");
	const char *mt, *d;
	long long sz;
	if (!ocidoc_is_manifest(im->mt) || !json_is_array(im->layers) ||
	    ocidoc_desc(im->config, md, &mt, &d, &sz, err) < 0)
		return err_set(err, "manifest %s: not an image manifest", md);
	size_t i;
	json_t *l;
	json_array_foreach(im->layers, i, l)
		if (ocidoc_desc(l, md, &mt, &d, &sz, err) < 0)
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
			ocidoc_size_error(err, "store", sb.st_size, size);
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
	char *buf = xmalloc(LSTREAM_IOBUF);
	struct sha256 *h = sha256_new();
	int rc = 0;
	for (;;) {
		ssize_t r = read_some(fd, buf, LSTREAM_IOBUF);
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
	struct error herr;
	if (sha256_final(h, got, &herr) < 0)
		rc = (*err = herr, -1);
	else if (rc == 0 && strcmp(got, digest) != 0)
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

/* path replaced by the n bytes at p */
static int file_put(const char *path, const void *p, size_t n, struct error *err)
{
	struct outfile f;
	if (outfile_replace(&f, path, err) < 0)
		return -1;
	if (write_all(f.fd, p, n) < 0) {
		err_sys(err, "write %s", f.tmp);
		outfile_abort(&f);
		return -1;
	}
	return outfile_commit(&f, err);
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
			itext = ocidoc_read(ip, ip, -1, &len, err);
			if (itext)
				old = ocidoc_parse(itext, len, ip, err);
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
		struct outfile f;
		int r = outfile_replace(&f, bp, err);
		if (r == 0 && (r = copy_blob(s, b[i].digest, b[i].size, f.fd, err)) < 0)
			outfile_abort(&f);
		else if (r == 0)
			r = outfile_commit(&f, err);
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
	if (fresh && (rename(root, dir) < 0 ? err_sys(err, "rename %s to %s", root, dir) : atomic_sync_parent(dir, err)) < 0)
		goto out;
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

/* a deterministic tar (pax restricted, mtime epoch, uid/gid 0, no names) written to an output
   file (outfile_open's rules); tarw_commit puts it in place, tarw_abort gives it up */
struct tarw {
	struct archive *a;
	struct archive_entry *ae;
	long long epoch;
	struct outfile f;
};

static int tarw_fail(struct tarw *t, struct error *err)
{
	const char *m = archive_error_string(t->a);
	return err_set(err, "%s: %s", t->f.path, m ? m : "cannot write the archive");
}

static int tarw_open(struct tarw *t, const char *file, struct error *err)
{
	memset(t, 0, sizeof *t);
	if (layer_epoch(&t->epoch, err) < 0 || outfile_open(&t->f, file, err) < 0)
		return -1;
	t->a = archive_write_new();
	t->ae = archive_entry_new();
	if (!t->a || !t->ae)
		return err_set(err, "%s: out of memory", t->f.path);
	if (layer_tar_format(t->a) != ARCHIVE_OK || archive_write_open_fd(t->a, t->f.fd) != ARCHIVE_OK)
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

/* free the archive and remove the file (a stream is left as it is); nothing after tarw_commit */
static void tarw_abort(struct tarw *t)
{
	if (t->a)
		archive_write_free(t->a);
	if (t->ae)
		archive_entry_free(t->ae);
	t->a = NULL;
	t->ae = NULL;
	if (t->f.path)
		outfile_abort(&t->f);
}

/* finish the archive and put the file in place; 0 or -1 with err (then tarw_abort t) */
static int tarw_commit(struct tarw *t, struct error *err)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return tarw_fail(t, err);
	archive_write_free(t->a);
	archive_entry_free(t->ae);
	t->a = NULL;
	t->ae = NULL;
	return outfile_commit(&t->f, err);
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
	struct blobref *b = NULL;
	struct tarw t = {0};
	int rc = -1;
	if (tarw_open(&t, file, err) < 0 || !(text = index_json(NULL, im, tag, err)))
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
	    tarw_mem(&t, "oci-layout", oci_layout, strlen(oci_layout), err) < 0)
		goto out;
	rc = tarw_commit(&t, err);
out:
	tarw_abort(&t);
	free(text);
	free(b);
	return rc;
}

/* the outcome of streaming the stored layer blob digest: rc of the stream, hashed of lstream_close
   (its error in herr), the content digest raw and diff_id tar it found; a damaged blob is the
   cause of whatever else went wrong, so it is reported first; 0 or -1 with err */
static int stored_layer_verdict(int rc, int hashed, const struct error *herr, const char *raw, const char *tar,
				const char *digest, const char *diff_id, struct error *err)
{
	if (hashed < 0)
		return (*err = *herr, -1);
	if (strcmp(raw, digest) != 0)
		return err_set(err, "corrupt blob %s in the store: content is %s", digest, raw);
	if (rc < 0) {
		err_wrap(err, "layer %s", digest);
		return -1;
	}
	if (strcmp(tar, diff_id) != 0)
		return err_set(err, "layer %s: diff_id %s, but the config says %s", digest, tar, diff_id);
	return 0;
}

/* the layer's tar (uncompressed) as the entry name; checked against diff_id */
static int tarw_layer(struct tarw *t, struct store *s, const char *name, json_t *desc, const char *diff_id,
		      struct error *err)
{
	const char *mt, *digest;
	long long size;
	if (ocidoc_desc(desc, "manifest", &mt, &digest, &size, err) < 0)
		return -1;
	enum gzmode gz = lstream_mode(mt);
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
		rc = lstream_open(&ls, fd, size, gz, -1, NULL);
		if (rc == 0 && pass == 1)
			rc = tarw_header(t, name, tarsize, err);
		else if (rc < 0)
			*err = ls.err;
		while (rc == 0 && (r = lstream_next(&ls, &p)) != 0) {
			if (r < 0)
				rc = (*err = ls.err, -1);
			else if (pass == 1)
				rc = tarw_data(t, p, (size_t)r, err);
		}
		char raw[DIGEST_SIZE], tar[DIGEST_SIZE];
		if (rc < 0)
			lstream_drain(&ls);
		long long got = ls.tarsize;
		struct error herr;
		rc = stored_layer_verdict(rc, lstream_close(&ls, raw, tar, NULL, &herr), &herr, raw, tar, digest, diff_id, err);
		if (rc == 0 && pass == 1 && got != tarsize)
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
	if (ocidoc_desc(im->config, im->md, &cmt, &cd, &csize, err) < 0)
		return -1;
	char *ctext = NULL, *mtext = NULL;
	size_t clen;
	json_t *config = NULL, *mj = NULL;
	struct dentry *e = NULL;
	struct tarw t = {0};
	struct arena *a = arena_new();
	int rc = -1;
	if (store_blob_read(s, cd, &ctext, &clen, err) < 0 || !(config = ocidoc_parse(ctext, clen, cd, err)))
		goto out;
	size_t nl = json_array_size(im->layers);
	json_t *ids = ocidoc_diff_ids(config, nl, cd, err);
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
	if (tarw_open(&t, file, err) < 0)
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
	rc = tarw_commit(&t, err);
out:
	tarw_abort(&t);
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
	char *buf = xmalloc(LSTREAM_IOBUF);
	long long left = e->size;
	int rc = 0;
	while (rc == 0 && left > 0) {
		ssize_t r = read_some(fd, buf, (size_t)(left < LSTREAM_IOBUF ? left : LSTREAM_IOBUF));
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
	struct rootwalk w = {0};
	struct tarw t = {0};
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
		if (tmp && (rename(tmp, o->path) < 0 ? err_sys(err, "rename %s to %s", tmp, o->path)
						     : atomic_sync_parent(o->path, err)) < 0)
			goto out;
		if (tmp)
			cleanup_del(tmp);
		free(tmp);
		tmp = NULL;
		rc = 0;
		goto out;
	}
	if (rootwalk_read(&w, dir, err) < 0)
		goto out;
	qsort(w.e, w.n, sizeof *w.e, entry_cmp);
	if (tarw_open(&t, o->path, err) < 0)
		goto out;
	for (size_t i = 0; i < w.n; i++)
		if (tarw_entry(&t, &w.e[i], err) < 0)
			goto out;
	rc = tarw_commit(&t, err);
out:
	tarw_abort(&t);
	if (tmp && o->kind == OUT_ROOTFS_DIR) {
		remove_tree_at(AT_FDCWD, tmp, NULL);
		cleanup_del(tmp);
	} else if (tmp)
		store_tmp_discard(s, tmp);
	free(tmp);
	free(dir);
	rootwalk_free(&w);
	return rc;
}

/* the stored layer blob staging_layer streams, and what its config says */
struct stored_layer {
	const char *digest, *diff_id;
};

static int stored_layer_judge(int rc, const struct staged_layer *l, void *arg, struct error *err)
{
	const struct stored_layer *sl = arg;
	return stored_layer_verdict(rc, l->hashed, &l->herr, l->raw, l->tar, sl->digest, sl->diff_id, err);
}

/* the layer blob digest (size bytes) recompressed as how says into a staged blob, checked against
   its digest and diff_id on the way; the new digest and size go out */
static int recompress_layer(struct staging *st, const char *digest, long long size, enum gzmode gz, const char *diff_id,
			    const struct compression *how, char out[DIGEST_SIZE], long long *outsize, struct error *err)
{
	int fd = blob_open(st->s, digest, size, err);
	if (fd < 0)
		return -1;
	struct stored_layer sl = {digest, diff_id};
	struct staged_layer l;
	int rc = staging_layer(st, fd, size, gz, how, NULL, stored_layer_judge, &sl, &l, err);
	close(fd);
	if (rc < 0)
		return -1;
	memcpy(out, l.gz, DIGEST_SIZE);
	*outsize = l.gzsize;
	return 0;
}

int transport_recompress(struct store *s, const char *md, const struct compression *how, char out[DIGEST_SIZE],
			 struct error *err)
{
	struct export_image im = {0};
	struct staging st = {.s = s};
	char *ctext = NULL;
	json_t *config = NULL, *m = NULL;
	int rc = -1, changed = 0;
	if (compress_level(how, err) < 0 || export_image_load(s, md, &im, err) < 0)
		goto out;
	const char *cmt, *cd;
	long long csize;
	size_t clen;
	if (ocidoc_desc(im.config, md, &cmt, &cd, &csize, err) < 0 || store_blob_read(s, cd, &ctext, &clen, err) < 0 ||
	    !(config = ocidoc_parse(ctext, clen, cd, err)))
		goto out;
	json_t *ids = ocidoc_diff_ids(config, json_array_size(im.layers), cd, err);
	if (!ids || !(m = json_deep_copy(im.manifest))) {
		if (ids)
			err_set(err, "out of memory");
		goto out;
	}
	json_t *layers = json_object_get(m, "layers");
	for (size_t i = 0; i < json_array_size(layers); i++) {
		json_t *l = json_array_get(layers, i);
		const char *lmt, *ld;
		long long lsize;
		if (ocidoc_desc(l, md, &lmt, &ld, &lsize, err) < 0)
			goto out;
		enum gzmode gz = lstream_mode(lmt);
		enum gzmode want = how->method == COMPRESS_GZIP ? GZ_YES : how->method == COMPRESS_ZSTD ? GZ_ZSTD : GZ_NO;
		const char *nmt = compress_media_type(how->method);
		if (gz == want && !how->level) {
			/* kept as stored, under the OCI name of its type (a docker manifest becomes OCI's) */
			changed |= strcmp(lmt, nmt) != 0;
			json_object_set_new(l, "mediaType", json_string(nmt));
			continue;
		}
		char nd[DIGEST_SIZE];
		long long nsize;
		if (recompress_layer(&st, ld, lsize, gz, json_string_value(json_array_get(ids, i)), how, nd, &nsize, err) < 0)
			goto out;
		json_object_set_new(l, "mediaType", json_string(nmt));
		json_object_set_new(l, "digest", json_string(nd));
		json_object_set_new(l, "size", json_integer(nsize));
		changed = 1;
	}
	if (!changed && !strcmp(im.mt, MT_MANIFEST)) {
		memcpy(out, md, DIGEST_SIZE);
		rc = 0;
		goto out;
	}
	/* a docker manifest names no zstd: the new one is OCI's throughout */
	json_object_set_new(m, "mediaType", json_string(MT_MANIFEST));
	if (!strcmp(cmt, MT_DOCKER_CONFIG))
		json_object_set_new(json_object_get(m, "config"), "mediaType", json_string(MT_CONFIG));
	long long msize;
	if (staging_json(&st, m, out, &msize, err) < 0 || staging_commit(&st, err) < 0)
		goto out;
	rc = 0;
out:
	staging_free(&st);
	export_image_free(&im);
	json_decref(config);
	json_decref(m);
	free(ctext);
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

