#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "atomic.h"
#include "error.h"
#include "utf8.h"

void (*fatal_hook)(void);
char fatal_msg[1024];

static noreturn void die(void)
{
	if (fatal_hook) {
		fatal_hook();
		abort();
	}
	fprintf(stderr, "%s: %s\n", PROG, fatal_msg);
	exit(1);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fatal_msg, sizeof fatal_msg, fmt, ap);
	va_end(ap);
	escape_go_in(fatal_msg, sizeof fatal_msg);
	die();
}

void fatal_at(const char *file, int line, int col, const char *fmt, ...)
{
	struct error e;
	char msg[sizeof e.msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_at(&e, file, line, col, "%s", msg);
	snprintf(fatal_msg, sizeof fatal_msg, "%s", e.msg);
	die();
}

void warn(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	escape_go_in(msg, sizeof msg);
	fprintf(stderr, "%s: warning: %s\n", PROG, msg);
}

noreturn void oom(void)
{
	fputs(PROG ": out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

/* arena: a chain of blocks; big requests get a block of their own */
struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct block *head;
};

enum { BLOCK_SIZE = 64 * 1024 };

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t al = sizeof(max_align_t);
	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	struct block *b = a->head;
	if (!b || b->size - b->used < n) {
		size_t sz = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
		struct block *nb = xmalloc(sizeof *nb + sz);
		nb->used = 0;
		nb->size = sz;
		if (b && sz != BLOCK_SIZE) {
			/* keep the current block open for small requests */
			nb->next = b->next;
			b->next = nb;
			nb->used = n;
			return (char *)nb->data;
		}
		nb->next = b;
		a->head = b = nb;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	char *p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *array_grow(void *v, size_t *cap, size_t need, size_t size, struct arena *a)
{
	if (need <= *cap)
		return v;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			oom();
		ncap *= 2;
	}
	if (size && ncap > SIZE_MAX / size)
		oom();
	void *p;
	if (a) {
		p = arena_alloc(a, ncap * size);
		if (v && *cap)
			memcpy(p, v, *cap * size);
	} else {
		p = xrealloc(v, ncap * size);
	}
	*cap = ncap;
	return p;
}

/* the text of every empty buf that owns no memory yet: read-only, so a write through it faults */
#define BUF_EMPTY ((char *)"")

void buf_init(struct buf *b, struct arena *a)
{
	b->s = BUF_EMPTY;
	b->len = b->cap = 0;
	b->a = a;
}

static void buf_grow(struct buf *b, size_t extra)
{
	if (extra >= SIZE_MAX - b->len)
		oom();
	if (b->len + extra + 1 <= b->cap)
		return;
	bool empty = b->cap == 0;
	size_t need = b->len + extra + 1;
	/* a string's first room is 64 bytes: most fit, and they grow no more */
	b->s = array_grow(empty ? NULL : b->s, &b->cap, empty && need < 64 ? 64 : need, 1, b->a);
	if (empty)
		b->s[0] = 0;
}

void buf_putc(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->s[b->len++] = (char)c;
	b->s[b->len] = 0;
}

void buf_putn(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->s[0] = 0;
}

char *buf_take(struct buf *b)
{
	char *s = b->cap ? b->s : b->a ? arena_strdup(b->a, "") : xstrdup("");
	b->s = BUF_EMPTY;
	b->len = b->cap = 0;
	return s;
}

void buf_free(struct buf *b)
{
	if (!b->a && b->cap)
		free(b->s);
	b->s = BUF_EMPTY;
	b->len = b->cap = 0;
}

void strv_init(struct strv *sv, struct arena *a)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
	sv->a = a;
}

void strv_push(struct strv *sv, char *s)
{
	sv->v = array_grow(sv->v, &sv->cap, sv->n + 2, sizeof *sv->v, sv->a);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strv_free(struct strv *sv)
{
	if (!sv->a) {
		for (size_t i = 0; i < sv->n; i++)
			free(sv->v[i]);
		free(sv->v);
	}
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* filepath.Clean (Unix) of p[0, n) into out, which has room for n + 2 bytes */
size_t path_clean_into(const char *p, size_t n, char *out)
{
	size_t r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && p[0] == '/';

	if (n == 0) {
		out[0] = '.';
		return 1;
	}
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && r + 1 < n && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	return w;
}

char *path_clean_arena(struct arena *a, const char *p)
{
	size_t n = strlen(p);
	char *out = arena_alloc(a, n + 2);
	out[path_clean_into(p, n, out)] = 0;
	return out;
}

char *path_clean(const char *path)
{
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	out[path_clean_into(path, n, out)] = 0;
	return out;
}

/* the entries of the open directory fd, sorted; closes fd */
int dir_names(DIR *d, struct strv *out)
{
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e)
			break;
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(out, out->a ? arena_strdup(out->a, e->d_name) : xstrdup(e->d_name));
	}
	int saved = errno;
	closedir(d);
	errno = saved;
	return saved ? -1 : 0;
}

/* dir_names of the directory open as fd (closed in any case) */
static int list_names(int fd, struct strv *names)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	return dir_names(d, names);
}

int remove_tree_at(int dfd, const char *name, long long *bytes)
{
	struct stat st, parent;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0)
			return errno == ENOENT ? 0 : -1;
		if (bytes && S_ISREG(st.st_mode))
			*bytes += st.st_size;
		return 0;
	}
	/* a mount point below the tree is left alone: its removal fails with EBUSY */
	if (dfd != AT_FDCWD && fstat(dfd, &parent) == 0 && parent.st_dev != st.st_dev) {
		errno = EBUSY;
		return -1;
	}
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* a layer may have made the directory unwritable; we remove it anyway */
	if ((st.st_mode & 0700) != 0700 && fchmod(fd, st.st_mode | 0700) < 0) {
		close(fd);
		return -1;
	}
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0) {
		close(fd);
		return -1;
	}
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_names(dup, &names);
	for (size_t i = 0; rc == 0 && i < names.n; i++)
		rc = remove_tree_at(fd, names.v[i], bytes);
	int saved = errno;
	close(fd);
	strv_free(&names);
	errno = saved;
	if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* the names in dir, except "." and "..", appended to out */
int list_dir(const char *dir, struct strv *out, struct error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_sys(err, "open %s", dir);
	if (dir_names(d, out) < 0)
		return err_sys(err, "read %s", dir);
	return 0;
}

ssize_t read_some(int fd, void *p, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t r = write(fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

char *read_file(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct buf b;
	buf_init(&b, NULL);
	buf_grow(&b, 4096);
	for (;;) {
		buf_grow(&b, 65536);
		ssize_t r = read(fd, b.s + b.len, b.cap - b.len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf_free(&b);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.s[b.len] = 0;
	}
	close(fd);
	if (lenp)
		*lenp = b.len;
	return buf_take(&b);
}

int read_file_if(const char *path, char **out, size_t *len, struct error *err)
{
	if ((*out = read_file(path, len)))
		return 1;
	return errno == ENOENT ? 0 : err_sys(err, "read %s", path);
}

static _Atomic long long io_bytes;

void io_count(long long n)
{
	io_bytes += n;
}

long long io_counted(void)
{
	return io_bytes;
}

void human_size(long long n, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof unit / sizeof unit[0]) {
		v /= 1000;
		u++;
	}
	snprintf(buf, size, "%.3g%s", v, unit[u]);
}

/* the component walk of openat_root: fds of the directories from the root down, a symlink met
   read and its target walked in its place (from the root when absolute) */
static int walk_in_root(int rootfd, const char *rel, int flags)
{
	enum { MAXDEPTH = 256, MAXHOPS = 40 };
	int stack[MAXDEPTH];
	int depth = 0, hops = 0, fd = -1, e = 0;
	struct strv todo;
	strv_init(&todo, NULL);
	char *work = xstrdup(rel), *save;
	struct strv parts;
	strv_init(&parts, NULL);
	for (char *t = strtok_r(work, "/", &save); t; t = strtok_r(NULL, "/", &save))
		strv_push(&parts, xstrdup(t));
	free(work);
	for (size_t i = parts.n; i-- > 0;)
		strv_push(&todo, parts.v[i]);
	free(parts.v);
	if ((stack[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
		goto fail;
	if (!todo.n) {
		fd = openat(stack[0], ".", flags | O_CLOEXEC);
		e = errno;
		goto out;
	}
	while (todo.n) {
		char *c = todo.v[--todo.n];
		bool last = todo.n == 0;
		if (!strcmp(c, ".") || !strcmp(c, "..")) {
			if (!strcmp(c, "..") && depth > 0)
				close(stack[depth--]);
			if (last) {
				fd = openat(stack[depth], ".", flags | O_CLOEXEC);
				e = errno;
			}
			free(c);
			continue;
		}
		int next = last ? openat(stack[depth], c, flags | O_NOFOLLOW | O_CLOEXEC)
				: openat(stack[depth], c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR) && !(last && (flags & O_NOFOLLOW)) &&
		    fstatat(stack[depth], c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			char buf[4096];
			ssize_t k = readlinkat(stack[depth], c, buf, sizeof buf - 1);
			free(c);
			if (k < 0 || ++hops > MAXHOPS) {
				e = k < 0 ? errno : ELOOP;
				goto out;
			}
			buf[k] = 0;
			if (buf[0] == '/')
				while (depth > 0)
					close(stack[depth--]);
			struct strv lp;
			strv_init(&lp, NULL);
			for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save))
				strv_push(&lp, xstrdup(t));
			if (!lp.n)
				strv_push(&lp, xstrdup("."));
			for (size_t i = lp.n; i-- > 0;)
				strv_push(&todo, lp.v[i]);
			free(lp.v);
			continue;
		}
		free(c);
		if (next < 0 || last) {
			fd = next;
			e = errno;
			goto out;
		}
		if (depth + 1 >= MAXDEPTH) {
			close(next);
			e = ENAMETOOLONG;
			goto out;
		}
		stack[++depth] = next;
	}
out:
	while (depth >= 0)
		close(stack[depth--]);
fail:
	if (fd < 0 && !e)
		e = errno;
	strv_free(&todo);
	errno = e;
	return fd;
}

int openat_root(int rootfd, const char *rel, int flags)
{
	static int no_openat2 = -1;
	if (__atomic_load_n(&no_openat2, __ATOMIC_RELAXED) < 0) /* the test suite walks as old kernels do */
		__atomic_store_n(&no_openat2, getenv("STRATA_NO_OPENAT2") != NULL, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
				       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
		long fd = syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof how);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	return walk_in_root(rootfd, rel, flags);
}

int set_times(const char *path, struct timespec atime, struct timespec mtime, struct error *err)
{
	const struct timespec ts[2] = {atime, mtime};
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "set times of %s", path);
	return 0;
}

int openat_noatime(int dirfd, const char *name, int flags)
{
	/* reading a just-touched tree would otherwise write every inode back */
	int fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

int open_regular(const char *path, const char *what, bool nofollow, int *fdp, struct stat *st,
		 struct error *err)
{
	*fdp = -1;
	/* O_NONBLOCK: opening a fifo would wait for a writer, before fstat could refuse it */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		if (errno == ELOOP && nofollow)
			return err_set(err, "%s: a symbolic link, want a regular file", what);
		return err_sys(err, "%s", what);
	}
	if (fstat(fd, st) < 0) {
		err_sys(err, "%s", what);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(err, "%s: not a regular file", what);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		err_sys(err, "%s", what);
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

int read_regular(const char *path, const char *what, size_t max, char **out, size_t *lenp, struct error *err)
{
	*out = NULL;
	int fd;
	struct stat st;
	if (open_regular(path, what, false, &fd, &st, err) < 0)
		return -1;
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return err_set(err, "%s: %lld bytes, more than the %zu allowed", what, (long long)st.st_size, max);
	}
	/* one byte more than the size: a file that grew is caught, and never read past max */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *p = xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(err, "%s", what);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			err_set(err, "%s: changed while read", what);
			goto fail;
		}
	}
	close(fd);
	p[n] = 0;
	*out = p;
	if (lenp)
		*lenp = n;
	return 0;
fail:
	close(fd);
	free(p);
	return -1;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int id_parse(const char *s, unsigned *id)
{
	unsigned long long v = 0;
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > ID_MAX)
			return -1;
	}
	*id = (unsigned)v;
	return 0;
}

size_t edit_distance(const char *a, const char *b, bool swaps)
{
	size_t n = strlen(a), m = strlen(b);
	size_t *d = xcalloc((n + 1) * (m + 1), sizeof *d);
#define D(i, j) d[(i) * (m + 1) + (j)]
	for (size_t i = 0; i <= n; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= m; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t c = D(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
			if (D(i - 1, j) + 1 < c)
				c = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < c)
				c = D(i, j - 1) + 1;
			if (swaps && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < c)
				c = D(i - 2, j - 2) + 1;
			D(i, j) = c;
		}
	size_t r = D(n, m);
#undef D
	free(d);
	return r;
}

int write_if_changed(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == n;
		if (same && n) {
			char *old = xmalloc(n);
			size_t got = 0;
			while (got < n) {
				ssize_t r = read_some(fd, old + got, n - got);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
			same = got == n && !memcmp(old, p, n);
			free(old);
		}
		close(fd);
		if (same)
			return 0;
	}
	struct error e;
	if (atomic_write(path, p, n, 0644, &e) < 0) {
		errno = e.errnum;
		return -1;
	}
	return 1;
}

bool prog_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (const char *p = path;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)len, p, prog);
		bool ok = access(cand, X_OK) == 0;
		free(cand);
		if (ok)
			return true;
		if (!end)
			return false;
		p = end + 1;
	}
}
