/* libFuzzer target for the front end: scanner, parser, plan (with ARG/ENV
   expansion), the word expander on its own, and the .dockerignore reader
   and matcher. A front-end error longjmps back here; everything it made
   lives in one arena, freed whichever way the input ends. */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "error.h"
#include "expand.h"
#include "ignore.h"
#include "parse.h"
#include "plan.h"
#include "utf8.h"
#include "util.h"

static jmp_buf jb;

static void on_fatal(void)
{
	longjmp(jb, 1);
}

static void expander(struct arena *a, const char *s)
{
	struct env e;
	env_init(&e, a);
	env_set(&e, "PWD", "/home");
	env_set(&e, "EMPTY", "");
	env_set(&e, "LIST", "a b  c");
	struct strv words, m, u;
	strv_init(&words, a);
	strv_init(&m, a);
	strv_init(&u, a);
	for (int mode = 0; mode < 4; mode++) {
		struct expand x = {.a = a, .env = &e, .escape = mode & 1 ? '`' : '\\', .matched = &m, .unmatched = &u,
				   .raw_quotes = mode == 2, .raw_escapes = mode == 2, .skip_unset = mode == 3};
		char *out;
		expand_word(&x, s, &out);
		expand_words(&x, s, &words);
	}
}

static void ignorer(const char *s, size_t n)
{
	struct strv pats;
	strv_init(&pats, NULL);
	if (ignore_read(s, n, &pats, &(struct error){0}) == 0) {
		struct error err;
		struct ignore *ig = ignore_new((const char *const *)pats.v, pats.n, &err);
		if (ig) {
			ignore_match(ig, "a/b/c");
			ignore_match(ig, s);
			ignore_has_exceptions(ig);
			ignore_free(ig);
		}
	}
	strv_free(&pats);
}

/* every base image's ONBUILD triggers: the lines of the input (at most 8), each parsed on its own */
static int base_triggers(void *ctx, const char *image, const char *platform, struct base_info *out)
{
	(void)image, (void)platform;
	struct arena *a = ((void **)ctx)[0];
	const char *s = ((void **)ctx)[1];
	out->onbuild = arena_alloc(a, 9 * sizeof *out->onbuild);
	out->nonbuild = 0;
	for (const char *p = s; *p && out->nonbuild < 8;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		out->onbuild[out->nonbuild++] = arena_strndup(a, p, len);
		p += len + (nl != NULL);
	}
	env_set(&out->env, "B", "base");
	return 1;
}

/* the message helpers see every name a message may hold */
static void quoter(const char *s, size_t n)
{
	struct buf b;
	buf_init(&b, NULL);
	quote_go(&b, s, n);
	escape_go(&b, s, n);
	lower_go(&b, s, n);
	buf_free(&b);
	qname(s);
	struct error e;
	err_set(&e, "%s: %s", s, s);
	err_wrap(&e, "%s", s);
	char m[1024];
	snprintf(m, sizeof m, "%s", s);
	escape_go_in(m, sizeof m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	struct arena *volatile a = arena_new();
	fatal_hook = on_fatal;
	if (!setjmp(jb)) {
		expander(a, s);
		struct dockerfile *df = parse_dockerfile(a, "Dockerfile", s, size);
		struct plan_opts po = {0};
		env_init(&po.build_args, a);
		env_set(&po.build_args, "A", "1");
		plan_build(a, df, &po);
	}
	arena_free(a);
	/* again with base images that have triggers */
	a = arena_new();
	if (!setjmp(jb)) {
		struct dockerfile *df = parse_dockerfile(a, "Dockerfile", s, size);
		struct plan_opts po = {0};
		env_init(&po.build_args, a);
		void *ctx[2] = {a, s};
		po.base = base_triggers;
		po.ctx = ctx;
		plan_build(a, df, &po);
	}
	arena_free(a);
	ignorer(s, size);
	quoter(s, size);
	free(s);
	return 0;
}
