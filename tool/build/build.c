#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy.h"
#include "error.h"
#include "exec.h"
#include "exec_meta.h"
#include "exec_copy.h"
#include "exec_run.h"
#include "expand.h"
#include "ignore.h"
#include "image.h"
#include "key.h"
#include "layer.h"
#include "parse.h"
#include "plan.h"
#include "platform.h"
#include "progress.h"
#include "ref.h"
#include "rootfs.h"
#include "statcache.h"
#include "store.h"
#include "sys.h"
#include "userns.h"
#include "utf8.h"
#include "util.h"

struct bstage {
	struct image img;
	char key[KEY_HEX];
	int state;                  /* 0 not built, 1 building, 2 built */
	bool cmd_set;               /* CMD given in this stage (ENTRYPOINT keeps it) */
};

struct bctx {
	struct arena *a;
	const struct build_opts *o;
	struct store *s;
	struct plan *p;
	struct ignore *ig;
	const char *ctxdir;
	long long epoch;
	struct bstage *st;
	size_t total;
	struct progress *prog;
	char *tmpdir;
	bool keys;                  /* the keys-only pass: nothing is built */
	struct run_opts run;
	struct statcache *sc;       /* the context's stat cache in the store, opened at its first COPY */
	bool sc_opened;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the image a FROM or COPY --from names: 1 with its manifest digest, 0 when the store has none
   (err says so, as "image NAME: not in the store"), -1 on a bad name */
static int find_image(struct bctx *b, const char *ref, char md[DIGEST_SIZE], struct error *err)
{
	struct ref_image ri;
	int r = ref_lookup(b->s, ref, &ri, err);
	if (r == 0)
		err_set(err, "image %s: not in the store (strata import it first)", qname(ri.name[0] ? ri.name : ref));
	if (r == 1)
		memcpy(md, ri.manifest, DIGEST_SIZE);
	return r;
}

/* the plan's view of a base image: its ENV and ONBUILD triggers */
static int base_info(void *ctx, const char *image, const char *platform, struct base_info *out)
{
	struct bctx *b = ctx;
	char md[DIGEST_SIZE];
	struct error err;
	if (find_image(b, image, md, &err) <= 0)
		return 0;
	struct image im;
	if (image_load(b->s, md, &im, &err) < 0)
		return 0;
	const char **env;
	size_t n = image_list(&im, "Env", b->a, &env);
	for (size_t i = 0; i < n; i++) {
		const char *e = env[i], *eq = e ? strchr(e, '=') : NULL;
		if (!eq)
			continue;
		char *k = arena_strndup(b->a, e, (size_t)(eq - e));
		env_set(&out->env, k, eq + 1);
	}
	out->nonbuild = image_list(&im, "OnBuild", b->a, &out->onbuild);
	for (size_t i = 0; i < out->nonbuild; i++)
		if (!out->onbuild[i])
			out->onbuild[i] = "";
	image_free(&im);
	return 1;
}

/* position of a step for messages */
static int step_err(const struct step *s, const char *path, struct error *err)
{
	return err_wrap(err, "%s:%d:%d", qname(path), s->node->line.start_line, s->node->line.col);
}

static int build_stage(struct bctx *b, int idx, struct error *err);

/* RUN --mount from=NAME: a stage (by name or number, built first) or an image of the store: its
   image into out, or its step key or manifest digest into key */
static int mount_from(void *ctx, const char *name, struct image *out, char key[72], struct error *err)
{
	struct bctx *b = ctx;
	int idx = plan_stage_named(b->p, name);
	if (idx < 0 && *name && strspn(name, "0123456789") == strlen(name) && (size_t)atoi(name) < b->p->n)
		idx = atoi(name);
	if (idx >= 0) {
		if (build_stage(b, idx, err) < 0)
			return -1;
		if (key)
			snprintf(key, 72, "%s", b->st[idx].key);
		if (out)
			image_copy(out, &b->st[idx].img);
		return 0;
	}
	char md[DIGEST_SIZE];
	if (find_image(b, name, md, err) <= 0)
		return -1;
	if (key)
		snprintf(key, 72, "%s", md);
	return out ? image_load(b->s, md, out, err) : 0;
}

/* the context's stat cache of the store, opened at the first use; NULL when there is none */
static struct statcache *context_cache(struct bctx *b)
{
	if (!b->o->context_statcache || b->keys)
		return NULL;
	if (!b->sc_opened) {
		char *file = statcache_context_file(store_root(b->s), b->ctxdir);
		b->sc = file ? statcache_open(file, b->ctxdir) : NULL;
		b->sc_opened = true;
		free(file);
	}
	return b->sc;
}

/* the sources of a COPY/ADD step: context, another stage, or an image */
static int collect_sources(struct bctx *b, struct arena *a, const struct step *s, struct copy_src **src,
			   struct rootfs **from_rf, struct image *from_img, struct error *err)
{
	struct copy_opts *o = arena_alloc(a, sizeof *o);
	memset(o, 0, sizeof *o);
	if (s->from_stage >= 0 || s->from_image) {
		const struct image *im;
		if (s->from_stage >= 0) {
			if (build_stage(b, s->from_stage, err) < 0)
				return -1;
			im = &b->st[s->from_stage].img;
			o->what = arena_printf(a, "stage %s", qname(s->from_image ? s->from_image
							: b->p->stages[s->from_stage].name ? b->p->stages[s->from_stage].name
							: "(unnamed)"));
		} else {
			char md[DIGEST_SIZE];
			if (find_image(b, s->from_image, md, err) <= 0 || image_load(b->s, md, from_img, err) < 0)
				return -1;
			im = from_img;
			o->what = arena_printf(a, "image %s", qname(s->from_image));
		}
		if (rootfs_open(b->s, im, from_rf, err) < 0)
			return -1;
		o->root = rootfs_path(*from_rf);
	} else {
		o->root = b->ctxdir;
		o->context = true;
		o->keep_modes = b->o->keep_modes;
		o->ignore = b->ig;
		o->what = "the build context";
		if (b->o->statcache_dir) {
			size_t si = 0;
			while (s < b->p->stages[si].steps || s >= b->p->stages[si].steps + b->p->stages[si].nsteps)
				si++;
			o->cache = statcache_open(arena_printf(a, "%s/%zu.%zu.stat", b->o->statcache_dir, si,
							       (size_t)(s - b->p->stages[si].steps) + 1), b->ctxdir);
		} else {
			o->cache = context_cache(b);
		}
	}
	int r = exec_copy_sources(a, s, o, src, err);
	if (o->cache != b->sc) {
		struct error serr;
		/* a cache that cannot be saved costs a re-hash next time, nothing more */
		statcache_close(o->cache, &serr);
	}
	o->cache = NULL;
	return r;
}

static void hash_step(struct key *k, const struct step *s)
{
	key_str(k, instr_name(s->instr));
	key_u64(k, s->nflags);
	for (size_t i = 0; i < s->nflags; i++) {
		key_str(k, s->flags[i].name);
		key_str(k, s->flags[i].value);
	}
	key_u64(k, s->nargs);
	for (size_t i = 0; i < s->nargs; i++)
		key_str(k, s->args[i]);
	key_u64(k, s->json);
	key_u64(k, s->nkvs);
	for (size_t i = 0; i < s->nkvs; i++) {
		key_str(k, s->kvs[i].key);
		key_str(k, s->kvs[i].value);
	}
	key_str(k, s->instr == I_ONBUILD ? s->original : NULL);
	for (size_t i = 0; i < s->node->nheredocs; i++) {
		key_str(k, s->node->heredocs[i].name);
		key_str(k, s->node->heredocs[i].content);
		key_u64(k, s->node->heredocs[i].expand << 1 | s->node->heredocs[i].chomp);
	}
	/* the build args in scope (RUN sees them) */
	for (size_t i = 0; s->args_env && i < env_count(s->args_env); i++) {
		key_str(k, env_name(s->args_env, i));
		key_str(k, env_value(s->args_env, i));
	}
}

/* the stage's name as progress shows it */
static const char *stage_label(struct bctx *b, const struct bstage *bs)
{
	size_t idx = (size_t)(bs - b->st);
	const char *n = b->p->stages[idx].name;
	return n ? n : arena_printf(b->a, "stage-%zu", idx);
}

static const char *step_text(const struct step *s)
{
	return s->instr == I_ONBUILD ? s->node->line.text : s->original;
}

/* what every step's key starts with: the format, the parent's key, the platform, the epoch, the step */
static void key_start(struct bctx *b, struct key *k, const char *parent, const struct step *s)
{
	key_init(k);
	key_str(k, KEY_VERSION);
	key_str(k, parent);
	key_str(k, b->p->platform);
	key_u64(k, (uint64_t)b->epoch);
	hash_step(k, s);
	/* only when set, so that the keys of builds without it stay as they were */
	if (s->instr == I_RUN && b->o->drop_volatile)
		key_str(k, "drop-volatile");
}

/* a step that only changes the config (no layer, no I/O): its key is its parent's and its text */
static bool meta_only(const struct step *s)
{
	const struct executor *ex = exec_find(s->instr);
	return ex && ex->run == exec_meta;
}

/* n >= 2 metadata steps in a row: only the last one's result is stored (each stored result is a whole
   config, so storing every one costs the square of the run), the others are replayed in memory, which
   costs nothing; the latest result the store has in the run is the starting point */
static int run_meta(struct bctx *b, struct bstage *bs, struct step *steps, size_t n, struct error *err)
{
	char *keys = xmalloc(n * KEY_HEX);
	struct arena *sa = NULL;
	int r = -1;
	const char *parent = bs->key;
	for (size_t m = 0; m < n; m++) {
		struct key k;
		key_start(b, &k, parent, &steps[m]);
		key_final(&k, keys + m * KEY_HEX);
		memcpy(steps[m].key, keys + m * KEY_HEX, KEY_HEX);
		parent = keys + m * KEY_HEX;
	}
	/* the latest step of the run whose result the store has */
	size_t from = 0; /* the first step to run */
	char *text = NULL;
	struct image im;
	for (size_t m = n; !b->o->no_cache && m-- > 0 && !from;) {
		int hit = store_result_get(b->s, keys + m * KEY_HEX, &text, err);
		if (hit < 0) {
			step_err(&steps[m], b->p->df->path, err);
			goto out;
		}
		if (hit == 0)
			continue;
		if (b->keys) {
			from = m + 1;
		} else if (image_load_result(b->s, text, &im, err) == 0) {
			/* a result whose image is gone or corrupt is rebuilt */
			image_free(&bs->img);
			bs->img = im;
			from = m + 1;
		}
		free(text);
		text = NULL;
	}
	for (size_t m = 0; m < n; m++)
		steps[m].cached = m < from;
	if (b->keys) {
		memcpy(bs->key, keys + (n - 1) * KEY_HEX, KEY_HEX);
		r = 0;
		goto out;
	}
	for (size_t m = 0; m < from; m++) {
		progress_start(b->prog, stage_label(b, bs), step_text(&steps[m]));
		if (steps[m].instr == I_CMD)
			bs->cmd_set = true;
		progress_done(b->prog, 1, 0);
	}
	sa = arena_new();
	for (size_t m = from; m < n; m++) {
		double ts = now();
		progress_start(b->prog, stage_label(b, bs), step_text(&steps[m]));
		struct exec x = {.a = sa, .s = b->s, .step = &steps[m], .img = &bs->img, .cmd_set = bs->cmd_set,
				 .tmpdir = b->tmpdir, .epoch = b->epoch, .run = &b->run};
		if (exec_meta(&x, err) < 0) {
			step_err(&steps[m], b->p->df->path, err);
			goto out;
		}
		bs->cmd_set = x.cmd_set;
		if (m + 1 == n) {
			char *res;
			if (image_save(b->s, &bs->img, b->epoch, err) < 0 || !(res = image_result(&bs->img))) {
				step_err(&steps[m], b->p->df->path, err);
				goto out;
			}
			int pr = store_result_put(b->s, keys + m * KEY_HEX, res, err);
			free(res);
			if (pr < 0) {
				step_err(&steps[m], b->p->df->path, err);
				goto out;
			}
		}
		progress_done(b->prog, 0, now() - ts);
	}
	memcpy(bs->key, keys + (n - 1) * KEY_HEX, KEY_HEX);
	r = 0;
out:
	if (sa)
		arena_free(sa);
	free(keys);
	return r;
}

static int run_step(struct bctx *b, struct bstage *bs, struct step *s, struct error *err)
{
	double t0 = now();
	struct key k;
	key_start(b, &k, bs->key, s);
	/* what one step makes (sources, entries, paths) lives as long as the step: eight COPY steps
	   of a large context peak like one */
	struct arena *sa = arena_new();
	struct copy_src *src = NULL;
	struct rootfs *from_rf = NULL;
	struct image from_img = {0};
	int r = -1;
	bool copies = s->instr == I_COPY || s->instr == I_ADD;
	bool from = copies && (s->from_stage >= 0 || s->from_image);
	if (from) {
		/* another stage's or image's files are decided by its key or digest: a cache hit
		   needs neither its filesystem nor a hash of what the step would copy */
		if (s->from_stage >= 0) {
			if (build_stage(b, s->from_stage, err) < 0) {
				key_final(&k, bs->key);
				goto out;
			}
			key_str(&k, b->st[s->from_stage].key);
			progress_start(b->prog, stage_label(b, bs), step_text(s));
		} else {
			progress_start(b->prog, stage_label(b, bs), step_text(s));
			char md[DIGEST_SIZE];
			if (find_image(b, s->from_image, md, err) <= 0) {
				key_final(&k, bs->key);
				goto out;
			}
			key_str(&k, md);
		}
	} else {
		progress_start(b->prog, stage_label(b, bs), step_text(s));
	}
	if (copies && !from) {
		if (collect_sources(b, sa, s, &src, &from_rf, &from_img, err) < 0) {
			key_final(&k, bs->key);
			goto out;
		}
		copy_hash(src, &k);
	}
	/* what a RUN's bind mounts read */
	if (s->instr == I_RUN)
		b->run.cache = context_cache(b);
	if (s->instr == I_RUN && exec_run_key(sa, s, &b->run, &k, err) < 0) {
		key_final(&k, bs->key);
		goto out;
	}
	char key[KEY_HEX];
	key_final(&k, key);
	char *text = NULL;
	int hit = b->o->no_cache ? 0 : store_result_get(b->s, key, &text, err);
	if (hit < 0)
		goto out;
	memcpy(s->key, key, KEY_HEX);
	s->cached = hit > 0;
	if (b->keys) {
		/* keys only: the next key needs this key, not this step's image */
		free(text);
		memcpy(bs->key, key, KEY_HEX);
		r = 0;
		goto out;
	}
	if (hit) {
		struct image im;
		int lr = image_load_result(b->s, text, &im, err);
		free(text);
		if (lr == 0) {
			image_free(&bs->img);
			bs->img = im;
			if (s->instr == I_CMD)
				bs->cmd_set = true;
			memcpy(bs->key, key, KEY_HEX);
			progress_done(b->prog, 1, 0);
			r = 0;
			goto out;
		}
		/* a result whose image is gone or corrupt is rebuilt */
	}
	if (from && collect_sources(b, sa, s, &src, &from_rf, &from_img, err) < 0)
		goto out;
	const struct executor *ex = exec_find(s->instr);
	if (!ex) {
		err_set(err, "%s is not supported yet", instr_name(s->instr));
		goto out;
	}
	struct exec x = {.a = sa, .s = b->s, .step = s, .img = &bs->img, .cmd_set = bs->cmd_set, .src = src,
			 .tmpdir = b->tmpdir, .epoch = b->epoch, .run = &b->run,
			 .compression = &b->o->compression, .no_cache = b->o->no_cache};
	if (ex->run(&x, err) < 0)
		goto out;
	bs->cmd_set = x.cmd_set;
	if (image_save(b->s, &bs->img, b->epoch, err) < 0)
		goto out;
	char *res = image_result(&bs->img);
	r = store_result_put(b->s, key, res, err);
	free(res);
	memcpy(bs->key, key, KEY_HEX);
	progress_done(b->prog, 0, now() - t0);
out:
	copy_free(src);
	rootfs_close(from_rf);
	if (from_img.config)
		image_free(&from_img);
	if (r < 0)
		step_err(s, b->p->df->path, err);
	arena_free(sa);
	return r;
}

static int build_stage(struct bctx *b, int idx, struct error *err)
{
	struct bstage *bs = &b->st[idx];
	struct stage *st = &b->p->stages[idx];
	if (bs->state == 2)
		return 0;
	if (bs->state == 1)
		return err_set(err, "circular dependency detected on stage %d", idx);
	bs->state = 1;
	for (size_t d = 0; d < st->ndeps; d++)
		if (st->deps[d] != st->base_stage && build_stage(b, st->deps[d], err) < 0)
			return -1;
	struct key k;
	key_init(&k);
	key_str(&k, KEY_VERSION);
	/* the blobs' bytes: every step of the stage hangs below this key */
	key_str(&k, compress_name(b->o->compression.method));
	struct error lerr;
	key_u64(&k, (uint64_t)compress_level(&b->o->compression, &lerr));
	const char *platform = st->platform ? st->platform : b->p->platform;
	if (st->base_stage >= 0) {
		if (build_stage(b, st->base_stage, err) < 0) {
			key_final(&k, bs->key);
			return -1;
		}
		image_copy(&bs->img, &b->st[st->base_stage].img);
		key_str(&k, "stage");
		key_str(&k, b->st[st->base_stage].key);
	} else if (!strcmp(st->base, "scratch")) {
		image_scratch(&bs->img, platform);
		/* BuildKit's empty image has WorkingDir / */
		image_set(&bs->img, "WorkingDir", "/");
		key_str(&k, "scratch");
		key_str(&k, platform);
	} else {
		char md[DIGEST_SIZE];
		if (find_image(b, st->base, md, err) <= 0) {
			key_final(&k, bs->key);
			return err_wrap(err, "%s:%d:%d", b->p->df->path, st->from->line.start_line, st->from->line.col);
		}
		if (image_load(b->s, md, &bs->img, err) < 0) {
			key_final(&k, bs->key);
			return -1;
		}
		key_str(&k, "image");
		key_str(&k, md);
	}
	key_final(&k, bs->key);
	/* the base's triggers ran as this stage's first steps: they do not pass on */
	image_set(&bs->img, "OnBuild", NULL);
	if (!image_env(&bs->img, "PATH"))
		image_set_env(&bs->img, "PATH", PLAN_DEFAULT_PATH);
	progress_from(b->prog, stage_label(b, bs), st->from->line.text);
	size_t nsteps = st->nsteps;
	bool stop = b->o->stop && idx == b->o->stop_stage;
	if (stop)
		nsteps = (size_t)(b->o->stop_step + 1);
	for (size_t i = 0; i < nsteps;) {
		size_t j = i;
		while (j < nsteps && meta_only(&st->steps[j]))
			j++;
		if (j - i >= 2) {
			if (run_meta(b, bs, &st->steps[i], j - i, err) < 0)
				return -1;
			i = j;
		} else if (run_step(b, bs, &st->steps[i++], err) < 0) {
			return -1;
		}
	}
	if (stop && b->o->stop_key)
		memcpy(b->o->stop_key, bs->key, KEY_HEX);
	if ((!bs->img.manifest[0] || nsteps == 0) && !b->keys) {
		if (image_save(b->s, &bs->img, b->epoch, err) < 0)
			return -1;
	}
	bs->state = 2;
	return 0;
}

static struct ignore *read_ignore(const char *ctxdir, const char *dockerfile, struct error *err, int *rc)
{
	*rc = 0;
	char *p = xasprintf("%s.dockerignore", dockerfile);
	size_t len;
	char *data;
	if (read_regular(p, p, DOCKERFILE_MAX, &data, &len, err) < 0 && err->errnum == ENOENT) {
		free(p);
		p = xasprintf("%s/.dockerignore", ctxdir);
		if (read_regular(p, p, DOCKERFILE_MAX, &data, &len, err) < 0 && err->errnum == ENOENT) {
			free(p);
			return NULL;
		}
	}
	if (!data) {
		free(p);
		*rc = -1;
		return NULL;
	}
	struct strv pats;
	strv_init(&pats, NULL);
	struct ignore *ig = NULL;
	if (ignore_read(data, len, &pats, err) < 0) {
		err_wrap(err, "%s", p);
		*rc = -1;
	} else if (!(ig = ignore_new((const char *const *)pats.v, pats.n, err))) {
		err_wrap(err, "%s", qname(p));
		*rc = -1;
	}
	strv_free(&pats);
	free(data);
	free(p);
	return ig;
}

/* ADD of a URL or a git repository: strata reads no network yet */
static bool is_remote(const char *src)
{
	static const char *const schemes[] = {"http://", "https://", "git://", "git@", "ssh://"};
	for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
		if (!strncmp(src, schemes[i], strlen(schemes[i])))
			return true;
	return false;
}

/* everything the Dockerfile names that strata cannot do or find, at its line, before any step runs:
   base images (present, of the stage's platform), COPY --from images, ADD of URLs; 0 or -1 with err */
static int check_plan(struct bctx *b, struct error *err)
{
	const char *path = b->p->df->path;
	for (size_t i = 0; i < b->p->n; i++) {
		const struct stage *st = &b->p->stages[i];
		if (!st->needed)
			continue;
		if (st->base_stage < 0 && strcmp(st->base, "scratch")) {
			char md[DIGEST_SIZE], plat[PLATFORM_MAX];
			struct error e;
			struct image im;
			const char *want = st->platform ? st->platform : b->p->platform;
			const struct node *n = st->from;
			if (find_image(b, st->base, md, &e) <= 0 || image_load(b->s, md, &im, &e) < 0)
				return err_at(err, path, n->line.start_line, n->line.col, "%s", e.msg);
			int r = 0;
			const char *os, *arch, *variant;
			image_platform(&im, &os, &arch, &variant);
			if (st->platform && platform_normalize(st->platform, plat, &e) < 0)
				r = err_at(err, path, n->line.start_line, n->line.col, "FROM --platform=%s: %s", st->platform,
					   e.msg);
			else if (!platform_matches(want, os, arch, variant))
				r = err_at(err, path, n->line.start_line, n->line.col, "image %s is %s/%s%s%s, not %s (the %s)",
					   st->base, os ? os : "?", arch ? arch : "?", variant ? "/" : "",
					   variant ? variant : "", want, st->platform ? "stage's --platform" : "target platform");
			image_free(&im);
			if (r < 0)
				return -1;
		}
		for (size_t k = 0; k < st->nsteps; k++) {
			const struct step *s = &st->steps[k];
			const struct node *n = s->node;
			if ((s->instr == I_COPY || s->instr == I_ADD) && s->from_image && s->from_stage < 0) {
				char md[DIGEST_SIZE];
				struct error e;
				if (find_image(b, s->from_image, md, &e) <= 0)
					return err_at(err, path, n->line.start_line, n->line.col, "%s", e.msg);
			}
			for (size_t a = 0; s->instr == I_ADD && a + 1 < s->nargs; a++)
				if (is_remote(s->args[a]))
					return err_at(err, path, n->line.start_line, n->line.col,
						      "ADD %s: adding from a URL or a git repository is not supported yet",
						      s->args[a]);
		}
	}
	return 0;
}

/* what both passes need: the context checked, the epoch, the Dockerfile parsed and planned, the
   .dockerignore read and the store open; keys: no lock, no mount namespace, no tmp directory */
static int begin(struct bctx *b, const struct build_opts *o, bool keys, struct error *err)
{
	b->o = o;
	b->keys = keys;
	b->ctxdir = o->context;
	b->run.net = o->network;
	b->run.quiet = o->quiet || o->progress == PROGRESS_QUIET;
	b->run.secrets = o->secrets;
	b->run.nsecrets = o->nsecrets;
	b->run.context = o->context;
	b->run.from = mount_from;
	b->run.ctx = b;
	b->run.drop_volatile = o->drop_volatile;
	struct stat st;
	if (stat(o->context, &st) < 0)
		return err_sys(err, "context %s", qname(o->context));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, "context %s: not a directory", qname(o->context));
	if (layer_epoch(&b->epoch, err) < 0)
		return -1;
	char *file = o->file ? xstrdup(o->file) : xasprintf("%s/Dockerfile", o->context);
	size_t len = o->file_len;
	char *data = o->file_data ? xstrndup(o->file_data, o->file_len) : NULL;
	if (!data && read_regular(file, qname(file), DOCKERFILE_MAX, &data, &len, err) < 0) {
		free(file);
		return -1;
	}
	if (store_open(&b->s, err) < 0 || (!keys && store_lock(b->s, false, err) < 0)) {
		free(data), free(file);
		return -1;
	}
	struct dockerfile *df = parse_dockerfile(b->a, arena_strdup(b->a, file), data, len);
	struct plan_opts po = {.target = o->target, .platform = o->platform, .base = base_info, .ctx = b};
	env_copy(&po.build_args, &o->build_args, b->a);
	b->p = plan_build(b->a, df, &po);
	if (b->p->has_epoch)
		b->epoch = b->p->epoch;
	for (size_t i = 0; i < b->p->nwarnings && !o->quiet; i++)
		warn("%s", b->p->warnings[i]);
	/* read before the RUN checks: a bind mount may name what it excludes */
	int irc;
	b->ig = read_ignore(o->context, file, err, &irc);
	b->run.ignore = b->ig;
	free(file);
	if (irc < 0) {
		free(data);
		return -1;
	}
	for (size_t i = 0; i < b->p->n; i++) {
		const struct stage *s = &b->p->stages[i];
		if (!s->needed)
			continue;
		b->total += s->nsteps;
		/* a RUN's flags are checked before the first step runs */
		for (size_t k = 0; k < s->nsteps; k++)
			if (s->steps[k].instr == I_RUN && (exec_run_check(b->a, &s->steps[k], &b->run, err) < 0 ||
							   (!keys && exec_run_ready(&s->steps[k], &b->run, err) < 0))) {
				free(data);
				return err_at(err, df->path, s->steps[k].node->line.start_line,
					      s->steps[k].node->line.col, "%s", err->msg);
			}
	}
	if (b->p->unused_args && !o->quiet)
		warn("build args not consumed by any ARG: %s", b->p->unused_args);
	if (!keys && check_plan(b, err) < 0) {
		free(data);
		return -1;
	}
	free(data);
	if (o->stop && (o->stop_stage < 0 || (size_t)o->stop_stage >= b->p->n || o->stop_step < -1 ||
			o->stop_step >= (int)b->p->stages[o->stop_stage].nsteps))
		return err_set(err, "no step %d.%d in %s", o->stop_stage, o->stop_step + 1, df->path);
	if (!keys && (userns_enter(err) < 0 || sys_private_mounts(err) < 0 || store_tmpdir(b->s, &b->tmpdir, err) < 0))
		return -1;
	b->st = xcalloc(b->p->n, sizeof *b->st);
	return 0;
}

static void end(struct bctx *b)
{
	struct error serr;
	/* a cache that cannot be saved (a read-only store) costs a re-hash next time, nothing more */
	statcache_close(b->sc, &serr);
	if (b->st) {
		for (size_t i = 0; i < b->p->n; i++)
			if (b->st[i].img.config)
				image_free(&b->st[i].img);
		free(b->st);
	}
	if (b->tmpdir) {
		/* ADD extracts archives here */
		store_tmp_discard(b->s, b->tmpdir);
		free(b->tmpdir);
	}
	ignore_free(b->ig);
	store_close(b->s);
}

int build_keys(const struct build_opts *o, struct arena *a, struct plan **out, struct error *err)
{
	struct bctx b = {.a = a};
	int r = -1;
	if (begin(&b, o, true, err) < 0)
		goto out;
	for (size_t i = 0; i < b.p->n; i++)
		if (b.p->stages[i].needed && (!o->stop || (int)i == o->stop_stage) && build_stage(&b, (int)i, err) < 0)
			goto out;
	*out = b.p;
	r = 0;
out:
	end(&b);
	return r;
}

int build_plan(const struct build_opts *o, struct arena *a, struct plan **out, struct error *err)
{
	struct bctx b = {.a = a};
	int r = begin(&b, o, true, err);
	if (r == 0)
		*out = b.p;
	end(&b);
	return r;
}

int build_sources(const struct build_opts *o, int (*fn)(const struct copy_src *src, void *ctx, struct error *err),
		  void *ctx, struct error *err)
{
	struct bctx b = {.a = arena_new()};
	struct copy_src *src = NULL;
	int r = -1;
	if (begin(&b, o, true, err) < 0)
		goto out;
	struct step *s = o->stop && o->stop_step >= 0 ? &b.p->stages[o->stop_stage].steps[o->stop_step] : NULL;
	if (!s || (s->instr != I_COPY && s->instr != I_ADD) || s->from_stage >= 0 || s->from_image) {
		err_set(err, "step %d.%d copies nothing from the context", o->stop_stage, o->stop_step + 1);
		goto out;
	}
	r = collect_sources(&b, b.a, s, &src, NULL, NULL, err);
	if (r == 0)
		r = fn(src, ctx, err);
	if (r < 0)
		step_err(s, b.p->df->path, err);
out:
	copy_free(src);
	end(&b);
	arena_free(b.a);
	return r;
}

int build_layer(const struct build_opts *o, char *key, struct error *err)
{
	struct bctx b = {.a = arena_new()};
	struct copy_src *src = NULL;
	struct image im = {0};
	struct step *s = NULL;
	int r = -1;
	if (begin(&b, o, false, err) < 0)
		goto out;
	s = o->stop && o->stop_step >= 0 ? &b.p->stages[o->stop_stage].steps[o->stop_step] : NULL;
	const struct stage *st = &b.p->stages[o->stop_stage];
	/* the layer alone is the step's own layer when the step needs no parent, or when the parent
	   is FROM scratch */
	bool alone = s && (!s->needs_parent || (o->stop_step == 0 && st->base_stage < 0 && !strcmp(st->base, "scratch")));
	if (!s || (s->instr != I_COPY && s->instr != I_ADD) || s->from_stage >= 0 || s->from_image || !alone ||
	    s->args[s->nargs - 1][0] != '/') {
		err_set(err, "step %d.%d is no COPY from the context to an absolute path that needs no parent",
			o->stop_stage, o->stop_step + 1);
		goto out;
	}
	image_scratch(&im, st->platform ? st->platform : b.p->platform);
	if (collect_sources(&b, b.a, s, &src, NULL, NULL, err) < 0)
		goto out;
	struct exec x = {.a = b.a, .s = b.s, .step = s, .img = &im, .src = src, .tmpdir = b.tmpdir,
			 .epoch = b.epoch, .run = &b.run, .compression = &o->compression, .no_cache = o->no_cache,
			 .layer_key = key};
	r = exec_copy(&x, err);
out:
	if (r < 0 && s)
		step_err(s, b.p->df->path, err);
	if (im.config)
		image_free(&im);
	copy_free(src);
	end(&b);
	arena_free(b.a);
	return r;
}

int build_run(const struct build_opts *o, char out[DIGEST_SIZE], struct error *err)
{
	struct bctx b = {.a = arena_new()};
	int r = -1;
	if (begin(&b, o, false, err) < 0)
		goto out;
	b.prog = progress_new(o->quiet ? PROGRESS_QUIET : (enum progress_mode)o->progress, b.total);
	b.run.prog = b.prog;
	int top = o->stop ? o->stop_stage : b.p->target;
	if (build_stage(&b, top, err) < 0)
		goto out;
	struct image *img = &b.st[top].img;
	if (o->nlabels && !o->stop) {
		/* --label: on the target image only, with no history entry, as BuildKit does */
		for (size_t i = 0; i < o->nlabels; i++) {
			const char *eq = strchr(o->labels[i], '=');
			char *k = arena_strndup(b.a, o->labels[i], eq ? (size_t)(eq - o->labels[i]) : strlen(o->labels[i]));
			image_map_set(img, "Labels", k, eq ? eq + 1 : "");
		}
		if (image_save(b.s, img, b.epoch, err) < 0)
			goto out;
	}
	snprintf(out, DIGEST_SIZE, "%s", img->manifest);
	if (o->stop) {
		r = 0;
		goto out;
	}
	for (size_t i = 0; i < o->ntags; i++) {
		/* a no-op rebuild writes nothing: a tag already right is not written (and synced) again */
		char cur[DIGEST_SIZE];
		if (store_tag_get(b.s, o->tags[i], cur, err) == 1 && !strcmp(cur, img->manifest))
			continue;
		if (store_tag_set(b.s, o->tags[i], img->manifest, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < o->noutputs; i++) {
		double t0 = now();
		progress_work(b.prog, arena_printf(b.a, "writing %s", o->outputs[i]));
		if (o->output(b.s, img->manifest, o->outputs[i], o->ntags ? o->tags[0] : NULL, err) < 0)
			goto out;
		progress_done(b.prog, 0, now() - t0);
	}
	r = 0;
out:
	progress_free(b.prog);
	end(&b);
	arena_free(b.a);
	return r;
}
