#include "untar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "map.h"
#include "utf8.h"
#include "util.h"

/* Only what docker's ADD extracts: tar, plain or compressed with gzip, bzip2,
   xz or zstd (BuildKit). Not filter_all/format_all: a zip, a cpio or an lz4
   file is copied as it is, not unpacked. */
static struct archive *reader_new(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN || archive_read_support_filter_bzip2(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_xz(a) < ARCHIVE_WARN || archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

int untar_is_archive(const char *path)
{
	struct archive *a = reader_new();
	if (!a)
		return 0;
	int yes = 0;
	struct archive_entry *ae;
	/* as docker: an archive is what yields a first tar header (an empty tar does not) */
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK) {
		int r = archive_read_next_header(a, &ae);
		yes = r == ARCHIVE_OK || r == ARCHIVE_WARN;
	}
	archive_read_free(a);
	return yes;
}

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct ux {
	const char *arc;        /* the archive, for messages */
	const char *entry;      /* the entry's name as in the archive, for messages */
	enum untar_mode mode;
	bool userxattr;         /* UNTAR_OVERLAY_USER (mode is then UNTAR_OVERLAY) */
	int root;               /* dest */
	int in_root;            /* openat2 with RESOLVE_IN_ROOT works */
	char *cpath;            /* the parent directory of the last entry, and its fd */
	int cfd;
	struct map seen;        /* the paths this layer has written (for opaque directories) */
	struct dirtime *dt;
	size_t ndt, cdt;
	struct error *err;
};

static int efail(struct ux *u, const char *what)
{
	return err_set(u->err, "%s: entry %s: %s", qname(u->arc), qname(u->entry), what);
}

static int esys(struct ux *u, const char *what)
{
	return err_sys(u->err, "%s: entry %s: %s", qname(u->arc), qname(u->entry), what);
}

/* a failed chown: EINVAL is an id outside this user namespace's map */
static int echown(struct ux *u, struct archive_entry *ae)
{
	if (errno != EINVAL)
		return esys(u, "chown");
	return err_set(u->err, "%s: entry %s: owner %lld:%lld has no id in this user namespace (a build by a user "
		       "other than root maps only the user's id and its /etc/subuid and /etc/subgid ranges; add "
		       "them, or build as root)", qname(u->arc), qname(u->entry), (long long)archive_entry_uid(ae),
		       (long long)archive_entry_gid(ae));
}

/* the path relative to dest: leading '/' dropped (docker treats absolute
   names as relative to dest), "." and empty components dropped; NULL when a
   component is ".." */
static char *clean(const char *in)
{
	char *out = xmalloc(strlen(in) + 1);
	size_t n = 0;
	for (const char *c = in; *c;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			free(out);
			return NULL;
		}
		if (len && !(len == 1 && c[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, c, len);
			n += len;
		}
		c += len;
		while (*c == '/')
			c++;
	}
	out[n] = 0;
	return out;
}

static int open_in_root(struct ux *u, const char *path, int flags)
{
	if (!*path)
		return fcntl(u->root, F_DUPFD_CLOEXEC, 0);
	if (u->in_root) {
		/* symlinks in the path resolve as in a chroot at dest, so they
		   can never lead out of it, as docker's chrooted unpack does */
		struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
					.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		return (int)syscall(SYS_openat2, u->root, path, &how, sizeof how);
	}
	/* without openat2: walk with O_NOFOLLOW and refuse symlinks on the way */
	int fd = fcntl(u->root, F_DUPFD_CLOEXEC, 0);
	char *p = xstrdup(path), *save = NULL;
	for (char *c = strtok_r(p, "/", &save); fd >= 0 && c; c = strtok_r(NULL, "/", &save)) {
		int last = !save || !*save;
		int nfd = openat(fd, c, (last ? flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
	}
	free(p);
	return fd;
}

/* an fd (owned by the caller) of the directory dir inside dest; missing
   components are made (0755, root's) when create is set */
static int open_dir(struct ux *u, const char *dir, int create)
{
	int fd = open_in_root(u, dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	fd = fcntl(u->root, F_DUPFD_CLOEXEC, 0);
	char *prefix = xstrdup(dir);
	for (char *c = prefix; fd >= 0;) {
		char *end = strchr(c, '/');
		if (end)
			*end = 0;
		int nfd = open_in_root(u, prefix, O_RDONLY | O_DIRECTORY);
		if (nfd < 0 && errno == ENOENT) {
			const char *base = strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix;
			if (mkdirat(fd, base, 0755) == 0 || errno == EEXIST)
				nfd = open_in_root(u, prefix, O_RDONLY | O_DIRECTORY);
		}
		int saved = errno;
		close(fd);
		errno = saved;
		fd = nfd;
		if (!end)
			break;
		*end = '/';
		c = end + 1;
	}
	free(prefix);
	return fd;
}

/* the parent directory of the current entry, kept open for the next entries
   of the same directory; borrowed, not to be closed */
static int parent_fd(struct ux *u, const char *dir)
{
	if (u->cpath && strcmp(u->cpath, dir) == 0)
		return u->cfd;
	if (u->cpath) {
		close(u->cfd);
		free(u->cpath);
		u->cpath = NULL;
	}
	int fd = open_dir(u, dir, 1);
	if (fd < 0)
		return -1;
	u->cpath = xstrdup(dir);
	u->cfd = fd;
	return fd;
}

/* empty dir (fd dfd, path dir) of what lower layers put there: remove every
   child this layer has not written, recursing into those it has */
static int opaque(struct ux *u, int dfd, const char *dir)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	struct strv names;
	strv_init(&names, NULL);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, xstrdup(de->d_name));
	closedir(d);
	int rc = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *p = *dir ? xasprintf("%s/%s", dir, names.v[i]) : xstrdup(names.v[i]);
		struct stat st;
		if (!map_get(&u->seen, p)) {
			rc = remove_tree_at(dfd, names.v[i], NULL);
		} else if (fstatat(dfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			int cfd = openat(dfd, names.v[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = cfd < 0 ? -1 : opaque(u, cfd, p);
			if (cfd >= 0)
				close(cfd);
		}
		free(p);
	}
	strv_free(&names);
	return rc;
}

static void times_of(struct archive_entry *ae, struct timespec ts[2])
{
	if (!archive_entry_mtime_is_set(ae)) {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		return;
	}
	ts[1].tv_sec = archive_entry_mtime(ae);
	ts[1].tv_nsec = archive_entry_mtime_nsec(ae);
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(ae) && archive_entry_atime(ae) > ts[1].tv_sec) {
		ts[0].tv_sec = archive_entry_atime(ae);
		ts[0].tv_nsec = archive_entry_atime_nsec(ae);
	}
}

/* ownership, mode, capability and times of a regular file or directory */
static int meta_fd(struct ux *u, int fd, struct archive_entry *ae, int times)
{
	if (fchown(fd, (uid_t)archive_entry_uid(ae), (gid_t)archive_entry_gid(ae)) < 0)
		return echown(u, ae);
	/* after chown, which clears set-id bits */
	if (fchmod(fd, archive_entry_perm(ae) & 07777) < 0)
		return esys(u, "chmod");
	/* only the capability: the layer contract keeps no other xattr, and an
	   archive must not plant trusted.overlay.* for the overlay mount */
	const char *name;
	const void *val;
	size_t len;
	archive_entry_xattr_reset(ae);
	while (archive_entry_xattr_next(ae, &name, &val, &len) == ARCHIVE_OK)
		if (strcmp(name, "security.capability") == 0 && fsetxattr(fd, name, val, len, 0) < 0)
			return esys(u, "set security.capability");
	struct timespec ts[2];
	times_of(ae, ts);
	if (times && futimens(fd, ts) < 0)
		return esys(u, "set times");
	return 0;
}

/* ownership, mode and times of a symlink, device or fifo name in pfd */
static int meta_at(struct ux *u, int pfd, const char *name, struct archive_entry *ae, int is_link)
{
	if (fchownat(pfd, name, (uid_t)archive_entry_uid(ae), (gid_t)archive_entry_gid(ae), AT_SYMLINK_NOFOLLOW) < 0)
		return echown(u, ae);
	if (!is_link && fchmodat(pfd, name, archive_entry_perm(ae) & 07777, 0) < 0)
		return esys(u, "chmod");
	struct timespec ts[2];
	times_of(ae, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return esys(u, "set times");
	return 0;
}

static int write_content(struct ux *u, struct archive *a, int fd, struct archive_entry *ae)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(a, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			const char *m = archive_error_string(a);
			return efail(u, m ? m : "read failed");
		}
		for (const char *p = buf; len;) {
			ssize_t w = pwrite(fd, p, len, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return esys(u, "write");
			p += w;
			len -= (size_t)w;
			off += w;
		}
	}
	/* a sparse file may end in a hole */
	if (archive_entry_size_is_set(ae) && ftruncate(fd, archive_entry_size(ae)) < 0)
		return esys(u, "truncate");
	return 0;
}

static void dirtime_add(struct ux *u, const char *path, struct archive_entry *ae)
{
	if (!archive_entry_mtime_is_set(ae))
		return;
	u->dt = array_grow(u->dt, &u->cdt, u->ndt + 1, sizeof *u->dt, NULL);
	u->dt[u->ndt].path = xstrdup(path);
	times_of(ae, u->dt[u->ndt].ts);
	u->ndt++;
}

/* split p into its directory (p itself, cut) and its base name */
static const char *split(char *p)
{
	char *slash = strrchr(p, '/');
	if (!slash) {
		memmove(p + 1, p, strlen(p) + 1);
		p[0] = 0;
		return p + 1;
	}
	*slash = 0;
	return slash + 1;
}

static int hardlink(struct ux *u, int pfd, const char *name, struct archive_entry *ae)
{
	char *t = clean(archive_entry_hardlink(ae));
	if (!t)
		return efail(u, "hard link target leaves the destination");
	if (!*t) {
		free(t);
		return efail(u, "hard link to the destination itself");
	}
	char *tcopy = xmalloc(strlen(t) + 2);
	strcpy(tcopy, t);
	const char *tbase = split(tcopy);
	int rc = 0;
	int tfd = open_dir(u, tcopy, 0);
	if (tfd < 0) {
		rc = err_sys(u->err, "%s: entry %s: hard link target %s", u->arc, u->entry, t);
	} else {
		if (linkat(tfd, tbase, pfd, name, 0) < 0)
			rc = err_sys(u->err, "%s: entry %s: hard link to %s", u->arc, u->entry, t);
		close(tfd);
	}
	free(tcopy);
	free(t);
	return rc;
}

static int extract_entry(struct ux *u, struct archive *a, struct archive_entry *ae)
{
	/* chown takes 32 bits, and -1 means "no change": a larger id would become another owner */
	if (archive_entry_uid(ae) < 0 || (unsigned long long)archive_entry_uid(ae) > ID_MAX ||
	    archive_entry_gid(ae) < 0 || (unsigned long long)archive_entry_gid(ae) > ID_MAX)
		return err_set(u->err, "%s: entry %s: owner %lld:%lld out of range (ids go from 0 to %llu)", u->arc,
			       u->entry, (long long)archive_entry_uid(ae), (long long)archive_entry_gid(ae), ID_MAX);
	char *p = clean(u->entry);
	if (!p)
		return efail(u, "path leaves the destination");
	int rc = 0;
	if (!*p) {
		/* the root itself: its metadata belongs to a layer, not to ADD */
		if (u->mode != UNTAR_ADD && archive_entry_filetype(ae) == AE_IFDIR && !archive_entry_hardlink(ae)) {
			rc = meta_fd(u, u->root, ae, 0);
			dirtime_add(u, "", ae);
		}
		free(p);
		return rc;
	}
	char *dir = xmalloc(strlen(p) + 2);
	strcpy(dir, p);
	const char *base = split(dir);
	int pfd = parent_fd(u, dir);
	if (pfd < 0) {
		rc = esys(u, "cannot open its directory");
		goto out;
	}
	/* refused in every mode: ADD would put it into a layer, where it whites out ".." */
	if (layer_whiteout_bad(base)) {
		rc = efail(u, "a whiteout that names no file");
		goto out;
	}
	if (u->mode != UNTAR_ADD && strncmp(base, ".wh.", 4) == 0) {
		const char *name = base + 4;
		if (strcmp(base, ".wh..wh..opq") == 0) {
			if (u->mode == UNTAR_APPLY && opaque(u, pfd, dir) < 0)
				rc = esys(u, "opaque directory");
			const char *attr = u->userxattr ? "user.overlay.opaque" : "trusted.overlay.opaque";
			if (u->mode == UNTAR_OVERLAY && fsetxattr(pfd, attr, "y", 1, 0) < 0)
				rc = esys(u, attr);
		} else if (strncmp(base, ".wh..wh.", 8) == 0) {
			/* aufs bookkeeping (.wh..wh.plnk and such): nothing to apply */
		} else if (remove_tree_at(pfd, name, NULL) < 0) {
			rc = esys(u, "whiteout");
		} else if (u->mode == UNTAR_OVERLAY) {
			if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
				rc = esys(u, "make whiteout");
			else if (fchownat(pfd, name, (uid_t)archive_entry_uid(ae), (gid_t)archive_entry_gid(ae),
					  AT_SYMLINK_NOFOLLOW) < 0)
				rc = echown(u, ae);
		}
		goto out;
	}
	if (u->mode == UNTAR_APPLY)
		map_put(&u->seen, p, NULL);

	const char *hl = archive_entry_hardlink(ae);
	unsigned type = hl ? AE_IFREG : archive_entry_filetype(ae);
	struct stat st;
	int exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	/* as docker: whatever is there is replaced, except a directory by a directory */
	if (exists && !(S_ISDIR(st.st_mode) && type == AE_IFDIR && !hl)) {
		if (remove_tree_at(pfd, base, NULL) < 0) {
			rc = esys(u, "remove what is there");
			goto out;
		}
		exists = 0;
	}
	if (hl) {
		rc = hardlink(u, pfd, base, ae);
		goto out;
	}
	int fd;
	switch (type) {
	case AE_IFREG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = esys(u, "create");
			break;
		}
		rc = write_content(u, a, fd, ae);
		if (rc == 0)
			rc = meta_fd(u, fd, ae, 1);
		if (close(fd) < 0 && rc == 0)
			rc = esys(u, "close");
		break;
	case AE_IFDIR:
		if (!exists && mkdirat(pfd, base, 0700) < 0) {
			rc = esys(u, "mkdir");
			break;
		}
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = esys(u, "open");
			break;
		}
		rc = meta_fd(u, fd, ae, 0); /* times at the end: children change them */
		close(fd);
		dirtime_add(u, p, ae);
		break;
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(ae);
		if (!target || !*target) {
			rc = efail(u, "symlink without a target");
			break;
		}
		/* the target is written as given: it is never followed out of dest */
		if (symlinkat(target, pfd, base) < 0)
			rc = esys(u, "symlink");
		else
			rc = meta_at(u, pfd, base, ae, 1);
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(pfd, base, type | (archive_entry_perm(ae) & 0777),
			    type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(ae), archive_entry_rdevminor(ae))) < 0)
			rc = errno == EPERM && type != AE_IFIFO ? efail(u, "a device node, which only the host's root may make")
								 : esys(u, "mknod");
		else
			rc = meta_at(u, pfd, base, ae, 0);
		break;
	default:
		break; /* sockets and the unknown are not extracted, as by docker */
	}
out:
	free(dir);
	free(p);
	return rc;
}

/* directory times, after everything under them is written */
static int fix_dirtimes(struct ux *u)
{
	for (size_t i = u->ndt; i-- > 0;) {
		struct dirtime *t = &u->dt[i];
		if (!*t->path) {
			if (futimens(u->root, t->ts) < 0)
				return err_sys(u->err, "%s: set times of the destination", u->arc);
			continue;
		}
		char *dir = xmalloc(strlen(t->path) + 2);
		strcpy(dir, t->path);
		const char *base = split(dir);
		int fd = open_dir(u, dir, 0);
		int rc = 0;
		/* gone: a later whiteout removed it */
		if (fd < 0 && errno != ENOENT)
			rc = err_sys(u->err, "%s: entry %s: set times", u->arc, t->path);
		if (fd >= 0 && utimensat(fd, base, t->ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			rc = err_sys(u->err, "%s: entry %s: set times", u->arc, t->path);
		if (fd >= 0)
			close(fd);
		free(dir);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int untar_extract(const char *path, const char *dest, enum untar_mode mode, struct error *err)
{
	struct ux u;
	memset(&u, 0, sizeof u);
	u.arc = path;
	u.mode = mode == UNTAR_OVERLAY_USER ? UNTAR_OVERLAY : mode;
	u.userxattr = mode == UNTAR_OVERLAY_USER;
	u.err = err;
	u.root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u.root < 0)
		return err_sys(err, "%s", dest);
	map_init(&u.seen, NULL, 0);
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int probe = (int)syscall(SYS_openat2, u.root, ".", &how, sizeof how);
	u.in_root = probe >= 0;
	if (probe >= 0)
		close(probe);

	/* names as UTF-8 bytes (pax stores UTF-8), whatever the caller's locale */
	locale_t loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	locale_t oldloc = loc ? uselocale(loc) : (locale_t)0;

	int rc = -1;
	struct archive *a = reader_new();
	if (!a) {
		err_set(err, "%s: libarchive failed to initialise", path);
		goto out;
	}
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		const char *m = archive_error_string(a);
		err_set(err, "%s: %s", path, m ? m : "cannot open");
		goto out;
	}
	for (;;) {
		struct archive_entry *ae;
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			const char *m = archive_error_string(a);
			err_set(err, "%s: %s", path, m ? m : "cannot read");
			goto out;
		}
		u.entry = archive_entry_pathname(ae);
		if (!u.entry) {
			err_set(err, "%s: an entry without a name", path);
			goto out;
		}
		if (extract_entry(&u, a, ae) < 0)
			goto out;
	}
	rc = fix_dirtimes(&u);
out:
	if (a)
		archive_read_free(a);
	if (loc) {
		uselocale(oldloc);
		freelocale(loc);
	}
	if (u.cpath) {
		close(u.cfd);
		free(u.cpath);
	}
	for (size_t i = 0; i < u.ndt; i++)
		free(u.dt[i].path);
	free(u.dt);
	map_free(&u.seen);
	close(u.root);
	return rc;
}
