#include "upper.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "util.h"

struct walk {
	struct arena *a;
	const char *opaque_attr;
	struct layer_entry *e;
	size_t n, cap;
	size_t skipped;
};

static struct layer_entry *push(struct walk *w)
{
	w->e = array_grow(w->e, &w->cap, w->n + 1, sizeof *w->e, w->a);
	struct layer_entry *e = &w->e[w->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* a file of size 0 named name in dir (rel "" is the top) */
static void marker(struct walk *w, const char *rel, const char *name)
{
	struct layer_entry *e = push(w);
	e->path = *rel ? arena_printf(w->a, "%s/%s", rel, name) : arena_strdup(w->a, name);
	e->type = LAYER_REG;
	e->mode = 0;
	e->data = "";
}

static int walk_dir(struct walk *w, const char *host, const char *rel, struct error *err)
{
	DIR *d = opendir(host);
	if (!d)
		return err_sys(err, "open %s", host);
	int r = 0;
	struct dirent *de;
	errno = 0;
	while (r == 0 && (de = readdir(d))) {
		const char *name = de->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		char *hp = arena_printf(w->a, "%s/%s", host, name);
		char *rp = *rel ? arena_printf(w->a, "%s/%s", rel, name) : arena_strdup(w->a, name);
		struct stat st;
		if (lstat(hp, &st) < 0) {
			r = err_sys(err, "stat %s", hp);
			break;
		}
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			/* overlayfs's whiteout: the path was deleted */
			marker(w, rel, arena_printf(w->a, ".wh.%s", name));
			continue;
		}
		struct layer_entry ent;
		int k = layer_entry_stat(w->a, hp, &st, rp, &ent, err);
		if (k < 0) {
			r = -1;
			break;
		}
		if (k == 0) {
			w->skipped++;
			continue;
		}
		struct layer_entry *e = push(w);
		*e = ent;
		/* the upper directory is one file system: the inode is the key */
		if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
			e->hardlink_key = (unsigned long long)st.st_ino + 1;
		if (S_ISDIR(st.st_mode)) {
			char v[4];
			ssize_t vl = lgetxattr(hp, w->opaque_attr, v, sizeof v);
			/* a directory made again where one was deleted hides everything below it */
			if (vl == 1 && v[0] == 'y')
				marker(w, rp, ".wh..wh..opq");
			r = walk_dir(w, hp, rp, err);
		}
		errno = 0;
	}
	if (r == 0 && errno)
		r = err_sys(err, "read %s", host);
	closedir(d);
	return r;
}

int upper_entries(struct arena *a, const char *upper, bool userxattr, struct layer_entry **out, size_t *n,
		  size_t *skipped, struct error *err)
{
	struct walk w = {.a = a, .opaque_attr = userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque"};
	if (walk_dir(&w, upper, "", err) < 0)
		return -1;
	*out = w.e;
	*n = w.n;
	*skipped = w.skipped;
	return 0;
}

/* drop path's extended attributes but the capability and, on a directory (dir) marked opaque,
   the opaque mark: what overlayfs keeps in an upper (trusted.overlay.origin, impure, ...) and
   what the command set are in no layer. The mark stays where upper_entries made a marker of
   it: its value "y" */
static int strip_xattrs(const char *path, bool dir, struct error *err)
{
	char names[4096];
	ssize_t k = llistxattr(path, names, sizeof names);
	if (k < 0)
		return err_sys(err, "list attributes of %s", path);
	for (ssize_t i = 0; i < k; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		char v[2];
		if (!strcmp(name, "security.capability") ||
		    (dir && !strcmp(name, "trusted.overlay.opaque") && lgetxattr(path, name, v, sizeof v) == 1 && v[0] == 'y'))
			continue;
		if (lremovexattr(path, name) < 0)
			return err_sys(err, "remove %s of %s", name, path);
	}
	return 0;
}

int upper_adopt(const char *upper, const struct layer_entry *e, size_t n, long long epoch, struct error *err)
{
	const struct timespec t = {.tv_sec = (time_t)epoch};
	for (size_t i = 0; i <= n; i++) {
		/* i == n: the top, which carries overlayfs's marks too */
		const char *rel = i < n ? e[i].path : "", *slash = strrchr(rel, '/');
		if (!strncmp(slash ? slash + 1 : rel, ".wh.", 4)) {
			/* a marker stands for a whiteout, made as the extraction makes it, whose times
			   neither sets; a file of that name the extraction would take for one */
			if (e[i].type != LAYER_REG || e[i].src)
				return err_set(err, "%s: a file named as a whiteout", rel);
			continue;
		}
		char *p = *rel ? xasprintf("%s/%s", upper, rel) : xstrdup(upper);
		int r = strip_xattrs(p, i < n && e[i].type == LAYER_DIR, err);
		if (r == 0)
			r = set_times(p, t, t, err);
		free(p);
		if (r < 0)
			return -1;
	}
	return 0;
}
