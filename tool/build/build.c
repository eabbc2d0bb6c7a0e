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
#include "expand.h"
#include "ignore.h"
#include "image.h"
#include "key.h"
#include "layer.h"
#include "parse.h"
#include "plan.h"
#include "rootfs.h"
#include "store.h"
#include "sys.h"
#include "transport.h"
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
	size_t total, done;
	char *tmpdir;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the plan's view of a base image: its ENV and ONBUILD triggers */
static int base_info(void *ctx, const char *image, const char *platform, struct base_info *out)
{
	struct bctx *b = ctx;
	char name[1024], md[DIGEST_SIZE];
	struct error err;
	if (store_tag_get(b->s, transport_normalize(image, name, sizeof name), md, &err) <= 0)
		return 0;
	struct image im;
	if (image_load(b->s, md, &im, &err) < 0)
		return 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(image_cfg(&im), "Env"), i, v) {
		const char *e = json_string_value(v), *eq = e ? strchr(e, '=') : NULL;
		if (!eq)
			continue;
		char *k = arena_strndup(b->a, e, (size_t)(eq - e));
		env_set(&out->env, k, eq + 1);
	}
	json_t *ob = json_object_get(image_cfg(&im), "OnBuild");
	out->nonbuild = json_array_size(ob);
	out->onbuild = arena_alloc(b->a, (out->nonbuild + 1) * sizeof *out->onbuild);
	json_array_foreach(ob, i, v)
		out->onbuild[i] = arena_strdup(b->a, json_string_value(v) ? json_string_value(v) : "");
	image_free(&im);
	return 1;
}

/* position of a step for messages */
static int step_err(const struct step *s, const char *path, struct error *err)
{
	return err_wrap(err, "%s:%d:%d", path, s->node->line.start_line, s->node->line.col);
}

/* --chown's user[:group] as numbers, names looked up in the parent's /etc/passwd and /etc/group
   (found inside the image: a symlink in it never leads to the host's files) */
static int lookup_id(const char *rootfs, const char *file, const char *name, unsigned *id, unsigned *gid,
		     struct error *err)
{
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	if (*name && !*end) {
		*id = (unsigned)v;
		if (gid)
			*gid = (unsigned)v;
		return 0;
	}
	const char *what = gid ? "user" : "group";
	struct arena *a = arena_new();
	char *rel = rootfs ? copy_resolve(a, rootfs, file) : NULL;
	int fd = rel ? open(arena_printf(a, "%s/%s", rootfs, rel), O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	arena_free(a);
	if (!f) {
		if (fd >= 0)
			close(fd);
		return err_set(err, "unable to find %s %s: no %s in the image", what, name, file);
	}
	char line[4096];
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		/* name:password:id:gid:...; empty fields count, so split at every ':' */
		char *field[4] = {0}, *p = line;
		for (int i = 0; i < 4 && p; i++)
			field[i] = strsep(&p, ":\n");
		if (field[0] && field[2] && !strcmp(field[0], name) && *field[2]) {
			*id = (unsigned)strtoul(field[2], NULL, 10);
			if (gid)
				*gid = field[3] && *field[3] ? (unsigned)strtoul(field[3], NULL, 10) : *id;
			found = 1;
		}
	}
	fclose(f);
	if (!found)
		return err_set(err, "unable to find %s %s: no matching entries in %s", what, name, file);
	return 0;
}

static int chown_ids(const char *rootfs, const char *spec, unsigned *uid, unsigned *gid, struct error *err)
{
	char user[256], group[256] = "";
	const char *colon = strchr(spec, ':');
	if (colon) {
		snprintf(user, sizeof user, "%.*s", (int)(colon - spec), spec);
		snprintf(group, sizeof group, "%s", colon + 1);
	} else {
		snprintf(user, sizeof user, "%s", spec);
	}
	if (!*user)
		return err_set(err, "invalid --chown value '%s'", spec);
	if (lookup_id(rootfs, "etc/passwd", user, uid, gid, err) < 0)
		return -1;
	if (*group && lookup_id(rootfs, "etc/group", group, gid, NULL, err) < 0)
		return -1;
	return 0;
}

static bool needs_names(const char *chown)
{
	if (!chown)
		return false;
	for (const char *p = chown; *p; p++)
		if (*p != ':' && (*p < '0' || *p > '9'))
			return true;
	return false;
}

/* path.Join(workdir, p) unless p is absolute; a trailing '/' of p is kept */
static char *abs_path(struct arena *a, struct image *im, const char *p)
{
	if (p[0] == '/')
		return arena_strdup(a, p);
	const char *wd = json_string_value(json_object_get(image_cfg(im), "WorkingDir"));
	if (!wd || !*wd)
		wd = "/";
	return arena_printf(a, "%s%s%s", wd, wd[strlen(wd) - 1] == '/' ? "" : "/", p);
}

/* Go's path.Clean for an absolute path */
static char *clean_abs(struct arena *a, const char *p)
{
	struct strv parts;
	strv_init(&parts, a);
	char *w = arena_strdup(a, p);
	for (char *save, *t = strtok_r(w, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (parts.n)
				parts.n--;
			continue;
		}
		strv_push(&parts, t);
	}
	struct buf b;
	buf_init(&b, a);
	for (size_t i = 0; i < parts.n; i++) {
		buf_putc(&b, '/');
		buf_puts(&b, parts.v[i]);
	}
	return b.len ? b.s : arena_strdup(a, "/");
}

/* write entries as a layer blob and add it to im */
static int add_layer(struct bctx *b, struct image *im, struct layer_entry *e, size_t n, struct error *err)
{
	char *tmp;
	int fd;
	if (store_tmpfile(b->s, &tmp, &fd, err) < 0)
		return -1;
	struct layer_digests d;
	int r = layer_write(e, n, b->epoch, fd, &d, err);
	if (r < 0) {
		close(fd);
		unlink(tmp);
	} else {
		r = store_blob_commit(b->s, tmp, fd, d.digest, err);
	}
	free(tmp);
	if (r == 0)
		image_add_layer(im, &d);
	return r;
}

static void set_list(json_t *cfg, const char *field, const char *const *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	json_object_set_new(cfg, field, arr);
}

/* CMD/ENTRYPOINT/HEALTHCHECK's command: exec form as is, shell form through SHELL */
static json_t *command_of(json_t *cfg, const char *const *args, size_t n, bool json, const char *prefix)
{
	json_t *arr = json_array();
	if (prefix)
		json_array_append_new(arr, json_string(prefix));
	if (json || prefix) {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_string(args[i]));
		return arr;
	}
	json_t *shell = json_object_get(cfg, "Shell");
	if (json_is_array(shell) && json_array_size(shell)) {
		size_t i;
		json_t *v;
		json_array_foreach(shell, i, v)
			json_array_append(arr, v);
	} else {
		json_array_append_new(arr, json_string("/bin/sh"));
		json_array_append_new(arr, json_string("-c"));
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(args[i]));
	return arr;
}

static int expose(json_t *cfg, const char *spec, struct error *err)
{
	char port[64], proto[16] = "tcp";
	const char *slash = strchr(spec, '/');
	if (slash) {
		snprintf(port, sizeof port, "%.*s", (int)(slash - spec), spec);
		snprintf(proto, sizeof proto, "%s", slash + 1);
		for (char *q = proto; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q += 32;
	} else {
		snprintf(port, sizeof port, "%s", spec);
	}
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return err_set(err, "invalid proto '%s' in EXPOSE %s", proto, spec);
	char *end;
	long lo = strtol(port, &end, 10), hi = lo;
	if (*end == '-')
		hi = strtol(end + 1, &end, 10);
	if (*end || !*port || lo < 0 || hi > 65535 || lo > hi)
		return err_set(err, "invalid port '%s' in EXPOSE", spec);
	json_t *ports = json_object_get(cfg, "ExposedPorts");
	if (!json_is_object(ports)) {
		ports = json_object();
		json_object_set_new(cfg, "ExposedPorts", ports);
	}
	for (long p = lo; p <= hi; p++) {
		char k[40];
		snprintf(k, sizeof k, "%ld/%s", p, proto);
		json_object_set_new(ports, k, json_object());
	}
	return 0;
}

static const char *const signals[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
	"ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
	"VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS", "IOT", "POLL", "CLD",
};

static bool valid_signal(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end)
		return v > 0 && v < 65;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5))
		return true;
	for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
		if (!strcasecmp(s, signals[i]))
			return true;
	return false;
}

static void set_env(json_t *cfg, const char *k, const char *v)
{
	json_t *env = json_object_get(cfg, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	char *kv = xasprintf("%s=%s", k, v);
	size_t n = strlen(k), i;
	json_t *e;
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s && !strncmp(s, k, n) && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* the metadata instructions: a config change and a history entry, no layer */
static int apply_meta(struct bctx *b, struct bstage *bs, const struct step *s, struct error *err)
{
	json_t *cfg = image_cfg(&bs->img);
	switch (s->instr) {
	case I_ENV:
		for (size_t i = 0; i < s->nkvs; i++)
			set_env(cfg, s->kvs[i].key, s->kvs[i].value);
		break;
	case I_LABEL: {
		json_t *l = json_object_get(cfg, "Labels");
		if (!json_is_object(l)) {
			l = json_object();
			json_object_set_new(cfg, "Labels", l);
		}
		for (size_t i = 0; i < s->nkvs; i++)
			json_object_set_new(l, s->kvs[i].key, json_string(s->kvs[i].value));
		break;
	}
	case I_MAINTAINER:
		json_object_set_new(bs->img.config, "author", json_string(s->args[0]));
		break;
	case I_EXPOSE:
		for (size_t i = 0; i < s->nargs; i++)
			if (expose(cfg, s->args[i], err) < 0)
				return -1;
		break;
	case I_USER:
		json_object_set_new(cfg, "User", json_string(s->args[0]));
		break;
	case I_VOLUME: {
		json_t *v = json_object_get(cfg, "Volumes");
		if (!json_is_object(v)) {
			v = json_object();
			json_object_set_new(cfg, "Volumes", v);
		}
		for (size_t i = 0; i < s->nargs; i++)
			json_object_set_new(v, s->args[i], json_object());
		break;
	}
	case I_STOPSIGNAL:
		if (!valid_signal(s->args[0]))
			return err_set(err, "invalid signal '%s' in STOPSIGNAL", s->args[0]);
		json_object_set_new(cfg, "StopSignal", json_string(s->args[0]));
		break;
	case I_CMD:
		/* an empty list clears, as docker stores no Cmd for CMD [] */
		if (s->nargs == 0)
			json_object_del(cfg, "Cmd");
		else
			json_object_set_new(cfg, "Cmd", command_of(cfg, s->args, s->nargs, s->json, NULL));
		bs->cmd_set = true;
		break;
	case I_ENTRYPOINT:
		if (s->nargs == 0)
			json_object_del(cfg, "Entrypoint");
		else
			json_object_set_new(cfg, "Entrypoint", command_of(cfg, s->args, s->nargs, s->json, NULL));
		/* an ENTRYPOINT drops a CMD inherited from the base, as docker does */
		if (!bs->cmd_set)
			json_object_del(cfg, "Cmd");
		break;
	case I_SHELL:
		set_list(cfg, "Shell", s->args, s->nargs);
		break;
	case I_ONBUILD: {
		json_t *ob = json_object_get(cfg, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(cfg, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(s->original));
		break;
	}
	case I_HEALTHCHECK: {
		json_t *h = json_object();
		if (!strcasecmp(s->args[0], "NONE")) {
			json_t *t = json_array();
			json_array_append_new(t, json_string("NONE"));
			json_object_set_new(h, "Test", t);
		} else {
			const char *prefix = s->json ? "CMD" : "CMD-SHELL";
			json_object_set_new(h, "Test", command_of(cfg, s->args + 1, s->nargs - 1, true, prefix));
			static const char *const durs[][2] = {{"interval", "Interval"}, {"timeout", "Timeout"},
							      {"start-period", "StartPeriod"},
							      {"start-interval", "StartInterval"}};
			for (size_t i = 0; i < 4; i++) {
				const char *dv = step_flag(s, durs[i][0]);
				long long ns = dv ? plan_duration(dv) : 0;
				if (ns > 0)
					json_object_set_new(h, durs[i][1], json_integer(ns));
			}
			const char *r = step_flag(s, "retries");
			if (r && atoi(r))
				json_object_set_new(h, "Retries", json_integer(atoi(r)));
		}
		json_object_set_new(cfg, "Healthcheck", h);
		break;
	}
	default:
		break;
	}
	return 0;
}

static int open_rootfs(struct bctx *b, const struct image *im, struct rootfs **r, struct error *err)
{
	return rootfs_open(b->s, im, r, err);
}

static int build_stage(struct bctx *b, int idx, struct error *err);

/* COPY and ADD; rootfs is the parent's filesystem */
static int do_copy(struct bctx *b, struct bstage *bs, const struct step *s, struct copy_src *src,
		   struct error *err)
{
	struct rootfs *rf = NULL;
	bool link = step_flag(s, "link") && !strcmp(step_flag(s, "link"), "true");
	const char *chown = step_flag(s, "chown");
	int r = -1;
	if ((!link || needs_names(chown)) && open_rootfs(b, &bs->img, &rf, err) < 0)
		return -1;
	struct copy_dest d = {0};
	d.instr = instr_name(s->instr);
	d.rootfs = link ? NULL : rootfs_path(rf);
	d.chmod = step_flag(s, "chmod");
	d.parents = step_flag(s, "parents") && !strcmp(step_flag(s, "parents"), "true");
	d.add = s->instr == I_ADD;
	d.tmpdir = b->tmpdir;
	d.dest = abs_path(b->a, &bs->img, s->args[s->nargs - 1]);
	if (chown) {
		d.chown = true;
		if (chown_ids(rf ? rootfs_path(rf) : NULL, chown, &d.uid, &d.gid, err) < 0)
			goto out;
	}
	if (d.chmod && copy_chmod(d.chmod, 0644, false) < 0) {
		err_set(err, "invalid --chmod value '%s'", d.chmod);
		goto out;
	}
	struct layer_entry *e;
	size_t n;
	if (copy_entries(b->a, src, &d, &e, &n, err) < 0)
		goto out;
	r = add_layer(b, &bs->img, e, n, err);
	/* the step key hashed the sources before they were written: a file changed in between
	   would file new content under the old key */
	if (r == 0)
		r = copy_unchanged(src, err);
out:
	rootfs_close(rf);
	return r;
}

/* the sources of a COPY/ADD step: context, another stage, or an image */
static int collect_sources(struct bctx *b, const struct step *s, struct copy_src **src, struct rootfs **from_rf,
			   struct image *from_img, struct error *err)
{
	struct copy_opts *o = arena_alloc(b->a, sizeof *o);
	memset(o, 0, sizeof *o);
	struct strv ex;
	strv_init(&ex, b->a);
	for (size_t i = 0; i < s->nflags; i++)
		if (!strcmp(s->flags[i].name, "exclude"))
			strv_push(&ex, (char *)s->flags[i].value);
	o->excludes = (const char *const *)ex.v;
	o->nexcludes = ex.n;
	if (s->from_stage >= 0 || s->from_image) {
		const struct image *im;
		if (s->from_stage >= 0) {
			if (build_stage(b, s->from_stage, err) < 0)
				return -1;
			im = &b->st[s->from_stage].img;
			o->what = arena_printf(b->a, "stage %s", s->from_image ? s->from_image
							: b->p->stages[s->from_stage].name ? b->p->stages[s->from_stage].name
							: "(unnamed)");
		} else {
			char name[1024], md[DIGEST_SIZE];
			int t = store_tag_get(b->s, transport_normalize(s->from_image, name, sizeof name), md, err);
			if (t < 0)
				return -1;
			if (t == 0)
				return err_set(err, "image %s: not in the store (strata import it first)", name);
			if (image_load(b->s, md, from_img, err) < 0)
				return -1;
			im = from_img;
			o->what = arena_printf(b->a, "image %s", name);
		}
		if (rootfs_open(b->s, im, from_rf, err) < 0)
			return -1;
		o->root = rootfs_path(*from_rf);
	} else {
		o->root = b->ctxdir;
		o->context = true;
		o->ignore = b->ig;
		o->what = "the build context";
	}
	/* heredoc sources are data; the rest are paths */
	struct strv pats;
	strv_init(&pats, b->a);
	for (size_t i = 0; i + 1 < s->nargs; i++) {
		const struct node *n = s->node;
		bool hd = false;
		for (size_t h = 0; h < n->nheredocs && !hd; h++) {
			const char *a = s->args[i];
			while (*a >= '0' && *a <= '9')
				a++;
			hd = !strncmp(a, "<<", 2);
		}
		if (!hd)
			strv_push(&pats, (char *)s->args[i]);
	}
	if (pats.n) {
		if (copy_collect(b->a, o, (const char *const *)pats.v, pats.n, src, err) < 0)
			return -1;
	} else {
		*src = copy_new(b->a);
	}
	for (size_t h = 0; h < s->node->nheredocs; h++) {
		const struct heredoc *hd = &s->node->heredocs[h];
		struct buf body;
		buf_init(&body, b->a);
		buf_puts(&body, "");
		for (const char *p = hd->content; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
			const char *q = p;
			if (hd->chomp)
				while (q < p + len && *q == '\t')
					q++;
			buf_putn(&body, q, len - (size_t)(q - p));
			p += len;
		}
		const char *data = body.s;
		if (hd->expand) {
			/* only variables expand in a heredoc's body: its quotes belong to the file */
			struct env view = *s->env;
			view.fallback = s->args_env;
			struct expand x = {.a = b->a, .env = &view, .escape = '\\', .skip_quotes = true};
			char *out;
			if (expand_word(&x, body.s, &out) < 0)
				return err_set(err, "heredoc %s: %s", hd->name, x.err);
			data = out;
		}
		copy_add_data(*src, hd->name, data, strlen(data));
	}
	return 0;
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
	for (size_t i = 0; s->args_env && i < s->args_env->n; i++) {
		key_str(k, s->args_env->v[i].name);
		key_str(k, s->args_env->v[i].value);
	}
}

static void progress(struct bctx *b, const struct step *s, const char *what, double secs)
{
	b->done++;
	if (b->o->quiet)
		return;
	char line[120];
	snprintf(line, sizeof line, "%s", s->instr == I_ONBUILD ? s->node->line.text : s->original);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	if (secs >= 0)
		fprintf(stderr, "[%zu/%zu] %s (%.2fs)\n", b->done, b->total, line, secs);
	else
		fprintf(stderr, "[%zu/%zu] %s (%s)\n", b->done, b->total, line, what);
}

static int run_step(struct bctx *b, struct bstage *bs, struct step *s, struct error *err)
{
	double t0 = now();
	struct key k;
	key_init(&k);
	key_str(&k, KEY_VERSION);
	key_str(&k, bs->key);
	key_str(&k, b->p->platform);
	key_u64(&k, (uint64_t)b->epoch);
	hash_step(&k, s);
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
		} else {
			char name[1024], md[DIGEST_SIZE];
			int t = store_tag_get(b->s, transport_normalize(s->from_image, name, sizeof name), md, err);
			if (t <= 0) {
				if (t == 0)
					err_set(err, "image %s: not in the store (strata import it first)", name);
				key_final(&k, bs->key);
				goto out;
			}
			key_str(&k, md);
		}
	} else if (copies) {
		if (collect_sources(b, s, &src, &from_rf, &from_img, err) < 0) {
			key_final(&k, bs->key);
			goto out;
		}
		copy_hash(src, &k);
	}
	char key[KEY_HEX];
	key_final(&k, key);
	char *text = NULL;
	int hit = b->o->no_cache ? 0 : store_result_get(b->s, key, &text, err);
	if (hit < 0)
		goto out;
	memcpy(s->key, key, KEY_HEX);
	s->cached = hit > 0;
	if (b->o->on_plan) {
		/* keys only: the next key needs this key, not this step's image */
		free(text);
		memcpy(bs->key, key, KEY_HEX);
		r = 0;
		goto out;
	}
	if (hit) {
		json_error_t je;
		json_t *j = json_loads(text, 0, &je);
		free(text);
		const char *md = json_string_value(json_object_get(j, "manifest"));
		struct image im;
		if (md && image_load(b->s, md, &im, err) == 0) {
			json_decref(j);
			image_free(&bs->img);
			bs->img = im;
			if (s->instr == I_CMD)
				bs->cmd_set = true;
			memcpy(bs->key, key, KEY_HEX);
			progress(b, s, "cached", -1);
			r = 0;
			goto out;
		}
		json_decref(j);
		/* a result whose image is gone or corrupt is rebuilt */
	}
	if (from && collect_sources(b, s, &src, &from_rf, &from_img, err) < 0)
		goto out;
	switch (s->instr) {
	case I_COPY:
	case I_ADD:
		if (do_copy(b, bs, s, src, err) < 0)
			goto out;
		image_history(&bs->img, s->node->line.text, false, b->epoch);
		break;
	case I_WORKDIR: {
		json_t *cfg = image_cfg(&bs->img);
		char *wd = clean_abs(b->a, abs_path(b->a, &bs->img, s->args[0]));
		json_object_set_new(cfg, "WorkingDir", json_string(wd));
		struct rootfs *rf;
		if (open_rootfs(b, &bs->img, &rf, err) < 0)
			goto out;
		char *res = copy_resolve(b->a, rootfs_path(rf), wd + 1);
		struct stat st;
		bool exists = res && stat(arena_printf(b->a, "%s/%s", rootfs_path(rf), res), &st) == 0 &&
			      S_ISDIR(st.st_mode);
		int lr = 0;
		if (!exists && strcmp(wd, "/") != 0) {
			struct copy_src *empty = copy_new(b->a);
			copy_add_data(empty, ".", "", 0);
			/* a directory made as COPY makes the parents of what it copies */
			struct copy_dest d = {.dest = arena_printf(b->a, "%s/.keep", wd), .rootfs = rootfs_path(rf),
					      .instr = "WORKDIR"};
			/* BuildKit makes the directories it creates the current USER's */
			const char *user = json_string_value(json_object_get(cfg, "User"));
			/* a user the image does not know makes root's directories, as BuildKit's readUser */
			struct error ignored;
			if (user && *user && chown_ids(rootfs_path(rf), user, &d.uid, &d.gid, &ignored) == 0)
				d.chown = true;
			struct layer_entry *e;
			size_t n;
			if (lr == 0)
				lr = copy_entries(b->a, empty, &d, &e, &n, err);
			if (lr == 0) {
				/* keep the directories, not the placeholder file */
				size_t w = 0;
				for (size_t i = 0; i < n; i++)
					if (e[i].type == LAYER_DIR)
						e[w++] = e[i];
				lr = add_layer(b, &bs->img, e, w, err);
			}
		}
		rootfs_close(rf);
		if (lr < 0)
			goto out;
		image_history(&bs->img, s->node->line.text, exists || !strcmp(wd, "/"), b->epoch);
		break;
	}
	case I_ARG:
		image_history(&bs->img, s->node->line.text, true, b->epoch);
		break;
	case I_RUN:
		err_set(err, "RUN is not supported yet");
		goto out;
	default:
		if (apply_meta(b, bs, s, err) < 0)
			goto out;
		image_history(&bs->img, s->node->line.text, true, b->epoch);
		break;
	}
	if (image_save(b->s, &bs->img, b->epoch, err) < 0)
		goto out;
	char *res = xasprintf("{\"manifest\":\"%s\"}\n", bs->img.manifest);
	r = store_result_put(b->s, key, res, err);
	free(res);
	memcpy(bs->key, key, KEY_HEX);
	progress(b, s, NULL, now() - t0);
out:
	copy_free(src);
	rootfs_close(from_rf);
	if (from_img.config)
		image_free(&from_img);
	if (r < 0)
		step_err(s, b->p->df->path, err);
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
		key_str(&k, "scratch");
		key_str(&k, platform);
	} else {
		char name[1024], md[DIGEST_SIZE];
		int t = store_tag_get(b->s, transport_normalize(st->base, name, sizeof name), md, err);
		if (t <= 0) {
			key_final(&k, bs->key);
			if (t == 0)
				err_set(err, "image %s: not in the store (strata import it first)", name);
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
	json_object_del(image_cfg(&bs->img), "OnBuild");
	if (!image_env(&bs->img, "PATH"))
		set_env(image_cfg(&bs->img), "PATH", PLAN_DEFAULT_PATH);
	for (size_t i = 0; i < st->nsteps; i++)
		if (run_step(b, bs, &st->steps[i], err) < 0)
			return -1;
	if ((!bs->img.manifest[0] || st->nsteps == 0) && !b->o->on_plan) {
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
	char *data = read_file(p, &len);
	if (!data) {
		free(p);
		p = xasprintf("%s/.dockerignore", ctxdir);
		data = read_file(p, &len);
	}
	if (!data) {
		free(p);
		return NULL;
	}
	struct strv pats;
	strv_init(&pats, NULL);
	char *msg = NULL;
	struct ignore *ig = NULL;
	if (ignore_read(data, len, &pats, err) < 0) {
		err_wrap(err, "%s", p);
		*rc = -1;
	} else if (!(ig = ignore_new((const char *const *)pats.v, pats.n, &msg))) {
		err_set(err, "%s: %s", p, msg ? msg : "invalid pattern");
		*rc = -1;
	}
	free(msg);
	strv_free(&pats);
	free(data);
	free(p);
	return ig;
}

int build_run(const struct build_opts *o, char out[DIGEST_SIZE], struct error *err)
{
	struct bctx b = {0};
	int r = -1;
	b.o = o;
	b.a = arena_new();
	b.ctxdir = o->context;
	struct stat st;
	if (stat(o->context, &st) < 0) {
		err_sys(err, "context %s", o->context);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		err_set(err, "context %s: not a directory", o->context);
		goto out;
	}
	if (transport_epoch(&b.epoch, err) < 0)
		goto out;
	char *file = o->file ? xstrdup(o->file) : xasprintf("%s/Dockerfile", o->context);
	size_t len;
	char *data = read_file(file, &len);
	if (!data) {
		err_sys(err, "%s", file);
		free(file);
		goto out;
	}
	if (store_open(&b.s, err) < 0 || store_lock(b.s, false, err) < 0) {
		free(data), free(file);
		goto out;
	}
	struct dockerfile *df = parse_dockerfile(b.a, arena_strdup(b.a, file), data, len);
	struct plan_opts po = {.target = o->target, .platform = o->platform, .base = base_info, .ctx = &b};
	env_copy(&po.build_args, &o->build_args, b.a);
	b.p = plan_build(b.a, df, &po);
	for (size_t i = 0; i < b.p->n; i++) {
		const struct stage *s = &b.p->stages[i];
		if (!s->needed)
			continue;
		b.total += s->nsteps;
		for (size_t k = 0; k < s->nsteps && !o->on_plan; k++)
			if (s->steps[k].instr == I_RUN)
				fatal_at(df->path, s->steps[k].node->line.start_line, s->steps[k].node->line.col,
					 "RUN is not supported yet: this strata builds FROM, COPY, ADD and metadata "
					 "instructions");
	}
	if (b.p->unused_args && !o->quiet)
		warn("build args not consumed by any ARG: %s", b.p->unused_args);
	free(data);
	int irc;
	b.ig = read_ignore(o->context, file, err, &irc);
	free(file);
	if (irc < 0)
		goto out;
	if (sys_private_mounts(err) < 0 || store_tmpdir(b.s, &b.tmpdir, err) < 0)
		goto out;
	b.st = xcalloc(b.p->n, sizeof *b.st);
	if (o->on_plan) {
		for (size_t i = 0; i < b.p->n; i++)
			if (b.p->stages[i].needed && build_stage(&b, (int)i, err) < 0)
				goto out;
		o->on_plan(b.p, o->ctx);
		r = 0;
		goto out;
	}
	if (build_stage(&b, b.p->target, err) < 0)
		goto out;
	struct image *img = &b.st[b.p->target].img;
	snprintf(out, DIGEST_SIZE, "%s", img->manifest);
	for (size_t i = 0; i < o->ntags; i++) {
		char name[1024];
		if (store_tag_set(b.s, transport_normalize(o->tags[i], name, sizeof name), img->manifest, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < o->noutputs; i++) {
		char name[1024] = "latest";
		if (o->ntags)
			transport_normalize(o->tags[0], name, sizeof name);
		if (transport_export(b.s, img->manifest, o->outputs[i], o->ntags ? name : NULL, err) < 0)
			goto out;
	}
	r = 0;
out:
	if (b.st) {
		for (size_t i = 0; i < b.p->n; i++)
			if (b.st[i].img.config)
				image_free(&b.st[i].img);
		free(b.st);
	}
	if (b.tmpdir) {
		/* ADD extracts archives here */
		store_tmp_discard(b.s, b.tmpdir);
		free(b.tmpdir);
	}
	ignore_free(b.ig);
	store_close(b.s);
	arena_free(b.a);
	return r;
}
