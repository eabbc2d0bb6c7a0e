#include "bindview.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "copy.h"
#include "error.h"
#include "map.h"
#include "util.h"

struct view {
	struct arena *a;
	struct map listed;        /* host paths of the listing (one byte each, unused) */
	const char *host, *dir;
	struct strv made;         /* directories of dir given host's metadata, relative ("" first) */
	size_t n;
};

static void add_listed(void *ctx, const char *host)
{
	struct view *v = ctx;
	map_put(&v->listed, host, NULL);
}

/* dir/rel made when missing, its parents first, each with its host counterpart's owner and mode */
static int ensure_dir(struct view *v, const char *rel, struct error *err)
{
	char *p = arena_printf(v->a, "%s/%s", v->dir, rel);
	struct stat st;
	if (lstat(p, &st) == 0)
		return 0;
	char *slash = strrchr(rel, '/');
	if (slash) {
		char *parent = arena_strndup(v->a, rel, (size_t)(slash - rel));
		if (ensure_dir(v, parent, err) < 0)
			return -1;
	}
	char *h = arena_printf(v->a, "%s/%s", v->host, rel);
	if (lstat(h, &st) < 0)
		return err_sys(err, "%s", h);
	if (mkdir(p, 0700) < 0)
		return err_sys(err, "mkdir %s", p);
	/* a user's build keeps the user's owner: chown to oneself only, which cannot fail */
	if ((geteuid() == 0 || st.st_uid == geteuid()) && lchown(p, st.st_uid, st.st_gid) < 0)
		return err_sys(err, "chown %s", p);
	if (chmod(p, st.st_mode & 07777) < 0)
		return err_sys(err, "chmod %s", p);
	strv_push(&v->made, arena_strdup(v->a, rel));
	return 0;
}

static int walk(struct view *v, const char *rel, int depth, struct error *err)
{
	if (depth > 256)
		return err_set(err, "%s/%s: directories nested too deep", v->host, rel);
	char *h = *rel ? arena_printf(v->a, "%s/%s", v->host, rel) : (char *)v->host;
	DIR *d = opendir(h);
	if (!d)
		return err_sys(err, "%s", h);
	struct strv names;
	strv_init(&names, v->a);
	if (dir_names(d, &names) < 0)
		return err_sys(err, "reading %s", h);
	for (size_t i = 0; i < names.n; i++) {
		char *sub = *rel ? arena_printf(v->a, "%s/%s", rel, names.v[i]) : names.v[i];
		char *sh = arena_printf(v->a, "%s/%s", h, names.v[i]);
		struct stat st;
		if (map_get(&v->listed, sh)) {
			if (lstat(sh, &st) == 0 && S_ISDIR(st.st_mode) && walk(v, sub, depth + 1, err) < 0)
				return -1;
			continue;
		}
		if (*rel && ensure_dir(v, rel, err) < 0)
			return -1;
		char *w = arena_printf(v->a, "%s/%s", v->dir, sub);
		if (mknod(w, S_IFCHR | 0, makedev(0, 0)) < 0)
			return err_sys(err, "whiteout %s", w);
		v->n++;
	}
	return 0;
}

int bindview_whiteouts(struct arena *a, const struct copy_src *s, const char *host, const char *dir, size_t *n,
		       struct error *err)
{
	struct view v = {.a = a, .host = host, .dir = dir};
	map_init(&v.listed, a, 1);
	strv_init(&v.made, a);
	*n = 0;
	copy_inputs(s, add_listed, &v);
	struct stat st;
	if (lstat(host, &st) < 0)
		return err_sys(err, "%s", host);
	if ((geteuid() == 0 || st.st_uid == geteuid()) && lchown(dir, st.st_uid, st.st_gid) < 0)
		return err_sys(err, "chown %s", dir);
	if (chmod(dir, st.st_mode & 07777) < 0)
		return err_sys(err, "chmod %s", dir);
	strv_push(&v.made, "");
	if (walk(&v, "", 0, err) < 0)
		return -1;
	/* the times last: making the whiteouts changed them */
	for (size_t i = v.made.n; i-- > 0;) {
		const char *rel = v.made.v[i];
		if (lstat(*rel ? arena_printf(a, "%s/%s", host, rel) : host, &st) < 0)
			return err_sys(err, "%s/%s", host, rel);
		if (set_times(*rel ? arena_printf(a, "%s/%s", dir, rel) : dir, st.st_atim, st.st_mtim, err) < 0)
			return -1;
	}
	*n = v.n;
	return 0;
}
