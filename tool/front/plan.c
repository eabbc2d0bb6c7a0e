#include "plan.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "expand.h"
#include "platform.h"
#include "port.h"
#include "utf8.h"
#include "util.h"

/* the build args every Dockerfile may use without declaring them (and that never
   reach the image history), as docker defines them */
static const char *const proxy_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
};

static const char *const platform_args[] = {
	"BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
	"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
};

enum ftype { F_BOOL, F_STRING, F_STRINGS };

struct fspec {
	enum instr instr;
	const char *name;
	enum ftype type;
	bool expand;
};

/* the flags each instruction accepts (BuildKit's, Dockerfile frontend 1.x) */
static const struct fspec fspecs[] = {
	{I_FROM, "platform", F_STRING, true},
	{I_RUN, "mount", F_STRINGS, false},
	{I_RUN, "network", F_STRING, false},
	{I_RUN, "security", F_STRING, false},
	{I_RUN, "device", F_STRINGS, false},
	/* BuildKit never expands --from (it refuses a value that would expand) */
	{I_COPY, "from", F_STRING, false},
	{I_COPY, "chown", F_STRING, true},
	{I_COPY, "chmod", F_STRING, true},
	{I_COPY, "link", F_BOOL, false},
	{I_COPY, "parents", F_BOOL, false},
	{I_COPY, "exclude", F_STRINGS, true},
	{I_ADD, "chown", F_STRING, true},
	{I_ADD, "chmod", F_STRING, true},
	{I_ADD, "link", F_BOOL, false},
	{I_ADD, "keep-git-dir", F_BOOL, false},
	{I_ADD, "checksum", F_STRING, true},
	{I_ADD, "exclude", F_STRINGS, true},
	{I_ADD, "unpack", F_BOOL, false},
	{I_HEALTHCHECK, "interval", F_STRING, false},
	{I_HEALTHCHECK, "timeout", F_STRING, false},
	{I_HEALTHCHECK, "start-period", F_STRING, false},
	{I_HEALTHCHECK, "start-interval", F_STRING, false},
	{I_HEALTHCHECK, "retries", F_STRING, false},
};

struct pctx {
	struct arena *a;
	const struct dockerfile *df;
	const struct plan_opts *o;
	struct plan *p;
	struct env meta;         /* global ARGs and the platform args, for FROM */
	struct map *used_args;   /* build args some ARG consumed (a set, shared by copies of this) */
	struct strv *warnings;
};

/* a warning as BuildKit's linter gives it: "FILE:LINE:COL: Rule: text" */
static void add_warning(const struct pctx *c, const struct node *n, size_t off, const char *rule, const char *text)
{
	int line, col;
	node_pos(n, off, &line, &col);
	strv_push(c->warnings, arena_printf(c->a, "%s:%d:%d: %s: %s", c->df->path, line, col, rule, text));
}

/* Go's %q of s (the quoting BuildKit's messages use) */
static const char *go_quote(struct arena *a, const char *s)
{
	struct buf b;
	buf_init(&b, a);
	quote_go(&b, s, strlen(s));
	return buf_take(&b);
}


static char *lower(struct arena *a, const char *s)
{
	char *l = arena_strdup(a, s);
	for (char *q = l; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q += 32;
	return l;
}

/* BuildKit's suggest.WrapError: " (did you mean X?)" for the closest option under distance 3,
   "" when none is close or val is one of them */
static const char *did_you_mean(struct arena *a, const char *val, const char *const *opts, size_t n, bool cased)
{
	const char *v = cased ? val : lower(a, val), *match = NULL;
	size_t best = 3;
	for (size_t i = 0; i < n; i++) {
		const char *o = cased ? opts[i] : lower(a, opts[i]);
		if (!strcmp(v, o))
			return "";
		size_t d = edit_distance(v, o, false);
		if (d < best) {
			best = d;
			match = o;
		}
	}
	if (!match)
		return "";
	if (!cased && strcmp(val, v) != 0) {
		/* the case of what was typed: all upper gives upper, mixed gives lower */
		bool upper = true;
		for (const char *q = val; *q; q++)
			upper &= !(*q >= 'a' && *q <= 'z');
		if (upper) {
			char *u = arena_strdup(a, match);
			for (char *q = u; *q; q++)
				if (*q >= 'a' && *q <= 'z')
					*q -= 32;
			match = u;
		}
	}
	return arena_printf(a, " (did you mean %s?)", match);
}

static const char *unknown_instr(struct arena *a, const char *keyword)
{
	static const char *const names[] = {
		"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
		"MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
	};
	return arena_printf(a, "unknown instruction: %s%s", qname(keyword),
			    did_you_mean(a, keyword, names, sizeof names / sizeof *names, false));
}

static noreturn void die_node(const struct pctx *c, const struct node *n, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static noreturn void die_node(const struct pctx *c, const struct node *n, size_t off, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int line, col;
	node_pos(n, off, &line, &col);
	fatal_at(c->df->path, line, col, "%s", msg);
}

static noreturn void die_instr(const struct pctx *c, const struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static noreturn void die_instr(const struct pctx *c, const struct node *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fatal_at(c->df->path, n->line.start_line, n->line.col, "%s", msg);
}

/* set PREFIXPLATFORM, PREFIXOS, PREFIXARCH, PREFIXVARIANT from os/arch[/variant] */
static void set_platform_args(struct env *e, const char *prefix, const char *plat)
{
	char os[64] = "", arch[64] = "", variant[64] = "";
	sscanf(plat, "%63[^/]/%63[^/]/%63s", os, arch, variant);
	char name[32];
	snprintf(name, sizeof name, "%sPLATFORM", prefix);
	env_set(e, name, plat);
	snprintf(name, sizeof name, "%sOS", prefix);
	env_set(e, name, os);
	snprintf(name, sizeof name, "%sARCH", prefix);
	env_set(e, name, arch);
	snprintf(name, sizeof name, "%sVARIANT", prefix);
	env_set(e, name, variant);
}

static bool is_platform_arg(const char *k)
{
	for (size_t i = 0; i < sizeof platform_args / sizeof *platform_args; i++)
		if (!strcmp(k, platform_args[i]))
			return true;
	return false;
}

static bool is_proxy_arg(const char *k)
{
	for (size_t i = 0; i < sizeof proxy_args / sizeof *proxy_args; i++)
		if (!strcmp(k, proxy_args[i]))
			return true;
	return false;
}

/* expand one word of node n at offset off, or die there */
static const char *xword(const struct pctx *c, const struct node *n, size_t off, const char *word,
			 const struct env *e)
{
	struct expand x = {.a = c->a, .env = e, .escape = c->df->escape};
	char *out;
	if (expand_word(&x, word, &out) < 0)
		die_node(c, n, off, "%s", x.err);
	return out;
}

/* the shell env of a step: ENV, then the build args under it (a view, not a copy) */
static struct env *shell_env(const struct pctx *c, const struct env *env, const struct env *args)
{
	struct env *e = arena_alloc(c->a, sizeof *e);
	*e = *env;
	e->fallback = args;
	return e;
}

static const struct fspec *find_spec(enum instr in, const char *name)
{
	for (size_t i = 0; i < sizeof fspecs / sizeof *fspecs; i++)
		if (fspecs[i].instr == in && !strcmp(fspecs[i].name, name))
			return &fspecs[i];
	return NULL;
}

static void parse_flags(const struct pctx *c, const struct node *n, struct step *s, const struct env *e)
{
	s->flags = arena_alloc(c->a, (n->nflags + 1) * sizeof *s->flags);
	s->nflags = 0;
	for (size_t i = 0; i < n->nflags; i++) {
		const char *f = n->flags[i];
		size_t off = n->flagoff[i];
		if (strncmp(f, "--", 2) != 0)
			die_node(c, n, off, "arg should start with -- : %s", qname(f));
		if (!strcmp(f, "--"))
			break;
		const char *eq = strchr(f + 2, '=');
		char *name = arena_strndup(c->a, f + 2, eq ? (size_t)(eq - f - 2) : strlen(f + 2));
		const char *value = eq ? eq + 1 : NULL;
		const struct fspec *sp = find_spec(n->instr, name);
		if (!sp)
			die_node(c, n, off, "unknown flag: --%s for %s", qname(name), instr_name(n->instr));
		for (size_t j = 0; j < s->nflags; j++)
			if (!strcmp(s->flags[j].name, name) && sp->type != F_STRINGS)
				die_node(c, n, off, "duplicate flag specified: --%s", qname(name));
		if (sp->type == F_BOOL) {
			if (value && !*value)
				die_node(c, n, off, "missing a value on flag: --%s", qname(name));
			if (!value || !strcasecmp(value, "true"))
				value = "true";
			else if (!strcasecmp(value, "false"))
				value = "false";
			else
				die_node(c, n, off, "expecting boolean value for flag --%s, not: %s", qname(name), qname(value));
		} else {
			if (!value)
				die_node(c, n, off, "missing a value on flag: --%s", qname(name));
			if (sp->expand && e)
				value = xword(c, n, off, value, e);
		}
		s->flags[s->nflags++] = (struct flag){name, value, off};
	}
}

const char *step_flag(const struct step *s, const char *name)
{
	for (size_t i = 0; i < s->nflags; i++)
		if (!strcmp(s->flags[i].name, name))
			return s->flags[i].value;
	return NULL;
}

/* the index of the stage named name (any case) among the first upto, or -1 */
static int find_stage(const struct plan *p, size_t upto, const char *name)
{
	char low[256];
	size_t n = strlen(name);
	if (n >= sizeof low)
		return -1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] + 32) : name[i];
	const size_t *v = map_get(&p->stage_names, low);
	if (!v)
		return -1;
	if (*v < upto)
		return (int)*v;
	/* a name given twice: the latest definition before upto */
	for (size_t i = upto; i-- > 0;)
		if (p->stages[i].name && !strcmp(p->stages[i].name, low))
			return (int)i;
	return -1;
}

int plan_stage_named(const struct plan *p, const char *name)
{
	return find_stage(p, p->n, name);
}

static bool valid_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static void global_arg(struct pctx *c, const struct node *n)
{
	if (n->nflags)
		die_node(c, n, n->flagoff[0], "unknown flag: %s for ARG", qname(n->flags[0]));
	if (n->nargs == 0)
		die_instr(c, n, "ARG requires at least one argument");
	for (size_t i = 0; i < n->nargs; i++) {
		const char *w = n->args[i], *eq = strchr(w, '=');
		char *k = arena_strndup(c->a, w, eq ? (size_t)(eq - w) : strlen(w));
		const char *key = xword(c, n, n->argoff[i], k, &c->meta);
		if (!*key)
			die_node(c, n, n->argoff[i], "ARG names can not be blank");
		const char *v = env_get(&c->o->build_args, key);
		if (v)
			map_put(c->used_args, key, NULL);
		else if (eq)
			v = xword(c, n, n->argoff[i], eq + 1, &c->meta);
		struct kv *nm = arena_alloc(c->a, (c->p->nmeta + 1) * sizeof *nm);
		if (c->p->nmeta)
			memcpy(nm, c->p->meta_args, c->p->nmeta * sizeof *nm);
		nm[c->p->nmeta++] = (struct kv){key, v, n->argoff[i]};
		c->p->meta_args = nm;
		if (v)
			env_set(&c->meta, key, v);
		else
			env_unset(&c->meta, key);
	}
}

static const char *meta_value(const struct pctx *c, const char *key, bool *declared)
{
	*declared = false;
	for (size_t i = c->p->nmeta; i-- > 0;)
		if (!strcmp(c->p->meta_args[i].key, key)) {
			*declared = true;
			return c->p->meta_args[i].value;
		}
	return NULL;
}

/* SOURCE_DATE_EPOCH given as a build arg, or as a global ARG's value, sets the epoch as the
   environment variable does (BuildKit's rule; an empty value is no epoch) */
static void plan_epoch(struct pctx *c)
{
	const char *name = "SOURCE_DATE_EPOCH";
	const char *v = env_get(&c->o->build_args, name);
	const struct node *at = NULL;
	size_t off = 0;
	if (v) {
		map_put(c->used_args, name, NULL);
	} else {
		bool declared;
		v = meta_value(c, name, &declared);
		for (size_t i = 0; v && i < c->df->n && c->df->nodes[i].instr != I_FROM; i++)
			for (size_t k = 0; k < c->df->nodes[i].nargs; k++)
				if (!strncmp(c->df->nodes[i].args[k], name, strlen(name)))
					at = &c->df->nodes[i], off = c->df->nodes[i].argoff[k];
	}
	if (!v || !*v)
		return;
	char *end;
	errno = 0;
	long long e = strtoll(v, &end, 10);
	const char *why = NULL;
	if (*end || end == v || errno || isspace((unsigned char)v[0])) {
		for (size_t i = 0; i < c->df->n; i++) {
			const struct node *n = &c->df->nodes[i];
			if (n->instr == I_FROM && n->nargs == 3 && !strcasecmp(n->args[2], v))
				why = arena_printf(c->a, "SOURCE_DATE_EPOCH from stage %s: a remote ADD source is "
							 "not supported", n->args[2]);
		}
		if (!why)
			why = arena_printf(c->a, "invalid SOURCE_DATE_EPOCH: %s", v);
	} else if (e < 0) {
		why = arena_printf(c->a, "invalid SOURCE_DATE_EPOCH: %s: before 1970", v);
	} else if (e > 253402300799LL) {
		/* RFC 3339, as configs write times, ends with the year 9999 */
		why = arena_printf(c->a, "invalid SOURCE_DATE_EPOCH: %s: after the year 9999", v);
	}
	if (why && at)
		die_node(c, at, off, "%s", why);
	if (why)
		fatal("%s", why);
	c->p->has_epoch = true;
	c->p->epoch = e;
	if (env_get(&c->meta, name))
		env_set(&c->meta, name, arena_printf(c->a, "%lld", e));
}

/* a stage's steps while they are planned, with the ENV and ARG scope they see */
struct stage_draft {
	struct step *steps;
	size_t n, cap;
	struct env *env;
	struct env *args;
};

static struct step *new_step(struct pctx *c, struct stage_draft *sb, const struct node *n)
{
	sb->steps = array_grow(sb->steps, &sb->cap, sb->n + 1, sizeof *sb->steps, c->a);
	struct step *s = &sb->steps[sb->n++];
	memset(s, 0, sizeof *s);
	s->node = n;
	s->instr = n->instr;
	s->original = n->line.text;
	s->args = n->args;
	s->nargs = n->nargs;
	s->json = n->json;
	s->from_stage = -1;
	s->env = sb->env;
	s->args_env = sb->args;
	return s;
}

static void stage_arg(struct pctx *c, struct stage_draft *sb, const struct node *n, struct step *s)
{
	if (n->nargs == 0)
		die_instr(c, n, "ARG requires at least one argument");
	struct env *args = arena_alloc(c->a, sizeof *args);
	env_copy(args, sb->args, c->a);
	s->kvs = arena_alloc(c->a, n->nargs * sizeof *s->kvs);
	for (size_t i = 0; i < n->nargs; i++) {
		const char *w = n->args[i], *eq = strchr(w, '=');
		struct env *sh = shell_env(c, sb->env, args);
		char *k = arena_strndup(c->a, w, eq ? (size_t)(eq - w) : strlen(w));
		const char *key = xword(c, n, n->argoff[i], k, sh);
		if (!*key)
			die_node(c, n, n->argoff[i], "ARG names can not be blank");
		const char *v = env_get(&c->o->build_args, key);
		bool declared;
		const char *mv = meta_value(c, key, &declared);
		if (v) {
			/* the default is not evaluated when a build arg overrides it (so its ${V:?} never fails) */
			map_put(c->used_args, key, NULL);
		} else if (eq) {
			v = xword(c, n, n->argoff[i], eq + 1, sh);
		} else if (declared) {
			v = mv;
		} else if (is_platform_arg(key)) {
			v = env_get(&c->meta, key);
		}
		s->kvs[s->nkvs++] = (struct kv){key, v, n->argoff[i]};
		/* a declared ARG without a value stays in scope but unset: store it with a NULL value */
		env_set(args, key, v);
	}
	sb->args = args;
}

static void stage_env(struct pctx *c, struct stage_draft *sb, const struct node *n, struct step *s)
{
	if (n->nargs == 0)
		die_instr(c, n, "ENV requires at least one argument");
	struct env *env = arena_alloc(c->a, sizeof *env);
	env_copy(env, sb->env, c->a);
	s->kvs = arena_alloc(c->a, n->nargs / 3 * sizeof *s->kvs + sizeof *s->kvs);
	/* every pair expands in the env as it was before the instruction, as docker does */
	struct env *sh = shell_env(c, sb->env, sb->args);
	for (size_t i = 0; i + 2 < n->nargs; i += 3) {
		const char *k = xword(c, n, n->argoff[i], n->args[i], sh);
		if (!*k)
			die_node(c, n, n->argoff[i], "ENV names can not be blank");
		const char *v = xword(c, n, n->argoff[i + 1], n->args[i + 1], sh);
		s->kvs[s->nkvs++] = (struct kv){k, v, n->argoff[i]};
		env_set(env, k, v);
	}
	sb->env = env;
}

static void stage_label(struct pctx *c, struct stage_draft *sb, const struct node *n, struct step *s)
{
	if (n->nargs == 0)
		die_instr(c, n, "LABEL requires at least one argument");
	struct env *sh = shell_env(c, sb->env, sb->args);
	s->kvs = arena_alloc(c->a, n->nargs / 3 * sizeof *s->kvs + sizeof *s->kvs);
	for (size_t i = 0; i + 2 < n->nargs; i += 3) {
		const char *k = xword(c, n, n->argoff[i], n->args[i], sh);
		if (!*k)
			die_node(c, n, n->argoff[i], "LABEL names can not be blank");
		const char *v = xword(c, n, n->argoff[i + 1], n->args[i + 1], sh);
		s->kvs[s->nkvs++] = (struct kv){k, v, n->argoff[i]};
	}
}

bool plan_heredoc_arg(const struct node *n, const char *a)
{
	for (size_t i = 0; i < n->nheredocs; i++) {
		const char *p = a;
		while (*p >= '0' && *p <= '9')
			p++;
		if (strncmp(p, "<<", 2) == 0 && strstr(p, n->heredocs[i].name))
			return true;
	}
	return false;
}

static void expand_args(struct pctx *c, const struct node *n, struct step *s, const struct env *sh)
{
	const char **v = arena_alloc(c->a, (n->nargs + 1) * sizeof *v);
	for (size_t i = 0; i < n->nargs; i++)
		v[i] = plan_heredoc_arg(n, n->args[i]) ? n->args[i] : xword(c, n, n->argoff[i], n->args[i], sh);
	s->args = v;
}

struct rawarg {
	const char *w;
	size_t off;
};

static int cmp_rawarg(const void *x, const void *y)
{
	return strcmp(((const struct rawarg *)x)->w, ((const struct rawarg *)y)->w);
}

/* EXPOSE as BuildKit reads it: the written ports sorted, each expanded into words, each word a
   port spec checked here so that an invalid one is reported at its line before any step runs */
static void expose_args(struct pctx *c, const struct node *n, struct step *s, const struct env *sh)
{
	struct rawarg *raw = arena_alloc(c->a, n->nargs * sizeof *raw);
	for (size_t i = 0; i < n->nargs; i++)
		raw[i] = (struct rawarg){n->args[i], n->argoff[i]};
	qsort(raw, n->nargs, sizeof *raw, cmp_rawarg);
	struct strv words, ports;
	strv_init(&words, c->a);
	strv_init(&ports, c->a);
	for (size_t i = 0; i < n->nargs; i++) {
		struct expand x = {.a = c->a, .env = sh, .escape = c->df->escape};
		size_t first = words.n;
		if (expand_words(&x, raw[i].w, &words) < 0)
			die_node(c, n, raw[i].off, "%s", x.err);
		for (size_t k = first; k < words.n; k++) {
			bool mapping = false;
			struct error e;
			if (port_parse(c->a, words.v[k], &ports, &mapping, &e) < 0)
				die_node(c, n, raw[i].off, "%s", e.msg);
			if (mapping)
				add_warning(c, n, raw[i].off, "ExposeInvalidFormat",
					    arena_printf(c->a, "EXPOSE instruction should not define an IP address or "
							       "host-port mapping, found '%s'", words.v[k]));
		}
	}
	s->args = (const char **)words.v;
	s->nargs = words.n;
}

static bool remote_source(const char *src)
{
	return !strncmp(src, "http://", 7) || !strncmp(src, "https://", 8) || !strncmp(src, "git://", 6) ||
	       !strncmp(src, "git@", 4);
}

/* ADD's flags that depend on its sources */
static void check_add(struct pctx *c, const struct node *n, const struct step *s)
{
	if (!step_flag(s, "checksum"))
		return;
	size_t nsrc = 0;
	const char *src = NULL;
	for (size_t i = 0; i + 1 < s->nargs; i++)
		if (!plan_heredoc_arg(n, s->args[i]))
			nsrc++, src = s->args[i];
	if (nsrc != 1)
		die_instr(c, n, "checksum can't be specified for multiple sources");
	if (!remote_source(src))
		die_instr(c, n, "checksum requires HTTP(S) or Git sources");
}

long long plan_duration(const char *s)
{
	if (!strcmp(s, "0"))
		return 0;
	if (!*s)
		return -1;
	long double total = 0;
	while (*s) {
		/* digits, an optional fraction, a unit: no signs, exponents, hex, inf or nan */
		long double v = 0, scale = 1;
		const char *start = s;
		while (*s >= '0' && *s <= '9')
			v = v * 10 + (*s++ - '0');
		bool frac = *s == '.';
		if (frac)
			for (s++; *s >= '0' && *s <= '9'; s++)
				v += (scale /= 10) * (*s - '0');
		if (s == start || (frac && s == start + 1))
			return -1;
		long double unit;
		if (!strncmp(s, "ns", 2))
			unit = 1, s += 2;
		else if (!strncmp(s, "us", 2))
			unit = 1e3, s += 2;
		else if (!strncmp(s, "\xc2\xb5s", 3) || !strncmp(s, "\xce\xbcs", 3))
			unit = 1e3, s += 3;
		else if (!strncmp(s, "ms", 2))
			unit = 1e6, s += 2;
		else if (*s == 's')
			unit = 1e9, s++;
		else if (*s == 'm')
			unit = 60e9, s++;
		else if (*s == 'h')
			unit = 3600e9, s++;
		else
			return -1;
		total += v * unit;
		if (total > 9223372036854775807.0L)
			return -1;
	}
	return (long long)(total + 0.5L);
}

static void check_healthcheck(struct pctx *c, const struct node *n, struct step *s)
{
	if (n->nargs == 0)
		die_instr(c, n, "HEALTHCHECK requires at least one argument");
	const char *typ = n->args[0];
	if (!strcasecmp(typ, "NONE")) {
		if (n->nargs > 1 || n->nflags)
			die_instr(c, n, "HEALTHCHECK NONE takes no arguments");
		return;
	}
	if (strcasecmp(typ, "CMD") != 0)
		die_node(c, n, n->argoff[0], "unknown type '%s' in HEALTHCHECK (try CMD)", qname(typ));
	if (n->nargs < 2)
		die_instr(c, n, "missing command after HEALTHCHECK CMD");
	static const char *const durs[] = {"interval", "timeout", "start-period", "start-interval"};
	for (size_t i = 0; i < s->nflags; i++) {
		for (size_t d = 0; d < 4; d++) {
			if (strcmp(s->flags[i].name, durs[d]) != 0)
				continue;
			long long v = plan_duration(s->flags[i].value);
			if (v < 0)
				die_node(c, n, s->flags[i].off, "invalid duration for --%s: %s", durs[d],
					 qname(s->flags[i].value));
			if (v != 0 && v < 1000000)
				die_node(c, n, s->flags[i].off, "--%s cannot be less than 1ms", durs[d]);
		}
		if (!strcmp(s->flags[i].name, "retries")) {
			char *end;
			errno = 0;
			long r = strtol(s->flags[i].value, &end, 10);
			/* BuildKit's ParseInt(v, 10, 32): the config's Retries is an int */
			if (*end || end == s->flags[i].value || errno || r > INT_MAX || r < INT_MIN)
				die_node(c, n, s->flags[i].off, "invalid --retries: %s", qname(s->flags[i].value));
			if (r < 0)
				die_node(c, n, s->flags[i].off, "--retries cannot be negative (%ld)", r);
		}
	}
}

/* ONBUILD's trigger: the original text less the leading ONBUILD */
static const char *onbuild_trigger(struct pctx *c, const struct node *n)
{
	if (!n->sub)
		die_instr(c, n, "ONBUILD requires at least one argument");
	enum instr si = n->sub->instr;
	if (si == I_ONBUILD)
		die_instr(c, n, "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	if (si == I_FROM || si == I_MAINTAINER)
		die_instr(c, n, "%s isn't allowed as an ONBUILD trigger", instr_name(si));
	if (si == I_UNKNOWN)
		die_node(c, n, n->restoff, "%s", unknown_instr(c->a, n->sub->keyword));
	return n->rest;
}

static void add_dep(struct pctx *c, struct stage *st, int dep)
{
	for (size_t i = 0; i < st->ndeps; i++)
		if (st->deps[i] == dep)
			return;
	int *nd = arena_alloc(c->a, (st->ndeps + 1) * sizeof *nd);
	if (st->ndeps)
		memcpy(nd, st->deps, st->ndeps * sizeof *nd);
	nd[st->ndeps++] = dep;
	st->deps = nd;
}

/* resolve a --from value: a stage name (any stage), an index, or an image */
static void resolve_from(struct pctx *c, struct stage *st, struct step *s, const char *from, size_t off)
{
	int idx = find_stage(c->p, c->p->n, from);
	if (idx < 0) {
		char *end;
		long v = strtol(from, &end, 10);
		if (*from && !*end && from[0] != '-' && from[0] != '+') {
			if (v >= (long)c->p->n)
				die_node(c, s->node, off, "invalid from flag value %s: no stage with that index", qname(from));
			idx = (int)v;
		}
	}
	if (idx >= 0) {
		if (idx == st->index)
			die_node(c, s->node, off, "circular dependency detected on stage: %s",
				 qname(st->name ? st->name : from));
		s->from_stage = idx;
		add_dep(c, st, idx);
	} else {
		s->from_image = from;
	}
}

/* RUN --mount=...,from=X,...: the from value, or NULL */
static const char *mount_from(struct pctx *c, const char *m)
{
	const char *p = m;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > 5 && !strncmp(p, "from=", 5))
			return arena_strndup(c->a, p + 5, len - 5);
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

/* the steps of stage st from its instructions [first, last) after its FROM; bi: what its base image gives (or NULL) */
static void plan_stage_steps(struct pctx *c, struct stage *st, size_t first, size_t last, const struct base_info *bi)
{
	const struct dockerfile *df = c->df;
	struct stage_draft sb = {0};
	sb.env = arena_alloc(c->a, sizeof *sb.env);
	sb.args = arena_alloc(c->a, sizeof *sb.args);
	env_init(sb.args, c->a);
	if (st->base_stage >= 0) {
		env_copy(sb.env, c->p->stages[st->base_stage].env_end, c->a);
	} else if (bi) {
		env_copy(sb.env, &bi->env, c->a);
	} else {
		env_init(sb.env, c->a);
	}
	/* docker makes sure PATH is set */
	if (!env_get(sb.env, "PATH"))
		env_set(sb.env, "PATH", PLAN_DEFAULT_PATH);
	/* the base's ONBUILD triggers run first: an image's, or those of a stage of this file (as
	   BuildKit does), each one instruction of its own (as BuildKit parses them), never one a
	   Dockerfile could not have declared */
	struct strv triggers;
	strv_init(&triggers, c->a);
	if (bi)
		for (size_t i = 0; i < bi->nonbuild; i++)
			strv_push(&triggers, (char *)bi->onbuild[i]);
	if (st->base_stage >= 0) {
		const struct stage *bs = &c->p->stages[st->base_stage];
		for (size_t i = 0; i < bs->nsteps; i++)
			if (bs->steps[i].instr == I_ONBUILD && !bs->steps[i].from_onbuild)
				strv_push(&triggers, (char *)bs->steps[i].original);
	}
	size_t ntrig = triggers.n;
	struct dockerfile **trig = arena_alloc(c->a, (ntrig + 1) * sizeof *trig);
	for (size_t i = 0; i < ntrig; i++) {
		char *path = arena_printf(c->a, "%s (ONBUILD of %s)", df->path, st->base);
		trig[i] = parse_dockerfile(c->a, path, triggers.v[i], strlen(triggers.v[i]));
		const struct node *tn = &trig[i]->nodes[0];
		if (trig[i]->n != 1)
			fatal_at(path, tn->line.start_line, tn->line.col, "onbuild trigger should be a single expression");
		if (tn->instr == I_ONBUILD)
			fatal_at(path, tn->line.start_line, tn->line.col,
				 "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
		if (tn->instr == I_FROM || tn->instr == I_MAINTAINER)
			fatal_at(path, tn->line.start_line, tn->line.col, "%s isn't allowed as an ONBUILD trigger",
				 instr_name(tn->instr));
	}
	for (size_t k = 0; k < ntrig + (last - first); k++) {
		const struct node *n = k < ntrig ? &trig[k]->nodes[0] : &df->nodes[first + k - ntrig];
		struct pctx tc = *c;
		if (k < ntrig)
			tc.df = trig[k];
		struct pctx *pc = &tc;
		struct step *s = new_step(pc, &sb, n);
		s->from_onbuild = k < ntrig;
		struct env *sh = shell_env(pc, sb.env, sb.args);
		parse_flags(pc, n, s, sh);
		switch (n->instr) {
		case I_UNKNOWN:
			die_instr(pc, n, "%s", unknown_instr(pc->a, n->keyword));
		case I_FROM:
			break;
		case I_ARG:
			stage_arg(pc, &sb, n, s);
			break;
		case I_ENV:
			stage_env(pc, &sb, n, s);
			break;
		case I_LABEL:
			stage_label(pc, &sb, n, s);
			break;
		case I_ADD:
		case I_COPY: {
			if (n->nargs < 2 && !(n->nargs == 1 && n->nheredocs))
				die_instr(pc, n, "%s requires at least two arguments, but only one was provided. "
					  "Destination could not be determined", instr_name(n->instr));
			expand_args(pc, n, s, sh);
			const char *link = step_flag(s, "link"), *chown = step_flag(s, "chown");
			s->needs_parent = !link || strcmp(link, "true") != 0 || (chown && strspn(chown, "0123456789:") != strlen(chown));
			const char *from = step_flag(s, "from");
			if (from) {
				if (!*from)
					die_instr(pc, n, "--from can not be empty");
				size_t foff = 0;
				for (size_t f = 0; f < s->nflags; f++)
					if (!strcmp(s->flags[f].name, "from"))
						foff = s->flags[f].off;
				struct env none;
				env_init(&none, pc->a);
				if (strcmp(xword(pc, n, foff, from, &none), from) != 0)
					die_node(pc, n, foff, "variable expansion is not supported for --from, define a new "
							      "stage with FROM using ARG from global scope as a workaround");
				resolve_from(pc, st, s, from, foff);
			}
			if (n->instr == I_ADD)
				check_add(pc, n, s);
			break;
		}
		case I_EXPOSE:
			if (n->nargs == 0)
				die_instr(pc, n, "EXPOSE requires at least one argument");
			expose_args(pc, n, s, sh);
			break;
		case I_USER:
			/* an empty USER (a variable the base image does not set) is root, as in BuildKit */
			if (n->nargs != 1)
				die_instr(pc, n, "USER requires exactly one argument");
			expand_args(pc, n, s, sh);
			break;
		case I_WORKDIR:
			s->needs_parent = true;
			/* fall through */
		case I_STOPSIGNAL:
			if (n->nargs != 1)
				die_instr(pc, n, "%s requires exactly one argument", instr_name(n->instr));
			expand_args(pc, n, s, sh);
			if (!*s->args[0])
				die_instr(pc, n, "%s can not be empty", instr_name(n->instr));
			break;
		case I_VOLUME:
			if (n->nargs == 0)
				die_instr(pc, n, "VOLUME requires at least one argument");
			expand_args(pc, n, s, sh);
			for (size_t i = 0; i < n->nargs; i++)
				if (!*s->args[i])
					die_node(pc, n, n->argoff[i], "VOLUME specified can not be an empty string");
			break;
		case I_MAINTAINER:
			if (n->nargs == 0)
				die_instr(pc, n, "MAINTAINER requires exactly one argument");
			break;
		case I_SHELL:
			if (!n->json)
				die_instr(pc, n, "SHELL requires the arguments to be in JSON form");
			if (n->nargs == 0)
				die_instr(pc, n, "SHELL requires at least one argument");
			break;
		case I_CMD:
		case I_ENTRYPOINT:
			break;
		case I_RUN:
			if (n->nargs == 0 && !n->nheredocs)
				die_instr(pc, n, "RUN requires at least one argument");
			for (size_t i = 0; i < s->nflags; i++) {
				if (strcmp(s->flags[i].name, "mount") != 0)
					continue;
				const char *f = mount_from(pc, s->flags[i].value);
				if (f)
					resolve_from(pc, st, s, xword(pc, n, s->flags[i].off, f, sh), s->flags[i].off);
			}
			break;
		case I_HEALTHCHECK:
			check_healthcheck(pc, n, s);
			break;
		case I_ONBUILD:
			s->original = onbuild_trigger(pc, n);
			break;
		}
	}
	st->steps = sb.steps;
	st->nsteps = sb.n;
	st->env_end = sb.env;
}

static void mark_needed(struct plan *p, int i)
{
	if (p->stages[i].needed)
		return;
	p->stages[i].needed = true;
	for (size_t d = 0; d < p->stages[i].ndeps; d++)
		mark_needed(p, p->stages[i].deps[d]);
}

/* 0 unvisited, 1 on the path, 2 done */
static void check_cycles(const struct pctx *c, int i, char *state)
{
	const struct stage *st = &c->p->stages[i];
	state[i] = 1;
	for (size_t d = 0; d < st->ndeps; d++) {
		int j = st->deps[d];
		if (state[j] == 1) {
			const struct stage *sj = &c->p->stages[j];
			fatal_at(c->df->path, sj->from->line.start_line, sj->from->line.col,
				 "circular dependency detected on stage: %s",
				 sj->name ? qname(sj->name) : arena_printf(c->a, "%d", j));
		}
		if (state[j] == 0)
			check_cycles(c, j, state);
	}
	state[i] = 2;
}

struct plan *plan_build(struct arena *a, const struct dockerfile *df, const struct plan_opts *o)
{
	struct plan *p = arena_alloc(a, sizeof *p);
	memset(p, 0, sizeof *p);
	p->df = df;
	p->target = -1;
	env_copy(&p->build_args, &o->build_args, a);
	p->platform = o->platform ? o->platform : platform_host();
	struct pctx c = {.a = a, .df = df, .o = o, .p = p};
	map_init(&p->stage_names, a, sizeof(size_t));
	env_init(&c.meta, a);
	struct strv warnings;
	struct map consumed;
	map_init(&consumed, a, 0);
	c.used_args = &consumed;
	strv_init(&warnings, a);
	c.warnings = &warnings;
	set_platform_args(&c.meta, "BUILD", platform_host());
	set_platform_args(&c.meta, "TARGET", p->platform);
	/* TARGETSTAGE: the --target, else the last stage's name */
	const char *tstage = o->target;
	for (size_t j = df->n; !tstage && j-- > 0;)
		if (df->nodes[j].instr == I_FROM)
			tstage = df->nodes[j].nargs == 3 ? lower(a, df->nodes[j].args[2]) : "";
	env_set(&c.meta, "TARGETSTAGE", tstage ? tstage : "");

	size_t i = 0;
	for (; i < df->n && df->nodes[i].instr != I_FROM; i++) {
		const struct node *n = &df->nodes[i];
		if (n->instr == I_ARG)
			global_arg(&c, n);
		else if (n->instr == I_UNKNOWN)
			die_instr(&c, n, "%s", unknown_instr(a, n->keyword));
		else
			die_instr(&c, n, "%s before the first FROM: only ARG may come before FROM",
				  instr_name(n->instr));
	}
	if (i == df->n)
		fatal_at(df->path, df->end_line, 1, "no FROM instruction: the Dockerfile has no stage to build");
	plan_epoch(&c);

	/* stages first, so that --from may name a later one */
	size_t nst = 0;
	for (size_t j = i; j < df->n; j++)
		nst += df->nodes[j].instr == I_FROM;
	p->stages = arena_alloc(a, nst * sizeof *p->stages);
	size_t *starts = arena_alloc(a, (nst + 1) * sizeof *starts);
	for (size_t j = i; j < df->n; j++) {
		const struct node *n = &df->nodes[j];
		if (n->instr != I_FROM)
			continue;
		struct stage *st = &p->stages[p->n];
		memset(st, 0, sizeof *st);
		st->index = (int)p->n;
		st->from = n;
		st->base_stage = -1;
		starts[p->n++] = j;
		if (n->nargs != 1 && !(n->nargs == 3 && !strcasecmp(n->args[1], "as")))
			die_instr(&c, n, "FROM requires either one or three arguments");
		struct step tmp = {0};
		parse_flags(&c, n, &tmp, &c.meta);
		st->platform = step_flag(&tmp, "platform");
		if (st->platform) {
			size_t poff = tmp.flags[0].off;
			const char *raw = n->flags[0] + strlen("--platform=");
			if (!*st->platform)
				die_node(&c, n, poff, "empty platform value from expression %s", raw);
			char norm[PLATFORM_MAX];
			struct error perr;
			if (platform_normalize(st->platform, norm, &perr) < 0)
				die_node(&c, n, poff, "failed to parse platform %s: %s", raw, perr.msg);
			st->platform = arena_strdup(a, norm);
		}
		st->base = xword(&c, n, n->argoff[0], n->args[0], &c.meta);
		if (!*st->base)
			die_node(&c, n, n->argoff[0], "base name (%s) should not be blank", qname(n->args[0]));
		if (n->nargs == 3) {
			char *name = arena_strdup(a, n->args[2]);
			for (char *q = name; *q; q++)
				if (*q >= 'A' && *q <= 'Z')
					*q += 32;
			if (!valid_stage_name(name))
				die_node(&c, n, n->argoff[2],
					 "invalid name for build stage: '%s', name can't start with a number or contain symbols",
					 qname(n->args[2]));
			/* BuildKit warns and lets the later stage of a name win (for --from and --target) */
			if (find_stage(p, p->n - 1, name) >= 0)
				add_warning(&c, n, n->argoff[2], "DuplicateStageName",
					    arena_printf(a, "Duplicate stage name %s, stage names should be unique",
							 go_quote(a, name)));
			st->name = name;
			*(size_t *)map_put(&p->stage_names, name, NULL) = p->n - 1;
		}
		/* FROM names an earlier stage only: "FROM x AS x" means the image x, as in docker */
		st->base_stage = find_stage(p, p->n - 1, st->base);
		if (st->base_stage >= 0)
			add_dep(&c, st, st->base_stage);
	}
	starts[p->n] = df->n;
	for (size_t s = 0; s < p->n; s++) {
		struct stage *st = &p->stages[s];
		struct base_info bi;
		bool have = false;
		if (st->base_stage < 0 && strcmp(st->base, "scratch") != 0 && o->base) {
			memset(&bi, 0, sizeof bi);
			env_init(&bi.env, a);
			have = o->base(o->ctx, st->base, st->platform ? st->platform : p->platform, &bi) > 0;
		}
		plan_stage_steps(&c, st, starts[s] + 1, starts[s + 1], have ? &bi : NULL);
	}
	char *state = arena_alloc(a, p->n);
	memset(state, 0, p->n);
	for (size_t s = 0; s < p->n; s++)
		if (!state[s])
			check_cycles(&c, (int)s, state);
	if (o->target) {
		p->target = find_stage(p, p->n, o->target);
		if (p->target < 0) {
			const char **names = arena_alloc(a, (p->n + 1) * sizeof *names);
			size_t nn = 0;
			for (size_t s = 0; s < p->n; s++)
				if (p->stages[s].name)
					names[nn++] = p->stages[s].name;
			fatal("target stage %s could not be found%s", go_quote(a, o->target),
			      did_you_mean(a, o->target, names, nn, true));
		}
	} else {
		p->target = (int)p->n - 1;
	}
	mark_needed(p, p->target);
	/* stages are built in the order they are written: a stage copies from an earlier one only */
	for (size_t s = 0; s < p->n; s++) {
		const struct stage *st = &p->stages[s];
		for (size_t k = 0; st->needed && k < st->nsteps; k++) {
			const struct step *sp = &st->steps[k];
			if (sp->instr != I_COPY || sp->from_stage <= (int)s)
				continue;
			const char *msg = arena_printf(a, "cannot copy from stage %s, it needs to be defined before current "
							     "stage %s", go_quote(a, step_flag(sp, "from")),
						       go_quote(a, st->name ? st->name : arena_printf(a, "stage-%zu", s)));
			/* a trigger's text is no line of this file: name the FROM that ran it */
			if (sp->from_onbuild)
				fatal_at(df->path, st->from->line.start_line, st->from->line.col, "%s", msg);
			size_t foff = 0;
			for (size_t f = 0; f < sp->nflags; f++)
				if (!strcmp(sp->flags[f].name, "from"))
					foff = sp->flags[f].off;
			die_node(&c, sp->node, foff, "%s", msg);
		}
	}
	p->warnings = (const char **)warnings.v;
	p->nwarnings = warnings.n;

	struct buf unused;
	buf_init(&unused, a);
	for (size_t k = 0; k < env_count(&o->build_args); k++) {
		const char *name = env_name(&o->build_args, k);
		if (!is_proxy_arg(name) && !map_get(c.used_args, name)) {
			if (unused.len)
				buf_putc(&unused, ',');
			buf_puts(&unused, name);
		}
	}
	p->unused_args = unused.len ? unused.s : NULL;
	return p;
}

static json_t *jstrs(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *step_json(const struct step *s)
{
	json_t *j = json_object();
	json_object_set_new(j, "instruction", json_string(instr_name(s->instr)));
	json_object_set_new(j, "line", json_integer(s->node->line.start_line));
	json_object_set_new(j, "end_line", json_integer(s->node->line.end_line));
	json_object_set_new(j, "original", json_string(s->original));
	if (s->nflags) {
		json_t *f = json_object();
		for (size_t i = 0; i < s->nflags; i++) {
			json_t *old = json_object_get(f, s->flags[i].name);
			if (old && json_is_array(old)) {
				json_array_append_new(old, json_string(s->flags[i].value));
			} else if (old) {
				json_t *arr = json_array();
				json_array_append(arr, old);
				json_array_append_new(arr, json_string(s->flags[i].value));
				json_object_set_new(f, s->flags[i].name, arr);
			} else {
				json_object_set_new(f, s->flags[i].name, json_string(s->flags[i].value));
			}
		}
		json_object_set_new(j, "flags", f);
	}
	if (s->nkvs) {
		json_t *kv = json_array();
		for (size_t i = 0; i < s->nkvs; i++) {
			json_t *pair = json_object();
			json_object_set_new(pair, "key", json_string(s->kvs[i].key));
			json_object_set_new(pair, "value", s->kvs[i].value ? json_string(s->kvs[i].value) : json_null());
			json_array_append_new(kv, pair);
		}
		json_object_set_new(j, "pairs", kv);
	} else if (s->instr != I_ONBUILD) {
		json_object_set_new(j, "args", jstrs(s->args, s->nargs));
		if (s->json)
			json_object_set_new(j, "json", json_true());
	}
	if (s->from_stage >= 0)
		json_object_set_new(j, "from_stage", json_integer(s->from_stage));
	if (s->from_image)
		json_object_set_new(j, "from_image", json_string(s->from_image));
	if (s->from_onbuild)
		json_object_set_new(j, "onbuild_trigger", json_true());
	if (s->instr == I_COPY || s->instr == I_ADD || s->instr == I_WORKDIR)
		json_object_set_new(j, "needs_parent", json_boolean(s->needs_parent));
	if (s->key[0]) {
		json_object_set_new(j, "key", json_string(s->key));
		json_object_set_new(j, "cached", json_boolean(s->cached));
	}
	if (s->node->nheredocs) {
		json_t *h = json_array();
		for (size_t i = 0; i < s->node->nheredocs; i++) {
			const struct heredoc *hd = &s->node->heredocs[i];
			json_t *o = json_object();
			json_object_set_new(o, "name", json_string(hd->name));
			json_object_set_new(o, "content", json_string(hd->content));
			json_object_set_new(o, "expand", json_boolean(hd->expand));
			json_object_set_new(o, "chomp", json_boolean(hd->chomp));
			json_object_set_new(o, "fd", json_integer(hd->fd));
			json_array_append_new(h, o);
		}
		json_object_set_new(j, "heredocs", h);
	}
	return j;
}

void plan_json(FILE *f, const struct plan *p)
{
	json_t *root = json_object();
	json_object_set_new(root, "dockerfile", json_string(p->df->path));
	json_object_set_new(root, "platform", json_string(p->platform));
	json_object_set_new(root, "target", json_integer(p->target));
	json_t *meta = json_object();
	for (size_t i = 0; i < p->nmeta; i++)
		json_object_set_new(meta, p->meta_args[i].key,
				    p->meta_args[i].value ? json_string(p->meta_args[i].value) : json_null());
	json_object_set_new(root, "global_args", meta);
	json_t *stages = json_array();
	for (size_t i = 0; i < p->n; i++) {
		const struct stage *st = &p->stages[i];
		json_t *sj = json_object();
		json_object_set_new(sj, "index", json_integer(st->index));
		json_object_set_new(sj, "name", st->name ? json_string(st->name) : json_null());
		json_object_set_new(sj, "base", json_string(st->base));
		if (st->base_stage >= 0)
			json_object_set_new(sj, "base_stage", json_integer(st->base_stage));
		if (st->platform)
			json_object_set_new(sj, "platform", json_string(st->platform));
		json_object_set_new(sj, "line", json_integer(st->from->line.start_line));
		json_object_set_new(sj, "needed", json_boolean(st->needed));
		json_t *deps = json_array();
		for (size_t d = 0; d < st->ndeps; d++)
			json_array_append_new(deps, json_integer(st->deps[d]));
		json_object_set_new(sj, "depends_on", deps);
		json_t *steps = json_array();
		for (size_t k = 0; k < st->nsteps; k++)
			json_array_append_new(steps, step_json(&st->steps[k]));
		json_object_set_new(sj, "steps", steps);
		json_array_append_new(stages, sj);
	}
	json_object_set_new(root, "stages", stages);
	if (p->unused_args)
		json_object_set_new(root, "unused_build_args", json_string(p->unused_args));
	if (p->nwarnings)
		json_object_set_new(root, "warnings", jstrs(p->warnings, p->nwarnings));
	if (p->has_epoch)
		json_object_set_new(root, "source_date_epoch", json_integer(p->epoch));
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
	json_decref(root);
	if (s) {
		fputs(s, f);
		fputc('\n', f);
		free(s);
	}
}
