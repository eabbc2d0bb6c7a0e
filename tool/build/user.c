#include "user.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "error.h"
#include "util.h"

/* file (etc/passwd, etc/group) of the image, opened without leaving it; NULL when absent */
static FILE *open_in(struct arena *a, const char *rootfs, const char *file)
{
	char *rel = copy_resolve(a, rootfs, file);
	int fd = rel ? open(arena_printf(a, "%s/%s", rootfs, rel), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f && fd >= 0)
		close(fd);
	return f;
}

/* split a line at every ':' (empty fields count) into at most n fields */
static size_t fields(char *line, char **f, size_t n)
{
	size_t k = 0;
	line[strcspn(line, "\n")] = 0;
	for (char *p = line; p && k < n;)
		f[k++] = strsep(&p, ":");
	return k;
}

/* an id as everywhere (id_parse): 4294967295 would be setresuid's "no change", so root */
static bool numeric(const char *s, unsigned *v)
{
	return id_parse(s, v) == 0;
}

int user_lookup(struct arena *a, const char *rootfs, const char *spec, struct user_ids *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	out->home = "/";
	const char *colon = strchr(spec, ':');
	char *user = arena_strndup(a, spec, colon ? (size_t)(colon - spec) : strlen(spec));
	const char *group = colon ? colon + 1 : NULL;
	unsigned num = 0;
	bool unum = numeric(user, &num);
	if (!*user)
		return err_set(err, "invalid user '%s'", spec);
	const char *matched = NULL;
	char line[4096];
	FILE *f = open_in(a, rootfs, "etc/passwd");
	while (f && !matched && fgets(line, sizeof line, f)) {
		char *fl[7] = {0};
		unsigned id;
		if (fields(line, fl, 7) < 4 || !numeric(fl[2], &id))
			continue;
		if (unum ? id == num : !strcmp(fl[0], user)) {
			matched = arena_strdup(a, fl[0]);
			out->uid = id;
			unsigned g;
			out->gid = numeric(fl[3], &g) ? g : 0;
			if (fl[5] && *fl[5])
				out->home = arena_strdup(a, fl[5]);
		}
	}
	if (f)
		fclose(f);
	if (!matched) {
		if (!unum)
			return err_set(err, "unable to find user %s: no matching entries in etc/passwd", user);
		out->uid = num;
	}
	if (group && !*group)
		return err_set(err, "invalid user '%s'", spec);
	bool gnum = group && numeric(group, &num);
	bool gfound = false;
	size_t cap = 0;
	f = (group || matched) ? open_in(a, rootfs, "etc/group") : NULL;
	while (f && fgets(line, sizeof line, f)) {
		char *fl[4] = {0};
		unsigned id;
		if (fields(line, fl, 4) < 3 || !numeric(fl[2], &id))
			continue;
		if (group) {
			if (!gfound && (gnum ? id == num : !strcmp(fl[0], group))) {
				out->gid = id;
				gfound = true;
			}
			continue;
		}
		/* no group given: the groups that list the user are its supplementary groups */
		for (char *m = fl[3], *t; m && (t = strsep(&m, ","));) {
			if (strcmp(t, matched))
				continue;
			out->groups = array_grow(out->groups, &cap, out->ngroups + 1, sizeof *out->groups, a);
			out->groups[out->ngroups++] = id;
			break;
		}
	}
	if (f)
		fclose(f);
	if (group && !gfound) {
		if (!gnum)
			return err_set(err, "unable to find group %s: no matching entries in etc/group", group);
		out->gid = num;
	}
	/* the primary group leads the supplementary ones, as docker, containerd and BuildKit do
	   since CVE-2023-25173 (`id` shows groups=GID) */
	unsigned *all = arena_alloc(a, (out->ngroups + 1) * sizeof *all);
	size_t k = 0;
	all[k++] = out->gid;
	for (size_t i = 0; i < out->ngroups; i++)
		if (out->groups[i] != out->gid)
			all[k++] = out->groups[i];
	out->groups = all;
	out->ngroups = k;
	return 0;
}
