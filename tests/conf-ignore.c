/* conformance: the moby/patternmatcher data (dockerignore/FORMAT.md) run
   through ignore_new/ignore_match and ignore_read */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "error.h"
#include "ignore.h"
#include "util.h"

/* split s in place at every TAB; returns the number of fields (at most max) */
static size_t split(char *s, char **f, size_t max)
{
	size_t n = 0;
	for (;;) {
		if (n < max)
			f[n++] = s;
		char *p = strchr(s, '\t');
		if (!p)
			break;
		*p = 0;
		s = p + 1;
	}
	return n;
}

static char *slurp(const char *dir, const char *rel, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, rel);
	size_t n;
	char *s = read_file(path, &n);
	if (!s)
		printf("FAIL read %s: %s\n", path, strerror(errno)), check_failed = 1;
	free(path);
	if (len)
		*len = n;
	return s;
}

/* the next line of *p (NUL-terminated in place), or NULL at the end */
static char *next_line(char **p)
{
	if (!**p)
		return NULL;
	char *s = *p, *nl = strchr(s, '\n');
	if (nl) {
		*nl = 0;
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* ignore_match of path against the pattern list; -1 when ignore_new fails */
static int eval(const char *const *pats, size_t n, const char *path, char **err)
{
	struct ignore *ig = ignore_new(pats, n, err);
	if (!ig)
		return -1;
	int m = ignore_match(ig, path);
	ignore_free(ig);
	return m;
}

static void run_cases(const char *dir, int *pass, int *total)
{
	char *data = slurp(dir, "cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = next_line(&p))) {
		char *f[3], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "cases.tsv:%d", lineno);
		(*total)++;
		if (split(line, f, 3) != 3) {
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
	char *data = slurp(dir, "multi_cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = next_line(&p))) {
		char *f[64], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "multi_cases.tsv:%d", lineno);
		(*total)++;
		size_t nf = split(line, f, 64);
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
	char *data = slurp(dir, "filepath_match_cases.tsv", NULL), *p = data, *line;
	int lineno = 0;
	if (!data)
		return;
	while ((line = next_line(&p))) {
		char *f[4], name[64], *err = NULL;
		lineno++;
		snprintf(name, sizeof name, "filepath_match_cases.tsv:%d", lineno);
		(*total)++;
		if (split(line, f, 4) != 4) {
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
	char *in = slurp(dir, "ignorefile/readall-input.dockerignore", &len);
	char *want = slurp(dir, "ignorefile/readall-expected.txt", NULL);
	(*total)++;
	if (in && want) {
		struct strv got;
		struct error e;
		struct buf b;
		strv_init(&got, NULL);
		buf_init(&b, NULL);
		buf_puts(&b, "");
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
