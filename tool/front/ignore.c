#include "ignore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "regex.h"
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
 * run by a Pike-style VM without captures (regex.c): O(len(path) * len(program)).
 */

enum { MAX_LINE = 64 * 1024 };

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

enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };

struct pattern {
	char *pat;  /* cleaned, '!' removed */
	size_t len;
	bool exclusion;
	enum match_type type;
	struct regex prog;
};

struct ignore {
	struct pattern *p;
	size_t n;
	size_t maxprog;
	bool exclusions;
};
/* ---- compiling one pattern (Pattern.compile) ---- */

static bool should_escape(int32_t c)
{
	return c < 0x80 && c && strchr(".+()|{}$", (int)c);
}

/* the match type and, for M_REGEXP, the program; REGEX_OK or an error kind */
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
		return REGEX_OK;
	}
	buf_putc(&re, '$');

	int rc = regex_compile(re.s, re.len, &pt->prog);
	buf_free(&re);
	return rc;
}

/* ---- building the matcher (patternmatcher.New) ---- */

void ignore_free(struct ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++) {
		free(ig->p[i].pat);
		regex_free(&ig->p[i].prog);
	}
	free(ig->p);
	free(ig);
}

struct ignore *ignore_new(const char *const *patterns, size_t n, struct error *err)
{
	struct ignore *ig = xcalloc(1, sizeof *ig);
	const char *msg = NULL;

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
		if (rc == REGEX_SYNTAX) {
			msg = ERR_SYNTAX;
		} else if (rc == REGEX_UNSUPPORTED) {
			err_set(err, "unsupported pattern \"%s\": Unicode classes \\p, \\P are not implemented",
				ig->p[i].pat);
			ignore_free(ig);
			return NULL;
		}
		if (regex_size(&ig->p[i].prog) > ig->maxprog)
			ig->maxprog = regex_size(&ig->p[i].prog);
	}
	if (msg) {
		err_set(err, "%s", msg);
		ignore_free(ig);
		return NULL;
	}
	return ig;
}

bool ignore_has_exceptions(const struct ignore *ig)
{
	return ig->exclusions;
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
static bool pattern_match(const struct pattern *pt, const char *s, size_t n, bool multi, struct regex_vm *vm)
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
	case M_REGEXP:
		return regex_match(&pt->prog, s, n, multi, vm);
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
	struct regex_vm vm;

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
