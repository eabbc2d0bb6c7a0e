/* the store: blobs, results, tags, dirs, gc, locking, and many writers at once */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "digest.h"
#include "error.h"
#include "gc.h"
#include "store.h"
#include "util.h"

static char top[PATH_MAX];

/* the digest of p[0, n); libcrypto's message in its place when it fails, so no comparison passes */
static void sha(const void *p, size_t n, char out[DIGEST_SIZE])
{
	struct error e;
	if (digest_buf(p, n, out, &e) < 0)
		snprintf(out, DIGEST_SIZE, "%.60s", e.msg);
}

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	if (type == FTW_DP || type == FTW_D)
		chmod(p, 0700);
	remove(p);
	return 0;
}

static void rm_rf(const char *p)
{
	/* open up read-only dirs first, then remove depth-first */
	nftw(p, rm_cb, 16, FTW_PHYS | FTW_DEPTH);
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static void write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fatal("%s: %s", path, strerror(errno));
	fputs(s, f);
	if (fclose(f) != 0)
		fatal("%s: %s", path, strerror(errno));
}

/* set a path's mtime secs seconds into the past */
static void age(const char *p, long secs)
{
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
		fatal("utimensat %s: %s", p, strerror(errno));
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static struct store *open_at(const char *sub)
{
	char *dir = xasprintf("%s/%s", top, sub);
	setenv("STRATA_STORE", dir, 1);
	free(dir);
	struct store *s;
	struct error e;
	if (store_open(&s, &e) < 0)
		fatal("store_open: %s", e.msg);
	return s;
}

static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

static char *put(struct store *s, const char *text)
{
	char d[DIGEST_SIZE];
	struct error e;
	if (store_blob_put(s, text, strlen(text), d, &e) < 0)
		fatal("put: %s", e.msg);
	return xstrdup(d);
}

static void test_open(void)
{
	struct store *s = open_at("a/b/store");
	char *want = xasprintf("%s/a/b/store", top);
	CHECK_STR("open: root is STRATA_STORE, made with its parents", store_root(s), want);
	const char *subs[] = {"blobs/sha256", "results", "dirs", "tags", "tmp"};
	for (size_t i = 0; i < 5; i++) {
		char *p = xasprintf("%s/%s", want, subs[i]);
		struct stat st;
		CHECK("open: store subfolder made", stat(p, &st) == 0 && S_ISDIR(st.st_mode), "%s", p);
		free(p);
	}
	store_close(s);
	struct store *again = open_at("a/b/store");
	CHECK_STR("open: reopening an existing store", store_root(again), want);
	store_close(again);
	free(want);

	char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	unsetenv("STRATA_STORE");
	char *xdg = xasprintf("%s/xdg", top), *h = xasprintf("%s/home", top);
	setenv("XDG_CACHE_HOME", xdg, 1);
	struct error e;
	want = xasprintf("%s/strata", xdg);
	if (store_open(&s, &e) == 0) {
		CHECK_STR("open: $XDG_CACHE_HOME/strata", store_root(s), want);
		store_close(s);
	} else {
		CHECK("open: $XDG_CACHE_HOME/strata", 0, "%s", e.msg);
	}
	free(want);
	setenv("XDG_CACHE_HOME", "relative/cache", 1); /* ignored, as the XDG spec says */
	setenv("HOME", h, 1);
	want = xasprintf("%s/.cache/strata", h);
	if (store_open(&s, &e) == 0) {
		CHECK_STR("open: $HOME/.cache/strata", store_root(s), want);
		store_close(s);
	} else {
		CHECK("open: $HOME/.cache/strata", 0, "%s", e.msg);
	}
	free(want);
	unsetenv("XDG_CACHE_HOME");
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
	free(xdg);
	free(h);

	char *file = xasprintf("%s/plainfile", top);
	write_str(file, "x");
	setenv("STRATA_STORE", file, 1);
	int r = store_open(&s, &e);
	CHECK("open: a file in the way is an error naming it", r < 0 && strstr(e.msg, file), "%d %s", r,
	      r < 0 ? e.msg : "");
	if (r == 0)
		store_close(s);
	free(file);
}

static void test_blobs(void)
{
	struct store *s = open_at("blobs");
	struct error e;
	char d[DIGEST_SIZE], want[DIGEST_SIZE];
	sha("hello", 5, want);
	int r = store_blob_put(s, "hello", 5, d, &e);
	CHECK("blob: put", r == 0, "%s", e.msg);
	CHECK_STR("blob: put gives the sha256 digest", d, want);
	CHECK("blob: has", store_blob_has(s, d), "%s", d);
	char *path = store_blob_path(s, d);
	char *wantpath = xasprintf("%s/blobs/sha256/%s", store_root(s), d + 7);
	CHECK_STR("blob: path", path, wantpath);
	struct stat st;
	CHECK("blob: file is 0600", stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "%o",
	      (unsigned)st.st_mode);
	char *p;
	size_t len;
	r = store_blob_read(s, d, &p, &len, &e);
	CHECK("blob: read", r == 0 && len == 5 && memcmp(p, "hello", 5) == 0 && p[5] == 0, "%s",
	      r ? e.msg : "content");
	if (r == 0)
		free(p);
	CHECK("blob: verify", store_blob_verify(s, d, &e) == 0, "%s", e.msg);
	r = store_blob_put(s, "hello", 5, d, &e);
	CHECK("blob: put again is fine", r == 0 && strcmp(d, want) == 0, "%s", e.msg);
	r = store_blob_put(s, "", 0, d, &e);
	CHECK("blob: empty blob", r == 0 && store_blob_verify(s, d, &e) == 0, "%s", e.msg);

	/* a streamed write: tmpfile, then commit */
	char *tmp;
	int fd;
	r = store_tmpfile(s, &tmp, &fd, &e);
	CHECK("blob: tmpfile", r == 0 && fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "%s", e.msg);
	if (r == 0) {
		if (write(fd, "streamed", 8) != 8)
			fatal("write: %s", strerror(errno));
		char sd[DIGEST_SIZE];
		sha("streamed", 8, sd);
		r = store_blob_commit(s, tmp, fd, sd, &e);
		CHECK("blob: commit", r == 0 && store_blob_has(s, sd) && !exists(tmp), "%s", e.msg);
		free(tmp);
	}
	/* committing a blob that is there already drops the temporary file */
	r = store_tmpfile(s, &tmp, &fd, &e);
	if (r == 0) {
		if (write(fd, "hello", 5) != 5)
			fatal("write: %s", strerror(errno));
		r = store_blob_commit(s, tmp, fd, want, &e);
		CHECK("blob: commit of a present blob drops tmp", r == 0 && !exists(tmp), "%s", e.msg);
		free(tmp);
	}

	/* a missing blob */
	char missing[DIGEST_SIZE];
	sha("nothing", 7, missing);
	CHECK("blob: has is false for a missing blob", !store_blob_has(s, missing), "has");
	r = store_blob_read(s, missing, &p, &len, &e);
	CHECK("blob: reading a missing blob names it", r < 0 && strstr(e.msg, missing + 7) && p == NULL,
	      "%s", e.msg);
	r = store_blob_verify(s, missing, &e);
	CHECK("blob: verifying a missing blob fails", r < 0 && strstr(e.msg, missing + 7), "%s", e.msg);

	/* corruption: same length, different bytes */
	char cd[DIGEST_SIZE];
	r = store_blob_put(s, "abcdef", 6, cd, &e);
	char *cpath = store_blob_path(s, cd);
	write_str(cpath, "abcdeg");
	r = store_blob_read(s, cd, &p, &len, &e);
	char *want_msg = xasprintf("corrupt blob %s: content does not match its digest", cd);
	CHECK("blob: read detects corruption", r < 0 && strstr(e.msg, want_msg) && !strchr(e.msg, '\n'),
	      "%s", r < 0 ? e.msg : "read it");
	if (r == 0)
		free(p);
	r = store_blob_verify(s, cd, &e);
	CHECK("blob: verify detects corruption", r < 0 && strstr(e.msg, want_msg), "%s", e.msg);
	free(want_msg);
	/* truncation */
	char td[DIGEST_SIZE];
	static unsigned char big[1 << 17];
	fill_random(big, sizeof big, 7);
	store_blob_put(s, big, sizeof big, td, &e);
	char *tpath = store_blob_path(s, td);
	if (truncate(tpath, 1000) < 0)
		fatal("truncate: %s", strerror(errno));
	want_msg = xasprintf("corrupt blob %s:", td);
	r = store_blob_read(s, td, &p, &len, &e);
	CHECK("blob: read detects truncation", r < 0 && strstr(e.msg, want_msg), "%s", r < 0 ? e.msg : "read");
	if (r == 0)
		free(p);
	r = store_blob_verify(s, td, &e);
	CHECK("blob: verify detects truncation", r < 0 && strstr(e.msg, want_msg), "%s", e.msg);
	if (truncate(tpath, 0) < 0)
		fatal("truncate: %s", strerror(errno));
	r = store_blob_verify(s, td, &e);
	CHECK("blob: verify detects an emptied blob", r < 0 && strstr(e.msg, want_msg), "%s", e.msg);
	free(want_msg);
	free(tpath);
	free(cpath);
	free(path);
	free(wantpath);

	/* names that could leave the store, or are not digests */
	const char *bad[] = {"sha256:../../x",
			     "sha256:../../../../etc/passwd",
			     "sha256:/etc/passwd",
			     "sha256:",
			     "sha512:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
			     "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
			     "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
			     "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98244",
			     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
			     ""};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *bp = store_blob_path(s, bad[i]);
		int ok = bp == NULL && !store_blob_has(s, bad[i]) && store_blob_read(s, bad[i], &p, &len, &e) < 0 &&
			 p == NULL && strstr(e.msg, "invalid digest") && store_blob_verify(s, bad[i], &e) < 0 &&
			 store_tag_set(s, "x:y", bad[i], &e) < 0;
		free(bp);
		if (ok)
			refused++;
		else
			printf("# not refused: %s\n", bad[i]);
	}
	CHECK("blob: invalid digests refused", refused == (int)(sizeof bad / sizeof *bad), "%d", refused);
	r = store_tmpfile(s, &tmp, &fd, &e);
	if (r == 0) {
		r = store_blob_commit(s, tmp, fd, "sha256:../../x", &e);
		char *esc = xasprintf("%s/x", top);
		CHECK("blob: commit refuses an invalid digest and drops tmp",
		      r < 0 && !exists(tmp) && !exists(esc) && strstr(e.msg, "invalid digest"), "%s", e.msg);
		free(esc);
		free(tmp);
	}
	char *tmpdir = xasprintf("%s/tmp", store_root(s));
	CHECK("blob: nothing left in tmp", count_entries(tmpdir) == 0, "%d", count_entries(tmpdir));
	free(tmpdir);
	store_close(s);
}

static void test_results(void)
{
	struct store *s = open_at("results");
	struct error e;
	char *t = NULL;
	int r = store_result_get(s, "0123abcd", &t, &e);
	CHECK("result: absent", r == 0 && t == NULL, "%d", r);
	r = store_result_put(s, "0123abcd", "{\"a\":1}", &e);
	CHECK("result: put", r == 0, "%s", e.msg);
	r = store_result_get(s, "0123abcd", &t, &e);
	CHECK("result: get", r == 1 && t && strcmp(t, "{\"a\":1}") == 0, "%d %s", r, t ? t : "");
	free(t);
	r = store_result_put(s, "0123abcd", "{\"a\":2,\"longer\":true}", &e);
	CHECK("result: replace", r == 0, "%s", e.msg);
	r = store_result_get(s, "0123abcd", &t, &e);
	CHECK("result: replaced text", r == 1 && t && strcmp(t, "{\"a\":2,\"longer\":true}") == 0, "%s", t ? t : "");
	free(t);
	char k128[129], k129[130];
	memset(k128, 'f', 128);
	k128[128] = 0;
	memset(k129, 'f', 129);
	k129[129] = 0;
	r = store_result_put(s, k128, "x", &e);
	CHECK("result: 128-digit key", r == 0, "%s", e.msg);
	const char *bad[] = {"", "../x", "ABCD", "12 34", "a/b", "0x12", "..", k129};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		t = NULL;
		if (store_result_put(s, bad[i], "x", &e) < 0 && store_result_get(s, bad[i], &t, &e) < 0 && !t)
			refused++;
		free(t);
	}
	CHECK("result: invalid keys refused", refused == (int)(sizeof bad / sizeof *bad), "%d", refused);
	store_close(s);
}

static void test_tags(void)
{
	struct store *s = open_at("tags");
	struct error e;
	char *d1 = put(s, "one"), *d2 = put(s, "two");
	const char *names[] = {"localhost:5000/team/app:v1.2", "docker.io/library/alpine:3.19", "a/b/c:latest",
			       "app:latest", ".hidden:x", "x:..", "ünïcode:tag"};
	enum { N = sizeof names / sizeof *names };
	int set = 0;
	for (int i = 0; i < N; i++)
		set += store_tag_set(s, names[i], i % 2 ? d2 : d1, &e) == 0;
	CHECK("tag: set", set == N, "%d: %s", set, e.msg);
	int got = 0;
	for (int i = 0; i < N; i++) {
		char d[DIGEST_SIZE];
		if (store_tag_get(s, names[i], d, &e) == 1 && strcmp(d, i % 2 ? d2 : d1) == 0)
			got++;
	}
	CHECK("tag: get", got == N, "%d", got);
	CHECK("tag: replace", store_tag_set(s, "app:latest", d2, &e) == 0, "%s", e.msg);
	char d[DIGEST_SIZE];
	CHECK("tag: replaced", store_tag_get(s, "app:latest", d, &e) == 1 && strcmp(d, d2) == 0, "%s", d);
	CHECK("tag: get of an unknown name", store_tag_get(s, "nope:latest", d, &e) == 0, "%s", e.msg);

	struct strv list;
	strv_init(&list, NULL);
	int r = store_tag_list(s, &list, &e);
	const char *sorted[] = {".hidden:x", "a/b/c:latest", "app:latest", "docker.io/library/alpine:3.19",
				"localhost:5000/team/app:v1.2", "x:..", "ünïcode:tag"};
	int same = r == 0 && list.n == N;
	for (size_t i = 0; same && i < N; i++)
		same = strcmp(list.v[i], sorted[i]) == 0;
	CHECK("tag: list decodes and sorts", same, "r=%d n=%zu first=%s", r, list.n, list.n ? list.v[0] : "");
	strv_free(&list);

	/* every file name under tags/ is one plain component */
	char *tdir = xasprintf("%s/tags", store_root(s));
	DIR *dir = opendir(tdir);
	int plain = dir != NULL, files = 0;
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		files++;
		if (de->d_name[0] == '.' || strspn(de->d_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
								  "0123456789._-%") != strlen(de->d_name))
			plain = 0;
	}
	if (dir)
		closedir(dir);
	CHECK("tag: file names are safe", plain && files == N, "%d files", files);

	/* a stray file that is no encoding of a name is not listed */
	char *stray = xasprintf("%s/bad%%zz", tdir);
	write_str(stray, d1);
	strv_init(&list, NULL);
	r = store_tag_list(s, &list, &e);
	CHECK("tag: stray files ignored", r == 0 && list.n == N, "%zu", list.n);
	strv_free(&list);
	unlink(stray);
	free(stray);

	r = store_tag_del(s, "a/b/c:latest", &e);
	CHECK("tag: del", r == 1, "%d %s", r, e.msg);
	r = store_tag_del(s, "a/b/c:latest", &e);
	CHECK("tag: del again", r == 0, "%d", r);
	CHECK("tag: gone", store_tag_get(s, "a/b/c:latest", d, &e) == 0, "still there");
	strv_init(&list, NULL);
	r = store_tag_list(s, &list, &e);
	CHECK("tag: list after del", r == 0 && list.n == N - 1, "%zu", list.n);
	strv_free(&list);

	const char *badnames[] = {"", "a b:c", "tab\t:x", "new\nline:x"};
	int refused = 0;
	for (size_t i = 0; i < sizeof badnames / sizeof *badnames; i++)
		refused += store_tag_set(s, badnames[i], d1, &e) < 0 && store_tag_get(s, badnames[i], d, &e) < 0 &&
			   store_tag_del(s, badnames[i], &e) < 0;
	CHECK("tag: invalid names refused", refused == 4, "%d", refused);

	/* a damaged tag file is an error, not a digest */
	char *f = xasprintf("%s/broken%%3Ax", tdir);
	write_str(f, "sha256:../../x\n");
	r = store_tag_get(s, "broken:x", d, &e);
	CHECK("tag: damaged tag file", r < 0 && strstr(e.msg, f), "%d %s", r, e.msg);
	unlink(f);
	free(f);
	free(tdir);
	free(d1);
	free(d2);
	store_close(s);
}

static void test_dirs(void)
{
	struct store *s = open_at("dirs");
	struct error e;
	const char *id = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
	CHECK("dir: get of a missing dir", store_dir_get(s, "layers", id) == NULL, "found");
	char *t1, *path = NULL;
	if (store_tmpdir(s, &t1, &e) < 0)
		fatal("tmpdir: %s", e.msg);
	char *f = xasprintf("%s/file", t1);
	write_str(f, "one");
	free(f);
	int r = store_dir_commit(s, "layers", id, t1, &path, &e);
	char *want = xasprintf("%s/dirs/layers/%s", store_root(s), id);
	CHECK("dir: commit", r == 0 && path && strcmp(path, want) == 0 && !exists(t1), "%s", r ? e.msg : path);
	free(path);
	char *g = store_dir_get(s, "layers", id);
	CHECK_STR("dir: get", g, want);
	free(g);

	/* lost race: the second commit keeps the first and removes its own tree, following no symlink */
	char *out = xasprintf("%s/outside", top);
	mkdir(out, 0755);
	char *keep = xasprintf("%s/keep", out);
	write_str(keep, "keep");
	char *t2;
	if (store_tmpdir(s, &t2, &e) < 0)
		fatal("tmpdir: %s", e.msg);
	f = xasprintf("%s/file", t2);
	write_str(f, "two");
	free(f);
	char *sub = xasprintf("%s/sub", t2), *subf = xasprintf("%s/sub/f", t2);
	mkdir(sub, 0755);
	write_str(subf, "x");
	chmod(sub, 0555);
	char *l1 = xasprintf("%s/link-dir", t2), *l2 = xasprintf("%s/sub2", t2), *l3 = xasprintf("%s/sub2/ln", t2);
	if (symlink(out, l1) < 0 || mkdir(l2, 0) < 0 || chmod(l2, 0755) < 0 || symlink(keep, l3) < 0 ||
	    chmod(l2, 0) < 0)
		fatal("setup: %s", strerror(errno));
	path = NULL;
	r = store_dir_commit(s, "layers", id, t2, &path, &e);
	f = xasprintf("%s/file", want);
	char *content = read_file(f, NULL);
	CHECK("dir: lost race returns the existing dir", r == 0 && path && strcmp(path, want) == 0, "%s",
	      r ? e.msg : path);
	CHECK("dir: lost race keeps the winner's content", content && strcmp(content, "one") == 0, "%s",
	      content ? content : "(none)");
	CHECK("dir: lost race removes the loser's tree", !exists(t2), "%s left", t2);
	CHECK("dir: removal follows no symlink", exists(keep) && exists(out), "outside touched");
	free(content);
	free(f);
	free(path);
	free(sub);
	free(subf);
	free(l1);
	free(l2);
	free(l3);

	/* an empty winner is not replaced either */
	char *t3, *t4;
	store_tmpdir(s, &t3, &e);
	r = store_dir_commit(s, "rootfs", "empty", t3, &path, &e);
	CHECK("dir: commit an empty dir", r == 0, "%s", e.msg);
	free(path);
	store_tmpdir(s, &t4, &e);
	f = xasprintf("%s/file", t4);
	write_str(f, "late");
	free(f);
	r = store_dir_commit(s, "rootfs", "empty", t4, &path, &e);
	CHECK("dir: an empty winner stays", r == 0 && path && count_entries(path) == 0 && !exists(t4), "%s",
	      r ? e.msg : path);
	free(path);

	const char *bad[][2] = {{"..", "x"}, {"layers", ".."}, {"layers", "."}, {"a/b", "x"}, {"layers", "a/b"},
				{"", "x"}, {"layers", ""}, {"lay ers", "x"}};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *t;
		store_tmpdir(s, &t, &e);
		path = NULL;
		if (store_dir_commit(s, bad[i][0], bad[i][1], t, &path, &e) < 0 && !path &&
		    !store_dir_get(s, bad[i][0], bad[i][1]) && !exists(t))
			refused++;
		free(path);
		rm_rf(t);
		free(t);
	}
	CHECK("dir: invalid kinds and ids refused", refused == (int)(sizeof bad / sizeof *bad), "%d", refused);
	r = store_dir_commit(s, "layers", "x", out, &path, &e);
	CHECK("dir: a tmp outside the store is refused and kept", r < 0 && exists(keep), "%d", r);
	char *tmpdir = xasprintf("%s/tmp", store_root(s));
	CHECK("dir: nothing left in tmp", count_entries(tmpdir) == 0, "%d", count_entries(tmpdir));
	free(tmpdir);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
	free(keep);
	free(out);
	free(want);
	store_close(s);
}

static char *make_dir(struct store *s, const char *kind, const char *id, size_t bytes)
{
	char *d = xasprintf("%s/dirs/%s", store_root(s), kind);
	mkdir(d, 0755);
	free(d);
	d = xasprintf("%s/dirs/%s/%s", store_root(s), kind, id);
	mkdir(d, 0755);
	char *sub = xasprintf("%s/sub", d);
	mkdir(sub, 0755);
	char *f = xasprintf("%s/sub/f", d);
	char *text = xmalloc(bytes + 1);
	memset(text, 'z', bytes);
	text[bytes] = 0;
	write_str(f, text);
	free(text);
	free(f);
	free(sub);
	return d;
}

static void test_gc(void)
{
	struct store *s = open_at("gc");
	struct error e;
	const char *root = store_root(s);
	long long expect = 0;

	/* an image: index -> manifest -> config (diff_id) + layer */
	char *layer = put(s, "layer bytes, pretend gzip");
	char diff[DIGEST_SIZE];
	sha("uncompressed tar", 16, diff);
	char *cfg_text = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
				   "\"diff_ids\":[\"%s\"]}}",
				   diff);
	char *cfg = put(s, cfg_text);
	char *man_text = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
				   "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
				   "\"digest\":\"%s\",\"size\":1},\"layers\":[{\"mediaType\":"
				   "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":1}]}",
				   cfg, layer);
	char *man = put(s, man_text);
	char *idx_text = xasprintf("\n {\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"size\":1}]}", man);
	char *idx = put(s, idx_text);
	store_tag_set(s, "example.com/app:1", idx, &e);

	/* a docker manifest tagged directly */
	char *layer2 = put(s, "second layer");
	char *man2_text = xasprintf("{\"schemaVersion\":2,\"mediaType\":"
				    "\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"digest\":"
				    "\"%s\"},\"layers\":[{\"digest\":\"%s\"},{\"digest\":\"%s\"}]}",
				    cfg, layer, layer2);
	char *man2 = put(s, man2_text);
	store_tag_set(s, "docker/app:2", man2, &e);

	/* unreachable */
	char *unref = put(s, "nobody needs me");
	expect += 15;

	/* a recent result names a config, which names a diff_id */
	char diff3[DIGEST_SIZE];
	sha("other tar", 9, diff3);
	char *x1_text = xasprintf("{\"rootfs\":{\"diff_ids\":[\"%s\"]}}", diff3);
	char *x1 = put(s, x1_text);
	char *r1 = xasprintf("{\"config\":\"%s\",\"junk\":\"sha256:zz\"}", x1);
	store_result_put(s, "aa01", r1, &e);
	/* an old result, and what only it reaches */
	char *x2 = put(s, "only the old result");
	expect += 19;
	char *r2 = xasprintf("{\"layer\":\"%s\"}", x2);
	store_result_put(s, "bb02", r2, &e);
	char *r2path = xasprintf("%s/results/bb02", root);
	age(r2path, 7200);
	expect += (long long)strlen(r2);

	/* dirs */
	char *dkeep1 = make_dir(s, "layers", diff + 7, 10);
	char *dkeep2 = make_dir(s, "layers", diff3 + 7, 11);
	char *dkeep3 = make_dir(s, "rootfs", layer + 7, 12);
	char *dgone1 = make_dir(s, "layers", unref + 7, 13);
	char *dgone2 = make_dir(s, "layers", "not-a-digest", 14);
	char *dgone3 = make_dir(s, "rootfs", x2 + 7, 15);
	expect += 13 + 14 + 15;

	/* tmp: one stale entry of each kind, one fresh of a live process, one fresh of a dead one */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	char *stale = xasprintf("%s/tmp/nopid.dead01", root), *fresh = xasprintf("%s/tmp/%ld.live01", root, (long)getpid());
	char *orphan = xasprintf("%s/tmp/%ld.orphan", root, (long)dead), *nopid = xasprintf("%s/tmp/nopid.live", root);
	write_str(stale, "half a blob");
	expect += 11;
	age(stale, 7200);
	write_str(fresh, "being written");
	write_str(orphan, "killed");
	expect += 6;
	write_str(nopid, "fresh");
	char *staled = xasprintf("%s/tmp/999999.d.dead02", root), *stalef = xasprintf("%s/f", staled);
	mkdir(staled, 0755);
	write_str(stalef, "12345");
	expect += 5;
	age(staled, 4000);

	long long freed = -1;
	int r = gc_run(s, 3600, &freed, &e);
	CHECK("gc: runs", r == 0, "%s", e.msg);
	CHECK("gc: keeps what tags reach",
	      store_blob_has(s, idx) && store_blob_has(s, man) && store_blob_has(s, cfg) && store_blob_has(s, layer) &&
		      store_blob_has(s, man2) && store_blob_has(s, layer2),
	      "a tagged blob went");
	CHECK("gc: keeps what recent results reach", store_blob_has(s, x1), "x1 went");
	char *t = NULL;
	CHECK("gc: keeps recent results", store_result_get(s, "aa01", &t, &e) == 1, "aa01 went");
	free(t);
	t = NULL;
	CHECK("gc: removes old results", store_result_get(s, "bb02", &t, &e) == 0, "bb02 stayed");
	free(t);
	CHECK("gc: removes unreachable blobs", !store_blob_has(s, unref) && !store_blob_has(s, x2), "still there");
	CHECK("gc: keeps dirs of reachable digests and diff_ids",
	      exists(dkeep1) && exists(dkeep2) && exists(dkeep3), "a dir went");
	CHECK("gc: removes other dirs", !exists(dgone1) && !exists(dgone2) && !exists(dgone3), "a dir stayed");
	CHECK("gc: removes stale tmp entries only", !exists(stale) && !exists(staled) && exists(fresh) && exists(nopid),
	      "stale %d staled %d fresh %d nopid %d", exists(stale), exists(staled), exists(fresh), exists(nopid));
	CHECK("gc: removes what a dead process left at once", !exists(orphan), "%s stayed", orphan);
	CHECK("gc: counts freed bytes", freed == expect, "freed %lld want %lld", freed, expect);

	freed = -1;
	r = gc_run(s, 3600, &freed, &e);
	CHECK("gc: a second run frees nothing", r == 0 && freed == 0, "%d %lld %s", r, freed, r ? e.msg : "");

	/* untagging frees the image, except what the recent result still names */
	store_tag_del(s, "example.com/app:1", &e);
	r = gc_run(s, 3600, &freed, &e);
	CHECK("gc: untagged index freed, shared blobs kept",
	      r == 0 && !store_blob_has(s, idx) && !store_blob_has(s, man) && store_blob_has(s, cfg) &&
		      store_blob_has(s, layer) && store_blob_has(s, man2),
	      "%d", r);
	store_tag_del(s, "docker/app:2", &e);
	char *aa01 = xasprintf("%s/results/aa01", root);
	age(aa01, 10);
	r = gc_run(s, 5, &freed, &e);
	char *bdir = xasprintf("%s/blobs/sha256", root), *ldir = xasprintf("%s/dirs/layers", root);
	CHECK("gc: nothing tagged and no results leaves nothing",
	      r == 0 && count_entries(bdir) == 0 && count_entries(ldir) == 0 && !exists(aa01), "%d blobs %d dirs",
	      count_entries(bdir), count_entries(ldir));
	unlink(fresh);

	free(aa01);
	free(bdir);
	free(ldir);
	free(stale);
	free(orphan);
	free(nopid);
	free(fresh);
	free(staled);
	free(stalef);
	free(dkeep1);
	free(dkeep2);
	free(dkeep3);
	free(dgone1);
	free(dgone2);
	free(dgone3);
	free(r2path);
	free(r1);
	free(r2);
	free(x1);
	free(x1_text);
	free(x2);
	free(unref);
	free(man2);
	free(man2_text);
	free(layer2);
	free(idx);
	free(idx_text);
	free(man);
	free(man_text);
	free(cfg);
	free(cfg_text);
	free(layer);
	store_close(s);
}

/* gc waits for the shared lock of a build */
static void test_lock(void)
{
	struct store *s = open_at("lock");
	struct error e;
	int go[2];
	if (pipe(go) < 0)
		fatal("pipe: %s", strerror(errno));
	fflush(stdout);
	/* fork before locking: a child that inherited the lock's descriptor would hold it too */
	pid_t pid = fork();
	if (pid == 0) {
		struct store *c;
		long long freed;
		char b;
		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		if (store_open(&c, &e) < 0 || gc_run(c, 0, &freed, &e) < 0)
			_exit(1);
		store_close(c);
		_exit(0);
	}
	close(go[0]);
	int r = store_lock(s, false, &e);
	CHECK("lock: shared", r == 0, "%s", e.msg);
	struct store *s2 = open_at("lock");
	r = store_lock(s2, false, &e);
	CHECK("lock: two shared holders", r == 0, "%s", e.msg);
	store_close(s2);
	if (write(go[1], "g", 1) != 1)
		fatal("write: %s", strerror(errno));
	close(go[1]);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	int status = 0;
	pid_t w = waitpid(pid, &status, WNOHANG);
	CHECK("lock: gc waits while a build holds the store", w == 0, "gc did not wait");
	store_close(s);
	w = waitpid(pid, &status, 0);
	CHECK("lock: gc runs once the build is done", w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "status %d", status);
}

/* a writer killed half-way leaves a tmp file that breaks nothing and gc removes */
static void test_killed(void)
{
	struct store *s = open_at("killed");
	struct error e;
	static unsigned char data[1 << 20];
	fill_random(data, sizeof data, 3);
	char want[DIGEST_SIZE];
	sha(data, sizeof data, want);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *tmp;
		int fd;
		if (store_tmpfile(s, &tmp, &fd, &e) < 0 || write(fd, data, sizeof data / 2) < 0)
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK("killed: writer died", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
	CHECK("killed: no half blob", !store_blob_has(s, want), "blob visible");
	char *tmpdir = xasprintf("%s/tmp", store_root(s));
	CHECK("killed: its tmp file is left", count_entries(tmpdir) == 1, "%d", count_entries(tmpdir));
	char d[DIGEST_SIZE];
	int r = store_blob_put(s, data, sizeof data, d, &e);
	CHECK("killed: the blob can be written after", r == 0 && store_blob_verify(s, d, &e) == 0, "%s", e.msg);
	DIR *dir = opendir(tmpdir);
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", tmpdir, de->d_name);
		age(p, 3700);
		free(p);
	}
	if (dir)
		closedir(dir);
	long long freed;
	store_tag_set(s, "keep:it", d, &e);
	r = gc_run(s, 3600, &freed, &e);
	CHECK("killed: gc removes the leftover", r == 0 && count_entries(tmpdir) == 0 && freed == (1 << 19) &&
							 store_blob_has(s, d),
	      "%d %lld %s", r, freed, r ? e.msg : "");
	free(tmpdir);
	store_close(s);
}

enum { WRITERS = 8, ROUNDS = 50, BIG = 2 << 20 };

static size_t small_blob(unsigned char *buf, int w, int j)
{
	size_t n = 100 + (size_t)(w * ROUNDS + j) * 53 % 9000;
	fill_random(buf, n, (uint64_t)(w * 1000 + j + 1));
	return n;
}

static int writer(int w, const unsigned char *big)
{
	struct store *s;
	struct error e;
	if (store_open(&s, &e) < 0 || store_lock(s, false, &e) < 0) {
		fprintf(stderr, "writer %d: %s\n", w, e.msg);
		return 1;
	}
	static unsigned char small[10000];
	for (int j = 0; j < ROUNDS; j++) {
		char d[DIGEST_SIZE], bd[DIGEST_SIZE];
		int r;
		if (j % 2) {
			r = store_blob_put(s, big, BIG, bd, &e);
		} else {
			/* the streamed path always writes a temporary file, so the commits race */
			char *tmp;
			int fd;
			sha(big, BIG, bd);
			r = store_tmpfile(s, &tmp, &fd, &e);
			if (r == 0) {
				if (write(fd, big, BIG) != BIG) {
					fprintf(stderr, "writer %d: short write\n", w);
					return 1;
				}
				r = store_blob_commit(s, tmp, fd, bd, &e);
				free(tmp);
			}
		}
		size_t n = small_blob(small, w, j);
		if (r == 0)
			r = store_blob_put(s, small, n, d, &e);
		char text[64];
		snprintf(text, sizeof text, "{\"writer\":%d,\"round\":%d}", w, j);
		if (r == 0)
			r = store_result_put(s, "c0ffee", text, &e);
		if (r == 0)
			r = store_tag_set(s, "race/app:latest", d, &e);
		if (r < 0) {
			fprintf(stderr, "writer %d round %d: %s\n", w, j, e.msg);
			store_close(s);
			return 1;
		}
	}
	store_close(s);
	return 0;
}

static void test_concurrent(void)
{
	struct store *s = open_at("concurrent");
	struct error e;
	unsigned char *big = xmalloc(BIG);
	fill_random(big, BIG, 42);
	pid_t pids[WRITERS];
	fflush(stdout);
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] < 0)
			fatal("fork: %s", strerror(errno));
		if (pids[w] == 0)
			_exit(writer(w, big));
	}
	int good = 0;
	for (int w = 0; w < WRITERS; w++) {
		int status;
		if (waitpid(pids[w], &status, 0) == pids[w] && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	}
	CHECK("concurrent: every writer succeeded", good == WRITERS, "%d of %d", good, WRITERS);

	char bd[DIGEST_SIZE];
	sha(big, BIG, bd);
	int present = store_blob_has(s, bd);
	static unsigned char small[10000];
	for (int w = 0; w < WRITERS; w++)
		for (int j = 0; j < ROUNDS; j++) {
			char d[DIGEST_SIZE];
			sha(small, small_blob(small, w, j), d);
			present += store_blob_has(s, d);
		}
	CHECK("concurrent: every blob is there", present == 1 + WRITERS * ROUNDS, "%d", present);

	char *bdir = xasprintf("%s/blobs/sha256", store_root(s));
	DIR *dir = opendir(bdir);
	int n = 0, valid = 0;
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		char *d = xasprintf("sha256:%s", de->d_name);
		if (store_blob_verify(s, d, &e) == 0)
			valid++;
		else
			printf("# %s\n", e.msg);
		free(d);
	}
	if (dir)
		closedir(dir);
	CHECK("concurrent: every blob verifies", n == 1 + WRITERS * ROUNDS && valid == n, "%d of %d", valid, n);
	char *t = NULL;
	int r = store_result_get(s, "c0ffee", &t, &e);
	CHECK("concurrent: the raced result is one whole write",
	      r == 1 && t && strncmp(t, "{\"writer\":", 10) == 0 && t[strlen(t) - 1] == '}', "%s", t ? t : "");
	free(t);
	char d[DIGEST_SIZE];
	r = store_tag_get(s, "race/app:latest", d, &e);
	CHECK("concurrent: the raced tag is one whole write", r == 1 && store_blob_has(s, d), "%d", r);
	char *tmpdir = xasprintf("%s/tmp", store_root(s));
	CHECK("concurrent: no tmp leftovers", count_entries(tmpdir) == 0, "%d", count_entries(tmpdir));
	free(tmpdir);
	free(bdir);
	free(big);
	store_close(s);
}

/* threads of one process share a store: unique temporary names, and lost dir races in parallel */
enum { THREADS = 4, THREAD_ROUNDS = 20 };
static struct store *thread_store;

static void *thread_work(void *arg)
{
	int t = (int)(intptr_t)arg;
	struct error e;
	unsigned char buf[512];
	for (int j = 0; j < THREAD_ROUNDS; j++) {
		char d[DIGEST_SIZE], *tmp, *path;
		fill_random(buf, sizeof buf, (uint64_t)(t * 100 + j + 1));
		if (store_blob_put(thread_store, buf, sizeof buf, d, &e) < 0 ||
		    store_tmpdir(thread_store, &tmp, &e) < 0)
			return (void *)1;
		char *f = xasprintf("%s/f", tmp);
		write_str(f, "same");
		free(f);
		char id[16];
		snprintf(id, sizeof id, "id%d", j);
		int r = store_dir_commit(thread_store, "threads", id, tmp, &path, &e);
		free(tmp);
		free(path);
		if (r < 0)
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void)
{
	thread_store = open_at("threads");
	pthread_t th[THREADS];
	int started = 0, good = 0;
	for (int t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], NULL, thread_work, (void *)(intptr_t)t) == 0)
			started++;
	for (int t = 0; t < started; t++) {
		void *res;
		if (pthread_join(th[t], &res) == 0 && res == NULL)
			good++;
	}
	CHECK("threads: every thread succeeded", good == THREADS, "%d of %d", good, THREADS);
	char *bdir = xasprintf("%s/blobs/sha256", store_root(thread_store));
	char *ddir = xasprintf("%s/dirs/threads", store_root(thread_store));
	char *tdir = xasprintf("%s/tmp", store_root(thread_store));
	CHECK("threads: every blob and dir is there, no tmp left",
	      count_entries(bdir) == THREADS * THREAD_ROUNDS && count_entries(ddir) == THREAD_ROUNDS &&
		      count_entries(tdir) == 0,
	      "%d blobs %d dirs %d tmp", count_entries(bdir), count_entries(ddir), count_entries(tdir));
	free(bdir);
	free(ddir);
	free(tdir);
	store_close(thread_store);
}

int main(void)
{
	int fds = count_entries("/proc/self/fd");
	alarm(300); /* a deadlock fails the test instead of hanging the suite */
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(top, sizeof top, "%s/unit-store.XXXXXX", base);
	if (!mkdtemp(top))
		fatal("mkdtemp %s: %s", top, strerror(errno));
	char *real = realpath(top, NULL);
	snprintf(top, sizeof top, "%s", real);
	free(real);
	test_open();
	test_blobs();
	test_results();
	test_tags();
	test_dirs();
	test_gc();
	test_lock();
	test_killed();
	test_concurrent();
	test_threads();
	CHECK("no descriptor leaks", count_entries("/proc/self/fd") == fds, "%d open, %d at start",
	      count_entries("/proc/self/fd"), fds);
	rm_rf(top);
	CHECK("cleanup: test folder removed", !exists(top), "%s left", top);
	return check_failed;
}
