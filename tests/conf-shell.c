/* conformance: the buildkit shell lexer data (FORMAT.md sections 4, 5, 6, 8)
   run through expand_word/expand_words */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "conf.h"
#include "env.h"
#include "expand.h"
#include "util.h"

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\v\f\r\n", s[n - 1]))
		s[--n] = 0;
	return s;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the names of sv sorted and joined with commas, as the TSV writes them */
static char *joined(struct arena *a, struct strv *sv)
{
	if (sv->n)
		qsort(sv->v, sv->n, sizeof *sv->v, cmp);
	struct buf b;
	buf_init(&b, a);
	for (size_t i = 0; i < sv->n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", sv->v[i]);
	return buf_take(&b);
}

static int env_var_test(const char *dir, int *total, int *skipped)
{
	char *text = conf_read(dir, "buildkit/shell/envVarTest", NULL), *p = text, *line;
	if (!text)
		return 0;
	int pass = 0, lineno = 0;
	while ((line = conf_next_line(&p))) {
		lineno++;
		char name[64];
		snprintf(name, sizeof name, "envVarTest:%d", lineno);
		if (line[0] == '#')
			continue;
		line = trim(line);
		if (!*line)
			continue;
		char *f[3];
		if (conf_split(line, '|', f, 3) != 3) {
			CHECK(name, 0, "not 3 fields");
			continue;
		}
		char *plat = trim(f[0]), *in = trim(f[1]), *want = trim(f[2]);
		if (strcmp(plat, "W") == 0) {
			SKIP(name, "Windows only: names match case-insensitively there");
			(*skipped)++;
			continue;
		}
		(*total)++;
		struct arena *a = arena_new();
		struct env e;
		env_init(&e, a);
		env_set(&e, "PWD", "/home");
		env_set(&e, "SHELL", "bash");
		env_set(&e, "KOREAN", "한국어");
		env_set(&e, "NULL", "");
		struct expand x = {.a = a, .env = &e, .escape = '\\'};
		char *got = NULL;
		int rc = expand_word(&x, in, &got);
		bool ok;
		if (strcmp(want, "error") == 0) {
			ok = rc < 0;
			CHECK(name, ok, "%s: want an error, got [%s]", in, got ? got : "");
		} else {
			ok = rc == 0 && strcmp(got, want) == 0;
			CHECK(name, ok, "%s: got [%s] want [%s]", in, rc ? x.err : got, want);
		}
		pass += ok;
		arena_free(a);
	}
	free(text);
	return pass;
}

static int words_test(const char *dir, int *total)
{
	char *text = conf_read(dir, "buildkit/shell/wordsTest", NULL), *p = text, *line;
	if (!text)
		return 0;
	struct arena *ea = arena_new();
	struct env e;
	env_init(&e, ea);
	int pass = 0, lineno = 0;
	while ((line = conf_next_line(&p))) {
		lineno++;
		char name[64];
		snprintf(name, sizeof name, "wordsTest:%d", lineno);
		if (line[0] == '#')
			continue;
		if (strncmp(line, "ENV ", 4) == 0) {
			char *kv = line + 3;
			while (*kv == ' ')
				kv++;
			char *eq = strchr(kv, '=');
			if (eq)
				*eq = 0;
			env_set(&e, kv, eq ? eq + 1 : "");
			continue;
		}
		(*total)++;
		char *f[2];
		if (conf_split(line, '|', f, 2) != 2) {
			CHECK(name, 0, "not 2 fields");
			continue;
		}
		char *in = trim(f[0]), *want = f[1];
		while (*want == ' ')
			want++;
		struct arena *a = arena_new();
		struct expand x = {.a = a, .env = &e, .escape = '\\'};
		struct strv got;
		strv_init(&got, a);
		struct buf gs;
		buf_init(&gs, a);
		if (expand_words(&x, in, &got) < 0)
			buf_puts(&gs, "error");
		else
			for (size_t i = 0; i < got.n; i++)
				buf_printf(&gs, "%s%s", i ? "," : "", got.v[i]);
		bool ok = strcmp(gs.s, want) == 0;
		CHECK(name, ok, "%s: got [%s] want [%s]", in, gs.s, want);
		pass += ok;
		arena_free(a);
	}
	arena_free(ea);
	free(text);
	return pass;
}

static int matches_test(const char *dir, int *total)
{
	char *text = conf_read(dir, "buildkit/extracted/shell/process-with-matches.tsv", NULL), *p = text, *line;
	if (!text)
		return 0;
	int pass = 0, lineno = 0;
	while ((line = conf_next_line(&p))) {
		lineno++;
		char name[64];
		snprintf(name, sizeof name, "process-with-matches:%d", lineno);
		(*total)++;
		char *f[64];
		size_t nf = conf_split(line, '\t', f, 64);
		if (nf < 5 || nf > 64) {
			CHECK(name, 0, "bad row: %zu fields", nf);
			continue;
		}
		struct arena *a = arena_new();
		struct env e;
		env_init(&e, a);
		for (size_t i = 5; i < nf; i++) {
			char *eq = strchr(f[i], '=');
			if (eq)
				*eq = 0;
			env_set(&e, f[i], eq ? eq + 1 : "");
		}
		struct strv m, u;
		strv_init(&m, a);
		strv_init(&u, a);
		struct expand x = {.a = a, .env = &e, .escape = '\\', .matched = &m, .unmatched = &u};
		char *got = NULL;
		int rc = expand_word(&x, f[0], &got);
		bool ok;
		if (strcmp(f[1], "error") == 0) {
			ok = rc < 0;
			CHECK(name, ok, "%s: want an error, got [%s]", f[0], got ? got : "");
		} else {
			char *gm = joined(a, &m), *gu = joined(a, &u);
			ok = rc == 0 && strcmp(got, f[2]) == 0 && strcmp(gm, f[3]) == 0 &&
			     strcmp(gu, f[4]) == 0;
			CHECK(name, ok, "%s: got [%s] matched [%s] unmatched [%s], want [%s] [%s] [%s]", f[0],
			      rc ? x.err : got, gm, gu, f[2], f[3], f[4]);
		}
		pass += ok;
		arena_free(a);
	}
	free(text);
	return pass;
}

int main(void)
{
	const char *dir = getenv("STRATA_CONFORMANCE");
	if (!dir || !*dir)
		dir = "../shared/conformance";
	char *sh = xasprintf("%s/buildkit/shell", dir);
	struct stat st;
	if (stat(sh, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("skip conformance-shell: no %s\n", sh);
		free(sh);
		return 0;
	}
	free(sh);
	int etotal = 0, wskip = 0, wtotal = 0, mtotal = 0;
	int epass = env_var_test(dir, &etotal, &wskip);
	int wpass = words_test(dir, &wtotal);
	int mpass = matches_test(dir, &mtotal);
	printf("# conformance shell: envVarTest %d/%d (%d W skipped), wordsTest %d/%d, "
	       "process-with-matches %d/%d\n",
	       epass, etotal, wskip, wpass, wtotal, mpass, mtotal);
	return check_failed;
}
