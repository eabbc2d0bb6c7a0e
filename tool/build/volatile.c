#include "volatile.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "layer.h"
#include "util.h"

const char *const volatile_list[] = {
	"var/log/dpkg.log",
	"var/log/alternatives.log",
	"var/log/apt/history.log",
	"var/log/apt/term.log",
	"var/log/apt/eipp.log.xz",
	"var/cache/apt/pkgcache.bin",
	"var/cache/apt/srcpkgcache.bin",
	"var/cache/apt/archives/*.deb",
	"var/cache/apt/archives/partial/*",
	"var/cache/debconf/*-old",
	"var/lib/dpkg/*-old",
	"var/cache/ldconfig/aux-cache",
	"var/cache/man/index.db",
	"var/cache/man/*/index.db",
	NULL,
};

bool volatile_match(const char *path)
{
	for (const char *const *p = volatile_list; *p; p++)
		if (fnmatch(*p, path, FNM_PATHNAME | FNM_PERIOD) == 0)
			return true;
	return false;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp((*(struct layer_entry *const *)a)->path, (*(struct layer_entry *const *)b)->path);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* DIR/__pycache__/NAME.TAG[.opt-N].pyc: DIR/NAME.py into a, or NULL */
static char *pyc_source(const char *path, struct arena *a)
{
	size_t len = strlen(path);
	if (len < 4 || strcmp(path + len - 4, ".pyc"))
		return NULL;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *cache = "__pycache__/";
	size_t cl = strlen(cache);
	if ((size_t)(base - path) < cl || strncmp(base - cl, cache, cl))
		return NULL;
	const char *dot = strchr(base, '.');
	if (dot == base)
		return NULL;
	size_t dirlen = (size_t)(base - cl - path);
	return arena_printf(a, "%.*s%.*s.py", (int)dirlen, path, (int)(dot - base), base);
}

int volatile_apply(struct layer_entry *e, size_t *n, long long epoch, struct arena *a, struct error *err)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (e[i].type == LAYER_DIR || !volatile_match(e[i].path))
			e[k++] = e[i];
	*n = k;

	struct layer_entry **by = xmalloc((k ? k : 1) * sizeof *by);
	for (size_t i = 0; i < k; i++)
		by[i] = &e[i];
	qsort(by, k, sizeof *by, path_cmp);
	int rc = 0;
	for (size_t i = 0; i < k; i++) {
		struct layer_entry *pyc = &e[i];
		if (pyc->type != LAYER_REG || !pyc->src || pyc->hardlink_key)
			continue;
		char *src = pyc_source(pyc->path, a);
		if (!src)
			continue;
		struct layer_entry key = {.path = src}, *kp = &key;
		struct layer_entry **hit = bsearch(&kp, by, k, sizeof *by, path_cmp);
		struct stat sb;
		if (!hit || (*hit)->type != LAYER_REG || !(*hit)->src || lstat((*hit)->src, &sb) < 0)
			continue;
		size_t len;
		unsigned char *c = (unsigned char *)read_file(pyc->src, &len);
		if (!c) {
			rc = err_sys(err, "%s", pyc->src);
			break;
		}
		/* PEP 552: magic ending in \r\n, flags 0 (timestamp-based), source mtime, source size */
		if (len >= 16 && c[2] == '\r' && c[3] == '\n' && le32(c + 4) == 0 &&
		    le32(c + 8) == (uint32_t)sb.st_mtime && le32(c + 12) == (uint32_t)sb.st_size &&
		    (long long)len == pyc->size) {
			uint32_t t = (uint32_t)epoch;
			c[8] = (unsigned char)t;
			c[9] = (unsigned char)(t >> 8);
			c[10] = (unsigned char)(t >> 16);
			c[11] = (unsigned char)(t >> 24);
			char *d = arena_alloc(a, len ? len : 1);
			memcpy(d, c, len);
			pyc->data = d;
			pyc->src = NULL;
		}
		free(c);
	}
	free(by);
	return rc;
}
