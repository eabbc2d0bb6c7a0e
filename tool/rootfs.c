#include "rootfs.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "image.h"
#include "store.h"
#include "sys.h"
#include "untar.h"
#include "util.h"

struct rootfs {
	char *mp;
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
	int r = untar_extract(blob, tmp, UNTAR_OVERLAY, err);
	if (r < 0)
		err_wrap(err, "layer %s", digest);
	else if (chmod(tmp, 0755) < 0)
		r = err_sys(err, "chmod %s", tmp);
	else
		r = store_dir_commit(s, "layer", hex, tmp, dir, err);
	free(blob);
	free(tmp);
	return r;
}

int rootfs_open(struct store *s, const struct image *im, struct rootfs **out, struct error *err)
{
	struct rootfs *r = xcalloc(1, sizeof *r);
	size_t n = image_nlayers(im);
	char **dirs = xcalloc(n + 2, sizeof *dirs);
	const char **lowers = xcalloc(n + 2, sizeof *lowers);
	int rc = -1;
	if (store_tmpdir(s, &r->mp, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (rootfs_layer_dir(s, im, i, &dirs[i], err) < 0)
			goto out;
	if (n > 0) {
		/* an empty bottom layer: overlayfs wants two lowers when it has no upper */
		char *empty = store_dir_get(s, "layer", "empty");
		if (!empty) {
			char *tmp;
			if (store_tmpdir(s, &tmp, err) < 0)
				goto out;
			int c = store_dir_commit(s, "layer", "empty", tmp, &empty, err);
			free(tmp);
			if (c < 0)
				goto out;
		}
		dirs[n] = empty;
		/* lowers[0] is the top: layer n-1; the empty one goes last */
		for (size_t i = 0; i < n; i++) {
			const char *slash = strrchr(dirs[n - 1 - i], '/');
			lowers[i] = slash ? slash + 1 : dirs[n - 1 - i];
		}
		lowers[n] = "empty";
		char *base = xstrdup(dirs[0]);
		char *slash = strrchr(base, '/');
		if (slash)
			*slash = 0;
		int m = sys_overlay_ro(base, lowers, n + 1, r->mp, err);
		free(base);
		if (m < 0)
			goto out;
		r->mounted = 1;
	}
	rc = 0;
out:
	for (size_t i = 0; i <= n; i++)
		free(dirs[i]);
	free(dirs);
	free(lowers);
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
	free(r->mp);
	free(r);
}
