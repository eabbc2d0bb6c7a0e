/* strata gen: a plan written as a Makefile or a build.ninja. Node names under the build
   directory D, for stage S and step I (0 is the FROM):
     D/S.I.step   what the step's key hashes besides its inputs (written here)
     D/S.I.src    a COPY/ADD source-set digest, D/S.I.src.d its depfile
     D/S.I.key    the step key
     D/S.I.img    the step's key once the store holds its result
     D/image      the target's manifest digest, after tagging
   Make pairs each of them with X.stamp, which its recipe touches, and `X: X.stamp ;`. */
#include "graph.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "parse.h"
#include "plan.h"
#include "ref.h"
#include "spec.h"
#include "store.h"
#include "export.h"
#include "util.h"

struct gen {
	struct arena *a;
	const struct graph_opts *o;
	const struct plan *p;
	struct store *s;
	const char *dir;            /* the build directory */
	const char *file;           /* the Dockerfile */
	const char *name;           /* the phony target */
	long long epoch;
	const char *gc;             /* the store's gc file */
	struct buf g;               /* the graph file */
	struct strv regen;          /* what regeneration depends on */
	struct strv missing;        /* inputs that may not exist (Make: `path: ;`, Ninja: phony) */
	struct strv deps;           /* Make: depfiles to include */
	struct buf settle;          /* Make: the edges, for strata step settle (D/settle.list) */
	struct strv stamps;         /* Make: every stamp, the prerequisites of D/settle.stamp */
	struct error *err;
	int rc;
};

/* a path as Make or Ninja may name it; NULL when it cannot be written */
static const char *safe(const char *p)
{
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= ' ' || strchr(":#$%*?[]\\=;|'\"`", *c))
			return NULL;
	return *p ? p : NULL;
}

static int need_safe(struct gen *g, const char *what, const char *p)
{
	if (safe(p))
		return 0;
	if (!g->rc)
		g->rc = err_set(g->err, "%s '%s': a path in a build graph cannot hold spaces or any of :#$%%*?[]\\=;|'\"`",
				what, p);
	return -1;
}

/* a shell word (Make doubles '$' on top) */
static void put_word(struct gen *g, const char *w)
{
	bool plain = *w;
	for (const char *c = w; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=,@", *c))
			plain = false;
	if (plain) {
		buf_puts(&g->g, w);
		return;
	}
	buf_putc(&g->g, '\'');
	for (const char *c = w; *c; c++) {
		if (*c == '\'')
			buf_puts(&g->g, "'\\''");
		else if (*c == '$')
			buf_puts(&g->g, "$$");
		else if (*c == '\n')
			buf_puts(&g->g, g->o->ninja ? "'$$'\\n''" : "'$$'\\n''");
		else
			buf_putc(&g->g, *c);
	}
	buf_putc(&g->g, '\'');
}

static const char *node(struct gen *g, int stage, size_t step, const char *kind)
{
	return arena_printf(g->a, "%s/%d.%zu.%s", g->dir, stage, step, kind);
}

/* the last key and image of a stage (its FROM's key and no image when it has no steps) */
static const char *final_key(struct gen *g, int stage)
{
	return node(g, stage, g->p->stages[stage].nsteps, "key");
}

static const char *final_img(struct gen *g, int stage)
{
	const struct stage *st = &g->p->stages[stage];
	if (st->nsteps)
		return node(g, stage, st->nsteps, "img");
	return st->base_stage >= 0 ? final_img(g, st->base_stage) : NULL;
}

static const char *stage_label(struct gen *g, int stage)
{
	const char *n = g->p->stages[stage].name;
	return n && safe(n) ? n : arena_printf(g->a, "%d", stage);
}

/* a field of a .step file: length-prefixed, so no two field lists read alike */
static void field(struct buf *b, const char *s)
{
	if (!s)
		buf_puts(b, "-\n");
	else
		buf_printf(b, "%zu:%s\n", strlen(s), s);
}

static int write_node(struct gen *g, const char *path, const char *text)
{
	if (write_if_changed(path, text, strlen(text)) < 0)
		return err_sys(g->err, "%s", path);
	return 0;
}

static const char *tag_file(struct gen *g, const char *image)
{
	char name[REF_MAX];
	struct error ignored;
	/* a name pinned by digest or an image ID never changes: nothing to watch */
	if (ref_normalize(image, name, &ignored) < 0 || strchr(name, '@'))
		return NULL;
	char *p = store_tag_file(g->s, name, &ignored);
	if (!p)
		return NULL;
	char *r = arena_strdup(g->a, p);
	free(p);
	/* tag file names escape bytes as %XX: literal in a prerequisite list, a pattern in a target */
	char *plain = arena_strdup(g->a, r);
	for (char *c = plain; *c; c++)
		if (*c == '%')
			*c = '_';
	if (need_safe(g, "store file", plain) < 0)
		return NULL;
	struct stat st;
	if (stat(r, &st) == 0)
		return r;
	/* Make: a rule without recipe; Ninja errs on a missing input no edge makes, and two subninja'd
	   graphs cannot both declare it, so it is left out (the failed FROM runs again anyway) */
	if (g->o->ninja || strchr(r, '%'))
		return NULL;
	strv_push(&g->missing, r);
	return r;
}

/* one edge: outs, the verb and node id of its command, inputs, order-only inputs */
static void edge(struct gen *g, const char *out, const char *verb, const char *id, const char *say,
		 struct strv *in, struct strv *order, bool pool)
{
	struct buf *b = &g->g;
	bool hash = !strcmp(verb, "hash");
	if (g->o->ninja) {
		buf_printf(b, "build %s: strata_%s", out, verb);
		for (size_t i = 0; i < in->n; i++)
			buf_printf(b, " %s", in->v[i]);
		if (order && order->n) {
			buf_puts(b, " ||");
			for (size_t i = 0; i < order->n; i++)
				buf_printf(b, " %s", order->v[i]);
		}
		buf_printf(b, "\n  id = %s\n  say = %s\n", id, say);
		if (pool)
			buf_printf(b, "  pool = %s_layers\n", g->name);
		return;
	}
	/* Make: the stamp runs the command; the node itself changes only with its content */
	buf_printf(&g->settle, "%s.stamp %s", out, out);
	for (size_t i = 0; i < in->n; i++)
		buf_printf(&g->settle, " %s", in->v[i]);
	buf_putc(&g->settle, '\n');
	strv_push(&g->stamps, arena_printf(g->a, "%s.stamp", out));
	buf_printf(b, "%s.stamp:", out);
	for (size_t i = 0; i < in->n; i++)
		buf_printf(b, " %s", in->v[i]);
	buf_printf(b, " $(if $(wildcard %s),,strata-force)", out);
	if (order && order->n) {
		buf_puts(b, " |");
		for (size_t i = 0; i < order->n; i++)
			buf_printf(b, " %s", order->v[i]);
	}
	buf_printf(b, "\n\t$(strata_say) '  STRATA %s'\n\t$(strata_q)$(strata_bin) step %s -m %s %s\n%s: %s.stamp ;\n",
		   say, verb, g->dir, id, out, out);
	if (hash)
		strv_push(&g->deps, arena_printf(g->a, "%s.d", out));
}

static void strv_add(struct strv *v, const char *s)
{
	if (s)
		strv_push(v, (char *)s);
}

static void gen_stage(struct gen *g, int si)
{
	const struct stage *st = &g->p->stages[si];
	const char *label = stage_label(g, si);
	struct buf t;
	struct strv in, order;
	/* FROM */
	buf_init(&t, g->a);
	field(&t, "FROM");
	field(&t, st->base);
	field(&t, st->platform ? st->platform : g->p->platform);
	field(&t, arena_printf(g->a, "%lld", g->epoch));
	strv_init(&in, g->a);
	strv_push(&in, (char *)node(g, si, 0, "step"));
	if (st->base_stage >= 0) {
		strv_push(&in, (char *)final_key(g, st->base_stage));
	} else if (strcmp(st->base, "scratch")) {
		const char *tf = tag_file(g, st->base);
		strv_add(&in, tf);
		strv_add(&g->regen, tf);
	}
	if (write_node(g, node(g, si, 0, "step"), t.s) < 0)
		g->rc = -1;
	if (!g->o->ninja)
		buf_printf(&g->g, "%s: ;\n", node(g, si, 0, "step"));
	edge(g, node(g, si, 0, "key"), "key", arena_printf(g->a, "%d.0", si),
	     arena_printf(g->a, "KEY %s/0", label), &in, NULL, false);
	char *gc = (char *)g->gc;
	for (size_t k = 0; k < st->nsteps; k++) {
		const struct step *s = &st->steps[k];
		size_t i = k + 1;
		buf_init(&t, g->a);
		field(&t, instr_name(s->instr));
		field(&t, s->json ? "json" : "shell");
		for (size_t f = 0; f < s->nflags; f++) {
			field(&t, s->flags[f].name);
			field(&t, s->flags[f].value);
		}
		field(&t, "args");
		for (size_t a = 0; a < s->nargs; a++)
			field(&t, s->args[a]);
		field(&t, "kvs");
		for (size_t a = 0; a < s->nkvs; a++) {
			field(&t, s->kvs[a].key);
			field(&t, s->kvs[a].value);
		}
		field(&t, s->instr == I_ONBUILD ? s->original : NULL);
		for (size_t h = 0; h < s->node->nheredocs; h++) {
			field(&t, s->node->heredocs[h].name);
			field(&t, s->node->heredocs[h].content);
			field(&t, s->node->heredocs[h].expand ? "expand" : "");
			field(&t, s->node->heredocs[h].chomp ? "chomp" : "");
		}
		field(&t, "args_env");
		for (size_t a = 0; s->args_env && a < env_count(s->args_env); a++) {
			field(&t, env_name(s->args_env, a));
			field(&t, env_value(s->args_env, a));
		}
		const char *stepf = node(g, si, i, "step");
		if (write_node(g, stepf, t.s) < 0)
			g->rc = -1;
		/* Make: a rule of its own, so no implicit rule is searched for it */
		if (!g->o->ninja)
			buf_printf(&g->g, "%s: ;\n", stepf);
		const char *id = arena_printf(g->a, "%d.%zu", si, i);
		const char *where = arena_printf(g->a, "%s/%zu", label, i);
		bool copies = s->instr == I_COPY || s->instr == I_ADD;
		bool context = copies && s->from_stage < 0 && !s->from_image;
		const char *src = NULL;
		if (context) {
			bool paths = false;
			strv_init(&in, g->a);
			for (size_t a = 0; a + 1 < s->nargs; a++) {
				if (plan_heredoc_arg(s->node, s->args[a]))
					continue;
				paths = true;
				const char *w = s->args[a];
				if (strstr(w, "://") || strpbrk(w, "*?["))
					continue;
				/* a literal source: a rule of the same graph that makes it runs first */
				char *host = path_clean(arena_printf(g->a, "%s/%s", g->o->b.context, w));
				if (safe(host) && strcmp(host, ".") && strncmp(host, "../", 3))
					strv_push(&in, arena_strdup(g->a, host));
				free(host);
			}
			for (size_t a = 0; a < g->o->ninputs; a++)
				strv_push(&in, (char *)g->o->inputs[a]);
			if (paths) {
				src = node(g, si, i, "src");
				edge(g, src, "hash", id, arena_printf(g->a, "HASH %s", where), &in, NULL, false);
			}
		}
		/* the key */
		strv_init(&in, g->a);
		strv_push(&in, (char *)node(g, si, i - 1, "key"));
		strv_push(&in, (char *)stepf);
		strv_add(&in, src);
		if (s->from_stage >= 0)
			strv_push(&in, (char *)final_key(g, s->from_stage));
		else if (s->from_image)
			strv_add(&in, tag_file(g, s->from_image));
		edge(g, node(g, si, i, "key"), "key", id, arena_printf(g->a, "KEY %s", where), &in, NULL, false);
		/* a layer that needs no parent (COPY --link, or right after FROM scratch, to an absolute
		   path) is a target of its own
		   beside the chain: it waits for nothing before it, and does not rerun when only a step
		   below it changed; the step then only stacks it */
		const char *layer = NULL;
		bool alone = !s->needs_parent || (i == 1 && st->base_stage < 0 && !strcmp(st->base, "scratch"));
		if (src && alone && s->args[s->nargs - 1][0] == '/') {
			layer = node(g, si, i, "layer");
			strv_init(&in, g->a);
			strv_push(&in, (char *)src);
			strv_push(&in, (char *)stepf);
			strv_push(&in, gc);
			edge(g, layer, "layer", id, arena_printf(g->a, "LAYER %s", where), &in, NULL, true);
		}
		/* the result: the key decides it; the images it starts from only come first */
		strv_init(&in, g->a);
		strv_push(&in, (char *)node(g, si, i, "key"));
		strv_push(&in, gc);
		strv_add(&in, layer);
		strv_init(&order, g->a);
		strv_add(&order, i > 1 ? node(g, si, i - 1, "img") : st->base_stage >= 0 ? final_img(g, st->base_stage)
											 : NULL);
		if (s->from_stage >= 0)
			strv_add(&order, final_img(g, s->from_stage));
		edge(g, node(g, si, i, "img"), "run", id, arena_printf(g->a, "%s %s", instr_name(s->instr), where),
		     &in, &order, true);
	}
}

/* what an output writes, as a node: the archive, an OCI layout's index, else a stamp */
static const char *output_node(struct gen *g, size_t n, const char *dest)
{
	const char *p = NULL;
	if (!strncmp(dest, "oci-archive:", 12))
		p = dest + 12;
	else if (!strncmp(dest, "docker-archive:", 15))
		p = dest + 15;
	if (p && strcmp(p, "-"))
		return p;
	if (!strncmp(dest, "oci:", 4)) {
		char *d = arena_strdup(g->a, dest + 4), *c = strrchr(d, ':');
		if (c && !strchr(c, '/'))
			*c = 0;
		return arena_printf(g->a, "%s/index.json", d);
	}
	return arena_printf(g->a, "%s/output.%zu", g->dir, n);
}

static void put_rules(struct gen *g, const char *strata)
{
	struct buf *b = &g->g;
	if (g->o->ninja) {
		buf_printf(b, "strata_bin = %s\nstrata_dir = %s\n\n", strata, g->dir);
		/* pools are global in Ninja: one per graph, so several graphs can be subninja'd */
		buf_printf(b, "pool %s_layers\n  depth = %d\n\n", g->name, g->o->layer_jobs);
		static const char *const verbs[] = {"hash", "key", "run", "image", "output", "layer"};
		for (size_t i = 0; i < 6; i++) {
			buf_printf(b, "rule strata_%s\n  command = $strata_bin step %s $strata_dir $id\n"
				      "  description = STRATA $say\n  restat = 1\n",
				   verbs[i], verbs[i]);
			if (i == 0)
				buf_puts(b, "  depfile = $out.d\n  deps = gcc\n");
			buf_puts(b, "\n");
		}
		return;
	}
	/* every source a depfile names is a prerequisite without recipe, for which Make searches its
	   implicit rules; the built-in match-anything ones (%: %.c, %:: RCS/%,v...) chain through
	   dozens of candidates per file (230-320 ms of a 1,000-step no-change run). Cancelled once
	   per Make run: the suffix rules a larger Makefile relies on (%.o: %.c...) stay. */
	buf_puts(b, "ifndef strata_no_match_anything\nstrata_no_match_anything := 1\n"
		    "%:: %,v\n%:: RCS/%,v\n%:: RCS/%\n%:: s.%\n%:: SCCS/s.%\n");
	static const char *const sfx[] = {"o", "c", "cc", "C", "cpp", "p", "f", "F", "m", "r", "s", "S", "mod", "sh"};
	for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++)
		buf_printf(b, "%%: %%.%s\n", sfx[i]);
	buf_puts(b, "endif\n");
	buf_printf(b, "strata_bin := %s\n"
		      "ifeq ($(V),1)\nstrata_q :=\nstrata_say := @:\nelse\nstrata_q := @\nstrata_say := @echo\nendif\n"
		      ".DELETE_ON_ERROR:\n.PHONY: strata-force\nstrata-force:\n\n",
		   strata);
}

static void gen_graph(struct gen *g, const struct plan *p)
{
	const struct graph_opts *o = g->o;
	g->p = p;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0) {
		g->rc = err_sys(g->err, "/proc/self/exe");
		return;
	}
	self[n] = 0;
	const char *strata = arena_strdup(g->a, self);
	if (need_safe(g, "strata binary", strata) < 0)
		return;
	buf_init(&g->g, g->a);
	strv_init(&g->regen, g->a);
	strv_init(&g->missing, g->a);
	strv_init(&g->deps, g->a);
	buf_init(&g->settle, g->a);
	strv_init(&g->stamps, g->a);
	buf_printf(&g->g, "# generated by strata gen from %s: do not edit (it regenerates itself)\n", g->file);
	bool mk = !o->ninja;
	if (mk)
		buf_printf(&g->g, "strata_goal_%s := $(.DEFAULT_GOAL)\n%s:\n.PHONY: %s\n", g->name, g->name, g->name);
	put_rules(g, strata);
	for (size_t i = 0; i < p->n; i++)
		if (p->stages[i].needed)
			gen_stage(g, (int)i);
	if (g->rc)
		return;
	/* the image: tags, and its digest */
	struct strv in, all;
	strv_init(&in, g->a);
	strv_init(&all, g->a);
	const char *img = arena_printf(g->a, "%s/image", g->dir);
	strv_push(&in, (char *)final_key(g, p->target));
	strv_add(&in, final_img(g, p->target));
	edge(g, img, "image", "image", arena_printf(g->a, "IMAGE %s", g->name), &in, NULL, false);
	strv_push(&all, (char *)img);
	for (size_t i = 0; i < o->b.noutputs; i++) {
		const char *out = output_node(g, i, o->b.outputs[i]);
		if (need_safe(g, "output", out) < 0)
			return;
		strv_init(&in, g->a);
		strv_push(&in, (char *)img);
		struct buf *b = &g->g;
		if (o->ninja) {
			buf_printf(b, "build %s: strata_output %s\n  id = %zu\n  say = OUTPUT %s\n", out, img, i,
				   out);
		} else {
			buf_printf(b, "%s: %s\n\t$(strata_say) '  STRATA OUTPUT %s'\n\t$(strata_q)$(strata_bin) step output %s %zu\n",
				   out, img, out, g->dir, i);
			buf_printf(&g->settle, "- %s %s\n", out, img);
			strv_push(&g->stamps, (char *)out);
		}
		strv_push(&all, (char *)out);
	}
	/* regeneration: the Dockerfile, the .dockerignore, the base images' tags, strata itself */
	struct strv re;
	strv_init(&re, g->a);
	strv_push(&re, (char *)g->file);
	strv_push(&re, (char *)strata);
	const char *ig[2] = {arena_printf(g->a, "%s.dockerignore", g->file),
			     arena_printf(g->a, "%s/.dockerignore", o->b.context)};
	for (size_t i = 0; i < 2; i++) {
		char *c = path_clean(ig[i]);
		struct stat st;
		if (safe(c) && stat(c, &st) == 0)
			strv_push(&re, arena_strdup(g->a, c));
		free(c);
	}
	for (size_t i = 0; i < g->regen.n; i++)
		strv_push(&re, g->regen.v[i]);
	struct buf *b = &g->g;
	if (o->ninja) {
		buf_puts(b, "rule strata_gen\n  command = $strata_bin gen");
		for (size_t i = 0; i < o->argc; i++) {
			buf_putc(b, ' ');
			put_word(g, o->argv[i]);
		}
		buf_printf(b, "\n  description = STRATA GEN %s\n  generator = 1\n  restat = 1\n", o->out);
		buf_printf(b, "build %s: strata_gen", o->out);
		for (size_t i = 0; i < re.n; i++)
			buf_printf(b, " %s", re.v[i]);
		buf_puts(b, "\n");
		buf_printf(b, "build %s: phony", g->name);
		for (size_t i = 0; i < all.n; i++)
			buf_printf(b, " %s", all.v[i]);
		buf_puts(b, "\n");
	} else {
		/* after a run in which a recipe rewrote nothing (a touched source), stamps are newer than
		   their nodes: Make itself re-stats and runs no more, but `make -q` would call that work.
		   Settling moves the nodes' mtimes up to their stamps (and what follows from them) once
		   everything is built, so make -q and make agree. */
		const char *settle = arena_printf(g->a, "%s/settle.stamp", g->dir);
		buf_printf(&g->settle, "%s/gen.stamp %s\n", g->dir, o->out);
		buf_printf(b, "%s: %s/gen.stamp", settle, g->dir);
		for (size_t i = 0; i < g->stamps.n; i++)
			buf_printf(b, " %s", g->stamps.v[i]);
		buf_printf(b, "\n\t$(strata_q)$(strata_bin) step settle -m %s -\n", g->dir);
		buf_printf(b, "%s:", g->name);
		for (size_t i = 0; i < all.n; i++)
			buf_printf(b, " %s", all.v[i]);
		buf_printf(b, " %s", settle);
		buf_printf(b, "\n%s: %s/gen.stamp ;\n%s/gen.stamp:", o->out, g->dir, g->dir);
		for (size_t i = 0; i < re.n; i++)
			buf_printf(b, " %s", re.v[i]);
		buf_printf(b, "\n\t$(strata_say) '  STRATA GEN %s'\n\t$(strata_q)$(strata_bin) gen", o->out);
		for (size_t i = 0; i < o->argc; i++) {
			buf_putc(b, ' ');
			put_word(g, o->argv[i]);
		}
		buf_printf(b, " && touch $@\n");
		/* no recipe: several graphs included in one Makefile may say the same */
		for (size_t i = 0; i < g->missing.n; i++)
			buf_printf(b, "%s:\n", g->missing.v[i]);
		buf_printf(b, "%s:\n", g->gc);
		if (g->deps.n) {
			buf_puts(b, "-include");
			for (size_t i = 0; i < g->deps.n; i++)
				buf_printf(b, " %s", g->deps.v[i]);
			buf_puts(b, "\n");
		}
		buf_printf(b, ".DEFAULT_GOAL := $(or $(strata_goal_%s),%s)\n", g->name, g->name);
	}
}

static int check_dest(const char *d, struct error *err)
{
	static const char *const ok[] = {"oci:", "oci-archive:", "docker-archive:"};
	for (size_t i = 0; i < 3; i++)
		if (!strncmp(d, ok[i], strlen(ok[i])) && d[strlen(ok[i])])
			return 0;
	return err_set(err, "-o %s: want oci:DIR[:TAG], oci-archive:FILE or docker-archive:FILE", d);
}

static int mkdir_p(const char *dir, struct error *err)
{
	char *p = xstrdup(dir);
	for (char *c = p + 1;; c++) {
		if (*c && *c != '/')
			continue;
		char was = *c;
		*c = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			err_sys(err, "%s", p);
			free(p);
			return -1;
		}
		if (!was)
			break;
		*c = was;
	}
	free(p);
	return 0;
}

int graph_gen(const struct graph_opts *o, struct error *err)
{
	struct gen g = {.o = o, .err = err};
	g.a = arena_new();
	int r = -1;
	char *outdir = xstrdup(o->out), *slash = strrchr(outdir, '/');
	const char *base = slash ? slash + 1 : outdir;
	if (slash)
		*slash = 0;
	if (!*base) {
		err_set(err, "gen: '%s' names no file", o->out);
		goto out;
	}
	g.dir = o->builddir ? o->builddir
			    : arena_printf(g.a, "%s.strata/%s", slash ? arena_printf(g.a, "%s/", outdir) : "", base);
	/* the phony target: the file's name without its extension */
	char *nm = arena_strdup(g.a, base), *dot = strrchr(nm, '.');
	if (dot && dot != nm)
		*dot = 0;
	g.name = arena_printf(g.a, "strata-%s", nm);
	g.file = o->b.file ? o->b.file : arena_printf(g.a, "%s/Dockerfile", o->b.context);
	char *cf = path_clean(g.file);
	g.file = arena_strdup(g.a, cf);
	free(cf);
	if (need_safe(&g, "file", o->out) < 0 || need_safe(&g, "build directory", g.dir) < 0 ||
	    need_safe(&g, "Dockerfile", g.file) < 0 || need_safe(&g, "context", o->b.context) < 0 ||
	    need_safe(&g, "name", g.name) < 0)
		goto out;
	for (size_t i = 0; i < o->ninputs; i++)
		if (need_safe(&g, "--input", o->inputs[i]) < 0)
			goto out;
	for (size_t i = 0; i < o->b.noutputs; i++)
		if (check_dest(o->b.outputs[i], err) < 0)
			goto out;
	if (layer_epoch(&g.epoch, err) < 0 || store_open(&g.s, err) < 0)
		goto out;
	char *gcf = store_gc_file(g.s);
	g.gc = arena_strdup(g.a, gcf);
	free(gcf);
	if (need_safe(&g, "store", g.gc) < 0 || mkdir_p(g.dir, err) < 0)
		goto out;
	struct plan *plan;
	if (build_plan(&o->b, g.a, &plan, err) < 0)
		goto out;
	gen_graph(&g, plan);
	if (g.rc)
		goto out;
	if (spec_write(g.dir, &o->b, g.epoch, err) < 0)
		goto out;
	if (!o->ninja && write_node(&g, arena_printf(g.a, "%s/settle.list", g.dir), g.settle.s ? g.settle.s : "") < 0)
		goto out;
	if (write_if_changed(o->out, g.g.s, g.g.len) < 0) {
		err_sys(err, "%s", o->out);
		goto out;
	}
	r = 0;
out:
	store_close(g.s);
	free(outdir);
	arena_free(g.a);
	return r;
}
