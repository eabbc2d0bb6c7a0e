#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "util.h"

struct store {
	char *root;
	int lockfd;   /* -1 until store_lock */
	int lockmode; /* 0, LOCK_SH or LOCK_EX */
};

enum {
	TMP_MAX_AGE = 3600,          /* seconds before gc takes a tmp entry for a dead writer's */
	RESULT_KEY_MAX = 128,
	TAG_NAME_MAX = 1024,
};

static const char *const subdirs[] = {"blobs", "blobs/sha256", "results", "dirs", "tags", "tmp"};

const char *store_root(const struct store *s)
{
	return s->root;
}

static int is_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

static int key_valid(const char *key)
{
	size_t n = strlen(key);
	return n >= 1 && n <= RESULT_KEY_MAX && is_hex(key, n);
}

/* one path component of dirs/: no separators, no "." or "..", nothing a shell would mangle */
static int component_valid(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > NAME_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* a rename is durable only once the directory holding the new name is synced */
static int fsync_dir(const char *path, struct error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (fsync(fd) < 0 && errno != EINVAL) {
		err_sys(err, "fsync %s", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return err_sys(err, "close %s", path);
	return 0;
}

static int mkdir_one(const char *path, struct error *err)
{
	if (mkdir(path, 0700) == 0)
		return 0;
	struct stat st;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return err_sys(err, "mkdir %s", path);
}

static int mkdir_p(const char *path, struct error *err)
{
	char *p = xstrdup(path);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		int r = mkdir_one(p, err);
		*c = '/';
		if (r < 0) {
			free(p);
			return -1;
		}
	}
	free(p);
	return mkdir_one(path, err);
}

/* the names in dir, except "." and "..", appended to out */
static int list_dir(const char *dir, struct strv *out, struct error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_sys(err, "open %s", dir);
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno) {
				err_sys(err, "read %s", dir);
				closedir(d);
				return -1;
			}
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		strv_push(out, xstrdup(e->d_name));
	}
	closedir(d);
	return 0;
}

/* The store keeps extracted layers with their set-id binaries, device nodes and world-writable
   directories: no one but its owner may reach into it (containers/storage keeps its root 0700).
   A directory with a wider mode is repaired by its owner; a read-only store, or one another user
   opened up to this one (for the keys-only pass, say), is left as it is. */
static int private_dir(const char *path, struct error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_sys(err, "store %s", path);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return err_sys(err, "store %s", path);
	}
	if ((st.st_mode & 07777) == 0700 || chmod(path, 0700) == 0 || errno == EROFS || st.st_uid != geteuid())
		return 0;
	return err_sys(err, "store %s: mode %04o, want 0700", path, (unsigned)(st.st_mode & 07777));
}

static char *store_location(struct error *err)
{
	const char *v = getenv("STRATA_STORE");
	if (v && *v)
		return xstrdup(v);
	v = getenv("XDG_CACHE_HOME");
	if (v && v[0] == '/') /* the XDG spec says to ignore a relative value */
		return xasprintf("%s/strata", v);
	v = getenv("HOME");
	if (!v || !*v) {
		struct passwd *pw = getpwuid(getuid());
		v = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
	}
	if (!v) {
		err_set(err, "cannot locate the store: set STRATA_STORE or HOME");
		return NULL;
	}
	return xasprintf("%s/.cache/strata", v);
}

static int gc_mark(struct store *s, struct error *err);

int store_open(struct store **sp, struct error *err)
{
	*sp = NULL;
	char *loc = store_location(err);
	if (!loc)
		return -1;
	if (mkdir_p(loc, err) < 0) {
		free(loc);
		return -1;
	}
	/* absolute, so that a chdir (the executor's) cannot move the store */
	char *root = realpath(loc, NULL);
	if (!root) {
		err_sys(err, "store %s", loc);
		free(loc);
		return -1;
	}
	free(loc);
	if (private_dir(root, err) < 0) {
		free(root);
		return -1;
	}
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		char *p = xasprintf("%s/%s", root, subdirs[i]);
		int r = mkdir_one(p, err);
		if (r == 0)
			r = private_dir(p, err);
		free(p);
		if (r < 0) {
			free(root);
			return -1;
		}
	}
	char *dirs = xasprintf("%s/dirs", root);
	struct strv kinds;
	strv_init(&kinds, NULL);
	int r = list_dir(dirs, &kinds, err);
	for (size_t i = 0; r == 0 && i < kinds.n; i++) {
		char *p = xasprintf("%s/%s", dirs, kinds.v[i]);
		r = private_dir(p, err);
		free(p);
	}
	strv_free(&kinds);
	free(dirs);
	if (r < 0) {
		free(root);
		return -1;
	}
	cleanup_install(root);
	struct store *s = xmalloc(sizeof *s);
	s->root = root;
	s->lockfd = -1;
	s->lockmode = 0;
	*sp = s;
	char *gc = store_gc_file(s);
	struct error ignored;
	/* a reader without write access has a store whose writer made the file */
	if (access(gc, F_OK) < 0)
		gc_mark(s, &ignored);
	free(gc);
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->root);
	free(s);
}

int store_lock(struct store *s, bool exclusive, struct error *err)
{
	if (s->lockfd < 0) {
		char *p = xasprintf("%s/lock", s->root);
		s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		/* a read-only store still serves readers: flock needs no write access */
		if (s->lockfd < 0 && !exclusive && (errno == EROFS || errno == EACCES))
			s->lockfd = open(p, O_RDONLY | O_CLOEXEC);
		if (s->lockfd < 0) {
			err_sys(err, "open %s", p);
			free(p);
			return -1;
		}
		free(p);
	}
	int op = exclusive ? LOCK_EX : LOCK_SH;
	if (s->lockmode == op)
		return 0;
	while (flock(s->lockfd, op) < 0) {
		if (errno != EINTR)
			return err_sys(err, "lock %s/lock", s->root);
	}
	s->lockmode = op;
	return 0;
}

int store_tmpfile(struct store *s, char **path, int *fd, struct error *err)
{
	/* mkostemp creates with O_EXCL, so names are unique across processes and threads */
	char *p = xasprintf("%s/tmp/%ld.XXXXXX", s->root, (long)getpid());
	int f = mkostemp(p, O_CLOEXEC);
	if (f < 0) {
		err_sys(err, "create temporary file in %s/tmp", s->root);
		free(p);
		*path = NULL;
		*fd = -1;
		return -1;
	}
	*path = p;
	*fd = f;
	return 0;
}

int store_tmpdir(struct store *s, char **path, struct error *err)
{
	char *p = xasprintf("%s/tmp/%ld.d.XXXXXX", s->root, (long)getpid());
	if (!mkdtemp(p)) {
		err_sys(err, "create temporary directory in %s/tmp", s->root);
		free(p);
		*path = NULL;
		return -1;
	}
	*path = p;
	return 0;
}

int store_cache_dir(struct store *s, const char *id, unsigned mode, unsigned uid, unsigned gid, char **path,
		    int *lockfd, struct error *err)
{
	char d[DIGEST_SIZE];
	digest_buf(id, strlen(id), d);
	char *top = xasprintf("%s/cache", s->root);
	char *dir = xasprintf("%s/%s", top, d + 7), *lock = xasprintf("%s.lock", dir), *tmp = NULL;
	int r = mkdir_one(top, err);
	*lockfd = -1;
	*path = NULL;
	if (r < 0)
		goto out;
	*lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*lockfd < 0) {
		r = err_sys(err, "cache %s", lock);
		goto out;
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		/* made whole in tmp/, then renamed: a concurrent first use sees it complete or not at all */
		if ((r = store_tmpdir(s, &tmp, err)) < 0)
			goto out;
		if (chown(tmp, uid, gid) < 0 || chmod(tmp, mode) < 0) {
			r = err_sys(err, "cache %s", tmp);
			goto out;
		}
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0 && errno != EEXIST) {
			r = err_sys(err, "cache %s", dir);
			goto out;
		}
		rmdir(tmp);
	}
	*path = dir;
	dir = NULL;
out:
	if (r < 0 && *lockfd >= 0) {
		close(*lockfd);
		*lockfd = -1;
	}
	free(tmp), free(top), free(dir), free(lock);
	return r;
}

int store_tmpwrite(struct store *s, const void *p, size_t n, char **path, int *fd, struct error *err)
{
	if (store_tmpfile(s, path, fd, err) < 0)
		return -1;
	if (write_all(*fd, p, n) < 0) {
		err_sys(err, "write %s", *path);
		close(*fd);
		unlink(*path);
		free(*path);
		*path = NULL;
		*fd = -1;
		return -1;
	}
	return 0;
}

/* fsync, chmod, close fd and rename tmp to dst; fd is closed and tmp gone in every case */
static int commit_file(int fd, const char *tmp, const char *dst, const char *dir, struct error *err)
{
	if (fd < 0) {
		fd = open(tmp, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_sys(err, "open %s", tmp);
			goto fail;
		}
	}
	if (fsync(fd) < 0) {
		err_sys(err, "fsync %s", tmp);
		goto fail;
	}
	int c = close(fd);
	fd = -1;
	if (c < 0) {
		err_sys(err, "close %s", tmp);
		goto fail;
	}
	if (rename(tmp, dst) < 0) {
		err_sys(err, "rename %s to %s", tmp, dst);
		goto fail;
	}
	return fsync_dir(dir, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* write data to path through a temporary file, so a reader sees the old or the new content */
static int write_atomic(struct store *s, const char *path, const char *dir, const void *p, size_t n,
			struct error *err)
{
	char *tmp;
	int fd;
	if (store_tmpwrite(s, p, n, &tmp, &fd, err) < 0)
		return -1;
	int r = commit_file(fd, tmp, path, dir, err);
	free(tmp);
	return r;
}

char *store_blob_path(struct store *s, const char *digest)
{
	if (!digest || !digest_valid(digest))
		return NULL;
	return xasprintf("%s/blobs/sha256/%s", s->root, digest + 7);
}

static int bad_digest(struct error *err, const char *digest)
{
	return err_set(err, "invalid digest \"%.100s\": want sha256: and 64 lower-case hex digits",
		       digest ? digest : "(null)");
}

/* true when the blob at path is there and its content matches digest: a blob is never trusted
   for being present, or a damaged one would outlive every rebuild and import of its content */
static bool blob_intact(struct store *s, const char *digest, const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	struct error ignored;
	return store_blob_verify(s, digest, &ignored) == 0;
}

int store_blob_commit(struct store *s, const char *tmp, int fd, const char *digest, struct error *err)
{
	char *dst = store_blob_path(s, digest);
	if (!dst) {
		bad_digest(err, digest);
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	if (blob_intact(s, digest, dst)) {
		/* another writer got there first; same name, same content */
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		free(dst);
		return 0;
	}
	/* absent, or damaged: ours replaces it */
	char *dir = xasprintf("%s/blobs/sha256", s->root);
	int r = commit_file(fd, tmp, dst, dir, err);
	free(dir);
	free(dst);
	return r;
}

int store_blob_put(struct store *s, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err)
{
	digest_buf(p, len, digest);
	char *path = store_blob_path(s, digest);
	bool intact = blob_intact(s, digest, path);
	free(path);
	if (intact)
		return 0;
	char *tmp;
	int fd;
	if (store_tmpwrite(s, p, len, &tmp, &fd, err) < 0)
		return -1;
	int r = store_blob_commit(s, tmp, fd, digest, err);
	free(tmp);
	return r;
}

bool store_blob_has(struct store *s, const char *digest)
{
	char *p = store_blob_path(s, digest);
	if (!p)
		return false;
	struct stat st;
	bool has = lstat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return has;
}

static int corrupt(struct error *err, const char *digest, const char *path)
{
	return err_set(err, "corrupt blob %s: content does not match its digest (%s)", digest, path);
}

int store_blob_read(struct store *s, const char *digest, char **out, size_t *lenp, struct error *err)
{
	*out = NULL;
	if (lenp)
		*lenp = 0;
	char *path = store_blob_path(s, digest);
	if (!path)
		return bad_digest(err, digest);
	size_t len;
	char *p = read_file(path, &len);
	if (!p) {
		err_sys(err, "blob %s: %s", digest, path);
		free(path);
		return -1;
	}
	char got[DIGEST_SIZE];
	digest_buf(p, len, got);
	if (strcmp(got, digest) != 0) {
		corrupt(err, digest, path);
		free(p);
		free(path);
		return -1;
	}
	free(path);
	*out = p;
	if (lenp)
		*lenp = len;
	return 0;
}

int store_blob_verify(struct store *s, const char *digest, struct error *err)
{
	char *path = store_blob_path(s, digest);
	if (!path)
		return bad_digest(err, digest);
	char got[DIGEST_SIZE];
	int r = digest_file(path, got, err);
	if (r < 0)
		err_wrap(err, "blob %s", digest);
	else if (strcmp(got, digest) != 0)
		r = corrupt(err, digest, path);
	free(path);
	return r;
}

int store_result_get(struct store *s, const char *key, char **text, struct error *err)
{
	*text = NULL;
	if (!key_valid(key))
		return err_set(err, "invalid step key \"%.140s\"", key);
	char *path = xasprintf("%s/results/%s", s->root, key);
	char *p = read_file(path, NULL);
	if (!p) {
		int r = errno == ENOENT ? 0 : err_sys(err, "read %s", path);
		free(path);
		return r;
	}
	free(path);
	*text = p;
	return 1;
}

int store_result_put(struct store *s, const char *key, const char *text, struct error *err)
{
	if (!key_valid(key))
		return err_set(err, "invalid step key \"%.140s\"", key);
	char *path = xasprintf("%s/results/%s", s->root, key);
	char *dir = xasprintf("%s/results", s->root);
	int r = write_atomic(s, path, dir, text, strlen(text), err);
	free(dir);
	free(path);
	return r;
}

/* tag names hold '/' and ':'; every byte outside [A-Za-z0-9._-] becomes %XX, and so does a
   leading '.', so no file name is "." or ".." or hidden */
static char *tag_encode(const char *name)
{
	struct buf b;
	buf_init(&b, NULL);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '_' || *p == '-' || (*p == '.' && p != (const unsigned char *)name);
		if (plain)
			buf_putc(&b, *p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	return buf_take(&b);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* NULL unless fname is exactly what tag_encode makes of some name */
static char *tag_decode(const char *fname)
{
	struct buf b;
	buf_init(&b, NULL);
	for (const char *p = fname; *p; p++) {
		if (*p != '%') {
			buf_putc(&b, *p);
			continue;
		}
		int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
		if (lo < 0 || (hi == 0 && lo == 0)) {
			buf_free(&b);
			return NULL;
		}
		buf_putc(&b, hi * 16 + lo);
		p += 2;
	}
	char *again = tag_encode(b.s);
	int same = strcmp(again, fname) == 0;
	free(again);
	if (!same) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static int tag_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > TAG_NAME_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static char *tag_path(struct store *s, const char *name, struct error *err)
{
	if (!tag_name_valid(name)) {
		err_set(err, "invalid image name \"%.200s\"", name);
		return NULL;
	}
	char *enc = tag_encode(name);
	char *p = xasprintf("%s/tags/%s", s->root, enc);
	free(enc);
	return p;
}

char *store_tag_file(struct store *s, const char *name, struct error *err)
{
	return tag_path(s, name, err);
}

char *store_gc_file(const struct store *s)
{
	return xasprintf("%s/gc", s->root);
}

/* a new gc file: a build graph's stamps made before this gc are out of date */
static int gc_mark(struct store *s, struct error *err)
{
	char *p = store_gc_file(s), *tmp = xasprintf("%s.%ld.tmp", p, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;
	if (fd < 0 || close(fd) < 0 || rename(tmp, p) < 0) {
		r = err_sys(err, "%s", p);
		unlink(tmp);
	}
	free(tmp);
	free(p);
	return r;
}

int store_tag_set(struct store *s, const char *name, const char *digest, struct error *err)
{
	if (!digest_valid(digest))
		return bad_digest(err, digest);
	char *path = tag_path(s, name, err);
	if (!path)
		return -1;
	char line[DIGEST_SIZE + 1];
	snprintf(line, sizeof line, "%s\n", digest);
	char *dir = xasprintf("%s/tags", s->root);
	int r = write_atomic(s, path, dir, line, strlen(line), err);
	free(dir);
	free(path);
	return r;
}

int store_tag_get(struct store *s, const char *name, char digest[DIGEST_SIZE], struct error *err)
{
	char *path = tag_path(s, name, err);
	if (!path)
		return -1;
	size_t len;
	char *p = read_file(path, &len);
	if (!p) {
		int r = errno == ENOENT ? 0 : err_sys(err, "read %s", path);
		free(path);
		return r;
	}
	while (len && (p[len - 1] == '\n' || p[len - 1] == ' ' || p[len - 1] == '\r'))
		p[--len] = 0;
	int r = 1;
	if (!digest_valid(p))
		r = err_set(err, "tag %s: %s does not hold a digest", name, path);
	else
		memcpy(digest, p, DIGEST_SIZE);
	free(p);
	free(path);
	return r;
}

int store_tag_del(struct store *s, const char *name, struct error *err)
{
	char *path = tag_path(s, name, err);
	if (!path)
		return -1;
	int r = 1;
	if (unlink(path) < 0) {
		r = errno == ENOENT ? 0 : err_sys(err, "remove %s", path);
	} else {
		char *dir = xasprintf("%s/tags", s->root);
		if (fsync_dir(dir, err) < 0)
			r = -1;
		free(dir);
	}
	free(path);
	return r;
}

int store_result_list(struct store *s, struct strv *out, struct error *err)
{
	char *dir = xasprintf("%s/results", s->root);
	struct strv names;
	strv_init(&names, NULL);
	int r = list_dir(dir, &names, err);
	free(dir);
	for (size_t i = 0; r == 0 && i < names.n; i++)
		if (key_valid(names.v[i]))
			strv_push(out, xstrdup(names.v[i]));
	strv_free(&names);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_tag_list(struct store *s, struct strv *out, struct error *err)
{
	char *dir = xasprintf("%s/tags", s->root);
	struct strv names;
	strv_init(&names, NULL);
	int r = list_dir(dir, &names, err);
	free(dir);
	if (r < 0) {
		strv_free(&names);
		return -1;
	}
	size_t first = out->n;
	for (size_t i = 0; i < names.n; i++) {
		char *name = tag_decode(names.v[i]);
		if (name && tag_name_valid(name))
			strv_push(out, name);
		else
			free(name);
	}
	strv_free(&names);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof *out->v, cmp_str);
	return 0;
}

/* remove the tree at path (gone already is fine); adds the bytes of its files to *bytes */
static int remove_tree(const char *path, long long *bytes, struct error *err)
{
	if (remove_tree_at(AT_FDCWD, path, bytes) < 0)
		return err_sys(err, "remove %s", path);
	return 0;
}

char *store_dir_get(struct store *s, const char *kind, const char *id)
{
	if (!kind || !id || !component_valid(kind) || !component_valid(id))
		return NULL;
	char *p = xasprintf("%s/dirs/%s/%s", s->root, kind, id);
	struct stat st;
	if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return p;
	free(p);
	return NULL;
}

/* tmp must be a direct child of the store's tmp/, since it may be removed recursively */
static int tmp_owned(struct store *s, const char *tmp)
{
	size_t n = strlen(s->root);
	if (strncmp(tmp, s->root, n) != 0 || strncmp(tmp + n, "/tmp/", 5) != 0)
		return 0;
	const char *name = tmp + n + 5;
	return component_valid(name);
}

int store_dir_commit(struct store *s, const char *kind, const char *id, const char *tmp, char **path,
		     struct error *err)
{
	*path = NULL;
	if (!tmp_owned(s, tmp))
		return err_set(err, "%s: not a temporary directory of the store %s", tmp, s->root);
	int rc = -1;
	char *kdir = NULL, *dst = NULL;
	if (!component_valid(kind) || !component_valid(id)) {
		err_set(err, "invalid store directory name \"%.100s/%.100s\"", kind, id);
		goto out;
	}
	kdir = xasprintf("%s/dirs/%s", s->root, kind);
	dst = xasprintf("%s/%s", kdir, id);
	if (mkdir_one(kdir, err) < 0)
		goto out;
	/* a renamed tree is durable only if what is inside it is: make the files reach the disk
	   before the name does, or a crash could leave a half-filled directory under its final name */
	int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err_sys(err, "open %s", tmp);
		goto out;
	}
	if (syncfs(fd) < 0) {
		err_sys(err, "sync %s", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		err_sys(err, "close %s", tmp);
		goto out;
	}
	int r = renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE);
	if (r < 0 && errno == EINVAL) {
		/* a file system without RENAME_NOREPLACE: rename(2) would replace an empty directory */
		struct stat st;
		if (lstat(dst, &st) == 0) {
			errno = EEXIST;
		} else {
			r = rename(tmp, dst);
		}
	}
	if (r < 0 && (errno == EEXIST || errno == ENOTEMPTY)) {
		/* another process made it first: theirs is as good as ours */
		if (remove_tree(tmp, NULL, err) < 0)
			goto out;
		*path = dst;
		dst = NULL;
		rc = 0;
		goto out;
	}
	if (r < 0) {
		err_sys(err, "rename %s to %s", tmp, dst);
		goto out;
	}
	if (fsync_dir(kdir, err) < 0)
		goto out;
	*path = dst;
	dst = NULL;
	rc = 0;
out:
	if (rc < 0 && tmp_owned(s, tmp)) {
		struct error ignored;
		remove_tree(tmp, NULL, &ignored);
	}
	free(dst);
	free(kdir);
	return rc;
}

/* A set of digests (their 64 hex digits) that keeps insertion order, so the gc walks it as
   its own work list. */
struct hexset {
	char (*keys)[65];
	size_t n, cap;
	size_t *slots; /* index + 1, 0 when empty */
	size_t nslots;
};

static uint64_t hex_hash(const char *h)
{
	uint64_t x = 1469598103934665603ull;
	for (int i = 0; i < 64; i++)
		x = (x ^ (unsigned char)h[i]) * 1099511628211ull;
	return x;
}

static size_t *hexset_slot(struct hexset *hs, const char *h)
{
	size_t mask = hs->nslots - 1;
	for (size_t i = hex_hash(h) & mask;; i = (i + 1) & mask)
		if (!hs->slots[i] || memcmp(hs->keys[hs->slots[i] - 1], h, 64) == 0)
			return &hs->slots[i];
}

static bool hexset_has(struct hexset *hs, const char *h)
{
	return hs->nslots && *hexset_slot(hs, h);
}

static void hexset_add(struct hexset *hs, const char *h)
{
	if ((hs->n + 1) * 2 > hs->nslots) {
		size_t ns = hs->nslots ? hs->nslots * 2 : 64;
		free(hs->slots);
		hs->slots = xcalloc(ns, sizeof *hs->slots);
		hs->nslots = ns;
		for (size_t i = 0; i < hs->n; i++)
			*hexset_slot(hs, hs->keys[i]) = i + 1;
	}
	size_t *slot = hexset_slot(hs, h);
	if (*slot)
		return;
	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? hs->cap * 2 : 64;
		hs->keys = xrealloc(hs->keys, hs->cap * sizeof *hs->keys);
	}
	memcpy(hs->keys[hs->n], h, 64);
	hs->keys[hs->n][64] = 0;
	*slot = ++hs->n;
}

static void hexset_free(struct hexset *hs)
{
	free(hs->keys);
	free(hs->slots);
}

static void add_digest(struct hexset *hs, const char *d)
{
	if (d && digest_valid(d))
		hexset_add(hs, d + 7);
}

/* every "sha256:" followed by 64 hex digits in text */
static void scan_digests(struct hexset *hs, const char *text)
{
	for (const char *p = text; (p = strstr(p, "sha256:")) != NULL; p += 7) {
		size_t n = 0;
		while (n < 64 && p[7 + n] && is_hex(p + 7 + n, 1))
			n++;
		if (n == 64)
			hexset_add(hs, p + 7);
	}
}

static void add_descriptor(struct hexset *hs, json_t *desc)
{
	if (json_is_object(desc))
		add_digest(hs, json_string_value(json_object_get(desc, "digest")));
}

static void add_descriptors(struct hexset *hs, json_t *arr)
{
	size_t i;
	json_t *v;
	if (json_is_array(arr))
		json_array_foreach(arr, i, v)
			add_descriptor(hs, v);
}

/* the digests a manifest, index or image config refers to */
static void add_references(struct hexset *hs, json_t *doc)
{
	add_descriptor(hs, json_object_get(doc, "config"));
	add_descriptor(hs, json_object_get(doc, "subject"));
	add_descriptors(hs, json_object_get(doc, "layers"));
	add_descriptors(hs, json_object_get(doc, "manifests"));
	json_t *rootfs = json_object_get(doc, "rootfs");
	json_t *ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	size_t i;
	json_t *v;
	if (json_is_array(ids))
		json_array_foreach(ids, i, v)
			add_digest(hs, json_string_value(v));
}

static int gc_follow(struct store *s, struct hexset *hs, const char *hex, struct error *err)
{
	char *path = xasprintf("%s/blobs/sha256/%s", s->root, hex);
	struct stat st;
	if (lstat(path, &st) < 0) {
		int r = errno == ENOENT ? 0 : err_sys(err, "stat %s", path);
		free(path);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 2 || st.st_size > STORE_JSON_MAX) {
		free(path);
		return 0;
	}
	size_t len;
	char *p = read_file(path, &len);
	if (!p) {
		int r = errno == ENOENT ? 0 : err_sys(err, "read %s", path);
		free(path);
		return r;
	}
	free(path);
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i < len && p[i] == '{') {
		/* unverified on purpose: a damaged manifest keeps what it names rather than losing it */
		json_error_t jerr;
		json_t *doc = json_loadb(p, len, 0, &jerr);
		if (json_is_object(doc))
			add_references(hs, doc);
		json_decref(doc);
	}
	free(p);
	return 0;
}

/* true when the tmp entry name (PID.…, as store_tmpfile and store_tmpdir make them) belongs to a
   process that is gone: what a killed writer left is freed at once, not after an hour */
static bool tmp_dead(const char *name)
{
	char *end;
	errno = 0;
	long pid = strtol(name, &end, 10);
	if (end == name || *end != '.' || errno || pid <= 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static int gc_tmp(struct store *s, time_t now, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/tmp", s->root);
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_dir(dir, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if (tmp_dead(names.v[i]) || now - st.st_mtime > TMP_MAX_AGE) {
			if (S_ISDIR(st.st_mode)) {
				rc = remove_tree(p, bytes, err);
			} else if (unlink(p) == 0) {
				*bytes += S_ISREG(st.st_mode) ? st.st_size : 0;
			} else if (errno != ENOENT) {
				rc = err_sys(err, "remove %s", p);
			}
		}
		free(p);
	}
	strv_free(&names);
	free(dir);
	return rc;
}

static int gc_results(struct store *s, time_t now, long long keep, struct hexset *hs, long long *bytes,
		      struct error *err)
{
	char *dir = xasprintf("%s/results", s->root);
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_dir(dir, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		if (!key_valid(names.v[i]))
			continue;
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if ((long long)(now - st.st_mtime) > keep) {
			if (unlink(p) == 0)
				*bytes += st.st_size;
			else if (errno != ENOENT)
				rc = err_sys(err, "remove %s", p);
		} else {
			char *text = read_file(p, NULL);
			if (text)
				scan_digests(hs, text);
			else if (errno != ENOENT)
				rc = err_sys(err, "read %s", p);
			free(text);
		}
		free(p);
	}
	strv_free(&names);
	free(dir);
	return rc;
}

static int gc_tags(struct store *s, struct hexset *hs, struct error *err)
{
	struct strv tags;
	strv_init(&tags, NULL);
	int rc = store_tag_list(s, &tags, err);
	for (size_t i = 0; rc == 0 && i < tags.n; i++) {
		char d[DIGEST_SIZE];
		int r = store_tag_get(s, tags.v[i], d, err);
		if (r < 0)
			rc = -1;
		else if (r == 1)
			add_digest(hs, d);
	}
	strv_free(&tags);
	return rc;
}

static int gc_blobs(struct store *s, struct hexset *hs, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/blobs/sha256", s->root);
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_dir(dir, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		/* names the store never makes are left alone */
		if (strlen(n) != 64 || !is_hex(n, 64) || hexset_has(hs, n))
			continue;
		char *p = xasprintf("%s/%s", dir, n);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if (unlink(p) == 0) {
			*bytes += S_ISREG(st.st_mode) ? st.st_size : 0;
		} else if (errno != ENOENT) {
			rc = err_sys(err, "remove %s", p);
		}
		free(p);
	}
	strv_free(&names);
	free(dir);
	return rc;
}

/* move the entry out of dirs/ first, so a gc killed half-way never leaves a half-removed
   directory under a name a build would trust */
static int gc_remove_dir(struct store *s, const char *path, long long *bytes, struct error *err)
{
	char *tmp;
	if (store_tmpdir(s, &tmp, err) < 0)
		return -1;
	char *to = xasprintf("%s/x", tmp);
	int rc = 0;
	if (rename(path, to) < 0 && errno != ENOENT)
		rc = err_sys(err, "rename %s to %s", path, to);
	if (remove_tree(tmp, bytes, rc < 0 ? &(struct error){0} : err) < 0)
		rc = -1;
	free(to);
	free(tmp);
	return rc;
}

static int gc_dirs(struct store *s, struct hexset *hs, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/dirs", s->root);
	struct strv kinds;
	strv_init(&kinds, NULL);
	int rc = list_dir(dir, &kinds, err);
	for (size_t i = 0; rc == 0 && i < kinds.n; i++) {
		char *kdir = xasprintf("%s/%s", dir, kinds.v[i]);
		struct stat st;
		if (lstat(kdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(kdir);
			continue;
		}
		struct strv ids;
		strv_init(&ids, NULL);
		rc = list_dir(kdir, &ids, err);
		for (size_t j = 0; rc == 0 && j < ids.n; j++) {
			const char *id = ids.v[j];
			if (strlen(id) == 64 && is_hex(id, 64) && hexset_has(hs, id))
				continue;
			char *p = xasprintf("%s/%s", kdir, id);
			rc = gc_remove_dir(s, p, bytes, err);
			free(p);
		}
		strv_free(&ids);
		free(kdir);
	}
	strv_free(&kinds);
	free(dir);
	return rc;
}

int store_gc(struct store *s, long long keep_seconds, long long *freed_bytes, struct error *err)
{
	*freed_bytes = 0;
	int prev = s->lockmode;
	if (store_lock(s, true, err) < 0)
		return -1;
	struct hexset hs = {0};
	long long bytes = 0;
	time_t now = time(NULL);
	int rc = -1;
	if (gc_tmp(s, now, &bytes, err) < 0 || gc_results(s, now, keep_seconds, &hs, &bytes, err) < 0 ||
	    gc_tags(s, &hs, err) < 0)
		goto out;
	/* hs grows while it is walked: each manifest adds what it names */
	for (size_t i = 0; i < hs.n; i++)
		if (gc_follow(s, &hs, hs.keys[i], err) < 0)
			goto out;
	if (gc_blobs(s, &hs, &bytes, err) < 0 || gc_dirs(s, &hs, &bytes, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc == 0)
		rc = gc_mark(s, err);
	hexset_free(&hs);
	*freed_bytes = bytes;
	if (prev != LOCK_EX) {
		/* hand back the lock the caller had */
		int op = prev ? prev : LOCK_UN;
		while (flock(s->lockfd, op) < 0) {
			if (errno == EINTR)
				continue;
			if (rc == 0)
				rc = err_sys(err, "lock %s/lock", s->root);
			break;
		}
		s->lockmode = prev;
	}
	return rc;
}

void store_tmp_discard(struct store *s, const char *tmp)
{
	struct error err;
	if (tmp && tmp_owned(s, tmp))
		remove_tree(tmp, NULL, &err);
}
