/* import: images into the store from OCI layouts, archives and root filesystems */
#include "import.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "error.h"
#include "image.h"
#include "layer.h"
#include "lstream.h"
#include "ocidoc.h"
#include "platform.h"
#include "ref.h"
#include "rootwalk.h"
#include "staging.h"
#include "store.h"
#include "untar.h"
#include "util.h"

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

static la_ssize_t scan_read(struct archive *a, void *ctx, const void **buf)
{
	struct lstream *ls = ctx;
	ssize_t n = lstream_next(ls, buf);
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

/* a layer being ingested, and how messages name it */
struct ingest {
	const struct layer_want *w;
	const char *label, *blabel;
};

static int ingest_scan(struct lstream *ls, void *arg, struct error *err)
{
	return layer_scan(ls, ((const struct ingest *)arg)->label, err);
}

static int ingest_judge(int rc, const struct staged_layer *l, void *arg, struct error *err)
{
	const struct ingest *in = arg;
	if (l->hashed < 0)
		rc = (*err = l->herr, -1);
	if (rc < 0 && strncmp(err->msg, in->label, strlen(in->label)) != 0)
		err_wrap(err, "%s", in->label);
	/* a wrong digest is the cause of whatever else went wrong */
	if (l->hashed == 0 && in->w->digest && strcmp(l->raw, in->w->digest) != 0)
		return err_set(err, "%s: digest mismatch: content is %s", in->blabel, l->raw);
	if (l->hashed == 0 && rc == 0 && strcmp(l->tar, in->w->diff_id) != 0)
		return err_set(err, "%s: diff_id %s, but the config says %s", in->label, l->tar, in->w->diff_id);
	return rc;
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
		ocidoc_size_error(err, blabel, sb.st_size, w->size);
		close(fd);
		return -1;
	}
	static const struct compression contract = {COMPRESS_GZIP, 0};
	struct ingest in = {w, label, blabel};
	struct staged_layer l;
	r = staging_layer(st, fd, sb.st_size, w->gz, w->recompress ? &contract : NULL, ingest_scan, ingest_judge, &in,
			  &l, err);
	close(fd);
	if (r < 0)
		return -1;
	if (w->recompress) {
		memcpy(g->digest, l.gz, DIGEST_SIZE);
		g->size = l.gzsize;
		g->gz = 1;
	} else {
		/* kept as it came: plain, gzip or zstd */
		memcpy(g->digest, l.raw, DIGEST_SIZE);
		g->size = l.rawsize;
		g->gz = l.gz_in;
	}
	return 0;
}

/* ---- reading JSON and blobs from a directory we may not trust ---- */

struct srcdir {
	const char *root;
	char *real;   /* realpath of root when confined, else NULL */
	char *tmp;    /* the store's temporary directory an archive went into, or NULL */
};

/* the archive at path extracted into a new temporary directory of the store, as d (confine: a
   path that resolves outside it is refused); 0 or -1 with err; srcdir_free d in both cases */
static int srcdir_extract(struct store *s, const char *path, bool confine, struct srcdir *d, struct error *err)
{
	if (store_tmpdir(s, &d->tmp, err) < 0 || untar_extract(path, d->tmp, UNTAR_ADD, err) < 0)
		return -1;
	d->root = d->tmp;
	if (confine && !(d->real = realpath(d->tmp, NULL)))
		return err_sys(err, "%s", d->tmp);
	return 0;
}

static void srcdir_free(struct srcdir *d)
{
	if (d->tmp)
		remove_tree_at(AT_FDCWD, d->tmp, NULL);
	free(d->tmp);
	free(d->real);
}

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
	char *p = ocidoc_read(path, what, size, len, err);
	free(path);
	if (!p)
		return NULL;
	char got[DIGEST_SIZE];
	if (digest_buf(p, *len, got, err) < 0) {
		err_wrap(err, "%s", what);
		free(p);
		return NULL;
	}
	if (strcmp(got, digest) != 0) {
		err_set(err, "%s: digest mismatch: content is %s", what, got);
		free(p);
		return NULL;
	}
	return p;
}

/* the architecture of the host's platform (its os is linux) */
static const char *host_arch(char arch[PLATFORM_MAX])
{
	char variant[PLATFORM_MAX];
	if (sscanf(platform_host(), "linux/%127[^/]/%127s", arch, variant) < 1)
		snprintf(arch, PLATFORM_MAX, "amd64");
	return arch;
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

/* ---- the transports ---- */

static int import_layout(struct staging *st, struct srcdir *d, const char *tag, char out[DIGEST_SIZE],
			 struct error *err)
{
	int rc = -1;
	char *ipath = src_path(d, "index.json", err);
	size_t len;
	char *itext = ipath ? ocidoc_read(ipath, "index.json", -1, &len, err) : NULL;
	free(ipath);
	if (!itext)
		return err_wrap(err, "%s: not an OCI layout", d->root);
	json_t *index = ocidoc_parse(itext, len, "index.json", err), *nested = NULL, *manifest = NULL, *config = NULL;
	char *mtext = NULL, *ctext = NULL, *ntext = NULL;
	free(itext);
	if (!index)
		return -1;
	json_t *desc = index_pick(index, "index.json", tag, 0, err);
	const char *mt, *md, *cmt, *cd;
	long long msize, csize;
	if (!desc || ocidoc_desc(desc, "index.json", &mt, &md, &msize, err) < 0)
		goto out;
	if (is_index_type(mt)) {
		if (!(ntext = layout_blob(d, md, msize, &len, err)) ||
		    !(nested = ocidoc_parse(ntext, len, md, err)) || !(desc = index_pick(nested, md, NULL, 1, err)) ||
		    ocidoc_desc(desc, md, &mt, &md, &msize, err) < 0)
			goto out;
	}
	if (!(mtext = layout_blob(d, md, msize, &len, err)) || !(manifest = ocidoc_parse(mtext, len, md, err)))
		goto out;
	size_t mlen = len;
	const char *own = json_string_value(json_object_get(manifest, "mediaType"));
	if (!*mt && own)
		mt = own;
	if (!ocidoc_is_manifest(mt) || json_integer_value(json_object_get(manifest, "schemaVersion")) != 2) {
		err_set(err, "manifest %s: unsupported media type \"%s\"", md, mt);
		goto out;
	}
	json_t *layers = json_object_get(manifest, "layers");
	if (!json_is_array(layers)) {
		err_set(err, "manifest %s: no layers array", md);
		goto out;
	}
	if (ocidoc_desc(json_object_get(manifest, "config"), md, &cmt, &cd, &csize, err) < 0 ||
	    !(ctext = layout_blob(d, cd, csize, &len, err)) || !(config = ocidoc_parse(ctext, len, cd, err)))
		goto out;
	size_t clen = len;
	json_t *ids = ocidoc_diff_ids(config, json_array_size(layers), cd, err);
	if (!ids)
		goto out;
	json_t *l;
	size_t i;
	json_array_foreach(layers, i, l) {
		struct layer_want w = {0};
		struct layer_got g;
		const char *lmt;
		if (ocidoc_desc(l, md, &lmt, &w.digest, &w.size, err) < 0)
			goto out;
		if ((w.gz = lstream_mode(lmt)) == GZ_AUTO) {
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
	if (staging_mem(st, ctext, clen, got, err) < 0 || staging_mem(st, mtext, mlen, got, err) < 0)
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
	int r = staging_json(st, m, out, &size, err);
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
	char *mtext = mpath ? ocidoc_read(mpath, "manifest.json", -1, &len, err) : NULL;
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
	ctext = cpath ? ocidoc_read(cpath, cfile, -1, &len, err) : NULL;
	free(cpath);
	if (!ctext || !(config = ocidoc_parse(ctext, len, cfile, err)))
		goto out;
	size_t clen = len;
	char cd[DIGEST_SIZE];
	if (digest_buf(ctext, clen, cd, err) < 0)
		goto out;
	/* the config's name is its digest (HEX.json, or blobs/sha256/HEX) */
	const char *base = strrchr(cfile, '/') ? strrchr(cfile, '/') + 1 : cfile;
	size_t bl = strcspn(base, ".");
	if (bl == 64 && strspn(base, "0123456789abcdef") == 64 && strncmp(base, cd + 7, 64) != 0) {
		err_set(err, "config %s: digest mismatch: content is %s", cfile, cd);
		goto out;
	}
	json_t *ids = ocidoc_diff_ids(config, json_array_size(lfiles), cfile, err);
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
	if (staging_mem(st, ctext, clen, got, err) < 0 || stage_manifest(st, cd, (long long)clen, layers, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(list);
	json_decref(config);
	json_decref(layers);
	free(ctext);
	return rc;
}

static int import_rootfs(struct staging *st, const char *dir, char out[DIGEST_SIZE], struct error *err)
{
	long long epoch;
	if (layer_epoch(&epoch, err) < 0)
		return -1;
	struct rootwalk w = {0};
	int rc = -1;
	json_t *config = NULL, *layers = NULL;
	char *tmp = NULL;
	int fd = -1;
	if (rootwalk_read(&w, dir, err) < 0)
		goto out;
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
	staging_add(st, tmp, ld.digest);

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
	if (staging_json(st, config, cd, &csize, err) < 0 || stage_manifest(st, cd, csize, layers, out, err) < 0)
		goto out;
	rc = 0;
out:
	json_decref(config);
	json_decref(layers);
	rootwalk_free(&w);
	return rc;
}

/* the names an archive gives its images: docker's RepoTags, or the OCI index's ref names that
   are whole names (podman save writes docker.io/library/x:tag; a bare tag names no image) */
static int load_names(struct srcdir *d, int docker, struct strv *wants, struct strv *names, struct error *err)
{
	size_t len;
	char *p = src_path(d, docker ? "manifest.json" : "index.json", err);
	char *text = p ? ocidoc_read(p, docker ? "manifest.json" : "index.json", -1, &len, err) : NULL;
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
	if (srcdir_extract(s, path, true, &d, err) < 0)
		goto out;
	char *mj = xasprintf("%s/manifest.json", d.root), *ix = xasprintf("%s/index.json", d.root);
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
			r = staging_commit(&st, err);
		staging_free(&st);
		if (r < 0)
			goto out;
		strv_push(digests, xstrdup(md));
	}
	rc = 0;
out:
	srcdir_free(&d);
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
		if (srcdir_extract(s, r.path, !is_rootfs, &d, err) < 0) {
			err_wrap(err, "%s", r.path);
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
		rc = staging_commit(&st, err);
out:
	staging_free(&st);
	srcdir_free(&d);
	ref_free(&r);
	return rc;
}

