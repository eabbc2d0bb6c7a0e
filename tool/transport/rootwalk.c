/* rootwalk: the files of a root filesystem as layer entries */
#include "rootwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "util.h"

static int walk_dir(struct rootwalk *w, const char *abs, const char *rel, struct error *err)
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
		w->e = array_grow(w->e, &w->cap, w->n + 1, sizeof *w->e, NULL);
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
				/* one key per inode: layer_write links the later paths to the first */
				unsigned long long id[2] = {sb.st_dev, sb.st_ino};
				bool added;
				unsigned long long *key = map_putn(&w->links, id, sizeof id, &added);
				if (added)
					*key = map_count(&w->links);
				e->hardlink_key = *key;
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

int rootwalk_read(struct rootwalk *w, const char *dir, struct error *err)
{
	memset(w, 0, sizeof *w);
	w->a = arena_new();
	map_init(&w->links, w->a, sizeof(unsigned long long));
	return walk_dir(w, dir, NULL, err);
}

void rootwalk_free(struct rootwalk *w)
{
	free(w->e);
	arena_free(w->a);
	memset(w, 0, sizeof *w);
}
