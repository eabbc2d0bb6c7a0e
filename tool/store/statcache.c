#include "statcache.h"

#include <errno.h>
#include <fcntl.h>
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
#include "util.h"

#define STATCACHE_MAGIC "strata-statcache-1"

struct sc_entry {
	char *path;
	unsigned long long dev, ino, size, mode;
	long long mtime, ctime;         /* ns since the epoch */
	char hash[KEY_HEX];
	bool used;                      /* looked up in this run: kept when saving */
};

struct statcache {
	char *file;
	long long start;                /* this run's start (the file system's coarse clock), ns */
	long long saved_start;          /* the start of the run that wrote the file */
	struct sc_entry *e;
	size_t n, cap;
	uint32_t *index;                /* slot -> position + 1, 0 empty */
	size_t nindex;
	bool dirty;
};

static long long ns_of(struct timespec t)
{
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static size_t slot_of(const struct statcache *c, const char *path)
{
	size_t mask = c->nindex - 1, i = (size_t)XXH3_64bits(path, strlen(path)) & mask;
	while (c->index[i] && strcmp(c->e[c->index[i] - 1].path, path))
		i = (i + 1) & mask;
	return i;
}

static void reindex(struct statcache *c)
{
	free(c->index);
	c->nindex = 64;
	while (c->nindex < 2 * c->cap)
		c->nindex *= 2;
	c->index = xcalloc(c->nindex, sizeof *c->index);
	for (size_t k = 0; k < c->n; k++)
		c->index[slot_of(c, c->e[k].path)] = (uint32_t)(k + 1);
}

static struct sc_entry *find(struct statcache *c, const char *path)
{
	uint32_t p = c->index[slot_of(c, path)];
	return p ? &c->e[p - 1] : NULL;
}

static struct sc_entry *add(struct statcache *c, const char *path)
{
	if (c->n == c->cap) {
		c->e = array_grow(c->e, &c->cap, c->n + 1, sizeof *c->e, NULL);
		reindex(c);
	}
	struct sc_entry *e = &c->e[c->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path);
	c->index[slot_of(c, path)] = (uint32_t)c->n;
	return e;
}

static void load(struct statcache *c)
{
	size_t len;
	char *data = read_file(c->file, &len);
	if (!data)
		return;
	char *save, *line = strtok_r(data, "\n", &save);
	if (!line || sscanf(line, STATCACHE_MAGIC " %lld", &c->saved_start) != 1) {
		free(data);
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		struct sc_entry t;
		int off = 0;
		if (sscanf(line, "%llx %llu %llu %llo %lld %lld %32s %n", &t.dev, &t.ino, &t.size, &t.mode, &t.mtime,
			   &t.ctime, t.hash, &off) != 7 || !off || !line[off] || strlen(t.hash) != KEY_HEX - 1)
			continue;
		if (find(c, line + off))
			continue;
		struct sc_entry *e = add(c, line + off);
		char *p = e->path;
		*e = t;
		e->path = p;
		e->used = false;
		/* an entry racily clean for the run that hashed it is never trusted */
		if (e->mtime >= c->saved_start || e->ctime >= c->saved_start)
			e->hash[0] = 0;
	}
	free(data);
}

struct statcache *statcache_open(const char *path)
{
	struct statcache *c = xcalloc(1, sizeof *c);
	c->file = xstrdup(path);
	struct timespec now;
	/* file times come from the coarse clock: a write after this point gets a time not below it */
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	c->start = ns_of(now);
	reindex(c);
	load(c);
	return c;
}

int statcache_hash(struct statcache *c, const char *path, int fd, const struct stat *st, char hex[KEY_HEX])
{
	struct sc_entry *e = find(c, path);
	if (e && e->hash[0] && e->dev == (unsigned long long)st->st_dev && e->ino == (unsigned long long)st->st_ino &&
	    e->size == (unsigned long long)st->st_size && e->mode == (unsigned long long)st->st_mode &&
	    e->mtime == ns_of(st->st_mtim) && e->ctime == ns_of(st->st_ctim)) {
		if (!e->used)
			e->used = true;
		memcpy(hex, e->hash, KEY_HEX);
		return 0;
	}
	if (key_fd(fd, hex) < 0)
		return -1;
	if (!e)
		e = add(c, path);
	e->dev = (unsigned long long)st->st_dev;
	e->ino = (unsigned long long)st->st_ino;
	e->size = (unsigned long long)st->st_size;
	e->mode = (unsigned long long)st->st_mode;
	e->mtime = ns_of(st->st_mtim);
	e->ctime = ns_of(st->st_ctim);
	memcpy(e->hash, hex, KEY_HEX);
	e->used = true;
	c->dirty = true;
	return 0;
}

static int save(struct statcache *c, struct error *err)
{
	bool dropped = false;
	for (size_t k = 0; k < c->n; k++)
		dropped |= !c->e[k].used;
	/* racy entries must be saved against this run's start so the next run hashes them again */
	if (!c->dirty && !dropped)
		return 0;
	struct buf b;
	buf_init(&b, NULL);
	buf_printf(&b, STATCACHE_MAGIC " %lld\n", c->start);
	for (size_t k = 0; k < c->n; k++) {
		const struct sc_entry *e = &c->e[k];
		if (e->used)
			buf_printf(&b, "%llx %llu %llu %llo %lld %lld %s %s\n", e->dev, e->ino, e->size, e->mode,
				   e->mtime, e->ctime, e->hash, e->path);
	}
	int r = atomic_write(c->file, b.s, b.len, 0644, err);
	buf_free(&b);
	return r;
}

int statcache_close(struct statcache *c, struct error *err)
{
	if (!c)
		return 0;
	int r = save(c, err);
	for (size_t k = 0; k < c->n; k++)
		free(c->e[k].path);
	free(c->e);
	free(c->index);
	free(c->file);
	free(c);
	return r;
}
