/* the reference parser's conformance cases: ../shared/conformance/buildkit (FORMAT.md there) */
#include <dirent.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "error.h"
#include "parse.h"
#include "util.h"

static jmp_buf jb;

static void on_fatal(void)
{
	longjmp(jb, 1);
}

static char *root;
static char summary[512];

#define SUM(...) snprintf(summary + strlen(summary), sizeof summary - strlen(summary), __VA_ARGS__)

static char *path_of(const char *rel)
{
	return xasprintf("%s/buildkit/%s", root, rel);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the sub-directories of dir, sorted */
static size_t list_dirs(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct strv v;
	strv_init(&v, NULL);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				strv_push(&v, xstrdup(e->d_name));
		closedir(d);
	}
	if (v.n)
		qsort(v.v, v.n, sizeof *v.v, cmp_names);
	*out = v.v;
	return v.n;
}

/* parse path; NULL when the parser died (its message in fatal_msg) */
static struct dockerfile *try_parse(struct arena *a, const char *path, char **data)
{
	size_t len;
	*data = read_file(path, &len);
	if (!*data) {
		snprintf(fatal_msg, sizeof fatal_msg, "cannot read %s", path);
		return NULL;
	}
	if (setjmp(jb))
		return NULL;
	return parse_dockerfile(a, path, *data, len);
}

static int cases(void)
{
	char *dir = path_of("parser/testfiles"), **names;
	size_t n = list_dirs(dir, &names), ok = 0;
	for (size_t i = 0; i < n; i++) {
		char *df = xasprintf("%s/%s/Dockerfile", dir, names[i]);
		char *res = xasprintf("%s/%s/result", dir, names[i]);
		char *want = read_file(res, NULL), *data, *got = NULL;
		size_t gotlen = 0;
		struct arena *a = arena_new();
		struct dockerfile *d = try_parse(a, df, &data);
		if (d) {
			FILE *f = open_memstream(&got, &gotlen);
			parse_dump(f, d);
			fclose(f);
		}
		char *name = xasprintf("parser:%s", names[i]);
		bool pass = d && want && !strcmp(got, want);
		CHECK(name, pass, "%s", d ? "dump differs from result" : fatal_msg);
		if (!pass && d && want)
			printf("--- got\n%s--- want\n%s", got, want);
		ok += pass;
		free(name), free(got), free(want), free(data), free(df), free(res), free(names[i]);
		arena_free(a);
	}
	free(names);
	free(dir);
	SUM("# conformance parser: testfiles %zu/%zu", ok, n);
	return (int)n;
}

static void negatives(void)
{
	char *dir = path_of("parser/testfiles-negative"), **names;
	size_t n = list_dirs(dir, &names), ok = 0;
	for (size_t i = 0; i < n; i++) {
		char *df = xasprintf("%s/%s/Dockerfile", dir, names[i]), *data;
		struct arena *a = arena_new();
		struct dockerfile *d = try_parse(a, df, &data);
		char *name = xasprintf("parser-negative:%s", names[i]);
		/* the error must be one positioned line */
		bool pass = !d && strstr(fatal_msg, "Dockerfile:") && !strchr(fatal_msg, '\n');
		CHECK(name, pass, "parse %s (%s)", d ? "succeeded" : "failed without position", fatal_msg);
		ok += pass;
		free(name), free(data), free(df), free(names[i]);
		arena_free(a);
	}
	free(names);
	free(dir);
	SUM(", negative %zu/%zu", ok, n);
}

static void lines(void)
{
	char *df = path_of("parser/testfile-line/Dockerfile"), *data;
	char *tsv = path_of("extracted/parser/testfile-line/lines.tsv");
	char *t = read_file(tsv, NULL);
	struct arena *a = arena_new();
	struct dockerfile *d = try_parse(a, df, &data);
	size_t ok = 0, n = 0;
	CHECK("parser-lines:count", d && d->n == 3, "want 3 instructions, got %zu", d ? d->n : 0);
	for (char *line = t ? strtok(t, "\n") : NULL; d && line; line = strtok(NULL, "\n")) {
		char what[16];
		int s, e;
		if (sscanf(line, "%15s %d %d", what, &s, &e) != 3)
			continue;
		int gs, ge;
		if (!strcmp(what, "root")) {
			gs = d->start_line, ge = d->end_line;
		} else {
			size_t k = (size_t)atoi(what);
			gs = k < d->n ? d->nodes[k].line.start_line : -1;
			ge = k < d->n ? d->nodes[k].line.end_line : -1;
		}
		char *name = xasprintf("parser-lines:%s", what);
		CHECK(name, gs == s && ge == e, "got %d-%d want %d-%d", gs, ge, s, e);
		ok += gs == s && ge == e;
		n++;
		free(name);
	}
	SUM(", line numbers %zu/%zu", ok, n);
	free(t), free(data), free(df), free(tsv);
	arena_free(a);
}

/* undo the four escapes of heredocs.tsv */
static char *unescape(const char *s)
{
	char *o = xmalloc(strlen(s) + 1), *p = o;
	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*p++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s;
		} else {
			*p++ = *s;
		}
	}
	*p = 0;
	return o;
}

static void heredoc_dir(const char *which, size_t *ok, size_t *total)
{
	char *rel = xasprintf("extracted/parser/heredoc/%s/Dockerfile", which);
	char *df = path_of(rel), *data;
	free(rel);
	rel = xasprintf("extracted/parser/heredoc/%s/heredocs.tsv", which);
	char *tsv = path_of(rel);
	free(rel);
	char *t = read_file(tsv, NULL);
	struct arena *a = arena_new();
	struct dockerfile *d = try_parse(a, df, &data);
	char *name = xasprintf("heredoc:%s:parse", which);
	CHECK(name, d != NULL, "%s", fatal_msg);
	free(name);
	/* rows for one child are consecutive: count them and compare */
	size_t seen_child = (size_t)-1, idx = 0;
	char *save = NULL;
	for (char *line = t ? strtok_r(t, "\n", &save) : NULL; d && line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		size_t nf = conf_split(line, '\t', f, 8);
		size_t child = (size_t)atoi(f[0]);
		if (child != seen_child)
			idx = 0, seen_child = child;
		const struct node *nd = child < d->n ? &d->nodes[child] : NULL;
		name = xasprintf("heredoc:%s:%zu:%zu", which, child, idx);
		(*total)++;
		if (nf == 2 && !strcmp(f[1], "-")) {
			CHECK(name, nd && nd->nheredocs == 0, "want no heredoc, got %zu", nd ? nd->nheredocs : 0);
			*ok += nd && nd->nheredocs == 0;
		} else if (nf >= 6) {
			char *wn = unescape(f[1]), *wc = unescape(nf > 5 ? f[5] : "");
			const struct heredoc *h = nd && idx < nd->nheredocs ? &nd->heredocs[idx] : NULL;
			bool pass = h && !strcmp(h->name, wn) && h->fd == (unsigned)atoi(f[2]) &&
				    h->expand == (f[3][0] == '1') && h->chomp == (f[4][0] == '1') &&
				    !strcmp(h->content, wc);
			CHECK(name, pass, "heredoc %s differs (got name [%s] content [%s])", wn, h ? h->name : "-",
			      h ? h->content : "-");
			*ok += pass;
			free(wn), free(wc);
		}
		idx++;
		free(name);
	}
	free(t), free(data), free(df), free(tsv);
	arena_free(a);
}

static void heredoc_words(size_t *ok, size_t *total)
{
	char *tsv = path_of("extracted/parser/heredoc/heredoc-words.tsv");
	char *t = read_file(tsv, NULL), *save = NULL;
	size_t row = 0;
	for (char *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		/* a row whose word is empty starts with the tab: strtok_r keeps it */
		size_t nf = conf_split(line, '\t', f, 4);
		row++;
		if (nf < 2)
			continue;
		struct arena *a = arena_new();
		struct heredoc h;
		struct error err;
		int r = heredoc_marker(a, f[0], &h, &err);
		char *name = xasprintf("heredoc-words:%zu", row);
		bool pass;
		if (!strcmp(f[1], "valid"))
			pass = r == 1 && nf > 2 && !strcmp(h.name, f[2]);
		else if (!strcmp(f[1], "error"))
			pass = r < 0;
		else
			pass = r == 0;
		CHECK(name, pass, "[%s] want %s, got %d", f[0], f[1], r);
		*ok += pass;
		(*total)++;
		free(name);
		arena_free(a);
	}
	free(t), free(tsv);
}

static void heredocs_from_line(size_t *ok, size_t *total)
{
	char *tsv = path_of("extracted/parser/heredoc/heredocs-from-line.tsv");
	char *t = read_file(tsv, NULL), *save = NULL;
	size_t row = 0;
	for (char *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *f[8];
		size_t nf = conf_split(line, '\t', f, 8);
		row++;
		struct arena *a = arena_new();
		struct heredoc *h;
		struct error err;
		ssize_t n = heredoc_markers(a, f[0], &h, &err);
		size_t want = nf > 1 && *f[1] ? nf - 1 : 0;
		/* upstream's rule: what is returned is a prefix of the listed names */
		bool pass = n >= 0 && (size_t)n <= want;
		for (ssize_t i = 0; pass && i < n; i++)
			pass = !strcmp(h[i].name, f[i + 1]);
		char *name = xasprintf("heredocs-from-line:%zu", row);
		CHECK(name, pass, "[%s] got %zd names", f[0], n);
		*ok += pass;
		(*total)++;
		free(name);
		arena_free(a);
	}
	free(t), free(tsv);
}

int main(void)
{
	const char *env = getenv("STRATA_CONFORMANCE");
	root = env ? xstrdup(env) : xasprintf("%s/../shared/conformance", getenv("STRATA_TOP") ? getenv("STRATA_TOP") : ".");
	char *probe = path_of("parser/testfiles");
	DIR *d = opendir(probe);
	if (!d) {
		SKIP("conformance-parser", "%s is absent (the shared conformance data sits beside the checkout)", probe);
		free(probe), free(root);
		return 0;
	}
	closedir(d);
	free(probe);
	fatal_hook = on_fatal;
	cases();
	negatives();
	lines();
	size_t hok = 0, htot = 0, wok = 0, wtot = 0, lok = 0, ltot = 0;
	heredoc_dir("extracts-heredoc", &hok, &htot);
	heredoc_dir("json-heredoc", &hok, &htot);
	heredoc_words(&wok, &wtot);
	heredocs_from_line(&lok, &ltot);
	SUM(", heredocs %zu/%zu, heredoc-words %zu/%zu, heredocs-from-line %zu/%zu", hok, htot, wok, wtot, lok,
	    ltot);
	puts(summary);
	free(root);
	return check_failed;
}
