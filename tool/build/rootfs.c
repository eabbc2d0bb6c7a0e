#include "rootfs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "error.h"
#include "image.h"
#include "store.h"
#include "sys.h"
#include "untar.h"
#include "userns.h"
#include "util.h"

struct rootfs {
	char *mp;
	char *links;     /* short names for the lower directories, so many layers fit one mount */
	struct store *s;
	int mounted;
};

int rootfs_layer_dir(struct store *s, const struct image *im, size_t i, char **dir, struct error *err)
{
	const char *diff_id = image_diff_id(im, i), *digest = image_layer_digest(im, i);
	const char *hex = diff_id + 7;
	*dir = store_dir_get(s, "layer", hex);
	if (*dir)
		return 0;
	if (store_blob_verify(s, digest, err) < 0)
		return -1;
	char *tmp, *blob = store_blob_path(s, digest);
	if (store_tmpdir(s, &tmp, err) < 0) {
		free(blob);
		return -1;
	}
	int r = untar_extract(blob, tmp, userns_active() ? UNTAR_OVERLAY_USER : UNTAR_OVERLAY, err);
	if (r < 0)
		err_wrap(err, "layer %s", digest);
	else if (chmod(tmp, 0755) < 0)
		r = err_sys(err, "chmod %s", tmp);
	else
		r = store_dir_commit(s, "layer", hex, tmp, dir, err);
	/* a failed extraction leaves nothing behind (store_dir_commit removed tmp either way) */
	if (r < 0)
		store_tmp_discard(s, tmp);
	free(blob);
	free(tmp);
	return r;
}

/* the bottom layers [0, n) of im applied in order into one directory, dirs/flat/CHAINID (the OCI
   chain ID of layer n - 1): a whole filesystem, its whiteouts done, that serves as one lower */
static int flat_dir(struct store *s, const struct image *im, size_t n, char **dir, struct error *err)
{
	char chain[DIGEST_SIZE];
	snprintf(chain, sizeof chain, "%s", image_diff_id(im, 0));
	for (size_t i = 1; i < n; i++) {
		char *t = xasprintf("%s %s", chain, image_diff_id(im, i));
		int r = digest_buf(t, strlen(t), chain, err);
		free(t);
		if (r < 0)
			return -1;
	}
	*dir = store_dir_get(s, "flat", chain + 7);
	if (*dir)
		return 0;
	char *tmp;
	if (store_tmpdir(s, &tmp, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *digest = image_layer_digest(im, i);
		char *blob = store_blob_path(s, digest);
		r = store_blob_verify(s, digest, err);
		if (r == 0 && (r = untar_extract(blob, tmp, UNTAR_APPLY, err)) < 0)
			err_wrap(err, "layer %s", digest);
		free(blob);
	}
	if (r == 0 && chmod(tmp, 0755) < 0)
		r = err_sys(err, "chmod %s", tmp);
	if (r == 0)
		r = store_dir_commit(s, "flat", chain + 7, tmp, dir, err);
	if (r < 0)
		store_tmp_discard(s, tmp);
	free(tmp);
	return r;
}

int rootfs_lowers(struct store *s, const struct image *im, const char *dir, char ***names, size_t *nnames,
		  struct error *err)
{
	size_t n = image_nlayers(im), nl = 0;
	char **dirs = xcalloc(n + 1, sizeof *dirs);
	bool *dup = xcalloc(n + 1, sizeof *dup);
	*names = xcalloc(n + 2, sizeof **names);
	int rc = -1;
	/* A layer that comes again (images repeat the empty layer) is stacked once, at its topmost
	   place: overlayfs refuses a directory twice, and the lower copy could only show what the
	   upper one already shows. Past ROOTFS_LOWERS_MAX distinct layers (overlayfs stacks at most
	   500), the bottom ones are applied into one flat directory instead. */
	size_t bottom = 0, distinct = 0;
	for (size_t i = n; i-- > 0;) {
		for (size_t k = i + 1; k < n && !dup[i]; k++)
			dup[i] = !strcmp(image_diff_id(im, k), image_diff_id(im, i));
		distinct += !dup[i];
	}
	/* then the top ROOTFS_LOWERS_MAX - 1 distinct layers stay apart, the rest is flattened */
	for (size_t i = n, top = 0; distinct > ROOTFS_LOWERS_MAX && i-- > 0;)
		if (!dup[i] && ++top == ROOTFS_LOWERS_MAX - 1) {
			bottom = i;
			break;
		}
	for (size_t i = bottom; i < n; i++)
		if (!dup[i] && rootfs_layer_dir(s, im, i, &dirs[i], err) < 0)
			goto out;
	if (bottom > 0 && flat_dir(s, im, bottom, &dirs[bottom - 1], err) < 0)
		goto out;
	/* names[0] is the top */
	for (size_t i = n; i-- > (bottom ? bottom - 1 : 0);) {
		if (dup[i] && i >= bottom)
			continue;
		char *name = xasprintf("%zu", nl);
		char *link = xasprintf("%s/%s", dir, name);
		int sl = symlink(dirs[i], link);
		free(link);
		if (sl < 0) {
			free(name);
			err_sys(err, "symlink in %s", dir);
			goto out;
		}
		(*names)[nl++] = name;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(dup);
	if (rc < 0) {
		for (size_t i = 0; i < nl; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		nl = 0;
	}
	*nnames = nl;
	return rc;
}

int rootfs_open(struct store *s, const struct image *im, struct rootfs **out, struct error *err)
{
	struct rootfs *r = xcalloc(1, sizeof *r);
	r->s = s;
	char **names = NULL;
	size_t nl = 0;
	int rc = -1;
	if (store_tmpdir(s, &r->mp, err) < 0)
		goto out;
	if (image_nlayers(im) > 0) {
		if (store_tmpdir(s, &r->links, err) < 0 || rootfs_lowers(s, im, r->links, &names, &nl, err) < 0)
			goto out;
		/* an empty bottom layer makes two lowers for a one-layer image: overlayfs wants two
		   without an upper */
		size_t cap = nl;
		names = array_grow(names, &cap, nl + 1, sizeof *names, NULL);
		names[nl++] = xstrdup("empty");
		char *empty = xasprintf("%s/empty", r->links);
		int mk = mkdir(empty, 0755);
		free(empty);
		if (mk < 0) {
			err_sys(err, "mkdir in %s", r->links);
			goto out;
		}
		if (sys_overlay_ro(r->links, (const char *const *)names, nl, userns_active(), r->mp, err) < 0)
			goto out;
		r->mounted = 1;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nl; i++)
		free(names[i]);
	free(names);
	if (rc < 0) {
		rootfs_close(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

const char *rootfs_path(const struct rootfs *r)
{
	return r->mp;
}

void rootfs_close(struct rootfs *r)
{
	if (!r)
		return;
	if (r->mounted)
		sys_umount(r->mp);
	if (r->mp)
		rmdir(r->mp);
	if (r->links)
		store_tmp_discard(r->s, r->links);
	free(r->mp);
	free(r->links);
	free(r);
}
