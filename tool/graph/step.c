/* the commands a generated graph runs: each reads the build flags gen saved, does one
   idempotent thing and rewrites its node only when the bytes change */
#include "graph.h"

#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "copy.h"
#include "error.h"
#include "key.h"
#include "spec.h"
#include "store.h"
#include "export.h"
#include "util.h"

struct stepctx {
	struct arena *a;
	const char *dir, *id, *depfile_target;
	const struct build_opts *b;
	struct buf dep, rules;
	bool make;
	char digest[KEY_HEX];
};

/* a depfile entry: Make and Ninja read the same escapes ('\ ', '\#', '$$') */
static void dep_path(struct buf *b, const char *p)
{
	for (const char *c = p; *c; c++) {
		if (*c == ' ' || *c == '#' || *c == '\\')
			buf_putc(b, '\\');
		if (*c == '$')
			buf_putc(b, '$');
		buf_putc(b, *c);
	}
}

static void add_input(void *ctx, const char *host)
{
	struct stepctx *c = ctx;
	char *p = path_clean(host);
	/* a name no depfile can carry is watched through its directory */
	while (strpbrk(p, "\n:%")) {
		char *sl = strrchr(p, '/');
		if (!sl) {
			strcpy(p, ".");
			break;
		}
		*sl = 0;
	}
	buf_putc(&c->dep, ' ');
	dep_path(&c->dep, p);
	/* Make: a rule without recipe for each, so a deleted file is no error */
	if (c->make) {
		dep_path(&c->rules, p);
		buf_puts(&c->rules, ":\n");
	}
	free(p);
}

static int on_sources(const struct copy_src *src, void *ctx, struct error *err)
{
	struct stepctx *c = ctx;
	struct key k;
	key_init(&k);
	copy_hash(src, &k);
	key_final(&k, c->digest);
	buf_init(&c->dep, c->a);
	buf_init(&c->rules, c->a);
	buf_printf(&c->dep, "%s:", c->depfile_target);
	copy_inputs(src, add_input, c);
	/* the .dockerignore decides the set too; when there is none, its folder shows one appear */
	const char *file = c->b->file ? c->b->file : arena_printf(c->a, "%s/Dockerfile", c->b->context);
	const char *ig[2] = {arena_printf(c->a, "%s.dockerignore", file),
			     arena_printf(c->a, "%s/.dockerignore", c->b->context)};
	bool found = false;
	for (size_t i = 0; i < 2 && !found; i++)
		if (access(ig[i], F_OK) == 0) {
			add_input(c, ig[i]);
			found = true;
		}
	if (!found)
		add_input(c, c->b->context);
	buf_putc(&c->dep, '\n');
	if (c->rules.len)
		buf_puts(&c->dep, c->rules.s);
	return 0;
}

static int put(const char *path, const char *text, struct error *err)
{
	if (write_if_changed(path, text, strlen(text)) < 0)
		return err_sys(err, "%s", path);
	return 0;
}

static int touch(const char *path, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || futimens(fd, NULL) < 0) {
		err_sys(err, "%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void log_verb(const char *verb, const char *id)
{
	const char *log = getenv("STRATA_GRAPH_LOG");
	if (!log || !*log)
		return;
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	char line[256];
	int n = snprintf(line, sizeof line, "%s %s\n", verb, id);
	if (n > 0 && write_all(fd, line, (size_t)n) < 0) {
		/* the log is for tests and benches: losing a line loses nothing else */
	}
	close(fd);
}

/* hold one of the build directory's layer slots while a step writes its layer: the Make-side
   counterpart of Ninja's pool (STRATA_LAYER_JOBS, default the CPU count) */
static int take_slot(const char *dir)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("STRATA_LAYER_JOBS");
	if (env && atol(env) > 0)
		n = atol(env);
	if (n < 1)
		n = 1;
	int fd = -1;
	for (long i = 0; i < n * 2 && fd < 0; i++) {
		char *p = xasprintf("%s/slot.%ld", dir, i % n);
		fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(p);
		if (fd >= 0 && flock(fd, LOCK_EX | (i < n ? LOCK_NB : 0)) < 0) {
			close(fd);
			fd = -1;
		}
	}
	return fd;
}

/* an archive output's folder, made when missing */
static int mkdir_parent(const char *dest, struct error *err)
{
	const char *colon = strchr(dest, ':');
	if (!colon || (strncmp(dest, "oci-archive:", 12) && strncmp(dest, "docker-archive:", 15)))
		return 0;
	char *p = xstrdup(colon + 1);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			err_sys(err, "%s", p);
			free(p);
			return -1;
		}
		*c = '/';
	}
	free(p);
	return 0;
}

static int parse_id(const char *id, int *stage, int *step, struct error *err)
{
	char *end;
	long s = strtol(id, &end, 10), i = -1;
	if (end != id && *end == '.')
		i = strtol(end + 1, &end, 10);
	if (*end || s < 0 || i < 0 || s > 1000000 || i > 1000000)
		return err_set(err, "step: '%s' is no node (want STAGE.STEP)", id);
	*stage = (int)s;
	*step = (int)i - 1;
	return 0;
}

static char *read_line(const char *path)
{
	size_t len;
	char *t = read_file(path, &len);
	if (t)
		t[strcspn(t, "\n")] = 0;
	return t;
}

static int mtime_of(const char *path, struct timespec *t)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	*t = st.st_mtim;
	return 0;
}

static bool later(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int set_mtime(const char *path, struct timespec t, struct error *err)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, t};
	if (utimensat(AT_FDCWD, path, ts, 0) < 0)
		return err_sys(err, "%s", path);
	return 0;
}

/* D/settle.list, one edge a line in build order: STAMP NODE PREREQUISITE... (STAMP "-": NODE has
   its own recipe). Each node gets at least its stamp's mtime, and each stamp the newest of the
   nodes before it, unless another prerequisite (a source, the gc file) is newer than the stamp:
   that one must still make it run. Only files this graph wrote are moved, never a source. */
static int settle(struct arena *a, const char *dir, struct error *err)
{
	char *path = arena_printf(a, "%s/settle.list", dir);
	size_t len;
	char *text = read_file(path, &len);
	if (!text)
		return err_sys(err, "%s (run strata gen again)", path);
	struct hsearch_data h = {0};
	int r = -1;
	size_t lines = 1;
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	if (!hcreate_r(lines * 2 + 16, &h)) {
		err_sys(err, "hcreate");
		goto out;
	}
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *save, *stamp = strtok_r(line, " ", &save), *node = strtok_r(NULL, " ", &save);
		if (!stamp || !node)
			continue;
		if (!strcmp(stamp, "-"))
			stamp = node;
		struct timespec sm, nm;
		if (mtime_of(stamp, &sm) < 0 || mtime_of(node, &nm) < 0)
			continue;
		struct timespec want = sm;
		bool other_newer = false;
		for (char *p; (p = strtok_r(NULL, " ", &save));) {
			ENTRY q = {.key = p}, *e;
			struct timespec pm;
			if (hsearch_r(q, FIND, &e, &h) && e) {
				struct timespec *t = e->data;
				if (later(*t, want))
					want = *t;
			} else if (mtime_of(p, &pm) == 0 && later(pm, sm)) {
				other_newer = true;
			}
		}
		if (!other_newer && later(want, sm)) {
			if (set_mtime(stamp, want, err) < 0)
				goto out;
			sm = want;
		}
		if (later(sm, nm)) {
			if (set_mtime(node, sm, err) < 0)
				goto out;
			nm = sm;
		}
		struct timespec *t = arena_alloc(a, sizeof *t);
		*t = nm;
		ENTRY add = {.key = node, .data = t}, *e;
		if (!hsearch_r(add, ENTER, &e, &h)) {
			err_sys(err, "hsearch");
			goto out;
		}
		((ENTRY *)e)->data = t;
	}
	r = 0;
out:
	hdestroy_r(&h);
	/* the table points into text: freed last */
	free(text);
	return r;
}

int graph_step(enum graph_verb v, const char *dir, const char *id, bool make, struct error *err)
{
	static const char *const verbs[] = {"hash", "key", "run", "image", "output", "layer", "settle"};
	struct stepctx c = {.dir = dir, .id = id, .make = make};
	c.a = arena_new();
	struct build_opts b;
	long long epoch;
	int r = -1, slot = -1;
	struct store *s = NULL;
	char *text = NULL;
	if (spec_read(c.a, dir, &b, &epoch, err) < 0)
		goto out;
	c.b = &b;
	if (b.allow_foreign_deflate)
		compress_allow_foreign(1);
	/* the epoch gen saw, whatever this process's environment says */
	char ep[32];
	snprintf(ep, sizeof ep, "%lld", epoch);
	setenv("SOURCE_DATE_EPOCH", ep, 1);
	b.quiet = true;
	b.statcache_dir = dir;
	const char *node = NULL, *content = NULL;
	char md[72], key[KEY_HEX];
	struct plan *plan;
	if (v == GRAPH_HASH || v == GRAPH_KEY || v == GRAPH_RUN || v == GRAPH_LAYER) {
		if (parse_id(id, &b.stop_stage, &b.stop_step, err) < 0)
			goto out;
		b.stop = true;
		b.stop_key = key;
	}
	log_verb(verbs[v], id);
	switch (v) {
	case GRAPH_SETTLE:
		if (settle(c.a, dir, err) < 0 || (make && touch(arena_printf(c.a, "%s/settle.stamp", dir), err) < 0))
			goto out;
		break;
	case GRAPH_HASH:
		node = arena_printf(c.a, "%s/%s.src", dir, id);
		c.depfile_target = make ? arena_printf(c.a, "%s.stamp", node) : node;
		if (build_sources(&b, on_sources, &c, err) < 0 || put(arena_printf(c.a, "%s.d", node), c.dep.s, err) < 0)
			goto out;
		content = arena_printf(c.a, "%s\n", c.digest);
		break;
	case GRAPH_KEY:
		node = arena_printf(c.a, "%s/%s.key", dir, id);
		if (build_keys(&b, c.a, &plan, err) < 0)
			goto out;
		content = arena_printf(c.a, "%s\n", key);
		break;
	case GRAPH_RUN: {
		node = arena_printf(c.a, "%s/%s.img", dir, id);
		text = read_line(arena_printf(c.a, "%s/%s.key", dir, id));
		char *res = NULL;
		/* a cache hit is one lookup */
		if (text && store_open(&s, err) == 0 && store_result_get(s, text, &res, err) > 0) {
			free(res);
			log_verb("hit", id);
			content = arena_printf(c.a, "%s\n", text);
			break;
		}
		store_close(s);
		s = NULL;
		slot = take_slot(dir);
		log_verb("exec", id);
		if (build_run(&b, md, err) < 0)
			goto out;
		content = arena_printf(c.a, "%s\n", key);
		break;
	}
	case GRAPH_LAYER: {
		node = arena_printf(c.a, "%s/%s.layer", dir, id);
		char lk[KEY_HEX];
		slot = take_slot(dir);
		if (build_layer(&b, lk, err) < 0)
			goto out;
		content = arena_printf(c.a, "%s\n", lk);
		break;
	}
	case GRAPH_IMAGE:
		node = arena_printf(c.a, "%s/image", dir);
		b.outputs = NULL;
		b.noutputs = 0;
		if (build_run(&b, md, err) < 0)
			goto out;
		content = arena_printf(c.a, "%s\n", md);
		break;
	case GRAPH_OUTPUT: {
		char *end;
		unsigned long n = strtoul(id, &end, 10);
		if (*end || end == id || n >= b.noutputs) {
			err_set(err, "step output: no output %s", id);
			goto out;
		}
		text = read_line(arena_printf(c.a, "%s/image", dir));
		if (!text) {
			err_sys(err, "%s/image", dir);
			goto out;
		}
		if (mkdir_parent(b.outputs[n], err) < 0)
			goto out;
		/* as build_run names an output */
		if (store_open(&s, err) < 0 || transport_export(s, text, b.outputs[n], b.ntags ? b.tags[0] : NULL, err) < 0)
			goto out;
		break;
	}
	}
	/* the stamp first: a node rewritten now is then not older than its stamp, which `make -q`
	   would take for work to do */
	if (make && node && touch(arena_printf(c.a, "%s.stamp", node), err) < 0)
		goto out;
	if (node && put(node, content, err) < 0)
		goto out;
	r = 0;
out:
	if (slot >= 0)
		close(slot);
	free(text);
	store_close(s);
	arena_free(c.a);
	return r;
}
