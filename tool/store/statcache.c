#include "statcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "atomic.h"
#include "error.h"
#include "map.h"
#include "util.h"

/* the file: a header line "MAGIC START SUM ROOTDEV ROOTINO ROOT" (SUM the XXH3-64 of all that
   follows the header), then one line per entry: "DEV INO SIZE MODE MTIME CTIME HASH CAP PATH"
   (DEV and CAP in hex, CAP "-" for none, MODE in octal, times in ns) */
#define STATCACHE_MAGIC "strata-statcache-2"

/* the value of a path in the map */
struct sc_entry {
	unsigned long long dev, ino, size, mode;
	long long mtime, ctime;         /* ns since the epoch */
	char hash[KEY_HEX];             /* "" when racily clean: never trusted, never saved */
	unsigned char *cap;             /* in the arena, or NULL */
	size_t caplen;
	size_t seq;                     /* 1 + the order it was looked up or put in this run, 0 if not */
};

struct statcache {
	char *file, *root;
	long long start;                /* this run's start (the file system's coarse clock), ns */
	struct arena *a;                /* the map's and the capability values' */
	struct map m;                   /* path -> struct sc_entry, in the order of the file, then of adding */
	size_t next;                    /* the position the next lookup most likely wants */
	size_t seq;
	bool dirty;
};

static long long ns_of(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* how coarse the file system's times are, as far as the time t itself tells: a time truncated to
   a granule is a multiple of it, so the largest power of ten dividing its nanoseconds bounds it
   (100 ns NTFS, 10 ms exFAT); whole seconds may be FAT's 2 s */
static long long granule(long long t)
{
	long long ns = t % 1000000000LL;
	if (ns < 0)
		ns += 1000000000LL;
	if (ns == 0)
		return 2000000000LL;
	long long g = 1;
	while (ns % (g * 10) == 0)
		g *= 10;
	return g;
}

/* racily clean: a change at or after start (the hashing run's) may carry the time t, truncated
   by up to its granule; git's rule, with the index's time being the run's start */
static bool racy(long long t, long long start)
{
	return t > start - granule(t);
}

/* the entry of path, or NULL: entries are saved in the order the last run looked them up, and a
   walk of the same tree asks in that order, so the one after the last found is tried first, which
   spares hashing the path */
static struct sc_entry *find(struct statcache *c, const char *path)
{
	size_t pos;
	if (c->next < map_count(&c->m) && !strcmp(map_key(&c->m, c->next, NULL), path))
		return map_value(&c->m, c->next++);
	if (!map_findn(&c->m, path, strlen(path), &pos))
		return NULL;
	c->next = pos + 1;
	return map_value(&c->m, pos);
}

/* the capability value cap (caplen bytes) as e's */
static void set_cap(struct statcache *c, struct sc_entry *e, const void *cap, size_t caplen)
{
	e->cap = caplen ? memcpy(arena_alloc(c->a, caplen), cap, caplen) : NULL;
	e->caplen = caplen;
}

/* a number in base (at most 16) at *p followed by one space (none: false); no strtoull, which
   checks for a locale, signs and blanks on each of a few hundred thousand fields */
static bool take_u(char **p, unsigned base, unsigned long long *v)
{
	const char *q = *p;
	unsigned long long x = 0;
	for (;; q++) {
		unsigned d = *q >= '0' && *q <= '9' ? (unsigned)(*q - '0') : *q >= 'a' && *q <= 'f' ? (unsigned)(*q - 'a' + 10) : 99;
		if (d >= base)
			break;
		if (x > (ULLONG_MAX - d) / base)
			return false;
		x = x * base + d;
	}
	if (q == *p || *q != ' ')
		return false;
	*v = x;
	*p = (char *)q + 1;
	return true;
}

static bool take_s(char **p, long long *v)
{
	bool neg = **p == '-';
	unsigned long long x;
	if (neg)
		(*p)++;
	if (!take_u(p, 10, &x) || x > (unsigned long long)LLONG_MAX)
		return false;
	*v = neg ? -(long long)x : (long long)x;
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* one entry line (NUL-terminated, no newline) into t's fields, cap and path; false when malformed */
static bool parse_entry(char *line, struct sc_entry *t, unsigned char *cap, size_t *caplen, char **path)
{
	char *p = line;
	long long smt, sct;
	if (!take_u(&p, 16, &t->dev) || !take_u(&p, 10, &t->ino) || !take_u(&p, 10, &t->size) ||
	    !take_u(&p, 8, &t->mode) || !take_s(&p, &smt) || !take_s(&p, &sct))
		return false;
	t->mtime = smt;
	t->ctime = sct;
	for (int i = 0; i < KEY_HEX - 1; i++)
		if (hexval(p[i]) < 0)
			return false;
	if (p[KEY_HEX - 1] != ' ')
		return false;
	memcpy(t->hash, p, KEY_HEX - 1);
	t->hash[KEY_HEX - 1] = 0;
	p += KEY_HEX;
	*caplen = 0;
	if (*p == '-') {
		p++;
	} else {
		while (hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
			if (*caplen == STATCACHE_CAP_MAX)
				return false;
			cap[(*caplen)++] = (unsigned char)(hexval(p[0]) << 4 | hexval(p[1]));
			p += 2;
		}
		if (!*caplen)
			return false;
	}
	if (*p++ != ' ' || !*p)
		return false;
	*path = p;
	return true;
}

static void load(struct statcache *c)
{
	size_t len;
	char *data = read_file(c->file, &len);
	if (!data)
		return;
	char *nl = memchr(data, '\n', len);
	long long saved_start;
	unsigned long long sum;
	char magic[sizeof STATCACHE_MAGIC + 1];
	if (!nl || sscanf(data, "%19s %lld %llx ", magic, &saved_start, &sum) != 3 || strcmp(magic, STATCACHE_MAGIC) ||
	    XXH3_64bits(nl + 1, len - (size_t)(nl + 1 - data)) != sum) {
		free(data);
		return;
	}
	size_t lines = 0;
	for (char *q = nl + 1; (q = memchr(q, '\n', len - (size_t)(q - data))); q++)
		lines++;
	map_reserve(&c->m, lines);
	/* an entry racily clean for the run that hashed it is never trusted */
	char *end = data + len;
	for (char *line = nl + 1; line < end;) {
		char *next = memchr(line, '\n', (size_t)(end - line));
		if (!next)
			break;
		*next = 0;
		struct sc_entry t = {0};
		unsigned char cap[STATCACHE_CAP_MAX];
		size_t caplen;
		char *path;
		if (parse_entry(line, &t, cap, &caplen, &path) && !racy(t.mtime, saved_start) &&
		    !racy(t.ctime, saved_start)) {
			/* not hashed unless a lookup misses its guess (find) */
			struct sc_entry *e = map_append(&c->m, path, strlen(path));
			*e = t;
			set_cap(c, e, cap, caplen);
		}
		line = next + 1;
	}
	free(data);
}

char *statcache_context_file(const char *store_root, const char *dir)
{
	char *abs = realpath(dir, NULL);
	struct stat st;
	if (!abs || strchr(abs, '\n') || stat(abs, &st) < 0) {
		free(abs);
		return NULL;
	}
	size_t n = strlen(abs) + 1;
	unsigned long long id[2] = {(unsigned long long)st.st_dev, (unsigned long long)st.st_ino};
	char *key = xmalloc(n + sizeof id);
	memcpy(key, abs, n);
	memcpy(key + n, id, sizeof id);
	XXH128_hash_t d = XXH3_128bits(key, n + sizeof id);
	free(key);
	free(abs);
	return xasprintf("%s/statcache/%016llx%016llx", store_root, (unsigned long long)d.high64,
			 (unsigned long long)d.low64);
}

struct statcache *statcache_open(const char *file, const char *root)
{
	struct statcache *c = xcalloc(1, sizeof *c);
	c->file = xstrdup(file);
	/* absolute, so gc finds the context again */
	c->root = realpath(root, NULL);
	if (!c->root)
		c->root = xstrdup(root);
	struct timespec now;
	/* file times come from the coarse clock: a write after this point gets a time not below it */
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	c->start = ns_of(now);
	c->a = arena_new();
	map_init(&c->m, c->a, sizeof(struct sc_entry));
	load(c);
	return c;
}

static bool same(const struct sc_entry *e, const struct stat *st)
{
	return e->dev == (unsigned long long)st->st_dev && e->ino == (unsigned long long)st->st_ino &&
	       e->size == (unsigned long long)st->st_size && e->mode == (unsigned long long)st->st_mode &&
	       e->mtime == ns_of(st->st_mtim) && e->ctime == ns_of(st->st_ctim);
}

int statcache_get(struct statcache *c, const char *path, const struct stat *st, char hex[KEY_HEX], void *cap,
		  size_t *caplen)
{
	struct sc_entry *e = find(c, path);
	if (!e && *path && !strchr(path, '\n'))
		/* its place in the order of lookups, which the file is saved in, is taken now: a
		   put may come later (a file hashed on another thread) */
		e = map_put(&c->m, path, NULL);
	if (e && !e->seq)
		e->seq = ++c->seq;
	if (!e || !e->hash[0] || !S_ISREG(st->st_mode) || !same(e, st))
		return 0;
	memcpy(hex, e->hash, KEY_HEX);
	if (e->caplen)
		memcpy(cap, e->cap, e->caplen);
	*caplen = e->caplen;
	return 1;
}

void statcache_put(struct statcache *c, const char *path, const struct stat *st, const char hex[KEY_HEX],
		   const void *cap, size_t caplen)
{
	/* a name the line format cannot hold, or a value too long for it, is hashed every time */
	if (!*path || strchr(path, '\n') || caplen > STATCACHE_CAP_MAX || strlen(hex) != KEY_HEX - 1)
		return;
	struct sc_entry *e = find(c, path);
	if (!e)
		e = map_put(&c->m, path, NULL);
	e->dev = (unsigned long long)st->st_dev;
	e->ino = (unsigned long long)st->st_ino;
	e->size = (unsigned long long)st->st_size;
	e->mode = (unsigned long long)st->st_mode;
	e->mtime = ns_of(st->st_mtim);
	e->ctime = ns_of(st->st_ctim);
	memcpy(e->hash, hex, KEY_HEX);
	set_cap(c, e, cap, caplen);
	if (!e->seq)
		e->seq = ++c->seq;
	c->dirty = true;
}

/* v in base (8, 10 or 16) and a space, as printf would, only faster: a touched context writes
   every entry again */
static void put_u(struct buf *b, unsigned long long v, unsigned base)
{
	char t[24];
	size_t i = sizeof t;
	t[--i] = ' ';
	do
		t[--i] = "0123456789abcdef"[v % base];
	while ((v /= base));
	buf_putn(b, t + i, sizeof t - i);
}

static void put_s(struct buf *b, long long v)
{
	if (v < 0) {
		buf_putc(b, '-');
		put_u(b, 0ULL - (unsigned long long)v, 10);
	} else {
		put_u(b, (unsigned long long)v, 10);
	}
}

static int save(struct statcache *c, struct error *err)
{
	if (!c->dirty)
		return 0;
	int rootfd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat rst;
	if (rootfd < 0 || fstat(rootfd, &rst) < 0) {
		if (rootfd >= 0)
			close(rootfd);
		return err_sys(err, "%s", c->root);
	}
	/* in the order of this run's lookups, which the next run's walk repeats, then the others */
	size_t n = map_count(&c->m);
	size_t *order = xmalloc((n + 1) * sizeof *order), no = c->seq;
	for (size_t k = 0; k < n; k++) {
		const struct sc_entry *e = map_value(&c->m, k);
		if (e->seq)
			order[e->seq - 1] = k;
		else
			order[no++] = k;
	}
	struct buf b;
	buf_init(&b, NULL);
	for (size_t i = 0; i < no; i++) {
		const struct sc_entry *e = map_value(&c->m, order[i]);
		const char *path = map_key(&c->m, order[i], NULL);
		struct stat st;
		if (!e->hash[0])
			continue;
		/* an entry of another build's sources stays while its file is as it was */
		if (!e->seq && (fstatat(rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !same(e, &st)))
			continue;
		put_u(&b, e->dev, 16);
		put_u(&b, e->ino, 10);
		put_u(&b, e->size, 10);
		put_u(&b, e->mode, 8);
		put_s(&b, e->mtime);
		put_s(&b, e->ctime);
		buf_putn(&b, e->hash, KEY_HEX - 1);
		buf_putc(&b, ' ');
		if (!e->caplen)
			buf_putc(&b, '-');
		for (size_t i = 0; i < e->caplen; i++) {
			buf_putc(&b, "0123456789abcdef"[e->cap[i] >> 4]);
			buf_putc(&b, "0123456789abcdef"[e->cap[i] & 15]);
		}
		buf_putc(&b, ' ');
		buf_puts(&b, path);
		buf_putc(&b, '\n');
	}
	close(rootfd);
	free(order);
	char *head = xasprintf(STATCACHE_MAGIC " %lld %016llx %llx %llu %s\n", c->start,
			       (unsigned long long)XXH3_64bits(b.s, b.len), (unsigned long long)rst.st_dev,
			       (unsigned long long)rst.st_ino, c->root);
	/* the folder of the store's caches is made on first use, private as the store is */
	char *dir = xstrdup(c->file), *sl = strrchr(dir, '/');
	if (sl && sl != dir) {
		*sl = 0;
		(void)mkdir(dir, 0700);
	}
	free(dir);
	/* no fsync: a cache torn by a crash fails its checksum and costs one hashing, nothing more */
	struct buf all;
	buf_init(&all, NULL);
	buf_puts(&all, head);
	buf_putn(&all, b.s, b.len);
	int r = atomic_write_cache(c->file, all.s, all.len, 0600, err);
	buf_free(&all);
	free(head);
	buf_free(&b);
	return r;
}

int statcache_close(struct statcache *c, struct error *err)
{
	if (!c)
		return 0;
	int r = save(c, err);
	map_free(&c->m);
	arena_free(c->a);
	free(c->file);
	free(c->root);
	free(c);
	return r;
}

long long statcache_gc(const char *store_root)
{
	char *dir = xasprintf("%s/statcache", store_root);
	DIR *d = opendir(dir);
	long long n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		char head[PATH_MAX + 128];
		size_t len = 0;
		int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t k = read(fd, head, sizeof head - 1);
			len = k > 0 ? (size_t)k : 0;
			close(fd);
		}
		head[len] = 0;
		char *nl = strchr(head, '\n'), root[PATH_MAX + 1];
		unsigned long long dev, ino, sum;
		long long start;
		int off = 0;
		struct stat st, fst;
		bool keep;
		if (lstat(p, &fst) < 0)
			keep = true;
		else if (strstr(de->d_name, ".tmp")) /* a save cut short: gone after an hour */
			keep = fst.st_mtime > time(NULL) - 3600;
		else if (nl && (*nl = 0, sscanf(head, STATCACHE_MAGIC " %lld %llx %llx %llu %n", &start, &sum, &dev, &ino, &off) == 4) && off)
			keep = snprintf(root, sizeof root, "%s", head + off) < (int)sizeof root && stat(root, &st) == 0 &&
			       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
		else
			keep = false;
		if (!keep && unlink(p) == 0)
			n += (long long)fst.st_size;
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return n;
}
