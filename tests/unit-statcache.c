/* the stat cache: round trip of hashes and capabilities, every stat field compared, git's racy
   rule with each time's granule (nanoseconds, whole seconds), a damaged file refused whole, the
   file private, the entries of files gone dropped and those of files kept */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "statcache.h"
#include "util.h"

static const char H1[KEY_HEX] = "0123456789abcdef0123456789abcdef";
static const char H2[KEY_HEX] = "fedcba9876543210fedcba9876543210";

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* a regular file's stat with both times at t (ns) */
static struct stat fake(unsigned long long ino, long long size, long long t)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_dev = 42;
	st.st_ino = ino;
	st.st_mode = S_IFREG | 0644;
	st.st_size = size;
	st.st_mtim.tv_sec = st.st_ctim.tv_sec = t / 1000000000LL;
	st.st_mtim.tv_nsec = st.st_ctim.tv_nsec = t % 1000000000LL;
	return st;
}

static int get(struct statcache *c, const char *path, const struct stat *st, char hex[KEY_HEX])
{
	unsigned char cap[STATCACHE_CAP_MAX];
	size_t caplen;
	return statcache_get(c, path, st, hex, cap, &caplen);
}

int main(void)
{
	char tmpl[] = "/tmp/strata-unit-statcache.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir)
		return 1;
	char *file = xasprintf("%s/cache/x", dir);
	struct error err;
	char hex[KEY_HEX];
	long long t0 = now_ns();
	/* well before the run: trusted; nanosecond times avoid whole-second granules */
	long long old = t0 - 100000000LL - 1;
	struct stat a = fake(1, 10, old), b = fake(2, 20, old), r = fake(3, 30, t0 + 7),
		    ws = fake(4, 40, t0 / 1000000000LL * 1000000000LL), wo = fake(5, 50, (t0 / 1000000000LL - 5) * 1000000000LL);

	struct statcache *c = statcache_open(file, dir);
	CHECK("empty miss", get(c, "a", &a, hex) == 0, "hit in an empty cache");
	const unsigned char capv[] = {1, 0, 0, 2, 0xff};
	statcache_put(c, "a", &a, H1, NULL, 0);
	statcache_put(c, "d/b", &b, H2, capv, sizeof capv);
	statcache_put(c, "racy", &r, H1, NULL, 0);
	statcache_put(c, "whole-now", &ws, H1, NULL, 0);
	statcache_put(c, "whole-old", &wo, H1, NULL, 0);
	statcache_put(c, "new\nline", &a, H1, NULL, 0);
	CHECK("save", statcache_close(c, &err) == 0, "%s", err.msg);
	struct stat fst;
	CHECK("file 0600", stat(file, &fst) == 0 && (fst.st_mode & 0777) == 0600, "mode %o", fst.st_mode & 0777);

	c = statcache_open(file, dir);
	CHECK("hit", get(c, "a", &a, hex) == 1 && !strcmp(hex, H1), "got %s", hex);
	unsigned char cap[STATCACHE_CAP_MAX];
	size_t caplen = 0;
	CHECK("capability kept", statcache_get(c, "d/b", &b, hex, cap, &caplen) == 1 && caplen == sizeof capv &&
					 !memcmp(cap, capv, sizeof capv) && !strcmp(hex, H2), "caplen %zu", caplen);
	CHECK("racy ns time", get(c, "racy", &r, hex) == 0, "a time after the run's start was trusted");
	CHECK("racy whole second", get(c, "whole-now", &ws, hex) == 0, "a whole-second time of this second was trusted");
	CHECK("old whole second", get(c, "whole-old", &wo, hex) == 1, "a whole-second time 5 s old was not trusted");
	CHECK("newline name not kept", get(c, "new\nline", &a, hex) == 0, "a name with a newline was cached");
	/* every field of the stat decides */
	struct stat x = a;
	x.st_ino++;
	int m1 = get(c, "a", &x, hex);
	x = a, x.st_dev++;
	int m2 = get(c, "a", &x, hex);
	x = a, x.st_size++;
	int m3 = get(c, "a", &x, hex);
	x = a, x.st_mode = S_IFREG | 0755;
	int m4 = get(c, "a", &x, hex);
	x = a, x.st_mtim.tv_nsec++;
	int m5 = get(c, "a", &x, hex);
	x = a, x.st_ctim.tv_nsec++;
	int m6 = get(c, "a", &x, hex);
	x = a, x.st_mode = S_IFLNK | 0777;
	int m7 = get(c, "a", &x, hex);
	CHECK("every field compared", !m1 && !m2 && !m3 && !m4 && !m5 && !m6 && !m7, "%d%d%d%d%d%d%d", m1, m2, m3, m4,
	      m5, m6, m7);
	CHECK("no change, no write", statcache_close(c, &err) == 0 && stat(file, &x) == 0 &&
					     x.st_mtim.tv_nsec == fst.st_mtim.tv_nsec && x.st_ino == fst.st_ino,
	      "the cache was written again");

	/* one byte changed anywhere: the whole file is refused */
	size_t len;
	char *data = read_file(file, &len);
	char *at = data ? strstr(data, H1) : NULL;
	if (at)
		at[0] = at[0] == '0' ? '1' : '0';
	FILE *f = fopen(file, "w");
	if (f && data)
		fwrite(data, 1, len, f);
	if (f)
		fclose(f);
	free(data);
	c = statcache_open(file, dir);
	CHECK("damaged file refused", get(c, "a", &a, hex) == 0 && get(c, "whole-old", &wo, hex) == 0, "a damaged cache was used");
	statcache_close(c, &err);
	f = fopen(file, "w");
	if (f) {
		fputs("strata-statcache-2 12 34\n\xff\xfe garbage", f);
		fclose(f);
	}
	c = statcache_open(file, dir);
	CHECK("garbage refused", get(c, "a", &a, hex) == 0, "garbage was used");
	statcache_close(c, &err);

	/* entries of files gone are dropped at the next write, those of files still as they were stay */
	char *kept = xasprintf("%s/kept", dir);
	close(open(kept, O_WRONLY | O_CREAT, 0644));
	struct stat kst;
	stat(kept, &kst);
	/* its ctime must be older than the next run's start by its granule to be trusted */
	long long kt = (long long)kst.st_ctim.tv_sec * 1000000000LL + kst.st_ctim.tv_nsec;
	long long wait = kst.st_ctim.tv_nsec ? 20000000LL : 2100000000LL;
	while (now_ns() < kt + wait)
		usleep(5000);
	c = statcache_open(file, dir);
	statcache_put(c, "kept", &kst, H1, NULL, 0);
	statcache_put(c, "gone", &a, H1, NULL, 0);
	statcache_close(c, &err);
	c = statcache_open(file, dir);
	statcache_put(c, "other", &b, H2, NULL, 0); /* looks up neither kept nor gone */
	statcache_close(c, &err);
	data = read_file(file, &len);
	CHECK("gone dropped, kept kept", data && strstr(data, " kept\n") && !strstr(data, " gone\n") && strstr(data, " other\n"),
	      "%s", data ? data : "(no file)");
	free(data);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	free(cmd);
	free(kept);
	free(file);
	return check_failed;
}
