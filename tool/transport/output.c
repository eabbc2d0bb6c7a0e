/* output: parsing -o specs and writing file outputs without destroying what is there */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

static const char *const kind_names[] = {"oci", "oci-archive", "docker-archive", "rootfs-tar", "rootfs-dir"};

const char *output_kind_name(enum output_kind k)
{
	return kind_names[k];
}

void output_free(struct output_spec *o)
{
	free(o->path);
	free(o->rest);
	o->path = o->rest = NULL;
}

/* docker's form: type=T,dest=P[,name=N] (or a bare path: type=local; "-": type=tar) */
static int parse_docker(const char *spec, struct output_spec *o, struct error *err)
{
	if (!strchr(spec, '=')) {
		o->kind = strcmp(spec, "-") ? OUT_ROOTFS_DIR : OUT_ROOTFS_TAR;
		o->path = xstrdup(spec);
		return 0;
	}
	char *type = NULL, *dest = NULL, *name = NULL;
	char *copy = xstrdup(spec);
	int rc = 0;
	for (char *f = copy, *next; f && rc == 0; f = next) {
		next = strchr(f, ',');
		if (next)
			*next++ = 0;
		char *eq = strchr(f, '=');
		if (!eq) {
			rc = err_set(err, "-o %s: invalid value %s", spec, f);
			break;
		}
		*eq = 0;
		char **slot = !strcmp(f, "type") ? &type : !strcmp(f, "dest") ? &dest : !strcmp(f, "name") ? &name : NULL;
		if (!slot)
			rc = err_set(err, "-o %s: unknown key \"%s\" (want type, dest, name)", spec, f);
		else
			*slot = eq + 1;
	}
	if (rc == 0 && !type)
		rc = err_set(err, "-o %s: type is required for output", spec);
	if (rc == 0) {
		if (!strcmp(type, "oci"))
			o->kind = OUT_OCI_ARCHIVE;
		else if (!strcmp(type, "docker"))
			o->kind = OUT_DOCKER_ARCHIVE;
		else if (!strcmp(type, "tar"))
			o->kind = OUT_ROOTFS_TAR;
		else if (!strcmp(type, "local"))
			o->kind = OUT_ROOTFS_DIR;
		else
			rc = err_set(err, "-o %s: output type \"%s\" is not supported (want oci, docker, tar or local)", spec,
				     type);
	}
	if (rc == 0 && (!dest || !*dest))
		rc = err_set(err, "-o %s: dest is required for output type %s", spec, type);
	if (rc == 0 && name && o->kind != OUT_OCI_ARCHIVE && o->kind != OUT_DOCKER_ARCHIVE)
		rc = err_set(err, "-o %s: name goes with type=oci or type=docker", spec);
	if (rc == 0) {
		o->path = xstrdup(dest);
		o->rest = name && *name ? xstrdup(name) : NULL;
	}
	free(copy);
	return rc;
}

int output_parse(const char *spec, struct output_spec *o, struct error *err)
{
	memset(o, 0, sizeof *o);
	const char *c = strchr(spec, ':');
	size_t klen = c ? (size_t)(c - spec) : 0;
	int kind = -1;
	for (int k = OUT_OCI; c && k <= OUT_DOCKER_ARCHIVE; k++)
		if (strlen(kind_names[k]) == klen && !strncmp(spec, kind_names[k], klen))
			kind = k;
	if (kind < 0) {
		if (!*spec)
			return err_set(err, "-o: empty output");
		/* TRANSPORT: of a transport strata does not write (docker://, dir:) */
		if (c && !strchr(spec, '=') && klen == strspn(spec, "abcdefghijklmnopqrstuvwxyz-"))
			return err_set(err, "%s: cannot export to transport \"%.*s\" (want oci:, oci-archive: or "
					    "docker-archive:)",
				       spec, (int)klen, spec);
		return parse_docker(spec, o, err);
	}
	/* TRANSPORT:PATH[:REST]; PATH ends at the next ':' as in skopeo's references */
	const char *p = c + 1, *c2 = strchr(p, ':');
	o->kind = (enum output_kind)kind;
	o->path = c2 ? xstrndup(p, (size_t)(c2 - p)) : xstrdup(p);
	o->rest = c2 ? xstrdup(c2 + 1) : NULL;
	if (!*o->path || (o->rest && !*o->rest)) {
		err_set(err, "%s: empty %s", spec, *o->path ? "tag" : "path");
		output_free(o);
		return -1;
	}
	return 0;
}

/* the directory a new file at path goes in must exist and be writable */
static int parent_ok(const char *path, struct error *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	struct stat st;
	int rc = 0;
	if (stat(dir, &st) < 0)
		rc = err_sys(err, "%s: directory %s", path, dir);
	else if (!S_ISDIR(st.st_mode))
		rc = err_set(err, "%s: %s is not a directory", path, dir);
	else if (access(dir, W_OK | X_OK) < 0)
		rc = err_sys(err, "%s: directory %s", path, dir);
	free(dir);
	return rc;
}

int output_check(const struct output_spec *o, struct error *err)
{
	struct stat st;
	bool dir = o->kind == OUT_OCI || o->kind == OUT_ROOTFS_DIR;
	if (!strcmp(o->path, "-")) {
		if (dir)
			return err_set(err, "%s:-: a directory output cannot go to standard output",
				       output_kind_name(o->kind));
		return 0;
	}
	if (stat(o->path, &st) == 0) {
		if (dir && !S_ISDIR(st.st_mode))
			return err_set(err, "%s: not a directory", o->path);
		if (!dir && S_ISDIR(st.st_mode))
			return err_set(err, "%s: is a directory (want a file, a stream or -)", o->path);
		if (!dir && S_ISSOCK(st.st_mode))
			return err_set(err, "%s: is a socket (want a file, a stream or -)", o->path);
		if (access(o->path, W_OK) < 0)
			return err_sys(err, "%s", o->path);
		if (!dir && S_ISREG(st.st_mode)) {
			char *real = realpath(o->path, NULL);
			int r = real ? parent_ok(real, err) : err_sys(err, "%s", o->path);
			free(real);
			return r;
		}
		return 0;
	}
	if (errno != ENOENT)
		return err_sys(err, "%s", o->path);
	if (lstat(o->path, &st) == 0)
		return err_set(err, "%s: a symlink to nothing", o->path);
	return parent_ok(o->path, err);
}

int outfile_open(struct outfile *f, const char *path, struct error *err)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	if (!strcmp(path, "-")) {
		f->path = xstrdup("standard output");
		f->fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
		if (f->fd < 0) {
			err_sys(err, "standard output");
			free(f->path);
			f->path = NULL;
			return -1;
		}
		return 0;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return err_set(err, "%s: is a directory (want a file, a stream or -)", path);
		if (!S_ISREG(st.st_mode)) {
			/* a fifo or a device is written into, as it is: never replaced */
			f->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (f->fd < 0)
				return err_sys(err, "open %s", path);
			f->path = xstrdup(path);
			return 0;
		}
		/* a symlink's target is what gets replaced; the link stays */
		char *real = realpath(path, NULL);
		if (!real)
			return err_sys(err, "%s", path);
		int r = outfile_replace(f, real, err);
		free(real);
		return r;
	}
	return outfile_replace(f, path, err);
}

int outfile_replace(struct outfile *f, const char *path, struct error *err)
{
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->tmp = xasprintf("%s.tmp-XXXXXX", f->path);
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0 || fchmod(f->fd, 0644) < 0) {
		err_sys(err, "create %s", f->tmp);
		outfile_abort(f);
		return -1;
	}
	/* SIGINT or SIGTERM removes it too */
	cleanup_add(f->tmp);
	return 0;
}

int outfile_commit(struct outfile *f, struct error *err)
{
	int rc = 0;
	if (f->tmp)
		rc = atomic_commit(f->fd, f->tmp, f->path, err);
	else if (close(f->fd) < 0)
		rc = err_sys(err, "write %s", f->path);
	f->fd = -1;
	if (rc < 0) {
		outfile_abort(f);
		return -1;
	}
	cleanup_del(f->tmp);
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	return 0;
}

void outfile_abort(struct outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp) {
		unlink(f->tmp);
		cleanup_del(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
}
