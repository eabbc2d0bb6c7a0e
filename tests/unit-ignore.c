/* unit tests of tool/ignore.c beyond the conformance corpus; the expected
   answers were checked against upstream (patternmatcher built with Go) */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* 1 ignored, 0 not, -1 when ignore_new fails */
static int eval(const char *const *pats, size_t n, const char *path)
{
	struct error err;
	struct ignore *ig = ignore_new(pats, n, &err);
	if (!ig)
		return -1;
	int m = ignore_match(ig, path);
	ignore_free(ig);
	return m;
}

static void one(const char *name, const char *pat, const char *path, int want)
{
	const char *pats[] = { pat };
	int got = eval(pats, 1, path);
	CHECK(name, got == want, "pattern [%s] path [%s]: got %d want %d", pat, path, got, want);
}

/* the patterns of a .dockerignore text joined with '|' */
static char *read_joined(const char *data, size_t len)
{
	struct strv sv;
	struct error e;
	struct buf b;
	strv_init(&sv, NULL);
	buf_init(&b, NULL);
	if (ignore_read(data, len, &sv, &e) < 0)
		buf_printf(&b, "ERROR %s", e.msg);
	for (size_t i = 0; i < sv.n; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", sv.v[i]);
	strv_free(&sv);
	return buf_take(&b);
}

static void test_exceptions(void)
{
	const char *pats[] = { "dir", "!dir/keep", "dir/keep/junk" };
	struct error err;
	struct ignore *ig = ignore_new(pats, N(pats), &err);
	CHECK("exceptions new", ig != NULL, "%s", err.msg);
	if (!ig)
		return;
	CHECK("exceptions dir", ignore_match(ig, "dir"), "dir not ignored");
	CHECK("exceptions dir/other", ignore_match(ig, "dir/other"), "not ignored");
	CHECK("exceptions dir/keep", !ignore_match(ig, "dir/keep"), "ignored");
	CHECK("exceptions dir/keep/sub", !ignore_match(ig, "dir/keep/sub/x"), "ignored");
	CHECK("exceptions later plain wins", ignore_match(ig, "dir/keep/junk/x"), "not ignored");
	CHECK("exceptions other", !ignore_match(ig, "other"), "ignored");
	CHECK("exceptions has", ignore_has_exceptions(ig), "no exceptions");
	ignore_free(ig);

	const char *all[] = { "*", "!*.go", "!cmd/**" };
	ig = ignore_new(all, N(all), &err);
	CHECK("exceptions star new", ig != NULL, "%s", err.msg);
	if (!ig)
		return;
	CHECK("exceptions star main.go", !ignore_match(ig, "main.go"), "ignored");
	CHECK("exceptions star README", ignore_match(ig, "README"), "not ignored");
	/* "*" matches the parent "pkg", "!*.go" only one segment */
	CHECK("exceptions star pkg/a.go", ignore_match(ig, "pkg/a.go"), "not ignored");
	CHECK("exceptions star cmd/x/y", !ignore_match(ig, "cmd/x/y"), "ignored");
	ignore_free(ig);

	const char *none[] = { "a", "b/**" };
	ig = ignore_new(none, N(none), &err);
	CHECK("exceptions none", ig && !ignore_has_exceptions(ig), "has exceptions");
	ignore_free(ig);
	ig = ignore_new(NULL, 0, &err);
	CHECK("exceptions empty list", ig && !ignore_has_exceptions(ig) && !ignore_match(ig, "a"), "bad");
	ignore_free(ig);
}

static void test_patterns(void)
{
	static const struct {
		const char *pat, *path;
		int want;
	} t[] = {
		/* ** at the start, in the middle, at the end */
		{ "**/foo", "foo", 1 },
		{ "**/foo", "a/b/foo", 1 },
		{ "**/foo", "a/b/foo/c", 1 },
		{ "**/foo", "a/xfoo", 0 },
		{ "**foo", "a/xfoo", 1 },
		{ "**/*.o", "a/b/c.o", 1 },
		{ "**/*.o", "c.o", 1 },
		{ "a/**/b", "a/b", 1 },
		{ "a/**/b", "a/x/y/b", 1 },
		{ "a/**/b", "a/x/yb", 0 },
		{ "a/**/b", "ab", 0 },
		{ "a/**", "a", 0 },
		{ "a/**", "a/x/y", 1 },
		{ "a**", "abc/d", 1 },
		{ "a/**/", "a/x", 1 },
		{ "***", "a/b", 1 },
		/* * and ? stay within one segment */
		{ "a/*", "a/b", 1 },
		{ "a/*", "a/b/c", 1 },  /* the parent a/b matches */
		{ "*/c", "a/b/c", 0 },
		{ "a?c", "a/c", 0 },
		{ "a?c", "abc", 1 },
		{ "a?c", "a\xc3\xa9" "c", 1 },
		/* classes, ranges, negation */
		{ "[a-c]x", "bx", 1 },
		{ "[a-c]x", "dx", 0 },
		{ "[^a-c]x", "dx", 1 },
		{ "[^a-c]x", "bx", 0 },
		{ "[^a]x", "/x", 1 },  /* a negated class matches '/' */
		{ "[abc-e]", "d", 1 },
		{ "[\\]]", "]", 1 },
		{ "[\\-x]", "-", 1 },
		{ "[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", 1 },
		/* the regexp translation leaks through, as upstream */
		{ "[a?]", "a", 0 },
		{ "[a?]", "a]", 1 },
		{ "[[:digit:]]", "7", 1 },
		{ "\\d", "7", 1 },
		{ "a^b*", "a^b", 0 },
		/* escaped metacharacters and regexp characters that are literal */
		{ "a\\*b", "a*b", 1 },
		{ "a\\*b", "axb", 0 },
		{ "a\\?b", "a?b", 1 },
		{ "a\\[b", "a[b", 1 },
		{ "\\\\", "\\", 1 },
		{ "a.b", "axb", 0 },
		{ "a+(b)|{c}$", "a+(b)|{c}$", 1 },
		{ "*.txt", "a.txt", 1 },
		{ "*.txt", "atxt", 0 },
		/* leading "/" and "./": New cleans but keeps the "/" (ignore_read drops it) */
		{ "./foo", "foo", 1 },
		{ "./foo/", "foo/bar", 1 },
		{ "/foo", "foo", 0 },
		{ "/foo", "/foo", 1 },
		{ "foo/../bar", "bar", 1 },
		{ "  foo  ", "foo", 1 },
		{ "\t!foo", "foo", 0 },
		/* the path is used as given, its parents are cleaned */
		{ "a", "a/", 1 },
		{ "a/b", "a//b/c", 1 },
		{ "a/b", "./a/b", 0 },
		{ "a/b", "a/b/", 1 },
		/* newline: "." in the translation does not match it */
		{ "**/x*", "a\nb/xy", 0 },
		{ "**/x*", "ab/xy", 1 },
	};
	for (size_t i = 0; i < N(t); i++) {
		char name[80];
		snprintf(name, sizeof name, "pattern %zu %s", i, t[i].pat);
		one(name, t[i].pat, t[i].path, t[i].want);
	}
}

static void test_errors(void)
{
	static const struct {
		const char *pat, *msg;
	} t[] = {
		{ "!", "illegal exclusion pattern: \"!\"" },
		{ " ! ", "illegal exclusion pattern: \"!\"" },
		{ "!/", "illegal exclusion pattern: \"!\"" },
		{ "[a", "syntax error in pattern" },
		{ "a[", "syntax error in pattern" },
		{ "[]a]", "syntax error in pattern" },
		{ "[a-]", "syntax error in pattern" },
		{ "a\\", "syntax error in pattern" },
		{ "x*[", "syntax error in pattern" },  /* after a mismatch too, as Go >= 1.20 */
		{ "!*[^", "syntax error in pattern" },
		{ "[b-a]", "syntax error in pattern" },  /* upstream: regexp compile fails */
		{ "a\\e", "syntax error in pattern" },
		{ "[[:foo:]]", "syntax error in pattern" },
		{ "\\pL", "unsupported pattern \"\\pL\": Unicode classes \\p, \\P are not implemented" },
	};
	for (size_t i = 0; i < N(t); i++) {
		char name[80];
		struct error err;
		const char *pats[] = { "ok", t[i].pat };
		snprintf(name, sizeof name, "error %s", t[i].pat);
		struct ignore *ig = ignore_new(pats, 2, &err);
		CHECK_STR(name, ig ? "(accepted)" : err.msg, t[i].msg);
		ignore_free(ig);
	}
	/* the syntax check of every pattern comes before any compile error */
	const char *order[] = { "[b-a]", "[" };
	struct error err;
	struct ignore *ig = ignore_new(order, 2, &err);
	CHECK_STR("error order", ig ? "(accepted)" : err.msg, "syntax error in pattern");
	ignore_free(ig);
	/* empty patterns are skipped */
	const char *blank[] = { "", "  ", "\t" };
	CHECK("error blank", eval(blank, 3, "a") == 0, "blank patterns");
}

static void test_read(void)
{
	static const struct {
		const char *name, *in, *want;
	} t[] = {
		{ "read comment", "# c\na\n #b\n", "a|#b" },
		{ "read bom", "\xEF\xBB\xBF# c\n\xEF\xBB\xBF" "b\n", "\xEF\xBB\xBF" "b" },
		{ "read bom pattern", "\xEF\xBB\xBF/x/\n", "x" },
		{ "read crlf", "a\r\nb\r\n\r\n!c\r\n", "a|b|!c" },
		{ "read cr in middle", "a\rb\n", "a\rb" },
		{ "read trim", "  a b  \n\t\n", "a b" },
		{ "read clean", "/a/../b/./c//\n./d\n/\n..\n", "b/c|d|/|.." },
		{ "read bang", "! /x/y\n!\n!  \n", "!x/y|!|!" },
		{ "read no newline", "a\nb", "a|b" },
		{ "read nbsp", "\xC2\xA0" "a\xE3\x80\x80\n", "a" },
		{ "read empty", "", "" },
	};
	for (size_t i = 0; i < N(t); i++) {
		char *got = read_joined(t[i].in, strlen(t[i].in));
		CHECK_STR(t[i].name, got, t[i].want);
		free(got);
	}
	/* a line of 64 KiB is an error (bufio.Scanner's limit), one byte less is not */
	size_t n = 65536 + 2;
	char *big = xmalloc(n);
	memset(big, 'x', n);
	big[0] = 'a', big[1] = '\n';
	char *got = read_joined(big, n);
	CHECK_STR("read long line", got, "ERROR error reading .dockerignore: line 2: bufio.Scanner: token too long");
	free(got);
	got = read_joined(big, n - 1);
	CHECK("read line just short enough", strncmp(got, "a|xxx", 5) == 0 && strlen(got) == 2 + 65535,
	      "got %.20s", got);
	free(got);
	free(big);

	/* a read list feeds ignore_new: "/foo" became "foo" */
	struct strv sv;
	struct error e;
	strv_init(&sv, NULL);
	const char *in = "/foo\n!/foo/keep\n";
	CHECK("read then match rc", ignore_read(in, strlen(in), &sv, &e) == 0, "%s", e.msg);
	struct error err = {0};
	struct ignore *ig = ignore_new((const char *const *)sv.v, sv.n, &err);
	CHECK("read then match", ig && ignore_match(ig, "foo/x") && !ignore_match(ig, "foo/keep"), "%s",
	      ig ? "mismatch" : err.msg);
	ignore_free(ig);
	strv_free(&sv);
}

static void test_clean(void)
{
	static const char *t[][2] = {
		{ "", "." }, { ".", "." }, { "/", "/" }, { "//a//b/", "/a/b" }, { "a/./b/../c", "a/c" },
		{ "../../a", "../../a" }, { "/../a", "/a" }, { "a/..", "." }, { "a/../..", ".." },
		{ "abc/def/../../..", ".." }, { "./a/", "a" },
	};
	for (size_t i = 0; i < N(t); i++) {
		char name[64], *got = path_clean(t[i][0]);
		snprintf(name, sizeof name, "clean [%s]", t[i][0]);
		CHECK_STR(name, got, t[i][1]);
		free(got);
	}
}

/* long and hostile inputs: no crash, no blow-up */
static void test_hostile(void)
{
	size_t n = 1500;
	char *pat = xmalloc(2 * n + 1), *path = xmalloc(n + 2);
	for (size_t i = 0; i < n; i++)
		pat[2 * i] = 'a', pat[2 * i + 1] = '*';
	pat[2 * n] = 0;
	memset(path, 'a', n);
	path[n] = 'b';
	path[n + 1] = 0;
	one("hostile stars", pat, path, 1);
	pat[2 * n - 1] = 'c';
	one("hostile stars miss", pat, path, 0);
	one("hostile invalid utf8", "\xff*\xe2\x82", "\xff\xfe\xe2\x82", 1);
	one("hostile bom", "\xEF\xBB\xBF**", "x", 0);
	free(pat);
	free(path);
}

int main(void)
{
	test_exceptions();
	test_patterns();
	test_errors();
	test_read();
	test_clean();
	test_hostile();
	return check_failed;
}
