#include "exec_copy.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "error.h"
#include "exec.h"
#include "expand.h"
#include "history.h"
#include "image.h"
#include "key.h"
#include "layer.h"
#include "plan.h"
#include "rootfs.h"
#include "store.h"
#include "utf8.h"
#include "util.h"

/* one id field of etc/passwd or etc/group: 32 bits and not chown's -1, or an error naming it */
static int id_field(const char *v, const char *what, const char *name, const char *file, const char *field,
		    unsigned *id, struct error *err)
{
	if (id_parse(v, id) == 0)
		return 0;
	return err_set(err, "%s %s in %s: %s \"%.40s\" is not a number from 0 to %llu", what, name, file, field, v,
		       ID_MAX);
}

/* --chown's user[:group] as numbers, as BuildKit's parseUID reads them (decimal up to 32 bits,
   "root" is 0); anything else is a name looked up in the parent's /etc/passwd and /etc/group
   (found inside the image: a symlink in it never leads to the host's files) */
static int lookup_id(const char *rootfs, const char *file, const char *name, unsigned *id, unsigned *gid,
		     struct error *err)
{
	if (id_parse(name, id) == 0 || !strcmp(name, "root")) {
		if (!strcmp(name, "root"))
			*id = 0;
		if (gid)
			*gid = *id;
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
		return err_set(err, "unable to find %s %s: no %s in the image", what, qname(name), file);
	}
	char line[4096];
	int found = 0, rc = 0;
	while (!found && rc == 0 && fgets(line, sizeof line, f)) {
		/* name:password:id:gid:...; empty fields count, so split at every ':' */
		char *field[4] = {0}, *p = line;
		for (int i = 0; i < 4 && p; i++)
			field[i] = strsep(&p, ":\n");
		if (field[0] && field[2] && !strcmp(field[0], name) && *field[2]) {
			found = 1;
			rc = id_field(field[2], what, name, file, gid ? "uid" : "gid", id, err);
			if (rc == 0 && gid && field[3] && *field[3])
				rc = id_field(field[3], what, name, file, "gid", gid, err);
			else if (rc == 0 && gid)
				*gid = *id;
		}
	}
	fclose(f);
	if (rc < 0)
		return -1;
	if (!found)
		return err_set(err, "unable to find %s %s: no matching entries in %s", what, qname(name), file);
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
		return err_set(err, "invalid --chown value '%s'", qname(spec));
	if (lookup_id(rootfs, "etc/passwd", user, uid, gid, err) < 0)
		return -1;
	if (*group && lookup_id(rootfs, "etc/group", group, gid, NULL, err) < 0)
		return -1;
	return 0;
}

/* path.Join(workdir, p) unless p is absolute; a trailing '/' of p is kept */
static char *abs_path(struct arena *a, struct image *im, const char *p)
{
	if (p[0] == '/')
		return arena_strdup(a, p);
	const char *wd = image_get(im, "WorkingDir");
	if (!wd || !*wd)
		wd = "/";
	return arena_printf(a, "%s%s%s", wd, wd[strlen(wd) - 1] == '/' ? "" : "/", p);
}

/* the key of a layer that needs no parent: what it is made of (the sources' hash, the flags, the
   resolved destination) and how it is written (epoch, compression), not the image below it */
static void layer_key(struct exec *x, const char *dest, char out[KEY_HEX])
{
	const struct step *s = x->step;
	struct key k;
	key_init(&k);
	key_str(&k, "copy-layer");
	key_str(&k, KEY_VERSION);
	key_str(&k, compress_name(x->compression->method));
	struct error ignored;
	key_u64(&k, (uint64_t)compress_level(x->compression, &ignored));
	key_u64(&k, (uint64_t)x->epoch);
	key_str(&k, instr_name(s->instr));
	key_u64(&k, s->nflags);
	for (size_t i = 0; i < s->nflags; i++) {
		key_str(&k, s->flags[i].name);
		key_str(&k, s->flags[i].value);
	}
	key_str(&k, dest);
	copy_hash(x->src, &k);
	key_final(&k, out);
}

/* the layer filed under lk (by an earlier build, or by the graph's own layer target): 1 and d,
   0 when there is none or its blob is gone */
static int layer_get(struct exec *x, const char *lk, struct layer_digests *d, struct error *err)
{
	char *text = NULL;
	int r = store_result_get(x->s, lk, &text, err);
	if (r <= 0)
		return r;
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	const char *dg = json_string_value(json_object_get(j, "layer")), *id = json_string_value(json_object_get(j, "diff_id"));
	json_t *size = json_object_get(j, "size");
	r = 0;
	if (dg && id && json_is_integer(size) && strlen(dg) < DIGEST_SIZE && strlen(id) < DIGEST_SIZE &&
	    store_blob_has(x->s, dg)) {
		snprintf(d->digest, DIGEST_SIZE, "%s", dg);
		snprintf(d->diff_id, DIGEST_SIZE, "%s", id);
		d->size = json_integer_value(size);
		d->method = x->compression->method;
		r = 1;
	}
	json_decref(j);
	return r;
}

static int layer_put(struct exec *x, const char *lk, const struct layer_digests *d, struct error *err)
{
	char *text = xasprintf("{\"layer\":\"%s\",\"diff_id\":\"%s\",\"size\":%lld}\n", d->digest, d->diff_id, d->size);
	int r = store_result_put(x->s, lk, text, err);
	free(text);
	return r;
}

int exec_copy(struct exec *x, struct error *err)
{
	const struct step *s = x->step;
	struct rootfs *rf = NULL;
	bool link = step_flag(s, "link") && !strcmp(step_flag(s, "link"), "true");
	const char *chown = step_flag(s, "chown");
	int r = -1;
	/* the plan says whether the layer depends on the parent (no --link, or --chown by name) */
	if (s->needs_parent && rootfs_open(x->s, x->img, &rf, err) < 0)
		return -1;
	struct copy_dest d = {0};
	d.instr = instr_name(s->instr);
	d.rootfs = link ? NULL : rootfs_path(rf);
	d.chmod = step_flag(s, "chmod");
	d.parents = step_flag(s, "parents") && !strcmp(step_flag(s, "parents"), "true");
	/* ADD unpacks local archives unless --unpack=false */
	d.add = s->instr == I_ADD && !(step_flag(s, "unpack") && !strcmp(step_flag(s, "unpack"), "false"));
	d.tmpdir = x->tmpdir;
	d.dest = abs_path(x->a, x->img, s->args[s->nargs - 1]);
	if (chown) {
		d.chown = true;
		if (chown_ids(rf ? rootfs_path(rf) : NULL, chown, &d.uid, &d.gid, err) < 0)
			goto out;
	}
	if (d.chmod && copy_chmod(d.chmod, 0644, false) < 0) {
		err_set(err, "invalid --chmod value '%s'", qname(d.chmod));
		goto out;
	}
	/* a layer that needs no parent (COPY --link from the context, or a COPY onto no layers) is
	   filed under a key of its own, so a changed step below it costs a lookup, and a graph can write it beside the chain */
	char lk[KEY_HEX] = "";
	/* (a parent without layers, FROM scratch, is an empty tree: nothing of it can show) */
	bool own = (!s->needs_parent || image_nlayers(x->img) == 0) && s->from_stage < 0 && !s->from_image &&
		   x->compression;
	if (own)
		layer_key(x, d.dest, lk);
	if (x->layer_key)
		snprintf(x->layer_key, KEY_HEX, "%s", lk);
	struct layer_digests ld;
	int got = own && !x->no_cache ? layer_get(x, lk, &ld, err) : 0;
	if (got < 0)
		goto out;
	if (got) {
		image_add_layer(x->img, &ld);
		r = 0;
	} else {
		struct layer_entry *e;
		size_t n;
		if (copy_entries(x->a, x->src, &d, &e, &n, err) < 0)
			goto out;
		r = exec_write_layer(x, e, n, &ld, err);
		/* the step key hashed the sources before they were written: a file changed in between
		   would file new content under the old key */
		if (r == 0)
			r = copy_unchanged(x->src, err);
		if (r == 0 && own)
			r = layer_put(x, lk, &ld, err);
		if (r == 0)
			image_add_layer(x->img, &ld);
	}
	if (r == 0)
		image_history(x->img, history_text(x->a, s, x->img), false, x->epoch);
out:
	rootfs_close(rf);
	return r;
}

int exec_workdir(struct exec *x, struct error *err)
{
	const struct step *s = x->step;
	char *wd = path_clean_arena(x->a, abs_path(x->a, x->img, s->args[0]));
	image_set(x->img, "WorkingDir", wd);
	struct rootfs *rf;
	if (rootfs_open(x->s, x->img, &rf, err) < 0)
		return -1;
	char *res = copy_resolve(x->a, rootfs_path(rf), wd + 1);
	struct stat st;
	bool exists = res && stat(arena_printf(x->a, "%s/%s", rootfs_path(rf), res), &st) == 0 &&
		      S_ISDIR(st.st_mode);
	int lr = 0;
	if (!exists && strcmp(wd, "/") != 0) {
		struct copy_src *empty = copy_new(x->a);
		copy_add_data(empty, ".", "", 0);
		/* a directory made as COPY makes the parents of what it copies */
		struct copy_dest d = {.dest = arena_printf(x->a, "%s/.keep", wd), .rootfs = rootfs_path(rf),
				      .instr = "WORKDIR"};
		/* BuildKit makes the directories it creates the current USER's */
		const char *user = image_get(x->img, "User");
		/* a user the image does not know makes root's directories, as BuildKit's readUser */
		struct error ignored;
		if (user && *user && chown_ids(rootfs_path(rf), user, &d.uid, &d.gid, &ignored) == 0)
			d.chown = true;
		struct layer_entry *e;
		size_t n;
		if (lr == 0)
			lr = copy_entries(x->a, empty, &d, &e, &n, err);
		if (lr == 0) {
			/* keep the directories, not the placeholder file */
			size_t w = 0;
			for (size_t i = 0; i < n; i++)
				if (e[i].type == LAYER_DIR)
					e[w++] = e[i];
			lr = exec_add_layer(x, e, w, err);
		}
		copy_free(empty);
	}
	rootfs_close(rf);
	if (lr < 0)
		return -1;
	image_history(x->img, history_text(x->a, s, x->img), exists || !strcmp(wd, "/"), x->epoch);
	return 0;
}

int exec_copy_sources(struct arena *a, const struct step *s, struct copy_opts *o, struct copy_src **src,
		      struct error *err)
{
	struct strv ex;
	strv_init(&ex, a);
	for (size_t i = 0; i < s->nflags; i++)
		if (!strcmp(s->flags[i].name, "exclude"))
			strv_push(&ex, (char *)s->flags[i].value);
	o->excludes = (const char *const *)ex.v;
	o->nexcludes = ex.n;
	o->parents = step_flag(s, "parents") && !strcmp(step_flag(s, "parents"), "true");
	/* heredoc sources are data; the rest are paths */
	struct strv pats;
	strv_init(&pats, a);
	for (size_t i = 0; i + 1 < s->nargs; i++) {
		if (!plan_heredoc_arg(s->node, s->args[i]))
			strv_push(&pats, (char *)s->args[i]);
	}
	if (pats.n) {
		if (copy_collect(a, o, (const char *const *)pats.v, pats.n, src, err) < 0)
			return -1;
	} else {
		*src = copy_new(a);
	}
	for (size_t h = 0; h < s->node->nheredocs; h++) {
		const struct heredoc *hd = &s->node->heredocs[h];
		struct buf body;
		buf_init(&body, a);
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
			struct expand x = {.a = a, .env = &view, .escape = '\\', .skip_quotes = true};
			char *out;
			if (expand_word(&x, body.s, &out) < 0)
				return err_set(err, "heredoc %s: %s", qname(hd->name), x.err);
			data = out;
		}
		copy_add_data(*src, hd->name, data, strlen(data));
	}
	return 0;
}
