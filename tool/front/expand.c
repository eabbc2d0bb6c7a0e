/* Word expansion, following moby/buildkit frontend/dockerfile/shell/lex.go
   rule for rule, including its quirks: Go's text/scanner reading (a leading
   BOM is skipped, a byte that is not UTF-8 reads as U+FFFD), Go's unicode
   classes for names and blanks, and Go regexp leftmost-first matching for
   the ${V#p} ${V%p} ${V/p/r} patterns. */
#include "expand.h"

#include <stdint.h>
#include <string.h>

#include "env.h"
#include "error.h"
#include "utf8.h"
#include "util.h"

enum {
	R_EOF = -1,       /* text/scanner's EOF */
	R_NONE = -2,      /* nothing peeked yet */
	R_ERROR = 0xFFFD, /* what a byte that is not UTF-8 reads as */
	MAX_NEST = 64,    /* nested ${..} bodies; deeper input is refused, not recursed into */
};

/* ${V//p/r} multiplies sizes (r goes between every character for an empty
   p), so nesting it grows output exponentially: cap what the expansions in
   one word may produce in all, copies into enclosing ${..} included */
#define MAX_OUTPUT ((size_t)16 << 20)
/* a search costs pattern length times value length: refuse absurd ones */
#define MAX_WORK ((size_t)1 << 30)

/* text/scanner's Peek/Next over a byte string */
struct scan {
	const unsigned char *p;
	size_t n, pos;
	long ch;
};

static void scan_init(struct scan *s, const char *p, size_t n)
{
	s->p = (const unsigned char *)p;
	s->n = n;
	s->pos = 0;
	s->ch = R_NONE;
}

static long scan_read(struct scan *s)
{
	if (s->pos >= s->n)
		return R_EOF;
	size_t w;
	long r = utf8_decode(s->p + s->pos, s->n - s->pos, &w);
	s->pos += w;
	return r;
}

static long scan_peek(struct scan *s)
{
	if (s->ch == R_NONE) {
		s->ch = scan_read(s);
		if (s->ch == 0xFEFF)
			s->ch = scan_read(s);
	}
	return s->ch;
}

static long scan_next(struct scan *s)
{
	long c = scan_peek(s);
	if (c != R_EOF)
		s->ch = scan_read(s);
	return c;
}

/* Go's []rune(s): bad bytes become U+FFFD */
static long *to_runes(struct arena *a, const char *s, size_t n, size_t *count)
{
	long *v = arena_alloc(a, (n + 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0, w; i < n; i += w)
		v[k++] = utf8_decode((const unsigned char *)s + i, n - i, &w);
	*count = k;
	return v;
}

static char *from_runes(struct arena *a, const long *v, size_t n, size_t *len)
{
	struct buf b;
	buf_init(&b, a);
	for (size_t i = 0; i < n; i++)
		utf8_put(&b, v[i]);
	*len = b.len;
	return buf_take(&b);
}

/* ---- patterns: the regexp lex.go builds from a shell pattern ---- */

enum { P_LIT, P_ANY, P_STAR };

struct pitem {
	int op;
	long r;
};

struct pat {
	struct pitem *v;
	size_t n;
	bool greedy, anchored;
	/* scratch for the matcher: two thread lists and a mark per state */
	size_t *pc[2], *start[2], *mark;
	size_t gen;
};

/* convertShellPatternToRegex; -1 with err saying what is wrong */
static int pat_compile(struct arena *a, const char *s, size_t n, bool greedy, bool anchored,
		       struct pat *p, struct error *err)
{
	struct scan sc;
	scan_init(&sc, s, n);
	p->v = arena_alloc(a, (n + 1) * sizeof *p->v);
	p->n = 0;
	p->greedy = greedy;
	p->anchored = anchored;
	for (long tok = scan_next(&sc); tok != R_EOF; tok = scan_next(&sc)) {
		int op = P_LIT;
		if (tok == '*') {
			op = P_STAR;
		} else if (tok == '?') {
			op = P_ANY;
		} else if (tok == '\\') {
			/* \} and \/ only get past the ${} parser; the backslash is not part of the pattern */
			long pk = scan_peek(&sc);
			if (pk == '}' || pk == '/')
				continue;
			tok = scan_next(&sc);
			if (tok != '*' && tok != '?' && tok != '\\') {
				struct buf m;
				buf_init(&m, a);
				buf_puts(&m, "invalid escape '\\");
				utf8_put(&m, tok);
				buf_putc(&m, '\'');
				return err_set(err, "%s", m.s);
			}
		}
		p->v[p->n].op = op;
		p->v[p->n].r = tok;
		p->n++;
	}
	for (int i = 0; i < 2; i++) {
		p->pc[i] = arena_alloc(a, (p->n + 1) * sizeof(size_t));
		p->start[i] = arena_alloc(a, (p->n + 1) * sizeof(size_t));
	}
	p->mark = arena_alloc(a, (p->n + 1) * sizeof(size_t));
	memset(p->mark, 0, (p->n + 1) * sizeof(size_t));
	p->gen = 0;
	return 0;
}

/* add the thread at state pc and what it reaches without input to list l, in
   priority order; a star's closure is a chain forward, so no recursion */
static void pat_add(struct pat *p, int l, size_t *cnt, size_t pc, size_t start)
{
	size_t g = p->gen;
	if (p->greedy) {
		for (;;) {
			if (p->mark[pc] == g)
				return;
			p->mark[pc] = g;
			p->pc[l][*cnt] = pc;
			p->start[l][(*cnt)++] = start;
			if (pc < p->n && p->v[pc].op == P_STAR)
				pc++;
			else
				return;
		}
	}
	size_t end = pc;
	while (end < p->n && p->v[end].op == P_STAR && p->mark[end] != g)
		p->mark[end++] = g;
	if (p->mark[end] != g) {
		p->mark[end] = g;
		p->pc[l][*cnt] = end;
		p->start[l][(*cnt)++] = start;
	}
	for (size_t k = end; k-- > pc;) {
		p->pc[l][*cnt] = k;
		p->start[l][(*cnt)++] = start;
	}
}

/* leftmost-first search from byte offset from, as Go's regexp does it (a
   Pike VM: linear in the input for each search) */
static bool pat_find(struct pat *p, const char *str, size_t len, size_t from, size_t *ms, size_t *me)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t ncur = 0, nnext;
	int cur = 0;
	bool matched = false;
	p->gen++;
	for (size_t pos = from;;) {
		if (!matched && (!p->anchored || pos == 0))
			pat_add(p, cur, &ncur, 0, pos);
		if (ncur == 0)
			break;
		size_t w = 0;
		long r = pos < len ? utf8_decode(s + pos, len - pos, &w) : R_EOF;
		p->gen++;
		nnext = 0;
		for (size_t i = 0; i < ncur; i++) {
			size_t pc = p->pc[cur][i], st = p->start[cur][i];
			if (pc == p->n) {
				/* a match: threads of lower priority are cut */
				matched = true;
				*ms = st;
				*me = pos;
				break;
			}
			if (r == R_EOF)
				continue;
			const struct pitem *it = &p->v[pc];
			if ((it->op == P_LIT && it->r == r) || (it->op == P_ANY && r != '\n'))
				pat_add(p, !cur, &nnext, pc + 1, st);
			else if (it->op == P_STAR && r != '\n')
				pat_add(p, !cur, &nnext, pc, st);
		}
		if (r == R_EOF)
			break;
		cur = !cur;
		ncur = nnext;
		pos += w;
	}
	return matched;
}

static bool too_big(const struct pat *p, size_t len)
{
	return (p->n + 1) > MAX_WORK / (len + 1);
}

/* ---- the lexer ---- */

struct words {
	struct buf cur;
	bool in_word;
	struct strv list;
};

static void words_raw_char(struct words *w, long r)
{
	utf8_put(&w->cur, r);
	w->in_word = true;
}

static void words_char(struct words *w, long r)
{
	if (rune_space(r) && w->in_word) {
		if (w->cur.len) {
			strv_push(&w->list, arena_strndup(w->cur.a, w->cur.s, w->cur.len));
			buf_reset(&w->cur);
			w->in_word = false;
		}
	} else if (!rune_space(r)) {
		words_raw_char(w, r);
	}
}

/* an expansion's text is split at blanks, rune by rune */
static void words_string(struct words *w, const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		words_char(w, utf8_decode((const unsigned char *)s + i, n - i, &k));
}

/* quoted text is never split */
static void words_raw_string(struct words *w, const char *s, size_t n)
{
	buf_putn(&w->cur, s, n);
	w->in_word = true;
}

struct lex {
	struct expand *x;
	struct arena *a;
	struct scan sc;
	long esc;
	bool raw;  /* escapes kept in the result: changes inside ${..} */
	int depth; /* nested ${..} bodies being read */
	size_t output; /* bytes produced by expansions so far */
	const char *err;
};

static int fail(struct lex *l, const char *msg)
{
	l->err = msg;
	return -1;
}

/* append expansion output, within the MAX_OUTPUT budget */
static int emit(struct lex *l, struct buf *res, const char *s, size_t n)
{
	if (n > MAX_OUTPUT - l->output)
		return fail(l, "expansion too large (over 16 MiB)");
	l->output += n;
	buf_putn(res, s, n);
	return 0;
}

static void note_name(struct strv *sv, const char *name, size_t n)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n; i++)
		if (strlen(sv->v[i]) == n && memcmp(sv->v[i], name, n) == 0)
			return;
	strv_push(sv, sv->a ? arena_strndup(sv->a, name, n) : xstrndup(name, n));
}

/* the value of name ("" when unset), noting it as matched or unmatched */
static const char *lex_getenv(struct lex *l, const struct buf *name, bool *set)
{
	const char *s = name->s;
	const char *v = l->x->env ? env_getn(l->x->env, s, name->len) : NULL;
	*set = v != NULL;
	note_name(v ? l->x->matched : l->x->unmatched, s, name->len);
	return v ? v : "";
}

static int stop_on(struct lex *l, long stop, bool raw, struct buf *res, struct words *w);

/* a name after $: a run of digits, one special parameter, or letters, digits and _ */
static void lex_name(struct lex *l, struct buf *name)
{
	while (scan_peek(&l->sc) != R_EOF) {
		long ch = scan_peek(&l->sc);
		if (name->len == 0 && rune_digit(ch)) {
			while (scan_peek(&l->sc) != R_EOF && rune_digit(scan_peek(&l->sc)))
				utf8_put(name, scan_next(&l->sc));
			return;
		}
		if (name->len == 0 && ch > 0 && ch < 0x80 && strchr("@*#?-$!0", (int)ch)) {
			utf8_put(name, scan_next(&l->sc));
			return;
		}
		if (!rune_letter(ch) && !rune_digit(ch) && ch != '_')
			break;
		utf8_put(name, scan_next(&l->sc));
	}
}

static int lex_single_quote(struct lex *l, struct buf *res)
{
	long ch = scan_next(&l->sc);
	if (l->x->raw_quotes)
		utf8_put(res, ch);
	for (;;) {
		ch = scan_next(&l->sc);
		if (ch == R_EOF)
			return fail(l, "unexpected end of statement while looking for matching single-quote");
		if (ch == '\'') {
			if (l->x->raw_quotes)
				utf8_put(res, ch);
			return 0;
		}
		utf8_put(res, ch);
	}
}

static int lex_dollar(struct lex *l, struct buf *res);

static int lex_double_quote(struct lex *l, struct buf *res)
{
	long ch = scan_next(&l->sc);
	if (l->x->raw_quotes)
		utf8_put(res, ch);
	for (;;) {
		switch (scan_peek(&l->sc)) {
		case R_EOF:
			return fail(l, "unexpected end of statement while looking for matching double-quote");
		case '"':
			ch = scan_next(&l->sc);
			if (l->x->raw_quotes)
				utf8_put(res, ch);
			return 0;
		case '$':
			if (lex_dollar(l, res) < 0)
				return -1;
			break;
		default:
			ch = scan_next(&l->sc);
			if (ch == l->esc) {
				if (l->raw)
					utf8_put(res, ch);
				long pk = scan_peek(&l->sc);
				if (pk == R_EOF)
					continue;
				/* only " $ and the escape itself are escaped; elsewhere the escape is literal */
				if (pk == '"' || pk == '$' || pk == l->esc)
					ch = scan_next(&l->sc);
			}
			utf8_put(res, ch);
		}
	}
}

/* the *len bytes at s with their runes in reverse order (through []rune and back, as Go does);
   the new length into *len */
static const char *reverse_runes(struct arena *a, const char *s, size_t *len)
{
	size_t n;
	long *v = to_runes(a, s, *len, &n);
	for (size_t i = 0; i < n / 2; i++) {
		long t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
	return from_runes(a, v, n, len);
}

static int trim(struct lex *l, const char *pat, size_t plen, const char *value, bool greedy,
		bool suffix, struct buf *res)
{
	size_t vlen = strlen(value);
	const char *shown = pat;
	/* the suffix forms reverse pattern and value and trim a prefix, so
	   every rune goes through []rune and back */
	if (suffix) {
		size_t n;
		long *pr = to_runes(l->a, pat, plen, &n);
		long *rev = arena_alloc(l->a, (n + 1) * sizeof *rev);
		for (size_t i = 0; i < n;) {
			size_t oi = n - 1 - i;
			if (pr[i] == '\\' && i != n - 1) {
				rev[oi - 1] = pr[i];
				rev[oi] = pr[i + 1];
				i += 2;
			} else {
				rev[oi] = pr[i];
				i++;
			}
		}
		pat = from_runes(l->a, rev, n, &plen);
		shown = pat;
		value = reverse_runes(l->a, value, &vlen);
	}
	struct pat p;
	struct error e;
	if (pat_compile(l->a, pat, plen, greedy, true, &p, &e) < 0)
		return fail(l, arena_printf(l->a, "invalid pattern (%s) in substitution: %s", shown, e.msg));
	if (too_big(&p, vlen))
		return fail(l, "pattern and value too large to match");
	size_t ms, me;
	if (pat_find(&p, value, vlen, 0, &ms, &me)) {
		value += me;
		vlen -= me;
	}
	if (!suffix)
		return emit(l, res, value, vlen);
	value = reverse_runes(l->a, value, &vlen);
	return emit(l, res, value, vlen);
}

/* Go's Regexp.Expand for a regexp without groups: $0 and ${0} are the
   match, $$ is $, other names are empty, a malformed $ is literal */
static int expand_template(struct lex *l, struct buf *res, const char *t, size_t tn, const char *m,
			   size_t mn)
{
	size_t i = 0;
	while (i < tn) {
		const char *d = memchr(t + i, '$', tn - i);
		if (!d)
			break;
		if (emit(l, res, t + i, (size_t)(d - (t + i))) < 0)
			return -1;
		i = (size_t)(d - t) + 1;
		if (i < tn && t[i] == '$') {
			if (emit(l, res, "$", 1) < 0)
				return -1;
			i++;
			continue;
		}
		size_t j = i;
		bool brace = j < tn && t[j] == '{';
		if (brace)
			j++;
		size_t name = j;
		while (j < tn) {
			size_t w;
			long r = utf8_decode((const unsigned char *)t + j, tn - j, &w);
			if (!rune_letter(r) && !rune_digit(r) && r != '_')
				break;
			j += w;
		}
		size_t nlen = j - name;
		if (nlen == 0 || (brace && (j >= tn || t[j] != '}'))) {
			if (emit(l, res, "$", 1) < 0)
				return -1;
			continue;
		}
		if (brace)
			j++;
		long num = 0;
		for (size_t k = 0; k < nlen; k++) {
			char c = t[name + k];
			if (c < '0' || c > '9' || num >= 100000000) {
				num = -1;
				break;
			}
			num = num * 10 + (c - '0');
		}
		if (t[name] == '0' && nlen > 1)
			num = -1;
		if (num == 0 && emit(l, res, m, mn) < 0)
			return -1;
		i = j;
	}
	return emit(l, res, t + i, tn - i);
}

static int substitute(struct lex *l, const struct buf *pat, const struct buf *rep, const char *value,
		      bool all, struct buf *res)
{
	struct pat p;
	struct error e;
	if (pat_compile(l->a, pat->s, pat->len, true, false, &p, &e) < 0)
		return fail(l, arena_printf(l->a, "invalid pattern (%s) in substitution: %s", pat->s, e.msg));
	size_t len = strlen(value), ms, me;
	if (too_big(&p, len))
		return fail(l, "pattern and value too large to match");
	if (!all) {
		if (!pat_find(&p, value, len, 0, &ms, &me))
			return emit(l, res, value, len);
		if (emit(l, res, value, ms) < 0 || emit(l, res, rep->s, rep->len) < 0)
			return -1;
		return emit(l, res, value + me, len - me);
	}
	/* Regexp.ReplaceAllString, empty matches included */
	size_t last = 0, pos = 0;
	while (pos <= len) {
		if (!pat_find(&p, value, len, pos, &ms, &me))
			break;
		if (emit(l, res, value + last, ms - last) < 0)
			return -1;
		if ((me > last || ms == 0) &&
		    expand_template(l, res, rep->s, rep->len, value + ms, me - ms) < 0)
			return -1;
		last = me;
		size_t w = 0;
		if (pos < len)
			utf8_decode((const unsigned char *)value + pos, len - pos, &w);
		if (pos + w > me)
			pos += w;
		else if (pos + 1 > me)
			pos++;
		else
			pos = me;
	}
	return emit(l, res, value + last, len - last);
}

/* read a nested body up to stop; a failure at the end of input becomes eof_msg */
static int body(struct lex *l, long stop, bool raw, struct buf *out, const char *eof_msg)
{
	buf_init(out, l->a);
	if (l->depth >= MAX_NEST)
		return fail(l, arena_printf(l->a, "syntax error: ${} nested more than %d deep", MAX_NEST));
	l->depth++;
	int rc = stop_on(l, stop, raw, out, NULL);
	l->depth--;
	if (rc < 0 && scan_peek(&l->sc) == R_EOF)
		return fail(l, eof_msg);
	return rc;
}

static int unsupported(struct lex *l, const struct buf *chs)
{
	return fail(l, arena_printf(l->a, "unsupported modifier (%s) in substitution", chs->s));
}

static int lex_dollar(struct lex *l, struct buf *res)
{
	struct buf name, chs, word;
	bool set;
	buf_init(&name, l->a);
	scan_next(&l->sc);
	if (scan_peek(&l->sc) != '{') {
		lex_name(l, &name);
		if (name.len == 0) {
			buf_putc(res, '$');
			return 0;
		}
		const char *v = lex_getenv(l, &name, &set);
		if (!set && l->x->skip_unset) {
			buf_putc(res, '$');
			buf_putn(res, name.s, name.len);
			return 0;
		}
		return emit(l, res, v, strlen(v));
	}
	scan_next(&l->sc);
	switch (scan_peek(&l->sc)) {
	case R_EOF:
		return fail(l, "syntax error: missing '}'");
	case '{': case '}': case ':':
		return fail(l, "syntax error: bad substitution");
	}
	lex_name(l, &name);
	long ch = scan_next(&l->sc);
	buf_init(&chs, l->a);
	utf8_put(&chs, ch);
	bool null_is_unset = false;
	const char *v;
	switch (ch) {
	case '}':
		v = lex_getenv(l, &name, &set);
		if (!set && l->x->skip_unset) {
			buf_printf(res, "${%s}", name.s);
			return 0;
		}
		return emit(l, res, v, strlen(v));
	case ':':
		null_is_unset = true;
		ch = scan_next(&l->sc);
		utf8_put(&chs, ch);
		/* whatever follows the colon goes on as a modifier */
		/* fall through */
	case '+': case '-': case '?': case '#': case '%': {
		bool raw = ch == '#' || ch == '%';
		if (null_is_unset && raw)
			return unsupported(l, &chs);
		if (body(l, '}', raw, &word, "syntax error: missing '}'") < 0)
			return -1;
		v = lex_getenv(l, &name, &set);
		if (l->x->skip_unset && !set) {
			buf_printf(res, "${%s%s", name.s, chs.s);
			if (emit(l, res, word.s, word.len) < 0)
				return -1;
			buf_putc(res, '}');
			return 0;
		}
		bool empty = !set || (null_is_unset && !*v);
		switch (ch) {
		case '-':
			return empty ? emit(l, res, word.s, word.len) : emit(l, res, v, strlen(v));
		case '+':
			return empty ? 0 : emit(l, res, word.s, word.len);
		case '?':
			if (!set || (null_is_unset && !*v)) {
				const char *msg = word.len ? word.s
					: !set ? "is not allowed to be unset" : "is not allowed to be empty";
				return fail(l, arena_printf(l->a, "%s: %s", name.s, msg));
			}
			return emit(l, res, v, strlen(v));
		case '#': case '%': {
			/* ## and %% match the longest text */
			bool greedy = word.len > 0 && word.s[0] == ch;
			size_t skip = greedy ? 1 : 0;
			return trim(l, word.s + skip, word.len - skip, v, greedy, ch == '%', res);
		}
		default:
			return unsupported(l, &chs);
		}
	}
	case '/': {
		bool all = scan_peek(&l->sc) == '/';
		if (all)
			scan_next(&l->sc);
		struct buf pat, rep;
		if (body(l, '/', true, &pat, "syntax error: missing '/' in ${}") < 0)
			return -1;
		if (body(l, '}', true, &rep, "syntax error: missing '}'") < 0)
			return -1;
		v = lex_getenv(l, &name, &set);
		if (l->x->skip_unset && !set) {
			/* one slash even for //, as the reference writes it */
			buf_printf(res, "${%s/", name.s);
			if (emit(l, res, pat.s, pat.len) < 0)
				return -1;
			buf_putc(res, '/');
			if (emit(l, res, rep.s, rep.len) < 0)
				return -1;
			buf_putc(res, '}');
			return 0;
		}
		return substitute(l, &pat, &rep, v, all, res);
	}
	default:
		return unsupported(l, &chs);
	}
}

/* processStopOn: read up to stop (R_EOF: the end) into res, and into w when splitting */
static int stop_on(struct lex *l, long stop, bool raw, struct buf *res, struct words *w)
{
	bool saved = l->raw;
	l->raw = raw;
	int rc = 0;
	for (;;) {
		long ch = scan_peek(&l->sc);
		if (ch == R_EOF)
			break;
		if (stop != R_EOF && ch == stop) {
			scan_next(&l->sc);
			l->raw = saved;
			return 0;
		}
		if (ch == '<') {
			/* processPossibleHeredoc: "<<" and the blanks after it stay one word */
			size_t from = res->len;
			utf8_put(res, scan_next(&l->sc));
			if (scan_peek(&l->sc) == '<') {
				utf8_put(res, scan_next(&l->sc));
				for (long pk = scan_peek(&l->sc); pk == ' ' || pk == '\t' || pk == '\n' || pk == '\r';
				     pk = scan_peek(&l->sc))
					utf8_put(res, scan_next(&l->sc));
			}
			if (w)
				words_raw_string(w, res->s + from, res->len - from);
			continue;
		}
		if (ch == '$' || (!l->x->skip_quotes && (ch == '\'' || ch == '"'))) {
			size_t from = res->len;
			rc = ch == '$' ? lex_dollar(l, res)
			   : ch == '\'' ? lex_single_quote(l, res) : lex_double_quote(l, res);
			if (rc < 0)
				break;
			if (w && ch == '$')
				words_string(w, res->s + from, res->len - from);
			else if (w)
				words_raw_string(w, res->s + from, res->len - from);
			continue;
		}
		ch = scan_next(&l->sc);
		if (ch == l->esc) {
			if (l->raw) {
				if (w)
					words_raw_char(w, ch);
				utf8_put(res, ch);
			}
			/* the escape escapes the next character; at the end it is dropped */
			ch = scan_next(&l->sc);
			if (ch == R_EOF)
				break;
			if (w)
				words_raw_char(w, ch);
		} else if (w) {
			words_char(w, ch);
		}
		utf8_put(res, ch);
	}
	l->raw = saved;
	if (rc < 0)
		return -1;
	if (stop != R_EOF) {
		struct buf m;
		buf_init(&m, l->a);
		buf_puts(&m, "unexpected end of statement while looking for matching ");
		utf8_put(&m, stop);
		return fail(l, m.s);
	}
	return 0;
}

static int run(struct expand *x, const char *word, struct buf *res, struct words *w)
{
	struct lex l = {.x = x, .a = x->a, .esc = x->escape ? x->escape : '\\', .raw = x->raw_escapes};
	if (!word)
		word = "";
	size_t n = strlen(word);
	scan_init(&l.sc, word, n);
	x->err = NULL;
	buf_init(res, x->a);
	if (stop_on(&l, R_EOF, x->raw_escapes, res, w) < 0) {
		struct buf m;
		buf_init(&m, x->a);
		buf_puts(&m, "failed to process ");
		quote_go(&m, word, n);
		buf_printf(&m, ": %s", l.err);
		x->err = buf_take(&m);
		return -1;
	}
	return 0;
}

int expand_word(struct expand *x, const char *word, char **out)
{
	struct buf res;
	if (run(x, word, &res, NULL) < 0)
		return -1;
	*out = buf_take(&res);
	return 0;
}

int expand_words(struct expand *x, const char *word, struct strv *out)
{
	struct buf res;
	struct words w = {.in_word = false};
	buf_init(&w.cur, x->a);
	strv_init(&w.list, x->a);
	if (run(x, word, &res, &w) < 0)
		return -1;
	if (w.cur.len)
		strv_push(&w.list, arena_strndup(x->a, w.cur.s, w.cur.len));
	for (size_t i = 0; i < w.list.n; i++)
		strv_push(out, out->a ? w.list.v[i] : xstrdup(w.list.v[i]));
	return 0;
}
