#include "copy.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "hashpool.h"
#include "ignore.h"
#include "key.h"
#include "layer.h"
#include "map.h"
#include "statcache.h"
#include "untar.h"
#include "utf8.h"
#include "util.h"

struct srcfile {
	const char *rel;      /* below the match: "" for the match itself */
	const char *host;     /* host path, NULL for data */
	struct stat st;
	const char *link;
	const char *data;
	size_t datalen;
	char *cap;
	size_t caplen;
	char hash[KEY_HEX];
	struct layer_src src;         /* a regular file: how the layer reads what was hashed */
	size_t group;                 /* a file with more links: its link group, numbered in walk order */
	unsigned long long link_key;  /* the same group, unique in this process (layer_entry.hardlink_key) */
};

struct srcmatch {
	const char *rel;      /* the match below root; a heredoc's name */
	size_t strip;         /* --parents: the leading components of rel not kept (before a "/./") */
	bool dir;
	bool data;
	struct srcfile *files;
	size_t n, cap;
};

struct link_group {
	size_t group;                 /* srcfile.group */
	unsigned long long key;       /* srcfile.link_key */
};

struct copy_src {
	struct arena *a;
	const struct copy_opts *o;
	struct srcmatch *m;
	size_t n, cap;
	bool context;
	struct ignore *exclude;       /* --exclude, matched below each source */
	struct map links;             /* files with more links: (dev, ino) -> struct link_group */
	int rootfd;                   /* o->root, which every source is opened below */
	struct copy_src *owned;       /* archives ADD extracted, freed with this */
	struct strv globbed;          /* host directories a wildcard was matched in */
	struct hashpool *pool;        /* hashing the files the stat cache could not vouch for */
	struct pending *pending;      /* what each job of the pool is for (malloc'd) */
	size_t npending, cappending;
	bool drain_err;               /* a result failed: the others are only taken */
};

static char *join(struct arena *a, const char *x, const char *y)
{
	if (!*x)
		return arena_strdup(a, y);
	if (!*y)
		return arena_strdup(a, x);
	/* no printf: the walk joins a few names per file of the context */
	size_t nx = strlen(x), ny = strlen(y);
	char *p = arena_alloc(a, nx + ny + 2);
	memcpy(p, x, nx);
	p[nx] = '/';
	memcpy(p + nx + 1, y, ny + 1);
	return p;
}

/* one bracket class of Go's filepath.Match at *pp against c; -1 when malformed */
static int match_class(const char **pp, unsigned char c)
{
	const char *p = *pp + 1;
	bool neg = false, ok = false;
	if (*p == '^')
		neg = true, p++;
	for (bool first = true; first || *p != ']'; first = false) {
		if (!*p)
			return -1;
		unsigned char lo = (unsigned char)*p++, hi;
		if (lo == '\\' && !(lo = (unsigned char)*p++))
			return -1;
		hi = lo;
		if (*p == '-' && p[1] != ']') {
			p++;
			hi = (unsigned char)*p++;
			if (hi == '\\' && !(hi = (unsigned char)*p++))
				return -1;
			if (!hi)
				return -1;
		}
		if (lo <= c && c <= hi)
			ok = true;
	}
	*pp = p + 1;
	return ok != neg;
}

/* Go's filepath.Match for one path element ('*' and '?' never match '/'; only '^' negates a class) */
static bool go_match(const char *p, const char *s)
{
	const char *star = NULL, *ss = NULL;
	while (*s) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star = p, ss = s;
			continue;
		}
		if (*p == '?' && *s != '/') {
			p++, s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p;
			int m = match_class(&q, (unsigned char)*s);
			if (m < 0)
				return false;
			if (m && *s != '/') {
				p = q, s++;
				continue;
			}
		} else if (*p == '\\' && p[1] && p[1] == *s) {
			p += 2, s++;
			continue;
		} else if (*p && *p != '\\' && *p != '?' && *p == *s) {
			p++, s++;
			continue;
		}
		if (!star || *ss == '/')
			return false;
		p = star, s = ++ss;
	}
	while (*p == '*')
		p++;
	return !*p;
}

static bool has_meta(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* push the components of path onto todo, last first, so that they pop in order */
static void push_components(struct arena *a, struct strv *todo, const char *path)
{
	char *work = arena_strdup(a, path);
	struct strv parts;
	strv_init(&parts, a);
	for (char *save, *t = strtok_r(work, "/", &save); t; t = strtok_r(NULL, "/", &save))
		strv_push(&parts, t);
	for (size_t i = parts.n; i-- > 0;)
		strv_push(todo, parts.v[i]);
}

/* resolve below root; an escape is clamped at root, or with !clamp NULL with errno EXDEV; a
   symlink loop is NULL with ELOOP */
static char *resolve(struct arena *a, const char *root, const char *rel, bool clamp, bool follow_last)
{
	struct strv todo;
	strv_init(&todo, a);
	char *cur = arena_strdup(a, "");
	push_components(a, &todo, rel);
	int hops = 0;
	while (todo.n) {
		char *c = todo.v[--todo.n];
		if (!strcmp(c, ".") || !*c)
			continue;
		if (!strcmp(c, "..")) {
			if (!*cur) {
				if (!clamp)
					return errno = EXDEV, NULL;
				continue;
			}
			char *sl = strrchr(cur, '/');
			if (sl)
				*sl = 0;
			else
				cur[0] = 0;
			continue;
		}
		char *next = join(a, cur, c);
		char *host = arena_printf(a, "%s/%s", root, next);
		struct stat st;
		if (lstat(host, &st) == 0 && S_ISLNK(st.st_mode) && (todo.n > 0 || follow_last)) {
			if (++hops > 40)
				return errno = ELOOP, NULL;
			char buf[PATH_MAX];
			ssize_t k = readlink(host, buf, sizeof buf - 1);
			if (k < 0)
				return NULL;
			buf[k] = 0;
			if (buf[0] == '/') {
				if (!clamp)
					return errno = EXDEV, NULL;
				cur = arena_strdup(a, "");
			}
			push_components(a, &todo, buf);
			continue;
		}
		cur = next;
	}
	return cur;
}

char *copy_resolve(struct arena *a, const char *root, const char *rel)
{
	return resolve(a, root, rel, true, true);
}

static struct srcmatch *add_match(struct copy_src *s, const char *rel)
{
	s->m = array_grow(s->m, &s->cap, s->n + 1, sizeof *s->m, s->a);
	struct srcmatch *m = &s->m[s->n++];
	memset(m, 0, sizeof *m);
	m->rel = rel;
	return m;
}

static struct srcfile *add_file(struct srcmatch *m)
{
	/* malloc'd, not in the arena, so the old copies are freed as it grows; copy_free frees it */
	m->files = array_grow(m->files, &m->cap, m->n + 1, sizeof *m->files, NULL);
	struct srcfile *f = &m->files[m->n++];
	memset(f, 0, sizeof *f);
	return f;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

static bool same_content(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int changed(struct error *err, const char *host)
{
	return err_set(err, "%s: changed while it was copied; build again", qname(host));
}

/* the file a job of the hash pool is for: s->m[mi].files[fi] (arrays that may move meanwhile) */
struct pending {
	size_t mi, fi;
};

/* the result of a file's hashing into its srcfile, checked against what the walk saw (f->st) */
static int apply_hash(struct copy_src *s, const struct pending *p, const struct hashpool_result *r,
		      struct error *err)
{
	struct srcfile *f = &s->m[p->mi].files[p->fi];
	if (r->err && !r->opened && (r->err == ELOOP || r->err == ENOENT || r->err == ENXIO))
		return changed(err, f->host);
	if (r->err) {
		errno = r->err;
		return err_sys(err, "%s", qname(f->host));
	}
	/* the stat the walk took before the open is the one after the read: the content read is
	   the content it describes */
	if (!same_content(&f->st, &r->after))
		return changed(err, f->host);
	memcpy(f->hash, r->hash, KEY_HEX);
	f->st = r->after;
	f->src.st = r->after;
	if (r->caplen) {
		f->cap = arena_alloc(s->a, r->caplen);
		memcpy(f->cap, r->cap, r->caplen);
		f->caplen = r->caplen;
	}
	if (s->o && s->o->cache)
		statcache_put(s->o->cache, f->src.rel, &r->after, f->hash, r->cap, r->caplen);
	return 0;
}

/* take the oldest result (waiting for it, with wait) and apply it; after an error results are
   only taken; 1 taken, 0 none, -1 error */
static int take(struct copy_src *s, bool wait, struct error *err)
{
	struct hashpool_result r;
	if (!s->pool || !hashpool_take(s->pool, wait, &r))
		return 0;
	if (!s->drain_err && apply_hash(s, &s->pending[r.tag], &r, err) < 0) {
		s->drain_err = true;
		return -1;
	}
	return 1;
}

/* take the finished results (all of them, waiting, with all) */
static int drain(struct copy_src *s, bool all, struct error *err)
{
	int k, rc = 0;
	while ((k = take(s, all, err)) != 0)
		if (k < 0)
			rc = -1;
	return rc;
}

/* hand s->m[mi].files[fi], name in dir, of size bytes, to the hash pool (a full pool gives back
   its oldest result first) */
static int queue_hash(struct copy_src *s, size_t mi, size_t fi, struct hashpool_dir *dir, const char *name,
		      off_t size, struct error *err)
{
	if (!s->pool)
		s->pool = hashpool_new();
	while (hashpool_full(s->pool))
		if (take(s, true, err) < 0)
			return -1;
	s->pending = array_grow(s->pending, &s->cappending, s->npending + 1, sizeof *s->pending, NULL);
	s->pending[s->npending] = (struct pending){.mi = mi, .fi = fi};
	hashpool_submit(s->pool, dir, name, size, s->npending++);
	return drain(s, false, err);
}

/* fill f from name (which outlives the step) in dir, as seen (lstat) by the walk, never following
   a symlink: a regular file is hashed by the pool (the layer, if one is written, opens it again
   and checks it is the file hashed); a directory's descriptor goes to *dirout (when set); what is
   no longer what the walk saw fails */
static int fill_at(struct copy_src *s, struct srcfile *f, struct hashpool_dir *dir, const char *name,
		   const char *host, const char *rrel, const struct stat *seen, int *dirout, struct error *err)
{
	f->host = host;
	f->st = *seen;
	if (S_ISLNK(seen->st_mode)) {
		char buf[PATH_MAX];
		ssize_t k = readlinkat(dir->fd, name, buf, sizeof buf - 1);
		if (k < 0 && errno == EINVAL)
			return changed(err, host);
		if (k < 0)
			return err_sys(err, "readlink %s", qname(host));
		f->link = arena_strndup(s->a, buf, (size_t)k);
	} else if (S_ISREG(seen->st_mode) && s->o && s->o->list_only) {
		return 0;
	} else if (S_ISREG(seen->st_mode)) {
		struct statcache *cache = s->o ? s->o->cache : NULL;
		unsigned char cap[STATCACHE_CAP_MAX];
		size_t caplen = 0;
		f->src.rootfd = s->rootfd;
		f->src.rel = rrel;
		f->src.st = *seen;
		if (cache && statcache_get(cache, rrel, seen, f->hash, cap, &caplen)) {
			/* unchanged since it was hashed: not opened at all */
			if (caplen) {
				f->cap = arena_alloc(s->a, caplen);
				memcpy(f->cap, cap, caplen);
				f->caplen = caplen;
			}
		} else if (queue_hash(s, s->n - 1, (size_t)(f - s->m[s->n - 1].files), dir, name, seen->st_size, err) < 0) {
			/* hashed on a helper thread while the walk goes on; the match is the last one */
			return -1;
		}
		if (seen->st_nlink > 1) {
			/* hard links are kept: group them by inode, but key them by walk order, which
			   a copy of the tree (cp -a, another checkout) keeps and its inodes do not */
			static unsigned long long next_key;
			unsigned long long id[2] = {(unsigned long long)seen->st_dev, (unsigned long long)seen->st_ino};
			bool added;
			struct link_group *g = map_putn(&s->links, id, sizeof id, &added);
			if (added) {
				g->group = map_count(&s->links);
				g->key = __atomic_add_fetch(&next_key, 1, __ATOMIC_RELAXED);
			}
			f->group = g->group;
			f->link_key = g->key;
		}
	} else if (S_ISDIR(seen->st_mode) && dirout) {
		int fd = openat_noatime(dir->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == ENOENT))
			return changed(err, host);
		if (fd < 0)
			return err_sys(err, "%s", qname(host));
		struct stat st;
		if (fstat(fd, &st) < 0 || !same_file(&st, seen)) {
			close(fd);
			return changed(err, host);
		}
		*dirout = fd;
	}
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool excluded(const struct copy_src *s, const char *ctxrel, const char *below)
{
	const struct copy_opts *o = s->o;
	if (o->ignore && ctxrel && ignore_match(o->ignore, ctxrel))
		return true;
	return s->exclude && ignore_match(s->exclude, below);
}

/* walk the directory dfd (host, rrel below root) in sorted order, every entry taken relative to its
   directory's descriptor: a directory swapped for a symlink meanwhile is never gone through */
static int walk(struct copy_src *s, struct srcmatch *m, struct hashpool_dir *dir, const char *host,
		const char *rrel, const char *ctxrel, const char *below, int depth, struct error *err)
{
	if (depth > 256)
		return err_set(err, "%s: directories nested too deep", qname(host));
	int dup = fcntl(dir->fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	if (!d) {
		if (dup >= 0)
			close(dup);
		return err_sys(err, "%s", qname(host));
	}
	struct strv names;
	strv_init(&names, s->a);
	if (dir_names(d, &names) < 0)
		return err_sys(err, "reading %s", qname(host));
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		char *b = join(s->a, below, names.v[i]);
		char *rr = join(s->a, rrel, names.v[i]);
		/* the context's path of an entry is its path below root */
		char *cr = ctxrel ? rr : NULL;
		char *h = *host ? join(s->a, host, names.v[i]) : arena_printf(s->a, "/%s", names.v[i]);
		bool ex = excluded(s, cr, b);
		struct stat st;
		if (fstatat(dir->fd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				return changed(err, h);
			return err_sys(err, "%s", qname(h));
		}
		if (ex && !(S_ISDIR(st.st_mode) && s->o->ignore && ignore_has_exceptions(s->o->ignore)))
			continue;
		size_t at = m->n;
		struct srcfile *f = add_file(m);
		f->rel = b;
		int sub = -1;
		if (fill_at(s, f, dir, names.v[i], h, rr, &st, S_ISDIR(st.st_mode) ? &sub : NULL, err) < 0)
			return -1;
		if (sub >= 0) {
			/* the pool's jobs in it hold it too */
			struct hashpool_dir *sd = hashpool_dir_new(sub);
			int r = walk(s, m, sd, h, rr, cr, b, depth + 1, err);
			hashpool_dir_put(sd);
			if (r < 0)
				return -1;
		}
		/* an excluded directory walked for its exceptions stays only when one matched inside */
		if (ex && m->n == at + 1)
			m->n = at;
	}
	return 0;
}

/* expand a wildcard pattern (cleaned, relative) segment by segment */
static void glob_expand(struct copy_src *s, const char *pat, struct strv *out)
{
	struct strv cur, next;
	strv_init(&cur, s->a);
	strv_push(&cur, arena_strdup(s->a, ""));
	/* whether the last component of cur.v[i] came from a wildcard: such a symlinked directory
	   is not gone through, as filepath.Walk does not; a literal prefix is followed */
	bool *wild = arena_alloc(s->a, sizeof *wild), *nwild;
	wild[0] = false;
	char *work = arena_strdup(s->a, pat);
	for (char *save, *seg = strtok_r(work, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		strv_init(&next, s->a);
		struct strv flags;
		strv_init(&flags, s->a);
		for (size_t i = 0; i < cur.n; i++) {
			if (s->o->parents && !strcmp(seg, "**")) {
				/* any depth, this directory included: its real subdirectories, sorted */
				size_t at = next.n;
				strv_push(&next, cur.v[i]);
				for (size_t k = at; k < next.n && next.n - at < 100000; k++) {
					char *dir = resolve(s->a, s->o->root, next.v[k], !s->context, !wild[i] || k > at);
					DIR *d = dir ? opendir(*dir ? arena_printf(s->a, "%s/%s", s->o->root, dir) : s->o->root) : NULL;
					if (!d)
						continue;
					struct strv sub;
					strv_init(&sub, s->a);
					struct dirent *e;
					struct stat dst;
					while ((e = readdir(d))) {
						if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
							continue;
						char *sp = join(s->a, next.v[k], e->d_name);
						/* real directories only: ** goes through no symlink */
						if (e->d_type == DT_DIR ||
						    (e->d_type == DT_UNKNOWN && dir &&
						     lstat(arena_printf(s->a, "%s/%s/%s", s->o->root, dir, e->d_name), &dst) == 0 &&
						     S_ISDIR(dst.st_mode)))
							strv_push(&sub, sp);
					}
					closedir(d);
					if (sub.n)
						qsort(sub.v, sub.n, sizeof *sub.v, cmp_str);
					for (size_t j = 0; j < sub.n; j++)
						strv_push(&next, sub.v[j]);
				}
				for (size_t k = at; k < next.n; k++)
					strv_push(&flags, "w");
				continue;
			}
			if (!has_meta(seg)) {
				strv_push(&next, join(s->a, cur.v[i], seg));
				strv_push(&flags, NULL);
				continue;
			}
			char *dir = resolve(s->a, s->o->root, cur.v[i], !s->context, !wild[i]);
			if (!dir)
				continue;
			char *host = arena_printf(s->a, "%s/%s", s->o->root, dir);
			struct stat lst;
			if (*dir && (lstat(host, &lst) < 0 || !S_ISDIR(lst.st_mode)))
				continue;
			DIR *d = opendir(host);
			if (!d)
				continue;
			strv_push(&s->globbed, host);
			struct strv names;
			strv_init(&names, s->a);
			struct dirent *e;
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && go_match(seg, e->d_name))
					strv_push(&names, arena_strdup(s->a, e->d_name));
			closedir(d);
			if (names.n)
				qsort(names.v, names.n, sizeof *names.v, cmp_str);
			for (size_t k = 0; k < names.n; k++) {
				strv_push(&next, join(s->a, cur.v[i], names.v[k]));
				strv_push(&flags, "w");
			}
		}
		nwild = arena_alloc(s->a, (next.n + 1) * sizeof *nwild);
		for (size_t i = 0; i < next.n; i++)
			nwild[i] = flags.v[i] != NULL;
		cur = next;
		wild = nwild;
	}
	for (size_t i = 0; i < cur.n; i++)
		strv_push(out, cur.v[i]);
}

static int add_source(struct copy_src *s, const char *rel, size_t strip, const char *pattern, bool wild,
		      struct error *err)
{
	const struct copy_opts *o = s->o;
	if (s->context && o->ignore && *rel && ignore_match(o->ignore, rel)) {
		if (wild)
			return 0;
		return err_set(err, "%s: not found in %s (excluded by .dockerignore)", qname(pattern), o->what);
	}
	char *res = resolve(s->a, o->root, rel, !s->context, true);
	if (!res && errno == EXDEV)
		return err_set(err, "%s: forbidden path outside %s", qname(pattern), o->what);
	if (!res)
		return err_sys(err, "%s", qname(pattern));
	/* a symlink must not reach what .dockerignore keeps out of the context */
	if (s->context && o->ignore && *res && ignore_match(o->ignore, res)) {
		if (wild)
			return 0;
		return err_set(err, "%s: not found in %s (excluded by .dockerignore)", qname(pattern), o->what);
	}
	/* --exclude applies to the sources themselves too */
	if (s->exclude && *rel && ignore_match(s->exclude, rel))
		return 0;
	char *host = *res ? arena_printf(s->a, "%s/%s", o->root, res) : arena_strdup(s->a, o->root);
	/* what resolve found, opened inside root as the tree is now: its directory, then the entry
	   itself without following it */
	char *dir = arena_strdup(s->a, res), *name = strrchr(dir, '/');
	const char *base = *res ? res : ".";
	int pfd = s->rootfd;
	if (name) {
		*name = 0;
		base = name + 1;
	}
	if (name && (pfd = openat_root(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(err, "%s: not found in %s", qname(pattern), o->what);
		if (errno == ELOOP)
			return changed(err, host);
		return err_sys(err, "%s", qname(host));
	}
	if (pfd == s->rootfd && (pfd = fcntl(s->rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return err_sys(err, "%s", qname(o->root));
	struct hashpool_dir *pd = hashpool_dir_new(pfd), *sd = NULL;
	struct stat st;
	int r = -1, sub = -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			err_set(err, "%s: not found in %s", qname(pattern), o->what);
		else
			err_sys(err, "%s", qname(host));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) { /* resolve followed every symlink: this one came after */
		changed(err, host);
		goto out;
	}
	struct srcmatch *m = add_match(s, arena_strdup(s->a, rel));
	m->strip = strip;
	struct srcfile *f = add_file(m);
	f->rel = "";
	if (fill_at(s, f, pd, base, host, res, &st, S_ISDIR(st.st_mode) ? &sub : NULL, err) < 0)
		goto out;
	r = 0;
	if (sub >= 0) {
		m->dir = true;
		sd = hashpool_dir_new(sub);
		r = walk(s, m, sd, host, res, s->context ? res : NULL, "", 0, err);
	}
out:
	hashpool_dir_put(sd);
	hashpool_dir_put(pd);
	return r;
}

int copy_unchanged(const struct copy_src *s, struct error *err)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->m[i].n; j++) {
			const struct srcfile *f = &s->m[i].files[j];
			struct stat st;
			if (!f->host)
				continue;
			int r = lstat(f->host, &st);
			if (r < 0 || st.st_ino != f->st.st_ino || st.st_size != f->st.st_size ||
			    st.st_mode != f->st.st_mode || st.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
			    st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec)
				return changed(err, f->host);
		}
	return 0;
}

void copy_inputs(const struct copy_src *s, void (*fn)(void *ctx, const char *host), void *ctx)
{
	for (size_t i = 0; i < s->globbed.n; i++)
		fn(ctx, s->globbed.v[i]);
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->m[i].n; j++)
			if (s->m[i].files[j].host)
				fn(ctx, s->m[i].files[j].host);
}

void copy_free(struct copy_src *s)
{
	while (s) {
		ignore_free(s->exclude);
		s->exclude = NULL;
		for (size_t i = 0; i < s->n; i++) {
			free(s->m[i].files);
			s->m[i].files = NULL;
			s->m[i].n = s->m[i].cap = 0;
		}
		if (s->rootfd >= 0)
			close(s->rootfd);
		s->rootfd = -1;
		s = s->owned;
	}
}

struct copy_src *copy_new(struct arena *a)
{
	struct copy_src *s = arena_alloc(a, sizeof *s);
	memset(s, 0, sizeof *s);
	s->a = a;
	s->rootfd = -1;
	strv_init(&s->globbed, a);
	map_init(&s->links, a, sizeof(struct link_group));
	return s;
}

static int collect(struct arena *a, const struct copy_opts *o, const char *const *patterns, size_t n,
		   struct copy_src **out, struct error *err)
{
	struct copy_src *s = copy_new(a);
	s->o = o;
	s->context = o->context;
	*out = s;
	if ((s->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(err, "%s", qname(o->root));
	if (o->nexcludes) {
		s->exclude = ignore_new(o->excludes, o->nexcludes, err);
		if (!s->exclude)
			return err_wrap(err, "--exclude");
	}
	const char *nomatch = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *pat = patterns[i];
		char *rel = path_clean_arena(a, pat);
		if (s->context && (!strcmp(rel, "..") || !strncmp(rel, "../", 3)))
			return err_set(err, "%s: forbidden path outside %s", qname(pat), o->what);
		/* absolute sources are relative to the root too */
		rel = path_clean_arena(a, arena_printf(a, "/%s", rel)) + 1;
		/* --parents: "x/./y" keeps the path after "/./" only */
		size_t strip = 0;
		const char *pivot = o->parents ? strstr(pat, "/./") : NULL;
		if (pivot) {
			char *head = path_clean_arena(a, arena_printf(a, "/%.*s", (int)(pivot - pat), pat)) + 1;
			for (const char *q = head; *head && q; q = strchr(q + 1, '/'))
				strip++;
		}
		if (has_meta(rel)) {
			struct strv matches;
			strv_init(&matches, a);
			glob_expand(s, rel, &matches);
			size_t before = s->n;
			for (size_t k = 0; k < matches.n; k++) {
				char *res = resolve(a, o->root, matches.v[k], !s->context, false);
				struct stat st;
				if (!res || lstat(arena_printf(a, "%s/%s", o->root, res), &st) < 0)
					continue;
				if (add_source(s, matches.v[k], strip, pat, true, err) < 0)
					return -1;
			}
			/* a wildcard may match nothing when another source matches something, as in BuildKit */
			if (s->n == before && !nomatch)
				nomatch = pat;
		} else if (add_source(s, rel, strip, pat, false, err) < 0) {
			return -1;
		}
	}
	if (nomatch && s->n == 0)
		return err_set(err, "%s: no source files match in %s", qname(nomatch), o->what);
	return 0;
}

int copy_collect(struct arena *a, const struct copy_opts *o, const char *const *patterns, size_t n,
		 struct copy_src **out, struct error *err)
{
	int r = collect(a, o, patterns, n, out, err);
	/* every job done: on an error only so that none still reads a directory or name of ours */
	struct error derr;
	if (drain(*out, true, r < 0 ? &derr : err) < 0)
		r = -1;
	hashpool_free((*out)->pool);
	(*out)->pool = NULL;
	free((*out)->pending);
	(*out)->pending = NULL;
	return r;
}

void copy_add_data(struct copy_src *s, const char *name, const char *data, size_t len)
{
	struct srcmatch *m = add_match(s, arena_strdup(s->a, name));
	m->data = true;
	struct srcfile *f = add_file(m);
	f->rel = "";
	f->data = data;
	f->datalen = len;
	f->st.st_mode = S_IFREG | 0644;
	f->st.st_size = (off_t)len;
}

static unsigned norm_mode(const struct copy_src *s, const struct srcfile *f)
{
	mode_t m = f->st.st_mode;
	if (!s->context || f->data || s->o->keep_modes)
		return m & 07777;
	if (S_ISDIR(m))
		return 0755;
	if (S_ISLNK(m))
		return 0777;
	return (m & 0100) ? 0755 : 0644;
}

void copy_hash(const struct copy_src *s, struct key *k)
{
	key_u64(k, s->context && s->o->keep_modes);
	key_u64(k, s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct srcmatch *m = &s->m[i];
		key_str(k, m->rel);
		key_u64(k, (uint64_t)m->dir << 1 | m->data);
		key_u64(k, m->n);
		for (size_t j = 0; j < m->n; j++) {
			const struct srcfile *f = &m->files[j];
			key_str(k, f->rel);
			key_u64(k, f->st.st_mode & S_IFMT);
			key_u64(k, norm_mode(s, f));
			if (!s->context) {
				key_u64(k, f->st.st_uid);
				key_u64(k, f->st.st_gid);
			}
			key_str(k, f->link);
			if (f->data)
				key_bytes(k, f->data, f->datalen);
			else
				key_str(k, S_ISREG(f->st.st_mode) ? f->hash : NULL);
			key_bytes(k, f->cap, f->caplen);
			if (S_ISCHR(f->st.st_mode) || S_ISBLK(f->st.st_mode))
				key_u64(k, f->st.st_rdev);
			/* hard links inside the source are kept, so they decide the layer too */
			key_u64(k, f->group);
		}
	}
}

long copy_chmod(const char *spec, unsigned mode, bool dir)
{
	if (!*spec)
		return -1;
	if (spec[0] >= '0' && spec[0] <= '7') {
		char *end;
		long v = strtol(spec, &end, 8);
		if (*end || v < 0 || v > 07777)
			return -1;
		return v;
	}
	/* symbolic: [ugoa]*[+-=][rwxXst]* clauses separated by ',' */
	long m = mode;
	const char *p = spec;
	while (*p) {
		unsigned who = 0;
		for (; *p && strchr("ugoa", *p); p++)
			who |= *p == 'u' ? 04700 : *p == 'g' ? 02070 : *p == 'o' ? 01007 : 07777;
		if (!who)
			who = 07777;
		if (!*p || !strchr("+-=", *p))
			return -1;
		while (*p && strchr("+-=", *p)) {
			char op = *p++;
			unsigned bits = 0;
			for (; *p && strchr("rwxXst", *p); p++) {
				switch (*p) {
				case 'r': bits |= 0444; break;
				case 'w': bits |= 0222; break;
				case 'x': bits |= 0111; break;
				case 'X':
					if (dir || (mode & 0111))
						bits |= 0111;
					break;
				case 's': bits |= 06000; break;
				case 't': bits |= 01000; break;
				}
			}
			bits &= who;
			if (op == '+')
				m |= bits;
			else if (op == '-')
				m &= ~(long)bits;
			else
				m = (m & ~(long)(who & 07777)) | bits;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return m & 07777;
}

struct ebuf {
	struct layer_entry *v;
	size_t n, cap;
	struct arena *a;
};

static struct layer_entry *push_entry(struct ebuf *b)
{
	b->v = array_grow(b->v, &b->cap, b->n + 1, sizeof *b->v, b->a);
	struct layer_entry *e = &b->v[b->n++];
	memset(e, 0, sizeof *e);
	return e;
}

static int entry_from(struct copy_src *s, const struct copy_dest *d, struct ebuf *b, const struct srcfile *f,
		      const char *path, bool keep_owner, struct error *err)
{
	struct layer_entry *e = push_entry(b);
	e->path = path;
	mode_t m = f->st.st_mode;
	e->mode = keep_owner ? (m & 07777) : norm_mode(s, f);
	if (keep_owner) {
		e->uid = f->st.st_uid;
		e->gid = f->st.st_gid;
	}
	if (d->chown) {
		e->uid = d->uid;
		e->gid = d->gid;
	}
	if (S_ISDIR(m)) {
		e->type = LAYER_DIR;
	} else if (S_ISLNK(m)) {
		e->type = LAYER_SYMLINK;
		e->link = f->link;
	} else if (S_ISREG(m)) {
		e->type = LAYER_REG;
		e->src = f->host;
		e->srcfd = f->host ? &f->src : NULL;
		e->data = f->data;
		e->size = f->data ? (long long)f->datalen : (long long)f->st.st_size;
		e->cap = f->cap;
		e->caplen = f->caplen;
		e->hardlink_key = f->link_key;
	} else if (S_ISCHR(m) || S_ISBLK(m)) {
		e->type = S_ISCHR(m) ? LAYER_CHAR : LAYER_BLOCK;
		e->devmajor = major(f->st.st_rdev);
		e->devminor = minor(f->st.st_rdev);
	} else if (S_ISFIFO(m)) {
		e->type = LAYER_FIFO;
	} else if (S_ISSOCK(m)) {
		/* a socket is copied as an empty regular file, as docker does */
		e->type = LAYER_REG;
		e->data = "";
	} else {
		b->n--;
		return 0;
	}
	if (d->chmod && e->type != LAYER_SYMLINK && !(e->type == LAYER_DIR && !*f->rel && f->host)) {
		long cm = copy_chmod(d->chmod, e->mode, e->type == LAYER_DIR);
		if (cm < 0)
			return err_set(err, "%s: invalid --chmod value '%s'", d->instr, qname(d->chmod));
		e->mode = (unsigned)cm;
	}
	return 0;
}

struct ord {
	const struct layer_entry *e;
	size_t i;
};

/* by path, then by the order the entries were made: stable */
static int cmp_ord(const void *x, const void *y)
{
	const struct ord *a = x, *b = y;
	int c = strcmp(a->e->path, b->e->path);
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

static int cmp_path(const void *key, const void *elt)
{
	return strcmp(key, ((const struct layer_entry *)elt)->path);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* a directory of the parent filesystem, or 0 when missing */
static bool rootfs_isdir(const struct copy_dest *d, struct arena *a, const char *rel)
{
	if (!d->rootfs)
		return false;
	struct stat st;
	char *res = resolve(a, d->rootfs, rel, true, true);
	return res && stat(arena_printf(a, "%s/%s", d->rootfs, res), &st) == 0 && S_ISDIR(st.st_mode);
}

/* ADD of a local archive: extract it and collect what came out */
static int extract_archive(struct arena *a, struct copy_src *s, const struct copy_dest *d, const struct srcfile *f,
			   struct copy_src **out, struct error *err)
{
	static unsigned seq;
	char *dir = arena_printf(a, "%s/add-%u", d->tmpdir, seq++);
	if (mkdir(dir, 0700) < 0)
		return err_sys(err, "mkdir %s", qname(dir));
	if (untar_extract(f->host, dir, UNTAR_ADD, err) < 0)
		return -1;
	struct copy_opts *o = arena_alloc(a, sizeof *o);
	memset(o, 0, sizeof *o);
	o->root = dir;
	o->what = "the archive";
	const char *all = ".";
	int r = copy_collect(a, o, &all, 1, out, err);
	/* what it opened stays open until s is freed */
	(*out)->owned = s->owned;
	s->owned = *out;
	return r;
}

/* the part of a match --parents keeps */
static const char *kept(const struct srcmatch *m)
{
	const char *r = m->rel;
	for (size_t i = 0; i < m->strip && r; i++) {
		r = strchr(r, '/');
		r = r ? r + 1 : "";
	}
	return r;
}

/* where path lands in the parent filesystem when its symlinked directories are followed (inside
   it), as extracting an archive or copying with --parents does there; a directory that exists
   through a link resolves whole */
static const char *through_links(struct arena *a, const struct copy_dest *d, struct map *cache, const char *path,
				 bool dir)
{
	if (dir) {
		char *r = resolve(a, d->rootfs, path, true, true);
		if (r && *r && strcmp(r, path) != 0 && rootfs_isdir(d, a, path))
			return r;
	}
	const char *sl = strrchr(path, '/');
	if (!sl)
		return path;
	char *parent = arena_strndup(a, path, (size_t)(sl - path));
	bool added;
	const char **cached = map_put(cache, parent, &added); /* parent -> where it resolves */
	if (added) {
		char *r = resolve(a, d->rootfs, parent, true, true);
		*cached = r ? r : parent;
	}
	const char *c = *cached;
	if (!strcmp(c, parent))
		return path;
	return *c ? arena_printf(a, "%s/%s", c, sl + 1) : arena_strdup(a, sl + 1);
}

static int map_match(struct arena *a, struct copy_src *s, const struct srcmatch *m, const struct copy_dest *d,
		     const char *destdir, bool dest_is_dir, const char *dest, struct ebuf *b, struct strv *dirs,
		     struct error *err)
{
	bool keep = !s->context && !m->data;
	if (m->dir) {
		const char *target = d->parents && *m->rel ? join(a, destdir, kept(m)) : destdir;
		/* a directory's contents are copied, not the directory: the destination is made
		   like a parent (root's, 0755, or --chown's), or left as the parent has it */
		if (*target)
			strv_push(dirs, (char *)target);
		for (size_t j = 0; j < m->n; j++) {
			const struct srcfile *f = &m->files[j];
			if (*f->rel && entry_from(s, d, b, f, join(a, target, f->rel), keep, err) < 0)
				return -1;
		}
		return 0;
	}
	const struct srcfile *f = &m->files[0];
	const char *target;
	if (d->parents && !m->data)
		target = join(a, destdir, kept(m));
	else
		target = dest_is_dir ? join(a, destdir, base_name(m->rel)) : dest;
	if (d->add && f->host && S_ISREG(f->st.st_mode) && untar_is_archive(f->host)) {
		struct copy_src *x;
		if (extract_archive(a, s, d, f, &x, err) < 0)
			return -1;
		/* an archive unpacks into the destination directory, keeping its owners and modes */
		for (size_t j = 0; j < x->m[0].n; j++) {
			const struct srcfile *xf = &x->m[0].files[j];
			if (!*xf->rel)
				continue;
			if (entry_from(x, d, b, xf, join(a, destdir, xf->rel), true, err) < 0)
				return -1;
		}
		return 0;
	}
	return entry_from(s, d, b, f, target, keep, err);
}

int copy_entries(struct arena *a, struct copy_src *s, const struct copy_dest *d, struct layer_entry **out,
		 size_t *n, struct error *err)
{
	struct ebuf b = {.a = a};
	size_t dl = strlen(d->dest);
	bool slash = dl > 0 && (d->dest[dl - 1] == '/' || (dl >= 2 && !strcmp(d->dest + dl - 2, "/.")));
	char *dest = path_clean_arena(a, d->dest);
	/* the destination as the parent's filesystem resolves it (symlinks followed inside it) */
	char *rel = dest[1] ? dest + 1 : arena_strdup(a, "");
	if (d->rootfs && !(rel = resolve(a, d->rootfs, rel, true, true)))
		return err_set(err, "%s %s: too many levels of symbolic links", d->instr, qname(d->dest));
	bool any_dir = false, archive = false, all_archives = s->n > 0;
	for (size_t i = 0; i < s->n; i++) {
		any_dir |= s->m[i].dir;
		bool x = d->add && !s->m[i].dir && s->m[i].files[0].host && S_ISREG(s->m[i].files[0].st.st_mode) &&
			 untar_is_archive(s->m[i].files[0].host);
		archive |= x;
		all_archives &= x;
	}
	bool exists_dir = !*rel || rootfs_isdir(d, a, rel);
	struct stat dst;
	if (any_dir && !exists_dir && d->rootfs && lstat(arena_printf(a, "%s/%s", d->rootfs, rel), &dst) == 0)
		return err_set(err, "%s: cannot copy a directory to %s: it exists and is not a directory", d->instr,
			       qname(d->dest));
	/* archives all unpack into the destination: no slash needed */
	if (s->n > 1 && !slash && !exists_dir && !all_archives)
		return err_set(err, "when using %s with more than one source file, the destination must be a "
				    "directory and end with a /", d->instr);
	bool dest_is_dir = slash || s->n > 1 || any_dir || exists_dir || archive;
	struct strv dirs;
	strv_init(&dirs, a);
	for (size_t i = 0; i < s->n; i++)
		if (map_match(a, s, &s->m[i], d, rel, dest_is_dir, rel, &b, &dirs, err) < 0)
			return -1;
	if (!*rel && !dest_is_dir)
		return err_set(err, "%s: cannot copy a file onto /", d->instr);
	if (d->rootfs && (archive || d->parents)) {
		struct map cache;
		map_init(&cache, a, sizeof(const char *));
		for (size_t i = 0; i < b.n; i++)
			b.v[i].path = through_links(a, d, &cache, b.v[i].path, b.v[i].type == LAYER_DIR);
	}
	/* one entry a path; among copies to one path the later source wins */
	struct ord *ord = arena_alloc(a, (b.n + 1) * sizeof *ord);
	for (size_t i = 0; i < b.n; i++)
		ord[i] = (struct ord){&b.v[i], i};
	if (b.n)
		qsort(ord, b.n, sizeof *ord, cmp_ord);
	struct ebuf c = {.a = a};
	for (size_t i = 0; i < b.n; i++) {
		if (i + 1 < b.n && !strcmp(ord[i].e->path, ord[i + 1].e->path))
			continue;
		*push_entry(&c) = *ord[i].e;
	}
	/* the parent directories of everything, and the destinations of directory copies: as the
	   parent filesystem has them, else made 0755 */
	size_t copied = c.n;
	struct map made; /* the parents made so far (a set) */
	map_init(&made, a, 0);
	for (size_t i = 0; i < copied + dirs.n; i++) {
		char *p = arena_strdup(a, i < copied ? c.v[i].path : dirs.v[i - copied]);
		bool self = i >= copied;
		for (char *sl = strrchr(p, '/'); self || sl; sl = strrchr(p, '/')) {
			if (!self)
				*sl = 0;
			self = false;
			/* a copied or already made directory has its own parents seen to: stop climbing */
			if (bsearch(p, c.v, copied, sizeof *c.v, cmp_path))
				break;
			bool added;
			map_put(&made, p, &added);
			if (!added)
				break;
			struct layer_entry *e = push_entry(&c);
			e->path = arena_strdup(a, p);
			e->type = LAYER_DIR;
			e->mode = 0755;
			struct stat st;
			/* resolved inside the root: an absolute symlink in the image must not lead to the host's
			   directories (the entry keeps its path: a symlinked parent becomes a directory) */
			char *rp = d->rootfs ? resolve(a, d->rootfs, p, true, true) : NULL;
			if (rp && lstat(arena_printf(a, "%s/%s", d->rootfs, rp), &st) == 0 && S_ISDIR(st.st_mode)) {
				e->mode = st.st_mode & 07777;
				e->uid = st.st_uid;
				e->gid = st.st_gid;
			} else {
				if (d->chown) {
					e->uid = d->uid;
					e->gid = d->gid;
				}
				/* BuildKit makes new parents with --chmod's mode too */
				long cm = d->chmod ? copy_chmod(d->chmod, 0755, true) : -1;
				if (cm >= 0)
					e->mode = (unsigned)cm;
			}
		}
	}
	/* parents repeat: keep one of each */
	ord = arena_alloc(a, (c.n + 1) * sizeof *ord);
	for (size_t i = 0; i < c.n; i++)
		ord[i] = (struct ord){&c.v[i], i};
	if (c.n)
		qsort(ord, c.n, sizeof *ord, cmp_ord);
	struct layer_entry *v = arena_alloc(a, (c.n + 1) * sizeof *v);
	size_t w = 0;
	for (size_t i = 0; i < c.n; i++)
		if (!(w > 0 && !strcmp(v[w - 1].path, ord[i].e->path)))
			v[w++] = *ord[i].e;
	b.v = v;
	*out = b.v;
	*n = w;
	return 0;
}
