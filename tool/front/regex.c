/* the regexp engine of .dockerignore (see regex.h) */
#include "regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

enum { MAX_RUNE = 0x10FFFF, MAX_DEPTH = 1000 };

/* ---- the program ---- */

enum op { OP_RUNE, OP_CLASS, OP_ANYNL, OP_ASSERT, OP_SPLIT, OP_JMP, OP_MATCH };
enum { A_BOT, A_EOT, A_WORDB, A_NWORDB };

struct inst {
	unsigned char op;
	int32_t arg;  /* rune, class index or assertion */
	uint32_t x, y;  /* jump targets */
};

struct class {
	uint32_t first, n;  /* sorted, merged, already negated ranges in prog.ranges */
};

void regex_free(struct regex *pg)
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
static void prog_literals(struct regex *pg)
{
	bool *target = xcalloc(pg->n + 1, sizeof *target);
	size_t k, end;

	buf_init(&pg->pre, NULL);
	buf_init(&pg->suf, NULL);
	for (k = 1; k < pg->n && pg->inst[k].op == OP_RUNE && pg->inst[k].arg != RUNE_ERROR; k++)
		utf8_put(&pg->pre, pg->inst[k].arg);
	for (k = 0; k < pg->n; k++)
		if (pg->inst[k].op == OP_SPLIT || pg->inst[k].op == OP_JMP) {
			target[pg->inst[k].x] = true;
			if (pg->inst[k].op == OP_SPLIT)
				target[pg->inst[k].y] = true;
		}
	end = pg->n - 1;  /* the MATCH */
	if (end >= 2 && pg->inst[end - 1].op == OP_ASSERT && pg->inst[end - 1].arg == A_EOT &&
	    !target[end] && !target[end - 1]) {
		k = end - 1;
		while (k > 1 && pg->inst[k - 1].op == OP_RUNE && pg->inst[k - 1].arg != RUNE_ERROR && !target[k])
			k--;
		/* every match runs the runes [k, end - 1) just before the end of text */
		for (size_t j = k; j < end - 1; j++)
			utf8_put(&pg->suf, pg->inst[j].arg);
	}
	free(target);
}

static uint32_t emit(struct regex *pg, unsigned char op, int32_t arg)
{
	pg->inst = array_grow(pg->inst, &pg->cap, pg->n + 1, sizeof *pg->inst, NULL);
	pg->inst[pg->n] = (struct inst){ .op = op, .arg = arg };
	return (uint32_t)pg->n++;
}

/* insert a blank instruction at pc, moving the tail [pc, n) (one atom) up */
static void insert_at(struct regex *pg, uint32_t pc)
{
	emit(pg, OP_MATCH, 0);
	memmove(pg->inst + pc + 1, pg->inst + pc, (pg->n - 1 - pc) * sizeof *pg->inst);
	for (size_t k = pc + 1; k < pg->n; k++) {
		struct inst *in = &pg->inst[k];
		if ((in->op == OP_SPLIT || in->op == OP_JMP) && in->x >= pc)
			in->x++;
		if (in->op == OP_SPLIT && in->y >= pc)
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
	cb->r = array_grow(cb->r, &cb->cap, cb->n + 2, sizeof *cb->r, NULL);
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
static int32_t cb_finish(struct cbuild *cb, bool neg, struct regex *pg)
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
	pg->cls = array_grow(pg->cls, &pg->clscap, pg->ncls + 1, sizeof *pg->cls, NULL);
	pg->ranges = array_grow(pg->ranges, &pg->rcap, pg->nranges + cb->n, sizeof *pg->ranges, NULL);
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

enum { P_OK = REGEX_OK, P_SYNTAX = REGEX_SYNTAX, P_UNSUPPORTED = REGEX_UNSUPPORTED };

struct rparse {
	const unsigned char *s;
	size_t n, i;
	struct regex *pg;
	int err;
};

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
				int v = hex_digit(c);
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
		int x = hex_digit(c);
		if (p->i >= p->n)
			goto bad;
		int y = hex_digit(rp_rune(p));
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

/* Go's parseClass at p->i (a '['); emits one OP_CLASS */
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
	emit(p->pg, OP_CLASS, cb_finish(&cb, neg, p->pg));
	return true;
bad:
	free(cb.r);
	p->err = P_SYNTAX;
	return false;
}

/* a concatenation up to ')' (in a group) or the end; code goes to p->pg */
static bool rp_seq(struct rparse *p, int depth, bool group)
{
	struct regex *pg = p->pg;
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
			emit(pg, OP_ASSERT, A_BOT);
			break;
		case '$':
			p->i++;
			emit(pg, OP_ASSERT, A_EOT);
			break;
		case '.':
			p->i++;
			emit(pg, OP_ANYNL, 0);
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
				uint32_t j = emit(pg, OP_JMP, 0);
				pg->inst[j].x = last;
				pg->inst[last] = (struct inst){ .op = OP_SPLIT, .x = last + 1, .y = j + 1 };
			} else if (c == '+') {
				uint32_t sp = emit(pg, OP_SPLIT, 0);
				pg->inst[sp].x = last;
				pg->inst[sp].y = sp + 1;
			} else {
				insert_at(pg, last);
				pg->inst[last] = (struct inst){ .op = OP_SPLIT, .x = last + 1, .y = (uint32_t)pg->n };
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
					emit(pg, OP_ASSERT, a);
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
						emit(pg, OP_RUNE, rp_rune(p));
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
					emit(pg, OP_CLASS, cb_finish(&cb, false, pg));
					p->i += 2;
					break;
				}
			}
			{
				int32_t r = rp_escape(p);
				if (r < 0)
					return false;
				emit(pg, OP_RUNE, r);
			}
			break;
		default:
			emit(pg, OP_RUNE, rp_rune(p));
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

int regex_compile(const char *re, size_t n, struct regex *out)
{
	memset(out, 0, sizeof *out);
	struct rparse p = { (const unsigned char *)re, n, 0, out, P_OK };
	if (!rp_seq(&p, 0, false))
		return p.err ? p.err : P_SYNTAX;
	emit(out, OP_MATCH, 0);
	prog_literals(out);
	return P_OK;
}

size_t regex_size(const struct regex *r)
{
	return r->n;
}

/* ---- matching: a Pike VM without captures ---- */

static bool is_word(int32_t r)
{
	return r >= 0 && r < 0x80 && (is_alnum(r) || r == '_');
}

static bool class_has(const struct regex *pg, int32_t cls, int32_t r)
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
static bool closure(const struct regex *pg, struct regex_vm *vm, const uint32_t *seeds, size_t ns,
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
		case OP_MATCH:
			return true;
		case OP_SPLIT:
			t[nt++] = in->y;
			/* fall through */
		case OP_JMP:
			t[nt++] = in->x;
			break;
		case OP_ASSERT: {
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
static bool vm_run(const struct regex *pg, const unsigned char *s, size_t n, bool multi, struct regex_vm *vm)
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
			bool ok = in->op == OP_RUNE ? in->arg == cur
				: in->op == OP_ANYNL ? cur != '\n'
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

bool regex_match(const struct regex *pg, const char *s, size_t n, bool multi, struct regex_vm *vm)
{
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
