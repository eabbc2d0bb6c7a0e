#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

struct store {
	char *root;
	int lockfd;   /* -1 until store_lock */
	int lockmode; /* 0, LOCK_SH or LOCK_EX */
};

enum {
	RESULT_KEY_MAX = 128,
	TAG_NAME_MAX = 1024,
};

static const char *const subdirs[] = {"blobs", "blobs/sha256", "results", "dirs", "tags", "tmp"};

const char *store_root(const struct store *s)
{
	return s->root;
}

static int key_valid(const char *key)
{
	size_t n = strlen(key);
	return n >= 1 && n <= RESULT_KEY_MAX && digest_hex(key, n);
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
		store_gc_mark(s, &ignored);
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
	return store_relock(s, exclusive ? STORE_EXCLUSIVE : STORE_SHARED, err);
}

enum store_lockmode store_locked(const struct store *s)
{
	return s->lockmode == LOCK_EX ? STORE_EXCLUSIVE : s->lockmode == LOCK_SH ? STORE_SHARED : STORE_UNLOCKED;
}

int store_relock(struct store *s, enum store_lockmode mode, struct error *err)
{
	int op = mode == STORE_EXCLUSIVE ? LOCK_EX : mode == STORE_SHARED ? LOCK_SH : LOCK_UN;
	if (s->lockmode == (op == LOCK_UN ? 0 : op))
		return 0;
	while (flock(s->lockfd, op) < 0) {
		if (errno != EINTR)
			return err_sys(err, "lock %s/lock", s->root);
	}
	s->lockmode = op == LOCK_UN ? 0 : op;
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
	*lockfd = -1;
	*path = NULL;
	if (digest_buf(id, strlen(id), d, err) < 0)
		return -1;
	char *top = xasprintf("%s/cache", s->root);
	char *dir = xasprintf("%s/%s", top, d + 7), *lock = xasprintf("%s.lock", dir), *tmp = NULL;
	int r = mkdir_one(top, err);
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

/* write data to path through a temporary file, so a reader sees the old or the new content */
static int write_atomic(struct store *s, const char *path, const void *p, size_t n, struct error *err)
{
	char *tmp;
	int fd;
	if (store_tmpwrite(s, p, n, &tmp, &fd, err) < 0)
		return -1;
	int r = atomic_commit(fd, tmp, path, err);
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
	int r = atomic_commit(fd, tmp, dst, err);
	free(dst);
	return r;
}

int store_blob_put(struct store *s, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err)
{
	if (digest_buf(p, len, digest, err) < 0)
		return -1;
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
	int r = digest_buf(p, len, got, err);
	if (r == 0 && strcmp(got, digest) != 0)
		r = corrupt(err, digest, path);
	if (r < 0) {
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
	char *p;
	int r = read_file_if(path, &p, NULL, err);
	free(path);
	if (r <= 0)
		return r;
	*text = p;
	return 1;
}

int store_result_put(struct store *s, const char *key, const char *text, struct error *err)
{
	if (!key_valid(key))
		return err_set(err, "invalid step key \"%.140s\"", key);
	char *path = xasprintf("%s/results/%s", s->root, key);
	int r = write_atomic(s, path, text, strlen(text), err);
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

int store_gc_mark(struct store *s, struct error *err)
{
	char *p = store_gc_file(s);
	int r = atomic_write(p, "", 0, 0644, err);
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
	int r = write_atomic(s, path, line, strlen(line), err);
	free(path);
	return r;
}

int store_tag_get(struct store *s, const char *name, char digest[DIGEST_SIZE], struct error *err)
{
	char *path = tag_path(s, name, err);
	if (!path)
		return -1;
	size_t len;
	char *p;
	int r = read_file_if(path, &p, &len, err);
	if (r <= 0) {
		free(path);
		return r;
	}
	while (len && (p[len - 1] == '\n' || p[len - 1] == ' ' || p[len - 1] == '\r'))
		p[--len] = 0;
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
		if (atomic_sync_parent(path, err) < 0)
			r = -1;
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
	if (atomic_sync_parent(dst, err) < 0)
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

void store_tmp_discard(struct store *s, const char *tmp)
{
	struct error err;
	if (tmp && tmp_owned(s, tmp))
		remove_tree(tmp, NULL, &err);
}
