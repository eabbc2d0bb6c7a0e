#include "parse.h"

#include <stdint.h>
#include <sys/types.h>
#include <string.h>

#include "env.h"
#include "error.h"
#include "gojson.h"
#include "expand.h"
#include "scan.h"
#include "utf8.h"
#include "util.h"

static const char *const instr_names[] = {
	[I_UNKNOWN] = "", [I_ADD] = "ADD", [I_ARG] = "ARG", [I_CMD] = "CMD", [I_COPY] = "COPY",
	[I_ENTRYPOINT] = "ENTRYPOINT", [I_ENV] = "ENV", [I_EXPOSE] = "EXPOSE", [I_FROM] = "FROM",
	[I_HEALTHCHECK] = "HEALTHCHECK", [I_LABEL] = "LABEL", [I_MAINTAINER] = "MAINTAINER",
	[I_ONBUILD] = "ONBUILD", [I_RUN] = "RUN", [I_SHELL] = "SHELL", [I_STOPSIGNAL] = "STOPSIGNAL",
	[I_USER] = "USER", [I_VOLUME] = "VOLUME", [I_WORKDIR] = "WORKDIR",
};

enum instr instr_lookup(const char *kw)
{
	struct buf low;
	buf_init(&low, NULL);
	lower_go(&low, kw, strlen(kw));
	enum instr found = I_UNKNOWN;
	for (size_t i = 1; low.s && i < sizeof instr_names / sizeof instr_names[0]; i++)
		if (!strcasecmp(low.s, instr_names[i]))
			found = (enum instr)i;
	buf_free(&low);
	return found;
}

const char *instr_name(enum instr i)
{
	return instr_names[i];
}

/* strings.TrimSpace on [*s, *s + *n) */
static void trim_space(const char **s, size_t *n)
{
	size_t k;
	while (*n > 0 && (k = uspace(*s, *n)) > 0)
		*s += k, *n -= k;
	for (;;) {
		if (*n >= 1 && uspace(*s + *n - 1, 1) == 1) {
			(*n)--;
			continue;
		}
		if (*n >= 2 && uspace(*s + *n - 2, 2) == 2) {
			*n -= 2;
			continue;
		}
		if (*n >= 3 && uspace(*s + *n - 3, 3) == 3) {
			*n -= 3;
			continue;
		}
		break;
	}
}

/* [\t\v\f\r ] */
static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

struct args {
	const char **v;
	size_t *off, *len;
	size_t n, cap;
	struct arena *a;
};

static void args_pushn(struct args *av, const char *s, size_t len, size_t off)
{
	if (av->n == av->cap) {
		/* three arrays side by side: each grows from the same room to the same room */
		size_t cap = av->cap;
		av->v = array_grow(av->v, &cap, av->n + 1, sizeof *av->v, av->a);
		cap = av->cap;
		av->off = array_grow(av->off, &cap, av->n + 1, sizeof *av->off, av->a);
		av->len = array_grow(av->len, &av->cap, av->n + 1, sizeof *av->len, av->a);
	}
	av->v[av->n] = s;
	av->off[av->n] = off;
	av->len[av->n] = len;
	av->n++;
}

static void args_push(struct args *av, const char *s, size_t off)
{
	args_pushn(av, s, strlen(s), off);
}

struct ctx {
	struct arena *a;
	const char *path;
	int escape;
	const struct logline *ll;
};

static noreturn void die_at(const struct ctx *c, size_t off, const char *fmt, const char *arg)
{
	int line, col;
	logline_pos(c->ll, off, &line, &col);
	fatal_at(c->path, line, col, fmt, arg);
}

static size_t off_of(const struct ctx *c, const char *p)
{
	return (size_t)(p - c->ll->text);
}

/* the reference's extractBuilderFlags: it walks bytes, and a byte >= 0x80 becomes the rune of that value */
static const char *extract_flags(const struct ctx *c, const char *line, size_t n, struct args *flags)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	struct buf w;
	buf_init(&w, c->a);
	bool blank_ok = false;
	unsigned char quote = 0, ch = 0;
	size_t wstart = 0;
	for (size_t pos = 0; pos <= n; pos++) {
		if (pos != n)
			ch = (unsigned char)line[pos];
		bool space = ch == ' ' || (ch >= '\t' && ch <= '\r') || ch == 0x85 || ch == 0xA0;
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (space)
				continue;
			if (ch != '-' || pos + 1 == n || line[pos + 1] != '-')
				return line + pos;
			phase = WORD;
			wstart = pos;
		}
		if (pos == n) {
			if (strcmp(w.s, "--") != 0 && (blank_ok || w.len > 0))
				args_push(flags, w.s, off_of(c, line + wstart));
			break;
		}
		if (phase == WORD) {
			if (space) {
				phase = SPACES;
				if (!strcmp(w.s, "--"))
					return line + pos;
				if (blank_ok || w.len > 0)
					args_push(flags, buf_take(&w), off_of(c, line + wstart));
				else
					buf_reset(&w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
				continue;
			}
			if (ch == c->escape) {
				if (pos + 1 == n)
					continue;
				ch = (unsigned char)line[++pos];
			}
			utf8_put(&w, ch);
			continue;
		}
		/* QUOTE */
		if (ch == quote) {
			phase = WORD;
			continue;
		}
		if (ch == c->escape) {
			if (pos + 1 == n) {
				phase = WORD;
				continue;
			}
			ch = (unsigned char)line[++pos];
		}
		utf8_put(&w, ch);
	}
	return line + n;
}

/* split [s, s+n) on runs of [\t\v\f\r ] */
static void split_ws(const struct ctx *c, const char *s, size_t n, struct args *av)
{
	if (n == 0)
		return;
	size_t i = 0;
	for (;;) {
		size_t j = i;
		while (j < n && !ws(s[j]))
			j++;
		args_push(av, arena_strndup(c->a, s + i, j - i), off_of(c, s + i));
		if (j == n)
			break;
		while (j < n && ws(s[j]))
			j++;
		i = j;
	}
}

enum { JSON_NO = 0, JSON_YES = 1 };

/* parseJSON: 1 with av filled when rest is a JSON array of strings, 0 when it is not JSON */
static int parse_json(const struct ctx *c, const char *s, size_t n, struct args *av)
{
	size_t k;
	while (n > 0 && (k = uspace(s, n)) > 0)
		s += k, n -= k;
	if (n == 0 || s[0] != '[')
		return JSON_NO;
	char **v;
	size_t *len, count;
	switch (gojson_strings(c->a, s, n, &v, &len, &count)) {
	case GOJSON_NO:
		return JSON_NO;
	case GOJSON_NOT_STRINGS:
		die_at(c, off_of(c, s), "%s", "when using JSON array syntax, arrays must be comprised of strings only");
	case GOJSON_STRINGS:
		break;
	}
	for (size_t i = 0; i < count; i++)
		args_pushn(av, v[i], len[i], off_of(c, s));
	return JSON_YES;
}

/* parseWords: split keeping quotes and escapes, for ENV, LABEL and ARG */
static void parse_words(const struct ctx *c, const char *s, size_t n, struct args *av)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	struct buf w;
	buf_init(&w, c->a);
	bool blank_ok = false;
	uint32_t quote = 0, ch = 0;
	size_t width = 0, wstart = 0;
	for (size_t pos = 0; pos <= n; pos += width) {
		if (pos != n)
			ch = (uint32_t)utf8_decode((const unsigned char *)s + pos, n - pos, &width);
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (rune_space(ch))
				continue;
			phase = WORD;
			wstart = pos;
		}
		if (pos == n) {
			if (blank_ok || w.len > 0)
				args_push(av, w.s, off_of(c, s + wstart));
			break;
		}
		if (phase == WORD) {
			if (rune_space(ch)) {
				phase = SPACES;
				if (blank_ok || w.len > 0)
					args_push(av, buf_take(&w), off_of(c, s + wstart));
				else
					buf_reset(&w);
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
			}
			if (ch == (uint32_t)c->escape) {
				if (pos + width == n)
					continue;
				utf8_put(&w, ch);
				pos += width;
				ch = (uint32_t)utf8_decode((const unsigned char *)s + pos, n - pos, &width);
			}
			utf8_put(&w, ch);
			continue;
		}
		if (ch == quote)
			phase = WORD;
		if (ch == (uint32_t)c->escape && quote != '\'') {
			if (pos + width == n) {
				phase = WORD;
				continue;
			}
			pos += width;
			utf8_put(&w, ch);
			ch = (uint32_t)utf8_decode((const unsigned char *)s + pos, n - pos, &width);
		}
		utf8_put(&w, ch);
	}
}

static void parse_name_val(const struct ctx *c, const char *kw, const char *s, size_t n, struct args *av)
{
	struct args words = {.a = c->a};
	parse_words(c, s, n, &words);
	if (words.n == 0)
		return;
	if (!strchr(words.v[0], '=')) {
		size_t i = 0;
		while (i < n && !ws(s[i]))
			i++;
		if (i == n)
			die_at(c, off_of(c, s), "%s must have two arguments", kw);
		args_push(av, arena_strndup(c->a, s, i), off_of(c, s));
		size_t j = i;
		while (j < n && ws(s[j]))
			j++;
		args_push(av, arena_strndup(c->a, s + j, n - j), off_of(c, s + j));
		args_push(av, "", off_of(c, s + j));
		return;
	}
	for (size_t i = 0; i < words.n; i++) {
		const char *eq = strchr(words.v[i], '=');
		if (!eq)
			die_at(c, words.off[i], "syntax error: can't find = in '%s'; must be of the form name=value",
			       words.v[i]);
		args_push(av, arena_strndup(c->a, words.v[i], (size_t)(eq - words.v[i])), words.off[i]);
		args_push(av, eq + 1, words.off[i] + (size_t)(eq - words.v[i]) + 1);
		args_push(av, "=", words.off[i] + (size_t)(eq - words.v[i]));
	}
}

/* parseMaybeJSON: empty, a JSON array, or the whole text as one argument */
static bool parse_maybe_json(const struct ctx *c, const char *s, size_t n, struct args *av)
{
	if (n == 0)
		return false;
	if (parse_json(c, s, n, av))
		return true;
	args_push(av, arena_strndup(c->a, s, n), off_of(c, s));
	return false;
}

static void node_from_line(const struct ctx *c, const char *line, size_t len, struct node *nd);

static void dispatch(const struct ctx *c, struct node *nd, const char *s, size_t n)
{
	struct args av = {.a = c->a};
	switch (nd->instr) {
	case I_ADD:
	case I_COPY:
	case I_VOLUME:
		if (parse_json(c, s, n, &av))
			nd->json = true;
		else
			split_ws(c, s, n, &av);
		break;
	case I_ARG:
		parse_words(c, s, n, &av);
		break;
	case I_CMD:
	case I_ENTRYPOINT:
	case I_RUN:
	case I_SHELL:
		nd->json = parse_maybe_json(c, s, n, &av);
		break;
	case I_ENV:
	case I_LABEL:
		parse_name_val(c, instr_name(nd->instr), s, n, &av);
		break;
	case I_EXPOSE:
	case I_FROM:
		split_ws(c, s, n, &av);
		break;
	case I_HEALTHCHECK: {
		/* byte-wise unicode.IsSpace, as upstream */
		size_t sep = 0, next;
		while (sep < n && !(ws(s[sep]) || s[sep] == '\n' || (unsigned char)s[sep] == 0x85 ||
				    (unsigned char)s[sep] == 0xA0))
			sep++;
		next = sep;
		while (next < n && (ws(s[next]) || s[next] == '\n' || (unsigned char)s[next] == 0x85 ||
				    (unsigned char)s[next] == 0xA0))
			next++;
		if (sep == 0)
			break;
		args_push(&av, arena_strndup(c->a, s, sep), off_of(c, s));
		nd->json = parse_maybe_json(c, s + next, n - next, &av);
		break;
	}
	case I_MAINTAINER:
	case I_STOPSIGNAL:
	case I_USER:
	case I_WORKDIR:
		if (n)
			args_push(&av, arena_strndup(c->a, s, n), off_of(c, s));
		break;
	case I_ONBUILD:
		if (n) {
			nd->sub = arena_alloc(c->a, sizeof *nd->sub);
			node_from_line(c, s, n, nd->sub);
		}
		break;
	case I_UNKNOWN:
		args_push(&av, "", off_of(c, s));
		break;
	}
	nd->args = av.v;
	nd->argoff = av.off;
	nd->arglen = av.len;
	nd->nargs = av.n;
}

static void node_from_line(const struct ctx *c, const char *line, size_t len, struct node *nd)
{
	memset(nd, 0, sizeof *nd);
	nd->line = *c->ll;
	trim_space(&line, &len);
	size_t k = 0;
	while (k < len && !ws(line[k]))
		k++;
	nd->keyword = arena_strndup(c->a, line, k);
	nd->instr = instr_lookup(nd->keyword);
	const char *rest = line + len;
	struct args flags = {.a = c->a};
	if (k < len) {
		size_t j = k;
		while (j < len && ws(line[j]))
			j++;
		rest = extract_flags(c, line + j, len - j, &flags);
	}
	nd->flags = flags.v;
	nd->flagoff = flags.off;
	nd->nflags = flags.n;
	size_t rn = (size_t)(line + len - rest);
	trim_space(&rest, &rn);
	nd->rest = arena_strndup(c->a, rest, rn);
	nd->restoff = off_of(c, rest);
	dispatch(c, nd, rest, rn);
}

static bool can_heredoc(const struct node *nd)
{
	if (nd->instr == I_ONBUILD && nd->sub)
		nd = nd->sub;
	return (nd->instr == I_RUN || nd->instr == I_COPY || nd->instr == I_ADD) && !nd->json;
}

int heredoc_marker(struct arena *a, const char *word, struct heredoc *h, struct error *err)
{
	const char *p = word;
	unsigned long fd = 0;
	while (*p >= '0' && *p <= '9') {
		if (fd < 100000000)
			fd = fd * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (p[0] != '<' || p[1] != '<')
		return 0;
	p += 2;
	bool chomp = false;
	if (*p == '-')
		chomp = true, p++;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
		p++;
	if (strchr(p, '<') || !*p)
		return 0;
	struct env empty;
	env_init(&empty, a);
	struct strv words, raw;
	strv_init(&words, a);
	strv_init(&raw, a);
	struct expand x = {.a = a, .env = &empty, .escape = '\\', .skip_unset = true};
	if (expand_words(&x, p, &words) < 0)
		return err_set(err, "%s", x.err);
	if (words.n != 1)
		return 0;
	x.raw_quotes = true;
	if (expand_words(&x, p, &raw) < 0)
		return err_set(err, "%s", x.err);
	if (raw.n != 1)
		return err_set(err, "internal lexing of heredoc produced inconsistent results: %s", p);
	size_t q1 = 0, q2 = 0;
	for (const char *s = words.v[0]; *s; s++)
		q1 += *s == '\'' || *s == '"';
	for (const char *s = raw.v[0]; *s; s++)
		q2 += *s == '\'' || *s == '"';
	h->name = words.v[0];
	h->fd = (unsigned)fd;
	h->chomp = chomp;
	h->expand = q1 == q2;
	h->content = "";
	return 1;
}

ssize_t heredoc_markers(struct arena *a, const char *line, struct heredoc **out, struct error *err)
{
	struct env empty;
	env_init(&empty, a);
	struct strv words;
	strv_init(&words, a);
	struct expand x = {.a = a, .env = &empty, .escape = '\\', .raw_quotes = true,
			   .raw_escapes = true, .skip_unset = true};
	*out = NULL;
	/* upstream ignores a lexing error here: the line then has no heredoc */
	if (expand_words(&x, line, &words) < 0)
		return 0;
	struct heredoc *hd = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < words.n; i++) {
		struct heredoc h;
		int r = heredoc_marker(a, words.v[i], &h, err);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		hd = array_grow(hd, &cap, n + 1, sizeof *hd, a);
		hd[n++] = h;
	}
	*out = hd;
	return (ssize_t)n;
}

static void find_heredocs(const struct ctx *c, struct scanner *sc, struct node *nd)
{
	struct heredoc *hd;
	struct error err;
	ssize_t n = heredoc_markers(c->a, nd->line.text, &hd, &err);
	if (n < 0)
		fatal_at(c->path, nd->line.start_line, nd->line.col, "invalid heredoc: %s", err.msg);
	for (ssize_t i = 0; i < n; i++) {
		char *content;
		int end;
		if (!scan_heredoc(sc, hd[i].name, hd[i].chomp, &content, &end))
			fatal_at(c->path, nd->line.start_line, nd->line.col, "unterminated heredoc %s", qname(hd[i].name));
		hd[i].content = content;
		nd->line.end_line = end;
	}
	nd->heredocs = hd;
	nd->nheredocs = (size_t)n;
	if (nd->sub) {
		nd->sub->heredocs = hd;
		nd->sub->nheredocs = (size_t)n;
		nd->sub->line.end_line = nd->line.end_line;
	}
}

struct dockerfile *parse_dockerfile(struct arena *a, const char *path, const char *data, size_t len)
{
	const char *nul = memchr(data, 0, len);
	if (nul) {
		int line = 1, col = 1;
		for (const char *p = data; p < nul; p++)
			if (*p == '\n')
				line++, col = 1;
			else
				col++;
		fatal_at(path, line, col, "NUL byte in Dockerfile");
	}
	struct dockerfile *df = arena_alloc(a, sizeof *df);
	memset(df, 0, sizeof *df);
	df->path = path;
	struct scanner *sc = scan_new(a, path, data, len);
	struct logline ll;
	size_t cap = 0;
	while (scan_next(sc, &ll)) {
		struct ctx c = {.a = a, .path = path, .escape = scan_escape(sc), .ll = &ll};
		df->nodes = array_grow(df->nodes, &cap, df->n + 1, sizeof *df->nodes, a);
		struct node *nd = &df->nodes[df->n];
		node_from_line(&c, ll.text, ll.len, nd);
		if (ll.empty_continuation)
			df->warnings++;
		if (can_heredoc(nd))
			find_heredocs(&c, sc, nd);
		if (df->n == 0)
			df->start_line = nd->line.start_line;
		df->end_line = nd->line.end_line;
		df->n++;
	}
	df->escape = scan_escape(sc);
	df->syntax = scan_directive(sc, "syntax");
	df->check = scan_directive(sc, "check");
	if (df->n == 0)
		fatal_at(path, scan_line(sc) ? scan_line(sc) : 1, 1, "file with no instructions");
	return df;
}

void node_pos(const struct node *n, size_t off, int *line, int *col)
{
	logline_pos(&n->line, off, line, col);
}

static void put_quoted(FILE *f, const char *s, size_t n)
{
	struct buf b;
	buf_init(&b, NULL);
	quote_go(&b, s, n);
	fwrite(b.s, 1, b.len, f);
	buf_free(&b);
}

static void dump_node(FILE *f, const struct node *nd)
{
	struct buf low;
	buf_init(&low, NULL);
	lower_go(&low, nd->keyword, strlen(nd->keyword));
	if (low.len)
		fwrite(low.s, 1, low.len, f);
	buf_free(&low);
	/* upstream trims the dump, so an empty keyword leaves no leading blank */
	bool blank = nd->keyword[0] != 0;
	if (nd->nflags) {
		fputs(blank ? " [" : "[", f);
		blank = true;
		for (size_t i = 0; i < nd->nflags; i++) {
			if (i)
				fputc(' ', f);
			put_quoted(f, nd->flags[i], strlen(nd->flags[i]));
		}
		fputc(']', f);
	}
	if (nd->sub) {
		fputs(blank ? " (" : "(", f);
		blank = true;
		dump_node(f, nd->sub);
		fputc(')', f);
	}
	for (size_t i = 0; i < nd->nargs; i++) {
		if (blank)
			fputc(' ', f);
		blank = true;
		put_quoted(f, nd->args[i], nd->arglen[i]);
	}
}

void parse_dump(FILE *f, const struct dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++) {
		fputc('(', f);
		dump_node(f, &df->nodes[i]);
		fputs(")\n", f);
	}
}
