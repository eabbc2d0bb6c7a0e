/* volatile_match and volatile_apply (--drop-volatile) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "layer.h"
#include "util.h"
#include "volatile.h"

static char tmp[256];

/* a pyc header (magic of 3.11, flags, mtime, size) and a body */
static char *write_pyc(const char *name, uint32_t flags, uint32_t mtime, uint32_t size)
{
	unsigned char h[20] = {0xa7, 0x0d, '\r', '\n'};
	uint32_t v[3] = {flags, mtime, size};
	for (int i = 0; i < 3; i++)
		for (int b = 0; b < 4; b++)
			h[4 + 4 * i + b] = (unsigned char)(v[i] >> (8 * b));
	memcpy(h + 16, "body", 4);
	char *p = xasprintf("%s/%s", tmp, name);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(h, 1, sizeof h, f) != sizeof h || fclose(f))
		fatal("cannot write %s", p);
	return p;
}

static uint32_t pyc_mtime(const struct layer_entry *e)
{
	const unsigned char *c = (const unsigned char *)e->data;
	return c ? (uint32_t)c[8] | (uint32_t)c[9] << 8 | (uint32_t)c[10] << 16 | (uint32_t)c[11] << 24 : 0;
}

int main(void)
{
	CHECK("match/dpkg-log", volatile_match("var/log/dpkg.log"), "not matched");
	CHECK("match/apt-history", volatile_match("var/log/apt/history.log"), "not matched");
	CHECK("match/pkgcache", volatile_match("var/cache/apt/pkgcache.bin"), "not matched");
	CHECK("match/aux-cache", volatile_match("var/cache/ldconfig/aux-cache"), "not matched");
	CHECK("match/status-old", volatile_match("var/lib/dpkg/status-old"), "not matched");
	CHECK("match/deb", volatile_match("var/cache/apt/archives/python3_3.11.2-1_amd64.deb"), "not matched");
	CHECK("nomatch/status", !volatile_match("var/lib/dpkg/status"), "matched");
	CHECK("nomatch/whiteout", !volatile_match("var/lib/dpkg/.wh.status-old"), "matched");
	CHECK("nomatch/deeper", !volatile_match("srv/var/log/dpkg.log"), "matched");
	CHECK("nomatch/ld-so-cache", !volatile_match("etc/ld.so.cache"), "matched");

	snprintf(tmp, sizeof tmp, "%s/strata-unit-volatile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		fatal("mkdtemp");
	char *py = xasprintf("%s/m.py", tmp);
	FILE *f = fopen(py, "w");
	fputs("x = 1\n", f);
	fclose(f);
	struct stat sb;
	stat(py, &sb);
	uint32_t mt = (uint32_t)sb.st_mtime;
	char *good = write_pyc("good.pyc", 0, mt, 6);
	char *stale = write_pyc("stale.pyc", 0, mt - 5, 6);
	char *hashed = write_pyc("hashed.pyc", 3, mt, 6);
	char *orphan = write_pyc("orphan.pyc", 0, mt, 6);

	struct layer_entry e[] = {
		{.path = "app", .type = LAYER_DIR, .mode = 0755},
		{.path = "app/m.py", .type = LAYER_REG, .mode = 0644, .src = py, .size = 6},
		{.path = "app/__pycache__", .type = LAYER_DIR, .mode = 0755},
		{.path = "app/__pycache__/m.cpython-311.pyc", .type = LAYER_REG, .mode = 0644, .src = good, .size = 20},
		{.path = "app/__pycache__/m.cpython-311.opt-1.pyc", .type = LAYER_REG, .mode = 0644, .src = stale, .size = 20},
		{.path = "app/__pycache__/m.cpython-311.opt-2.pyc", .type = LAYER_REG, .mode = 0644, .src = hashed, .size = 20},
		{.path = "app/__pycache__/n.cpython-311.pyc", .type = LAYER_REG, .mode = 0644, .src = orphan, .size = 20},
		{.path = "var/log", .type = LAYER_DIR, .mode = 0755},
		{.path = "var/log/dpkg.log", .type = LAYER_REG, .mode = 0644, .data = "", .size = 0},
		{.path = "var/log/.wh.alternatives.log", .type = LAYER_REG, .mode = 0644, .data = "", .size = 0},
		{.path = "var/cache/ldconfig/aux-cache", .type = LAYER_REG, .mode = 0600, .data = "", .size = 0},
	};
	size_t n = sizeof e / sizeof e[0];
	struct arena *a = arena_new();
	struct error err = {0};
	int rc = volatile_apply(e, &n, 1234567, a, &err);
	CHECK("apply/rc", rc == 0, "%s", err.msg);
	CHECK("apply/count", n == 9, "%zu entries left, want 9", n);
	int logs = 0, wh = 0;
	for (size_t i = 0; i < n; i++) {
		logs += !strcmp(e[i].path, "var/log/dpkg.log") || !strcmp(e[i].path, "var/cache/ldconfig/aux-cache");
		wh += !strcmp(e[i].path, "var/log/.wh.alternatives.log");
	}
	CHECK("apply/dropped", logs == 0, "a volatile file stayed");
	CHECK("apply/whiteout-kept", wh == 1, "the whiteout went");
	CHECK("pyc/rewritten", !e[3].src && e[3].data && pyc_mtime(&e[3]) == 1234567 &&
	      !memcmp(e[3].data + 16, "body", 4), "src %s, mtime %u", e[3].src ? e[3].src : "-", pyc_mtime(&e[3]));
	CHECK("pyc/stale-kept", e[4].src == stale, "a stale pyc was made valid");
	CHECK("pyc/hash-kept", e[5].src == hashed, "a hash-based pyc was rewritten");
	CHECK("pyc/orphan-kept", e[6].src == orphan, "a pyc without its source was rewritten");
	arena_free(a);
	remove_tree_at(AT_FDCWD, tmp, NULL);
	free(py);
	free(good);
	free(stale);
	free(hashed);
	free(orphan);
	return check_failed;
}
