#include "ignore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utf8.h"
#include "util.h"

/*
 * Upstream turns each pattern into a Go regexp string (or an exact, prefix or
 * suffix comparison) and runs Go's regexp engine on it.  The translation is
 * not a faithful glob translation: '[', ']' and '\x' are passed through, so a
 * class like "[a?]" becomes "[a[^/]]", "\d" becomes a digit class and "^"
 * outside a class is a start-of-text anchor.  To match upstream exactly we do
 * the same translation and then parse the resulting string with the Go RE2
 * syntax rules (the subset the translation can produce) into a small program
 * run by a Pike-style VM without captures: O(len(path) * len(program)).
 */

enum { MAX_RUNE = 0x10FFFF, MAX_LINE = 64 * 1024, MAX_DEPTH = 1000 };

static const char ERR_SYNTAX[] = "syntax error in pattern";
static const char ERR_BANG[] = "illegal exclusion pattern: \"!\"";

/* strings.TrimSpace on s[*a, *b) */
static void trim_space(const char *s, size_t *a, size_t *b)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t w;

	while (*a < *b && rune_space(utf8_decode(u + *a, *b - *a, &w)))
		*a += w;
	while (*b > *a && rune_space(utf8_decode_last(u + *a, *b - *a, &w)))
		*b -= w;
}



/* ---- reading a .dockerignore (ignorefile.ReadAll) ---- */

int ignore_read(const char *data, size_t len, struct strv *out, struct error *e)
{
	size_t pos = 0, lineno = 0;
	struct strv got;

	strv_init(&got, NULL);
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t a = pos, b = nl ? (size_t)(nl - data) : len;
		pos = nl ? b + 1 : len;
		if (b - a >= MAX_LINE) {
			strv_free(&got);
			return err_set(e, "error reading .dockerignore: line %zu: bufio.Scanner: token too long",
				       lineno + 1);
		}
		if (b > a && data[b - 1] == '\r')
			b--;
		if (lineno++ == 0 && b - a >= 3 && memcmp(data + a, "\xEF\xBB\xBF", 3) == 0)
			a += 3;
		if (b > a && data[a] == '#')
			continue;
		trim_space(data, &a, &b);
		if (a == b)
			continue;
		bool invert = data[a] == '!';
		if (invert) {
			a++;
			trim_space(data, &a, &b);
		}
		char *p = xmalloc(b - a + 3), *q = p;
		if (invert)
			*q++ = '!';
		if (b > a) {
			size_t n = path_clean_into(data + a, b - a, q);
			if (n > 1 && q[0] == '/')
				memmove(q, q + 1, --n);
			q += n;
		}
		*q = 0;
		strv_push(&got, p);
	}
	for (size_t i = 0; i < got.n; i++)
		strv_push(out, got.v[i]);
	free(got.v);
	return 0;
}

/* ---- filepath.Match's syntax check (its only use upstream) ---- */

static bool glob_esc(const unsigned char *c, size_t n, size_t *used)
{
	size_t i = 0, w;

	if (n == 0 || c[0] == '-' || c[0] == ']')
		return false;
	if (c[0] == '\\') {
		i = 1;
		if (n == 1)
			return false;
	}
	if (utf8_decode(c + i, n - i, &w) == RUNE_ERROR && w == 1)
		return false;
	i += w;
	if (i >= n)
		return false;
	*used = i;
	return true;
}

static bool glob_chunk_valid(const unsigned char *c, size_t n)
{
	size_t i = 0, u;

	while (i < n) {
		switch (c[i]) {
		case '[': {
			size_t nrange = 0;
			i++;
			if (i < n && c[i] == '^')
				i++;
			for (;;) {
				if (i < n && c[i] == ']' && nrange > 0) {
					i++;
					break;
				}
				if (!glob_esc(c + i, n - i, &u))
					return false;
				i += u;
				if (c[i] == '-') {
					if (!glob_esc(c + i + 1, n - i - 1, &u))
						return false;
					i += 1 + u;
				}
				nrange++;
			}
			break;
		}
		case '\\':
			if (++i == n)
				return false;
			i++;
			break;
		default:
			i++;
		}
	}
	return true;
}

static bool glob_valid(const unsigned char *p, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		while (pos < n && p[pos] == '*')
			pos++;
		bool inrange = false;
		size_t i;
		for (i = pos; i < n; i++) {
			if (p[i] == '\\') {
				if (i + 1 < n)
					i++;
			} else if (p[i] == '[') {
				inrange = true;
			} else if (p[i] == ']') {
				inrange = false;
			} else if (p[i] == '*' && !inrange) {
				break;
			}
		}
		if (!glob_chunk_valid(p + pos, i - pos))
			return false;
		pos = i;
	}
	return true;
}

/* ---- the program ---- */

enum op { I_RUNE, I_CLASS, I_ANYNL, I_ASSERT, I_SPLIT, I_JMP, I_MATCH };
enum { A_BOT, A_EOT, A_WORDB, A_NWORDB };

struct inst {
	unsigned char op;
	int32_t arg;  /* rune, class index or assertion */
	uint32_t x, y;  /* jump targets */
};

struct class {
	uint32_t first, n;  /* sorted, merged, already negated ranges in prog.ranges */
};

struct prog {
	struct inst *inst;
	size_t n, cap;
	struct class *cls;
	size_t ncls, clscap;
	int32_t *ranges;  /* lo, hi pairs */
	size_t nranges, rcap;
	struct buf pre, suf;  /* bytes every match must start / end with */
};

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };

struct pattern {
	char *pat;  /* cleaned, '!' removed */
	size_t len;
	bool exclusion;
	enum match_type type;
	struct prog prog;
};

struct ignore {
	struct pattern *p;
	size_t n;
	size_t maxprog;
	bool exclusions;
};

static void prog_free(struct prog *pg)
{
	free(pg->inst);
	free(pg->cls);
	free(pg->ranges);
	buf_free(&pg->pre);
	buf_free(&pg->suf);
}

/* the literal runs right after the leading '^' and right before a final
   '$': cheap tests that reject most paths before the VM runs.  RuneError is
   left out, as it also stands for any invalid byte of the path. */
static void prog_literals(struct prog *pg)
{
	bool *target = xcalloc(pg->n + 1, sizeof *target);
	size_t k, end;

	buf_init(&pg->pre, NULL);
	buf_init(&pg->suf, NULL);
	for (k = 1; k < pg->n && pg->inst[k].op == I_RUNE && pg->inst[k].arg != RUNE_ERROR; k++)
		utf8_put(&pg->pre, pg->inst[k].arg);
	for (k = 0; k < pg->n; k++)
		if (pg->inst[k].op == I_SPLIT || pg->inst[k].op == I_JMP) {
			target[pg->inst[k].x] = true;
			if (pg->inst[k].op == I_SPLIT)
				target[pg->inst[k].y] = true;
		}
	end = pg->n - 1;  /* the MATCH */
	if (end >= 2 && pg->inst[end - 1].op == I_ASSERT && pg->inst[end - 1].arg == A_EOT &&
	    !target[end] && !target[end - 1]) {
		k = end - 1;
		while (k > 1 && pg->inst[k - 1].op == I_RUNE && pg->inst[k - 1].arg != RUNE_ERROR && !target[k])
			k--;
		/* every match runs the runes [k, end - 1) just before the end of text */
		for (size_t j = k; j < end - 1; j++)
			utf8_put(&pg->suf, pg->inst[j].arg);
	}
	free(target);
}

static uint32_t emit(struct prog *pg, unsigned char op, int32_t arg)
{
	if (pg->n == pg->cap) {
		pg->cap = pg->cap ? pg->cap * 2 : 16;
		pg->inst = xrealloc(pg->inst, pg->cap * sizeof *pg->inst);
	}
	pg->inst[pg->n] = (struct inst){ .op = op, .arg = arg };
	return (uint32_t)pg->n++;
}

/* insert a blank instruction at pc, moving the tail [pc, n) (one atom) up */
static void insert_at(struct prog *pg, uint32_t pc)
{
	emit(pg, I_MATCH, 0);
	memmove(pg->inst + pc + 1, pg->inst + pc, (pg->n - 1 - pc) * sizeof *pg->inst);
	for (size_t k = pc + 1; k < pg->n; k++) {
		struct inst *in = &pg->inst[k];
		if ((in->op == I_SPLIT || in->op == I_JMP) && in->x >= pc)
			in->x++;
		if (in->op == I_SPLIT && in->y >= pc)
			in->y++;
	}
}

/* a character class under construction: ranges plus negation */
struct cbuild {
	int32_t *r;
	size_t n, cap;
};

static void cb_add(struct cbuild *cb, int32_t lo, int32_t hi)
{
	if (cb->n + 2 > cb->cap) {
		cb->cap = cb->cap ? cb->cap * 2 : 16;
		cb->r = xrealloc(cb->r, cb->cap * sizeof *cb->r);
	}
	cb->r[cb->n++] = lo;
	cb->r[cb->n++] = hi;
}

/* a static group: pairs ending with -1 */
static void cb_group(struct cbuild *cb, const int32_t *g, bool neg)
{
	if (!neg) {
		for (; g[0] >= 0; g += 2)
			cb_add(cb, g[0], g[1]);
		return;
	}
	int32_t next = 0;  /* groups are sorted and disjoint */
	for (; g[0] >= 0; g += 2) {
		if (g[0] > next)
			cb_add(cb, next, g[0] - 1);
		next = g[1] + 1;
	}
	if (next <= MAX_RUNE)
		cb_add(cb, next, MAX_RUNE);
}

static int cmp_range(const void *a, const void *b)
{
	const int32_t *x = a, *y = b;
	return (x[0] > y[0]) - (x[0] < y[0]);
}

/* sort, merge, negate; append to pg as a class; its index */
static int32_t cb_finish(struct cbuild *cb, bool neg, struct prog *pg)
{
	size_t m = 0;
	if (cb->n)
		qsort(cb->r, cb->n / 2, 2 * sizeof *cb->r, cmp_range);
	for (size_t k = 0; k < cb->n; k += 2) {
		if (m && cb->r[k] <= cb->r[m - 1] + 1) {
			if (cb->r[k + 1] > cb->r[m - 1])
				cb->r[m - 1] = cb->r[k + 1];
		} else {
			cb->r[m++] = cb->r[k];
			cb->r[m++] = cb->r[k + 1];
		}
	}
	cb->n = m;
	if (neg) {
		struct cbuild nb = { 0 };
		int32_t next = 0;
		for (size_t k = 0; k < m; k += 2) {
			if (cb->r[k] > next)
				cb_add(&nb, next, cb->r[k] - 1);
			next = cb->r[k + 1] + 1;
		}
		if (next <= MAX_RUNE)
			cb_add(&nb, next, MAX_RUNE);
		free(cb->r);
		*cb = nb;
	}
	if (pg->ncls == pg->clscap) {
		pg->clscap = pg->clscap ? pg->clscap * 2 : 4;
		pg->cls = xrealloc(pg->cls, pg->clscap * sizeof *pg->cls);
	}
	while (pg->nranges + cb->n > pg->rcap) {
		pg->rcap = pg->rcap ? pg->rcap * 2 : 16;
		pg->ranges = xrealloc(pg->ranges, pg->rcap * sizeof *pg->ranges);
	}
	if (cb->n)
		memcpy(pg->ranges + pg->nranges, cb->r, cb->n * sizeof *cb->r);
	pg->cls[pg->ncls] = (struct class){ (uint32_t)pg->nranges, (uint32_t)(cb->n / 2) };
	pg->nranges += cb->n;
	free(cb->r);
	cb->r = NULL;
	cb->n = cb->cap = 0;
	return (int32_t)pg->ncls++;
}

/* POSIX and Perl groups of Go's regexp/syntax (ASCII only) */
static const int32_t G_ALNUM[] = { '0', '9', 'A', 'Z', 'a', 'z', -1 };
static const int32_t G_ALPHA[] = { 'A', 'Z', 'a', 'z', -1 };
static const int32_t G_ASCII[] = { 0, 0x7F, -1 };
static const int32_t G_BLANK[] = { '\t', '\t', ' ', ' ', -1 };
static const int32_t G_CNTRL[] = { 0, 0x1F, 0x7F, 0x7F, -1 };
static const int32_t G_DIGIT[] = { '0', '9', -1 };
static const int32_t G_GRAPH[] = { '!', '~', -1 };
static const int32_t G_LOWER[] = { 'a', 'z', -1 };
static const int32_t G_PRINT[] = { ' ', '~', -1 };
static const int32_t G_PUNCT[] = { '!', '/', ':', '@', '[', '`', '{', '~', -1 };
static const int32_t G_SPACE[] = { '\t', '\r', ' ', ' ', -1 };
static const int32_t G_UPPER[] = { 'A', 'Z', -1 };
static const int32_t G_WORD[] = { '0', '9', 'A', 'Z', '_', '_', 'a', 'z', -1 };
static const int32_t G_XDIGIT[] = { '0', '9', 'A', 'F', 'a', 'f', -1 };
static const int32_t G_PERLSPACE[] = { '\t', '\n', '\f', '\r', ' ', ' ', -1 };

static const struct {
	const char *name;
	const int32_t *g;
} posix_groups[] = {
	{ "alnum", G_ALNUM }, { "alpha", G_ALPHA }, { "ascii", G_ASCII }, { "blank", G_BLANK },
	{ "cntrl", G_CNTRL }, { "digit", G_DIGIT }, { "graph", G_GRAPH }, { "lower", G_LOWER },
	{ "print", G_PRINT }, { "punct", G_PUNCT }, { "space", G_SPACE }, { "upper", G_UPPER },
	{ "word", G_WORD },   { "xdigit", G_XDIGIT },
};

static const int32_t *perl_group(unsigned char c)
{
	switch (c | 0x20) {
	case 'd': return G_DIGIT;
	case 's': return G_PERLSPACE;
	case 'w': return G_WORD;
	}
	return NULL;
}

enum { P_OK, P_SYNTAX, P_UNSUPPORTED };

struct rparse {
	const unsigned char *s;
	size_t n, i;
	struct prog *pg;
	int err;
};

static int hexval(int32_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_alnum(int32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* the next rune of the regexp (always valid UTF-8, as built by translate) */
static int32_t rp_rune(struct rparse *p)
{
	size_t w;
	int32_t r = utf8_decode(p->s + p->i, p->n - p->i, &w);
	p->i += w;
	return r;
}

/* Go's parseEscape at p->i (a backslash); -1 with p->err on error */
static int32_t rp_escape(struct rparse *p)
{
	p->i++;
	if (p->i >= p->n)
		goto bad;
	int32_t c = rp_rune(p);
	if (c < 0x80 && !is_alnum(c))
		return c;
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
			goto bad;
		/* fall through */
	case '0': {
		int32_t r = c - '0';
		for (int k = 1; k < 3; k++) {
			if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '7')
				break;
			r = r * 8 + p->s[p->i++] - '0';
		}
		return r;
	}
	case 'x': {
		if (p->i >= p->n)
			goto bad;
		c = rp_rune(p);
		if (c == '{') {
			int32_t r = 0;
			int nhex = 0;
			for (;;) {
				if (p->i >= p->n)
					goto bad;
				c = rp_rune(p);
				if (c == '}')
					break;
				int v = hexval(c);
				if (v < 0)
					goto bad;
				r = r * 16 + v;
				if (r > MAX_RUNE)
					goto bad;
				nhex++;
			}
			if (nhex == 0)
				goto bad;
			return r;
		}
		int x = hexval(c);
		if (p->i >= p->n)
			goto bad;
		int y = hexval(rp_rune(p));
		if (x < 0 || y < 0)
			goto bad;
		return x * 16 + y;
	}
	case 'a': return '\a';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	}
bad:
	p->err = P_SYNTAX;
	return -1;
}

/* Go's parseClass at p->i (a '['); emits one I_CLASS */
static bool rp_class(struct rparse *p)
{
	struct cbuild cb = { 0 };
	bool neg = false, first = true;
	const unsigned char *s = p->s;

	p->i++;
	if (p->i < p->n && s[p->i] == '^') {
		neg = true;
		p->i++;
	}
	while (p->i >= p->n || s[p->i] != ']' || first) {
		first = false;
		size_t rest = p->n - p->i;
		if (rest > 2 && s[p->i] == '[' && s[p->i + 1] == ':') {
			const unsigned char *t = s + p->i, *e = NULL;
			for (size_t k = 2; k + 1 < rest; k++)
				if (t[k] == ':' && t[k + 1] == ']') {
					e = t + k;
					break;
				}
			if (e) {
				const char *name = (const char *)t + 2;
				size_t nl = (size_t)(e - t) - 2;
				bool gneg = nl > 0 && name[0] == '^';
				const int32_t *g = NULL;
				if (gneg)
					name++, nl--;
				for (size_t k = 0; k < sizeof posix_groups / sizeof *posix_groups; k++)
					if (strlen(posix_groups[k].name) == nl && memcmp(posix_groups[k].name, name, nl) == 0)
						g = posix_groups[k].g;
				if (!g)
					goto bad;
				cb_group(&cb, g, gneg);
				p->i = (size_t)(e - s) + 2;
				continue;
			}
		}
		if (rest >= 2 && s[p->i] == '\\' && (s[p->i + 1] == 'p' || s[p->i + 1] == 'P')) {
			p->err = P_UNSUPPORTED;
			free(cb.r);
			return false;
		}
		if (rest >= 2 && s[p->i] == '\\' && perl_group(s[p->i + 1])) {
			cb_group(&cb, perl_group(s[p->i + 1]), s[p->i + 1] < 'a');
			p->i += 2;
			continue;
		}
		int32_t lo, hi;
		if (p->i >= p->n)
			goto bad;
		lo = s[p->i] == '\\' ? rp_escape(p) : rp_rune(p);
		if (lo < 0)
			goto bad;
		hi = lo;
		if (p->n - p->i >= 2 && s[p->i] == '-' && s[p->i + 1] != ']') {
			p->i++;
			hi = s[p->i] == '\\' ? rp_escape(p) : rp_rune(p);
			if (hi < 0 || hi < lo)
				goto bad;
		}
		cb_add(&cb, lo, hi);
	}
	p->i++;
	emit(p->pg, I_CLASS, cb_finish(&cb, neg, p->pg));
	return true;
bad:
	free(cb.r);
	p->err = P_SYNTAX;
	return false;
}

/* a concatenation up to ')' (in a group) or the end; code goes to p->pg */
static bool rp_seq(struct rparse *p, int depth, bool group)
{
	struct prog *pg = p->pg;
	const unsigned char *s = p->s;
	bool have_last = false, last_repeat = false;
	uint32_t last = 0;  /* start pc of the last atom, which runs to pg->n */

	if (depth > MAX_DEPTH)
		goto bad;
	while (p->i < p->n) {
		unsigned char c = s[p->i];
		bool rep = false;
		uint32_t start = (uint32_t)pg->n;
		switch (c) {
		case '(':
			if (p->i + 1 < p->n && s[p->i + 1] == '?') {
				p->err = P_UNSUPPORTED;  /* flags: the translation never makes them */
				return false;
			}
			p->i++;
			if (!rp_seq(p, depth + 1, true))
				return false;
			break;
		case ')':
			if (!group)
				goto bad;
			p->i++;
			return true;
		case '|':
			p->err = P_UNSUPPORTED;  /* the translation always escapes it */
			return false;
		case '^':
			p->i++;
			emit(pg, I_ASSERT, A_BOT);
			break;
		case '$':
			p->i++;
			emit(pg, I_ASSERT, A_EOT);
			break;
		case '.':
			p->i++;
			emit(pg, I_ANYNL, 0);
			break;
		case '[':
			if (!rp_class(p))
				return false;
			break;
		case '*': case '+': case '?':
			if (!have_last || last_repeat)
				goto bad;
			p->i++;
			if (p->i < p->n && s[p->i] == '?')
				p->i++;  /* non-greedy: same answer */
			if (c == '*') {
				insert_at(pg, last);
				uint32_t j = emit(pg, I_JMP, 0);
				pg->inst[j].x = last;
				pg->inst[last] = (struct inst){ .op = I_SPLIT, .x = last + 1, .y = j + 1 };
			} else if (c == '+') {
				uint32_t sp = emit(pg, I_SPLIT, 0);
				pg->inst[sp].x = last;
				pg->inst[sp].y = sp + 1;
			} else {
				insert_at(pg, last);
				pg->inst[last] = (struct inst){ .op = I_SPLIT, .x = last + 1, .y = (uint32_t)pg->n };
			}
			rep = true;
			start = last;
			break;
		case '\\':
			if (p->i + 1 < p->n) {
				unsigned char d = s[p->i + 1];
				int a = -1;
				if (d == 'A')
					a = A_BOT;
				else if (d == 'z')
					a = A_EOT;
				else if (d == 'b')
					a = A_WORDB;
				else if (d == 'B')
					a = A_NWORDB;
				if (a >= 0) {
					p->i += 2;
					emit(pg, I_ASSERT, a);
					break;
				}
				if (d == 'C')
					goto bad;
				if (d == 'p' || d == 'P') {
					p->err = P_UNSUPPORTED;
					return false;
				}
				if (d == 'Q') {
					size_t e = p->i + 2;
					while (e < p->n && !(s[e] == '\\' && e + 1 < p->n && s[e + 1] == 'E'))
						e++;
					p->i += 2;
					while (p->i < e) {
						start = (uint32_t)pg->n;
						emit(pg, I_RUNE, rp_rune(p));
						last = start;
						have_last = true;
					}
					p->i = e < p->n ? e + 2 : p->n;
					last_repeat = false;
					continue;
				}
				if (perl_group(d)) {
					struct cbuild cb = { 0 };
					cb_group(&cb, perl_group(d), d < 'a');
					emit(pg, I_CLASS, cb_finish(&cb, false, pg));
					p->i += 2;
					break;
				}
			}
			{
				int32_t r = rp_escape(p);
				if (r < 0)
					return false;
				emit(pg, I_RUNE, r);
			}
			break;
		default:
			emit(pg, I_RUNE, rp_rune(p));
		}
		last = start;
		have_last = true;
		last_repeat = rep;
	}
	if (!group)
		return true;
bad:
	p->err = P_SYNTAX;
	return false;
}

/* ---- compiling one pattern (Pattern.compile) ---- */

static bool should_escape(int32_t c)
{
	return c < 0x80 && c && strchr(".+()|{}$", (int)c);
}

/* the match type and, for M_REGEXP, the program; P_OK or an error kind */
static int pattern_compile(struct pattern *pt)
{
	const unsigned char *s = (const unsigned char *)pt->pat;
	size_t n = pt->len, k = 0, w, nr = 0;
	int32_t *r = xmalloc((n + 1) * sizeof *r);
	enum match_type type = M_EXACT;
	struct buf re;

	/* text/scanner: runes, RuneError for bad bytes, a leading BOM skipped */
	while (k < n) {
		r[nr++] = utf8_decode(s + k, n - k, &w);
		k += w;
	}
	k = nr > 0 && r[0] == 0xFEFF ? 1 : 0;

	buf_init(&re, NULL);
	buf_putc(&re, '^');
	for (size_t i = 0; k < nr; i++) {
		int32_t ch = r[k++];
		if (ch == '*') {
			if (k < nr && r[k] == '*') {
				k++;
				if (k < nr && r[k] == '/')
					k++;
				if (k >= nr) {
					if (type == M_EXACT) {
						type = M_PREFIX;
					} else {
						buf_puts(&re, ".*");
						type = M_REGEXP;
					}
				} else {
					buf_puts(&re, "(.*/)?");
					type = M_REGEXP;
				}
				if (i == 0)
					type = M_SUFFIX;
			} else {
				buf_puts(&re, "[^/]*");
				type = M_REGEXP;
			}
		} else if (ch == '?') {
			buf_puts(&re, "[^/]");
			type = M_REGEXP;
		} else if (should_escape(ch)) {
			buf_putc(&re, '\\');
			buf_putc(&re, ch);
		} else if (ch == '\\') {
			buf_putc(&re, '\\');
			if (k < nr) {
				utf8_put(&re, r[k++]);
				type = M_REGEXP;
			}
		} else if (ch == '[' || ch == ']') {
			buf_putc(&re, ch);
			type = M_REGEXP;
		} else {
			utf8_put(&re, ch);
		}
	}
	free(r);
	pt->type = type;
	if (type != M_REGEXP) {
		buf_free(&re);
		return P_OK;
	}
	buf_putc(&re, '$');

	struct rparse p = { (const unsigned char *)re.s, re.len, 0, &pt->prog, P_OK };
	bool ok = rp_seq(&p, 0, false);
	buf_free(&re);
	if (!ok)
		return p.err ? p.err : P_SYNTAX;
	emit(&pt->prog, I_MATCH, 0);
	prog_literals(&pt->prog);
	return P_OK;
}

/* ---- building the matcher (patternmatcher.New) ---- */

void ignore_free(struct ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++) {
		free(ig->p[i].pat);
		prog_free(&ig->p[i].prog);
	}
	free(ig->p);
	free(ig);
}

struct ignore *ignore_new(const char *const *patterns, size_t n, char **err)
{
	struct ignore *ig = xcalloc(1, sizeof *ig);
	const char *msg = NULL;

	*err = NULL;
	ig->p = xcalloc(n ? n : 1, sizeof *ig->p);
	for (size_t i = 0; i < n && !msg; i++) {
		const char *raw = patterns[i];
		size_t a = 0, b = strlen(raw);
		trim_space(raw, &a, &b);
		if (a == b)
			continue;
		char *c = xmalloc(b - a + 2);
		size_t cl = path_clean_into(raw + a, b - a, c);
		struct pattern *pt = &ig->p[ig->n];
		size_t off = 0;
		if (c[0] == '!') {
			if (cl == 1) {
				free(c);
				msg = ERR_BANG;
				break;
			}
			pt->exclusion = true;
			ig->exclusions = true;
			off = 1;
		}
		if (!glob_valid((const unsigned char *)c + off, cl - off)) {
			free(c);
			msg = ERR_SYNTAX;
			break;
		}
		pt->pat = xstrndup(c + off, cl - off);
		pt->len = cl - off;
		free(c);
		ig->n++;
	}
	/* upstream compiles lazily and reports a failed compile as ErrBadPattern
	   at match time; the syntax check above comes first for every pattern */
	for (size_t i = 0; i < ig->n && !msg; i++) {
		int rc = pattern_compile(&ig->p[i]);
		if (rc == P_SYNTAX) {
			msg = ERR_SYNTAX;
		} else if (rc == P_UNSUPPORTED) {
			*err = xasprintf("unsupported pattern \"%s\": Unicode classes \\p, \\P are not implemented",
					 ig->p[i].pat);
			ignore_free(ig);
			return NULL;
		}
		if (ig->p[i].prog.n > ig->maxprog)
			ig->maxprog = ig->p[i].prog.n;
	}
	if (msg) {
		*err = xstrdup(msg);
		ignore_free(ig);
		return NULL;
	}
	return ig;
}

bool ignore_has_exceptions(const struct ignore *ig)
{
	return ig->exclusions;
}

/* ---- matching ---- */

struct vm {
	uint32_t *mark, gen;
	size_t nmark;
	uint32_t *stack, *list, *seeds, *next;
};

static bool is_word(int32_t r)
{
	return r >= 0 && r < 0x80 && (is_alnum(r) || r == '_');
}

static bool class_has(const struct prog *pg, int32_t cls, int32_t r)
{
	const struct class *c = &pg->cls[cls];
	const int32_t *rg = pg->ranges + c->first;
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r < rg[2 * mid])
			hi = mid;
		else if (r > rg[2 * mid + 1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* follow empty moves from seeds in the context (prev, cur); consuming pcs
   go to vm->list when list is set; true when the program can match here */
static bool closure(const struct prog *pg, struct vm *vm, const uint32_t *seeds, size_t ns,
		    int32_t prev, int32_t cur, size_t *nlist)
{
	size_t top = 0, nl = 0;

	if (++vm->gen == 0) {
		memset(vm->mark, 0, vm->nmark * sizeof *vm->mark);
		vm->gen = 1;
	}
	for (size_t k = 0; k < ns; k++)
		if (vm->mark[seeds[k]] != vm->gen) {
			vm->mark[seeds[k]] = vm->gen;
			vm->stack[top++] = seeds[k];
		}
	while (top) {
		uint32_t pc = vm->stack[--top], t[2];
		const struct inst *in = &pg->inst[pc];
		int nt = 0;
		switch (in->op) {
		case I_MATCH:
			return true;
		case I_SPLIT:
			t[nt++] = in->y;
			/* fall through */
		case I_JMP:
			t[nt++] = in->x;
			break;
		case I_ASSERT: {
			bool ok = false;
			switch (in->arg) {
			case A_BOT: ok = prev < 0; break;
			case A_EOT: ok = cur < 0; break;
			case A_WORDB: ok = is_word(prev) != is_word(cur); break;
			case A_NWORDB: ok = is_word(prev) == is_word(cur); break;
			}
			if (ok)
				t[nt++] = pc + 1;
			break;
		}
		default:
			if (nlist)
				vm->list[nl++] = pc;
		}
		for (int j = 0; j < nt; j++)
			if (vm->mark[t[j]] != vm->gen) {
				vm->mark[t[j]] = vm->gen;
				vm->stack[top++] = t[j];
			}
	}
	if (nlist)
		*nlist = nl;
	return false;
}

/* does the program match s[0, n), or with multi also s[0, k) for any '/' at k? */
static bool vm_run(const struct prog *pg, const unsigned char *s, size_t n, bool multi, struct vm *vm)
{
	uint32_t *seeds = vm->seeds, *next = vm->next;
	size_t ns = 1, i = 0;
	int32_t prev = -1;

	seeds[0] = 0;
	for (;;) {
		size_t w = 0, nl, nn = 0;
		int32_t cur = -1;
		if (i < n)
			cur = utf8_decode(s + i, n - i, &w);
		if (multi && cur == '/' && closure(pg, vm, seeds, ns, prev, -1, NULL))
			return true;
		if (closure(pg, vm, seeds, ns, prev, cur, &nl))
			return true;
		if (i >= n)
			return false;
		for (size_t k = 0; k < nl; k++) {
			const struct inst *in = &pg->inst[vm->list[k]];
			bool ok = in->op == I_RUNE ? in->arg == cur
				: in->op == I_ANYNL ? cur != '\n'
				: class_has(pg, in->arg, cur);
			if (ok)
				next[nn++] = vm->list[k] + 1;
		}
		if (nn == 0)
			return false;
		uint32_t *t = seeds;
		seeds = next;
		next = t;
		ns = nn;
		prev = cur;
		i += w;
	}
}

static bool suffix_at(const struct pattern *pt, const char *s, size_t k)
{
	const char *suf = pt->pat + 2;
	size_t sl = pt->len - 2;

	if (k >= sl && memcmp(s + k - sl, suf, sl) == 0)
		return true;
	return sl > 0 && suf[0] == '/' && k == sl - 1 && memcmp(s, suf + 1, k) == 0;
}

/* Pattern.match of s[0, n), or with multi of any s[0, k) with s[k] == '/' */
static bool pattern_match(const struct pattern *pt, const char *s, size_t n, bool multi, struct vm *vm)
{
	switch (pt->type) {
	case M_EXACT:
		if (pt->len > n || memcmp(s, pt->pat, pt->len) != 0)
			return false;
		return pt->len == n || (multi && s[pt->len] == '/');
	case M_PREFIX:
		/* the longest candidate is s itself */
		return pt->len >= 2 && n >= pt->len - 2 && memcmp(s, pt->pat, pt->len - 2) == 0;
	case M_SUFFIX:
		if (pt->len < 2)
			return false;
		if (multi)
			for (size_t k = 0; k < n; k++)
				if (s[k] == '/' && suffix_at(pt, s, k))
					return true;
		return suffix_at(pt, s, n);
	case M_REGEXP: {
		const struct prog *pg = &pt->prog;
		if (pg->pre.len && (n < pg->pre.len || memcmp(s, pg->pre.s, pg->pre.len) != 0))
			return false;
		if (pg->suf.len) {
			size_t sl = pg->suf.len;
			bool any = n >= sl && memcmp(s + n - sl, pg->suf.s, sl) == 0;
			for (size_t k = sl; multi && !any && k < n; k++)
				any = s[k] == '/' && memcmp(s + k - sl, pg->suf.s, sl) == 0;
			if (!any)
				return false;
		}
		return vm_run(pg, (const unsigned char *)s, n, multi, vm);
	}
	}
	return false;
}

/* can the parents of path (filepath.Dir, split at '/') be read off path itself:
   the part before the last '/' is already clean and relative */
static bool parents_inline(const char *s, size_t last)
{
	size_t a = 0;

	if (last == 0 || s[0] == '/')
		return false;
	while (a <= last) {
		size_t b = a;
		while (b < last && s[b] != '/')
			b++;
		size_t el = b - a;
		if (el == 0 || (el == 1 && s[a] == '.') || (el == 2 && s[a] == '.' && s[a + 1] == '.'))
			return false;
		a = b + 1;
	}
	return true;
}

bool ignore_match(const struct ignore *ig, const char *path)
{
	size_t n = strlen(path), last = n, dn = 0;
	uint32_t small[5 * 64];
	uint32_t *mem = small;
	char *dir = NULL;
	bool inline_parents, matched = false;
	struct vm vm;

	if (ig->n == 0)
		return false;
	for (size_t k = n; k-- > 0;)
		if (path[k] == '/') {
			last = k;
			break;
		}
	inline_parents = last == n || parents_inline(path, last);
	if (!inline_parents) {
		/* filepath.Dir: Clean of everything up to the last '/' */
		dir = xmalloc(last + 3);
		dn = path_clean_into(path, last + 1, dir);
		if (dn == 1 && dir[0] == '.')
			dn = 0;  /* no parents */
	}
	if (ig->maxprog > 64)
		mem = xmalloc(5 * ig->maxprog * sizeof *mem);
	vm.mark = mem;
	vm.stack = mem + ig->maxprog;
	vm.list = mem + 2 * ig->maxprog;
	vm.seeds = mem + 3 * ig->maxprog;
	vm.next = mem + 4 * ig->maxprog;
	memset(vm.mark, 0, ig->maxprog * sizeof *vm.mark);
	vm.nmark = ig->maxprog;
	vm.gen = 0;

	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *pt = &ig->p[i];
		if (pt->exclusion != matched)
			continue;
		bool m;
		if (inline_parents)
			m = pattern_match(pt, path, n, true, &vm);
		else
			m = pattern_match(pt, path, n, false, &vm) ||
			    (dn > 0 && pattern_match(pt, dir, dn, true, &vm));
		if (m)
			matched = !pt->exclusion;
	}
	if (mem != small)
		free(mem);
	free(dir);
	return matched;
}
