/* conformance: the moby/patternmatcher data (dockerignore/FORMAT.md) run
   through ignore_new/ignore_match and ignore_read */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "conf.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

/* ignore_match of path against the pattern list; -1 when ignore_new fails */
static int eval(const char *const *pats, size_t n, const char *path, char **err)
{
	struct error e;
	struct ignore *ig = ignore_new(pats, n, &e);
	if (!ig) {
		*err = xstrdup(e.msg);
		return -1;
	}
	int m = ignore_match(ig, path);
	ignore_free(ig);
	return m;
}

static void run_cases(const char *dir, int *pass, int *total)
{
	char *data = conf_read(dir, "cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = conf_next_line(&p))) {
		char *f[3], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "cases.tsv:%d", lineno);
		(*total)++;
		if (conf_split(line, '\t', f, 3) != 3) {
			CHECK(name, 0, "malformed row");
			continue;
		}
		const char *pats[] = { f[0] };
		int want = atoi(f[2]), got = eval(pats, 1, f[1], &err);
		CHECK(name, got == want, "pattern [%s] path [%s]: got %d want %d%s%s", f[0], f[1], got, want,
		      err ? ": " : "", err ? err : "");
		*pass += got == want;
		free(err);
	}
	free(data);
}

static void run_multi(const char *dir, int *pass, int *total)
{
	char *data = conf_read(dir, "multi_cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = conf_next_line(&p))) {
		char *f[64], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "multi_cases.tsv:%d", lineno);
		(*total)++;
		size_t nf = conf_split(line, '\t', f, 64);
		if (nf < 3) {
			CHECK(name, 0, "malformed row");
			continue;
		}
		int want = atoi(f[1]), got = eval((const char *const *)f + 2, nf - 2, f[0], &err);
		CHECK(name, got == want, "path [%s]: got %d want %d%s%s", f[0], got, want, err ? ": " : "",
		      err ? err : "");
		*pass += got == want;
		free(err);
	}
	free(data);
}

static void run_filepath(const char *dir, int *pass, int *total)
{
	char *data = conf_read(dir, "filepath_match_cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = conf_next_line(&p))) {
		char *f[4], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "filepath_match_cases.tsv:%d", lineno);
		(*total)++;
		if (conf_split(line, '\t', f, 4) != 4) {
			CHECK(name, 0, "malformed row");
			continue;
		}
		int want = atoi(f[2]), want_err = atoi(f[3]);
		const char *pats[] = { f[0] };
		/* the package-level helpers clean the path and never match "." */
		char *path = path_clean(f[1]);
		int got = eval(pats, 1, path, &err);
		if (got == 1 && strcmp(path, ".") == 0)
			got = 0;
		bool ok = want_err ? got == -1 && err && strcmp(err, "syntax error in pattern") == 0
				   : got == want;
		CHECK(name, ok, "pattern [%s] path [%s]: got %d%s%s, want %d error %d", f[0], f[1], got,
		      err ? " error " : "", err ? err : "", want, want_err);
		*pass += ok;
		free(path);
		free(err);
	}
	free(data);
}

static void run_ignorefile(const char *dir, int *pass, int *total)
{
	size_t len;
	char *in = conf_read(dir, "ignorefile/readall-input.dockerignore", &len);
	char *want = conf_read(dir, "ignorefile/readall-expected.txt", NULL);
	(*total)++;
	if (in && want) {
		struct strv got;
		struct error e;
		struct buf b;
		strv_init(&got, NULL);
		buf_init(&b, NULL);
		int rc = ignore_read(in, len, &got, &e);
		for (size_t i = 0; i < got.n; i++)
			buf_printf(&b, "%s\n", got.v[i]);
		bool ok = rc == 0 && strcmp(b.s, want) == 0;
		CHECK("ignorefile/readall", ok, "rc %d, got [%s] want [%s]", rc, b.s, want);
		*pass += ok;
		buf_free(&b);
		strv_free(&got);
	}
	free(in);
	free(want);
}

int main(void)
{
	const char *env = getenv("STRATA_CONFORMANCE"), *top = getenv("STRATA_TOP");
	char *base = env && *env ? xstrdup(env)
		   : top && *top ? xasprintf("%s/../shared/conformance", top)
				 : xstrdup("../shared/conformance");
	char *dir = xasprintf("%s/dockerignore", base);
	struct stat st;
	free(base);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("skip conformance-dockerignore: no directory %s\n", dir);
		free(dir);
		return 0;
	}
	int cp = 0, ct = 0, mp = 0, mt = 0, fp = 0, ft = 0, ip = 0, it = 0;
	run_cases(dir, &cp, &ct);
	run_multi(dir, &mp, &mt);
	run_filepath(dir, &fp, &ft);
	run_ignorefile(dir, &ip, &it);
	printf("# conformance dockerignore: cases %d/%d, multi %d/%d, filepath_match %d/%d, ignorefile %d/%d\n",
	       cp, ct, mp, mt, fp, ft, ip, it);
	free(dir);
	return check_failed;
}
