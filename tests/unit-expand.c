/* expand.c beyond the conformance corpus: options, errors, limits, UTF-8 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "env.h"
#include "expand.h"
#include "util.h"

static struct arena *A;
static struct env E;

enum { BACKTICK = 1, RAWQ = 2, RAWE = 4, SKIP_UNSET = 8 };

static void setup(struct expand *x, int flags)
{
	*x = (struct expand){.a = A, .env = &E, .escape = flags & BACKTICK ? '`' : '\\'};
	x->raw_quotes = flags & RAWQ;
	x->raw_escapes = flags & RAWE;
	x->skip_unset = flags & SKIP_UNSET;
}

/* the expansion of word, or "ERR: message" */
static const char *ex(const char *word, int flags)
{
	struct expand x;
	setup(&x, flags);
	char *out = NULL;
	if (expand_word(&x, word, &out) < 0)
		return arena_printf(A, "ERR: %s", x.err ? x.err : "(no message)");
	return out;
}

/* the fields of word joined with '|', or "ERR: message" */
static const char *exw(const char *word, int flags)
{
	struct expand x;
	setup(&x, flags);
	struct strv sv;
	strv_init(&sv, A);
	if (expand_words(&x, word, &sv) < 0)
		return arena_printf(A, "ERR: %s", x.err ? x.err : "(no message)");
	struct buf b;
	buf_init(&b, A);
	for (size_t i = 0; i < sv.n; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", sv.v[i]);
	return buf_take(&b);
}

#define T(name, word, flags, want) CHECK_STR(name, ex(word, flags), want)
#define TW(name, word, flags, want) CHECK_STR(name, exw(word, flags), want)
#define TE(name, word, msg) CHECK_STR(name, ex(word, 0), "ERR: " msg)

static void basics(void)
{
	T("plain", "abc", 0, "abc");
	T("empty input", "", 0, "");
	TW("empty input words", "", 0, "");
	TW("blank input words", " \t ", 0, "");
	T("var", "$A-${A}", 0, "hello-hello");
	T("var unset", "[$U][${U}]", 0, "[][]");
	T("lone dollar", "a$ $", 0, "a$ $");
	T("dollar special params", "[$-][$@x][${#}][$$]", 0, "[][x][][]");
	T("dollar digits", "$12a", 0, "a");
	T("dollar unicode digits", "$\u0661\u0662x", 0, "x");
	T("dollar unicode name", "$\ubcc0\uc218!", 0, "\uac12!");
	T("default", "${U:-x}${EMPTY:-y}${EMPTY-z}${A:-w}", 0, "xyhello");
	T("alternative", "[${A:+x}][${EMPTY:+y}][${EMPTY+z}][${U+w}]", 0, "[x][][z][]");
	T("required set", "${A:?no}${EMPTY?no}", 0, "hello");
	T("nested default", "${U:-${W:-${A}}}", 0, "hello");
	T("quoted default", "${U:-\"a b\"'c d'}", 0, "a bc d");
	T("escaped brace", "${U:-a\\}b}", 0, "a}b");
	T("single quotes literal", "'$A\\x'", 0, "$A\\x");
	T("double quotes", "\"$A \\$A \\\" \\x \\\\\"", 0, "hello $A \" \\x \\");
	T("escape", "a\\ b\\$A\\\\", 0, "a b$A\\");
	T("word ending in escape", "abc\\", 0, "abc");
	T("word of just the escape", "\\", 0, "");
	CHECK_STR("double quote ending in escape", ex("\"ab\\", 0),
		  "ERR: failed to process \"\\\"ab\\\\\": unexpected end of statement while looking for matching double-quote");
}

static void backtick(void)
{
	T("backtick escape", "a`$b``c", BACKTICK, "a$b`c");
	T("backtick: backslash literal", "C:\\dir\\$A", BACKTICK, "C:\\dir\\hello");
	T("backtick in double quotes", "\"x`\"y`$A`z\"", BACKTICK, "x\"y$A`z");
	T("backtick in default", "${U:-`}}", BACKTICK, "}");
	T("backtick at end", "abc`", BACKTICK, "abc");
	T("backtick at end raw", "abc`", BACKTICK | RAWE, "abc`");
	/* patterns always use \ for their escapes: a backtick there is a literal */
	T("backtick in pattern", "${P#`/}", BACKTICK, "/usr/local/bin");
	T("backslash pattern escape with backtick token", "${S#\\*}", BACKTICK, "x");
	TW("backtick words", "a` b c", BACKTICK, "a b|c");
}

static void raw(void)
{
	T("raw quotes", "'a b'\"c $A\"", RAWQ, "'a b'\"c hello\"");
	T("raw escapes", "a\\ b\\$A", RAWE, "a\\ b\\$A");
	T("raw escapes and quotes", "\"\\$A\\x\"", RAWQ | RAWE, "\"\\$A\\\\x\"");
	/* inside ${V:-w} the escapes are never kept, inside ${V#p} and ${V/p/r} always */
	T("raw escapes off in default", "${U:-a\\ b}", RAWE, "a b");
	T("raw escapes on in replacement", "${A/l/\\-}", 0, "he\\-lo");
	TW("raw quotes words", "'a b' c", RAWQ, "'a b'|c");
	TW("raw escapes words", "a\\ b c", RAWE, "a\\ b|c");
}

static void skip_unset(void)
{
	T("skip unset $V", "$U-$A", SKIP_UNSET, "$U-hello");
	T("skip unset ${V}", "${U}", SKIP_UNSET, "${U}");
	T("skip unset default", "${U:-x$A}", SKIP_UNSET, "${U:-xhello}");
	T("skip unset required", "${U:?oops}", SKIP_UNSET, "${U:?oops}");
	T("skip unset trim", "${U##*}", SKIP_UNSET, "${U##*}");
	/* the reference writes one slash back even for // */
	T("skip unset replace all", "${U//a/b}", SKIP_UNSET, "${U/a/b}");
	T("skip unset set empty", "${EMPTY:-x}", SKIP_UNSET, "x");
	T("skip unset error still an error", "${U:=x}", SKIP_UNSET, "${U:=x}");
	CHECK_STR("skip unset bad modifier set", ex("${A:=x}", SKIP_UNSET),
		  "ERR: failed to process \"${A:=x}\": unsupported modifier (:=) in substitution");
}

static bool has(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static void matches(void)
{
	struct expand x;
	setup(&x, 0);
	struct strv m, u;
	strv_init(&m, A);
	strv_init(&u, A);
	x.matched = &m;
	x.unmatched = &u;
	char *out;
	int rc = expand_word(&x, "$A ${U} ${A} ${EMPTY:-x} $U '$Q' \"$R\" ${W:-$X}", &out);
	CHECK("matches rc", rc == 0, "%s", x.err);
	CHECK("matched set", m.n == 2 && has(&m, "A") && has(&m, "EMPTY"), "n=%zu", m.n);
	CHECK("unmatched set", u.n == 4 && has(&u, "U") && has(&u, "R") && has(&u, "W") && has(&u, "X"),
	      "n=%zu", u.n);
	CHECK("single quoted not referenced", !has(&u, "Q"), "Q listed");
	/* a second word adds only new names */
	rc = expand_word(&x, "$A$U$SHELL_X", &out);
	CHECK("matches accumulate", rc == 0 && m.n == 2 && u.n == 5 && has(&u, "SHELL_X"), "m=%zu u=%zu", m.n,
	      u.n);
	/* names are noted even when the expansion then fails */
	strv_init(&m, A);
	strv_init(&u, A);
	rc = expand_word(&x, "${A}${Z:?}", &out);
	CHECK("matches on error", rc < 0 && has(&m, "A") && has(&u, "Z"), "m=%zu u=%zu", m.n, u.n);
	/* ${/p/r} looks up the empty name, as the reference does */
	strv_init(&u, A);
	rc = expand_word(&x, "${/a/b}", &out);
	CHECK("empty name looked up", rc == 0 && strcmp(out, "") == 0 && has(&u, ""), "u=%zu", u.n);

	/* malloc'd vectors get malloc'd strings */
	struct strv mm, uu, words;
	strv_init(&mm, NULL);
	strv_init(&uu, NULL);
	strv_init(&words, NULL);
	x.matched = &mm;
	x.unmatched = &uu;
	rc = expand_words(&x, "$A $U b", &words);
	CHECK("malloc vectors", rc == 0 && words.n == 2 && strcmp(words.v[0], "hello") == 0 &&
				    strcmp(words.v[1], "b") == 0 && mm.n == 1 && uu.n == 1,
	      "rc=%d n=%zu", rc, words.n);
	strv_free(&mm);
	strv_free(&uu);
	strv_free(&words);
}

static void errors(void)
{
	TE("error single quote", "a'b", "failed to process \"a'b\": unexpected end of statement while looking for matching single-quote");
	TE("error double quote", "a\"b", "failed to process \"a\\\"b\": unexpected end of statement while looking for matching double-quote");
	TE("error missing brace at ${", "x${", "failed to process \"x${\": syntax error: missing '}'");
	TE("error bad substitution ${}", "${}", "failed to process \"${}\": syntax error: bad substitution");
	TE("error bad substitution ${:}", "${:-a}", "failed to process \"${:-a}\": syntax error: bad substitution");
	TE("error bad substitution ${{", "${{A}}", "failed to process \"${{A}}\": syntax error: bad substitution");
	TE("error unterminated name", "${A", "failed to process \"${A\": unsupported modifier (\xef\xbf\xbd) in substitution");
	TE("error bad modifier", "${A.}", "failed to process \"${A.}\": unsupported modifier (.) in substitution");
	TE("error =", "${A=x}", "failed to process \"${A=x}\": unsupported modifier (=) in substitution");
	TE("error :=", "${A:=x}", "failed to process \"${A:=x}\": unsupported modifier (:=) in substitution");
	TE("error :#", "${A:#x}", "failed to process \"${A:#x}\": unsupported modifier (:#) in substitution");
	TE("error :%", "${A:%x}", "failed to process \"${A:%x}\": unsupported modifier (:%) in substitution");
	TE("error missing brace in default", "${A:-x", "failed to process \"${A:-x\": syntax error: missing '}'");
	TE("error missing brace after colon", "${A:", "failed to process \"${A:\": syntax error: missing '}'");
	TE("error unset", "${U:?}", "failed to process \"${U:?}\": U: is not allowed to be unset");
	TE("error unset no colon", "${U?}", "failed to process \"${U?}\": U: is not allowed to be unset");
	TE("error empty", "${EMPTY:?}", "failed to process \"${EMPTY:?}\": EMPTY: is not allowed to be empty");
	TE("error custom message", "${U:?must be set to $A}", "failed to process \"${U:?must be set to $A}\": U: must be set to hello");
	TE("error nested message", "${A:+${U?inner}}x", "failed to process \"${A:+${U?inner}}x\": U: inner");
	/* an inner error at the end of the input reads as the missing brace */
	TE("error inner at eof", "${A:-'x}", "failed to process \"${A:-'x}\": syntax error: missing '}'");
	TE("error missing slash", "${A/x", "failed to process \"${A/x\": syntax error: missing '/' in ${}");
	TE("error missing slash //", "${A//}", "failed to process \"${A//}\": syntax error: missing '/' in ${}");
	TE("error missing brace in replacement", "${A/x/y", "failed to process \"${A/x/y\": syntax error: missing '}'");
	TE("error invalid escape", "${A#\\x}", "failed to process \"${A#\\\\x}\": invalid pattern (\\x) in substitution: invalid escape '\\x'");
	/* the suffix forms report the reversed pattern */
	TE("error invalid escape suffix", "${A%a\\x}", "failed to process \"${A%a\\\\x}\": invalid pattern (\\xa) in substitution: invalid escape '\\x'");
	TE("error invalid escape replace", "${A/\\é/}", "failed to process \"${A/\\\\é/}\": invalid pattern (\\é) in substitution: invalid escape '\\é'");
	TE("error escape at pattern end", "${A#$BS}", "failed to process \"${A#$BS}\": invalid pattern (\\) in substitution: invalid escape '\\\xef\xbf\xbd'");
	TE("error quoting of the word", "'\t\n\xff\xc2\xa0\xc3\xa9\x01\x7f\xe2\x80\x8b",
	   "failed to process \"'\\t\\n\\xff\\u00a0\xc3\xa9\\x01\\x7f\\u200b\": unexpected end of statement while looking for matching single-quote");
}

static void nesting(void)
{
	struct buf ok, bad;
	buf_init(&ok, A);
	buf_init(&bad, A);
	for (int i = 0; i < 64; i++)
		buf_puts(&ok, "${U:-");
	buf_puts(&ok, "deep");
	for (int i = 0; i < 64; i++)
		buf_puts(&ok, "}");
	T("nesting 64 deep", ok.s, 0, "deep");
	for (int i = 0; i < 65; i++)
		buf_puts(&bad, "${U:-");
	buf_puts(&bad, "deep");
	for (int i = 0; i < 65; i++)
		buf_puts(&bad, "}");
	const char *got = ex(bad.s, 0);
	CHECK("nesting 65 deep refused",
	      strncmp(got, "ERR: failed to process \"${U:-", 29) == 0 &&
		      strstr(got, "\": syntax error: ${} nested more than 64 deep") != NULL,
	      "got [%.200s]", got);
	/* quotes do not bypass the limit */
	buf_reset(&bad);
	for (int i = 0; i < 100; i++)
		buf_puts(&bad, "\"${U:-");
	got = ex(bad.s, 0);
	CHECK("nesting through quotes refused", strstr(got, "nested more than 64 deep") != NULL, "got [%.200s]", got);
	/* unterminated deep nesting in a pattern */
	buf_reset(&bad);
	for (int i = 0; i < 100000; i++)
		buf_puts(&bad, "${A/");
	got = ex(bad.s, 0);
	CHECK("nesting in patterns refused", strncmp(got, "ERR: ", 5) == 0, "got [%.200s]", got);
}

static void long_input(void)
{
	enum { N = 1 << 20 };
	char *s = xmalloc(N + 1);
	memset(s, 'a', N);
	s[N] = 0;
	const char *got = ex(s, 0);
	CHECK("long input", strlen(got) == N && strspn(got, "a") == N, "len %zu", strlen(got));
	for (size_t i = 0; i + 2 < N; i += 3)
		memcpy(s + i, "$A ", 3);
	s[N - 1] = 0;
	struct expand x;
	setup(&x, 0);
	struct strv sv;
	strv_init(&sv, A);
	int rc = expand_words(&x, s, &sv);
	CHECK("long input words", rc == 0 && sv.n == (N - 1) / 3 && strcmp(sv.v[sv.n - 1], "hello") == 0, "n=%zu",
	      sv.n);
	free(s);

	/* a long value through every pattern form */
	struct arena *a = arena_new();
	struct env e;
	env_init(&e, a);
	char *v = xmalloc(N + 2);
	memset(v, 'x', N);
	v[N] = 'y';
	v[N + 1] = 0;
	env_set(&e, "L", v);
	free(v);
	x = (struct expand){.a = a, .env = &e, .escape = '\\'};
	char *out;
	rc = expand_word(&x, "${L##*x}", &out);
	CHECK("long value ##", rc == 0 && strcmp(out, "y") == 0, "rc=%d", rc);
	rc = expand_word(&x, "${L%%x*}", &out);
	CHECK("long value %%", rc == 0 && strcmp(out, "") == 0, "rc=%d", rc);
	rc = expand_word(&x, "${L#*y}", &out);
	CHECK("long value #", rc == 0 && strcmp(out, "") == 0, "rc=%d", rc);
	rc = expand_word(&x, "${L//x/}", &out);
	CHECK("long value //", rc == 0 && strcmp(out, "y") == 0, "rc=%d", rc);
	rc = expand_word(&x, "${L/*z/}", &out);
	CHECK("long value no match", rc == 0 && strlen(out) == N + 1, "rc=%d", rc);

	/* a pattern of 4096 runes against a 1 MiB value is refused, not ground through */
	char *lp = xmalloc(4097);
	memset(lp, 'x', 4096);
	lp[4096] = 0;
	env_set(&e, "LP", lp);
	free(lp);
	rc = expand_word(&x, "${L#$LP}", &out);
	CHECK_STR("pattern work limit", rc < 0 ? x.err : out,
		  "failed to process \"${L#$LP}\": pattern and value too large to match");

	/* ${V//p/r} multiplies: nesting it is cut off at 16 MiB of output */
	char *c = xmalloc(1001);
	memset(c, 'c', 1000);
	c[1000] = 0;
	env_set(&e, "C", c);
	free(c);
	rc = expand_word(&x, "${C///${C///$C}}", &out);
	CHECK_STR("output limit", rc < 0 ? x.err : "(no error)",
		  "failed to process \"${C///${C///$C}}\": expansion too large (over 16 MiB)");
	rc = expand_word(&x, "${C///$C}", &out);
	CHECK("output under the limit", rc == 0 && strlen(out) == 1001 * 1000 + 1000, "rc=%d", rc);
	arena_free(a);
}

static void patterns(void)
{
	T("prefix", "${P#/usr/}", 0, "local/bin");
	T("prefix longest", "${P##*/}", 0, "bin");
	T("prefix shortest star", "${P#*/}", 0, "usr/local/bin");
	T("suffix", "${P%/*}", 0, "/usr/local");
	T("suffix longest", "${P%%/*}", 0, "");
	T("question mark", "${A#?}${A%??}", 0, "ellohel");
	T("escaped star", "${S#\\*}", 0, "x");
	T("escaped brace in pattern", "${BR#\\}}", 0, "a");
	/* brackets are literal: the reference has no bracket expressions */
	T("brackets literal", "${B#a[b]}", 0, "c");
	T("brackets not a class", "${A#[h]}", 0, "hello");
	T("replace first", "${A/l/L}", 0, "heLlo");
	T("replace all", "${A//l/L}", 0, "heLLo");
	T("replace glob", "${P/\\/*\\//-}", 0, "-bin");
	T("replace empty pattern", "${A/$EMPTY/-}", 0, "-hello");
	T("replace all empty pattern", "${A///-}", 0, "-h-e-l-l-o-");
	T("replace all star", "${A//*/X}", 0, "X");
	/* // expands $0 in the replacement (Go's ReplaceAllString), / does not */
	T("replace all template", "${A//l/<\\$0>}", 0, "he<\\l><\\l>o");
	T("replace all template var", "${A//l/$TPL}", 0, "he[l$y][l$y]o");
	T("replace first no template", "${A/l/$TPL}", 0, "he[$0$$y${1}$z]lo");
	/* * and ? do not match a newline (Go's . without s) */
	T("newline shortest", "${N#*}", 0, "ab\ncd");
	T("newline longest", "${N##*}", 0, "\ncd");
	T("newline suffix", "${N%%*}", 0, "ab\n");
	T("newline question", "${N#ab?}", 0, "ab\ncd");
}

static void utf8(void)
{
	T("utf8 value", "$K", 0, "\ud55c\uad6d\uc5b4");
	T("utf8 prefix", "${K#\ud55c}", 0, "\uad6d\uc5b4");
	T("utf8 suffix", "${K%\uc5b4}", 0, "\ud55c\uad6d");
	T("utf8 question is one rune", "${K#?}|${K%?}", 0, "\uad6d\uc5b4|\ud55c\uad6d");
	T("utf8 replace", "${K/\uad6d/-}", 0, "\ud55c-\uc5b4");
	T("utf8 replace all empty", "${K///.}", 0, ".\ud55c.\uad6d.\uc5b4.");
	T("utf8 emoji suffix", "${EM%\\*?}", 0, "\U0001F47D");
	T("utf8 default", "${U:-\u00e9t\u00e9}", 0, "\u00e9t\u00e9");
	T("bad byte reads as U+FFFD", "a\xff" "b", 0, "a\xef\xbf\xbd" "b");
	T("bad byte in value kept", "$BAD", 0, "a\xff");
	/* the suffix forms go through runes: a bad byte comes back as U+FFFD */
	T("bad byte in value after %", "${BAD%z}", 0, "a\xef\xbf\xbd");
	T("bad byte matched by ?", "${BAD#a?}", 0, "");
	T("bom at start skipped", "\xef\xbb\xbf" "abc", 0, "abc");
	T("bom inside kept", "a\xef\xbb\xbf", 0, "a\xef\xbb\xbf");
	TW("unicode blanks split", "a\xc2\xa0" "b\xe3\x80\x80" "c", 0, "a|b|c");
	TW("unicode blanks from a value split", "x${NB}y", 0, "xa|by");
	TW("words", "a${V}b", 0, "aa|b|cb");
	TW("words quoted", "\"$V\" '' x", 0, "a b  c|x");
	TW("words nested default", "a${U:-b c}d", 0, "ab|cd");
	TW("words escaped blank", "a\\ b", 0, "a b");
	TW("words error", "a 'b", 0,
	   "ERR: failed to process \"a 'b\": unexpected end of statement while looking for matching single-quote");
}

int main(void)
{
	A = arena_new();
	env_init(&E, A);
	env_set(&E, "A", "hello");
	env_set(&E, "EMPTY", "");
	env_set(&E, "P", "/usr/local/bin");
	env_set(&E, "K", "\ud55c\uad6d\uc5b4");
	env_set(&E, "\ubcc0\uc218", "\uac12");
	env_set(&E, "V", "a b  c");
	env_set(&E, "S", "*x");
	env_set(&E, "BR", "}a");
	env_set(&E, "B", "a[b]c");
	env_set(&E, "BS", "\\");
	env_set(&E, "N", "ab\ncd");
	env_set(&E, "TPL", "[$0$$y${1}$z]");
	env_set(&E, "EM", "\U0001F47D*\U0001F680");
	env_set(&E, "BAD", "a\xff");
	env_set(&E, "NB", "a\xc2\xa0" "b");
	basics();
	backtick();
	raw();
	skip_unset();
	matches();
	errors();
	nesting();
	long_input();
	patterns();
	utf8();
	arena_free(A);
	return check_failed;
}
