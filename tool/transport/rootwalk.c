/* rootwalk: the files of a root filesystem as layer entries */
#include "rootwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
		struct layer_entry ent;
		int k = layer_entry_stat(w->a, cabs, &sb, crel, &ent, err);
		if (k < 0) {
			rc = -1;
			break;
		}
		if (k == 0)
			continue;
		w->e = array_grow(w->e, &w->cap, w->n + 1, sizeof *w->e, NULL);
		struct layer_entry *e = &w->e[w->n];
		*e = ent;
		if (S_ISREG(sb.st_mode) && sb.st_nlink > 1) {
			/* one key per inode: layer_write links the later paths to the first */
			unsigned long long id[2] = {sb.st_dev, sb.st_ino};
			bool added;
			unsigned long long *key = map_putn(&w->links, id, sizeof id, &added);
			if (added)
				*key = map_count(&w->links);
			e->hardlink_key = *key;
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
