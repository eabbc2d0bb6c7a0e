#include "rootfs.h"

#include <stdbool.h>
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
	int r = untar_extract(blob, tmp, UNTAR_OVERLAY, err);
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

int rootfs_lowers(struct store *s, const struct image *im, const char *dir, char ***names, size_t *nnames,
		  struct error *err)
{
	size_t n = image_nlayers(im), nl = 0;
	char **dirs = xcalloc(n + 1, sizeof *dirs);
	*names = xcalloc(n + 1, sizeof **names);
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (rootfs_layer_dir(s, im, i, &dirs[i], err) < 0)
			goto out;
	/* names[0] is the top. A layer that comes again (images repeat the empty layer) is stacked
	   once, at its topmost place: overlayfs refuses a directory twice, and the lower copy could
	   only show what the upper one already shows. */
	for (size_t i = n; i-- > 0;) {
		bool seen = false;
		for (size_t k = i + 1; k < n && !seen; k++)
			seen = !strcmp(dirs[k], dirs[i]);
		if (seen)
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
		names = xrealloc(names, (nl + 1) * sizeof *names);
		names[nl++] = xstrdup("empty");
		char *empty = xasprintf("%s/empty", r->links);
		int mk = mkdir(empty, 0755);
		free(empty);
		if (mk < 0) {
			err_sys(err, "mkdir in %s", r->links);
			goto out;
		}
		if (sys_overlay_ro(r->links, (const char *const *)names, nl, r->mp, err) < 0)
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
