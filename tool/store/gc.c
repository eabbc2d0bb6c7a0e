/* gc: free what no tag and no recent step result reaches */
#include "gc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "error.h"
#include "map.h"
#include "store.h"
#include "util.h"

enum {
	TMP_MAX_AGE = 3600, /* seconds before gc takes a tmp entry for a dead writer's */
};

static void add_digest(struct map *hs, const char *d)
{
	if (d && digest_valid(d))
		map_putn(hs, d + 7, 64, NULL);
}

/* every "sha256:" followed by 64 hex digits in text */
static void scan_digests(struct map *hs, const char *text)
{
	for (const char *p = text; (p = strstr(p, "sha256:")) != NULL; p += 7) {
		size_t n = 0;
		while (n < 64 && p[7 + n] && digest_hex(p + 7 + n, 1))
			n++;
		if (n == 64)
			map_putn(hs, p + 7, 64, NULL);
	}
}

static void add_descriptor(struct map *hs, json_t *desc)
{
	if (json_is_object(desc))
		add_digest(hs, json_string_value(json_object_get(desc, "digest")));
}

static void add_descriptors(struct map *hs, json_t *arr)
{
	size_t i;
	json_t *v;
	if (json_is_array(arr))
		json_array_foreach(arr, i, v)
			add_descriptor(hs, v);
}

/* the digests a manifest, index or image config refers to */
static void add_references(struct map *hs, json_t *doc)
{
	add_descriptor(hs, json_object_get(doc, "config"));
	add_descriptor(hs, json_object_get(doc, "subject"));
	add_descriptors(hs, json_object_get(doc, "layers"));
	add_descriptors(hs, json_object_get(doc, "manifests"));
	json_t *rootfs = json_object_get(doc, "rootfs");
	json_t *ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
	size_t i;
	json_t *v;
	if (json_is_array(ids))
		json_array_foreach(ids, i, v)
			add_digest(hs, json_string_value(v));
}

static int gc_follow(struct store *s, struct map *hs, const char *hex, struct error *err)
{
	char *path = xasprintf("%s/blobs/sha256/%s", store_root(s), hex);
	struct stat st;
	if (lstat(path, &st) < 0) {
		int r = errno == ENOENT ? 0 : err_sys(err, "stat %s", path);
		free(path);
		return r;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 2 || st.st_size > STORE_JSON_MAX) {
		free(path);
		return 0;
	}
	size_t len;
	char *p;
	int r = read_file_if(path, &p, &len, err);
	free(path);
	if (r <= 0)
		return r;
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i < len && p[i] == '{') {
		/* unverified on purpose: a damaged manifest keeps what it names rather than losing it */
		json_error_t jerr;
		json_t *doc = json_loadb(p, len, 0, &jerr);
		if (json_is_object(doc))
			add_references(hs, doc);
		json_decref(doc);
	}
	free(p);
	return 0;
}

/* true when the tmp entry name (PID.…, as store_tmpfile and store_tmpdir make them) belongs to a
   process that is gone: what a killed writer left is freed at once, not after an hour */
static bool tmp_dead(const char *name)
{
	char *end;
	errno = 0;
	long pid = strtol(name, &end, 10);
	if (end == name || *end != '.' || errno || pid <= 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* remove the file or directory tree p (st its lstat), adding the bytes freed to *bytes; gone
   already is fine */
static int sweep(const char *p, const struct stat *st, long long *bytes, struct error *err)
{
	if (S_ISDIR(st->st_mode))
		return remove_tree_at(AT_FDCWD, p, bytes) < 0 ? err_sys(err, "remove %s", p) : 0;
	if (unlink(p) == 0)
		*bytes += S_ISREG(st->st_mode) ? st->st_size : 0;
	else if (errno != ENOENT)
		return err_sys(err, "remove %s", p);
	return 0;
}

/* what one gc run walks with */
struct gc {
	time_t now;
	long long keep;      /* seconds a step result is kept for */
	struct map *hs;      /* the digests reached */
	long long *bytes;    /* freed so far */
};

/* each entry of dir (names) whose lstat drop() answers 1 for is swept; 0 keeps it, -1 stops with
   err; an entry gone meanwhile is skipped */
static int gc_folder(struct gc *g, const char *dir, const struct strv *names,
		     int (*drop)(struct gc *g, const char *p, const char *name, const struct stat *st, struct error *err),
		     struct error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < names->n; i++) {
		char *p = xasprintf("%s/%s", dir, names->v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if ((rc = drop(g, p, names->v[i], &st, err)) > 0) {
			rc = sweep(p, &st, g->bytes, err);
		}
		free(p);
	}
	return rc;
}

/* a tmp/ entry of a dead process, or older than TMP_MAX_AGE */
static int tmp_drop(struct gc *g, const char *p, const char *name, const struct stat *st, struct error *err)
{
	return tmp_dead(name) || g->now - st->st_mtime > TMP_MAX_AGE;
}

/* a step result older than keep; a newer one keeps what it names */
static int result_drop(struct gc *g, const char *p, const char *name, const struct stat *st, struct error *err)
{
	if ((long long)(g->now - st->st_mtime) > g->keep)
		return 1;
	char *text;
	int r = read_file_if(p, &text, NULL, err);
	if (r > 0)
		scan_digests(g->hs, text);
	free(text);
	return r < 0 ? -1 : 0;
}

/* a blob nothing reached; names the store never makes are left alone */
static int blob_drop(struct gc *g, const char *p, const char *name, const struct stat *st, struct error *err)
{
	return strlen(name) == 64 && digest_hex(name, 64) && !map_getn(g->hs, name, 64);
}

/* sweep the store folder sub with drop (results: the step keys only) */
static int gc_sweep(struct gc *g, struct store *s, const char *sub,
		    int (*drop)(struct gc *g, const char *p, const char *name, const struct stat *st, struct error *err),
		    struct error *err)
{
	char *dir = xasprintf("%s/%s", store_root(s), sub);
	struct strv names;
	strv_init(&names, NULL);
	int rc = drop == result_drop ? store_result_list(s, &names, err) : list_dir(dir, &names, err);
	if (rc == 0)
		rc = gc_folder(g, dir, &names, drop, err);
	strv_free(&names);
	free(dir);
	return rc;
}

static int gc_tags(struct store *s, struct map *hs, struct error *err)
{
	struct strv tags;
	strv_init(&tags, NULL);
	int rc = store_tag_list(s, &tags, err);
	for (size_t i = 0; rc == 0 && i < tags.n; i++) {
		char d[DIGEST_SIZE];
		int r = store_tag_get(s, tags.v[i], d, err);
		if (r < 0)
			rc = -1;
		else if (r == 1)
			add_digest(hs, d);
	}
	strv_free(&tags);
	return rc;
}

/* move the entry out of dirs/ first, so a gc killed half-way never leaves a half-removed
   directory under a name a build would trust */
static int gc_remove_dir(struct store *s, const char *path, long long *bytes, struct error *err)
{
	char *tmp;
	if (store_tmpdir(s, &tmp, err) < 0)
		return -1;
	char *to = xasprintf("%s/x", tmp);
	int rc = 0;
	if (rename(path, to) < 0 && errno != ENOENT)
		rc = err_sys(err, "rename %s to %s", path, to);
	if (remove_tree_at(AT_FDCWD, tmp, bytes) < 0 && rc == 0)
		rc = err_sys(err, "remove %s", tmp);
	free(to);
	free(tmp);
	return rc;
}

static int gc_dirs(struct store *s, struct map *hs, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/dirs", store_root(s));
	struct strv kinds;
	strv_init(&kinds, NULL);
	int rc = list_dir(dir, &kinds, err);
	for (size_t i = 0; rc == 0 && i < kinds.n; i++) {
		char *kdir = xasprintf("%s/%s", dir, kinds.v[i]);
		struct stat st;
		if (lstat(kdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(kdir);
			continue;
		}
		struct strv ids;
		strv_init(&ids, NULL);
		rc = list_dir(kdir, &ids, err);
		for (size_t j = 0; rc == 0 && j < ids.n; j++) {
			const char *id = ids.v[j];
			if (strlen(id) == 64 && digest_hex(id, 64) && map_getn(hs, id, 64))
				continue;
			char *p = xasprintf("%s/%s", kdir, id);
			rc = gc_remove_dir(s, p, bytes, err);
			free(p);
		}
		strv_free(&ids);
		free(kdir);
	}
	strv_free(&kinds);
	free(dir);
	return rc;
}

int gc_run(struct store *s, long long keep_seconds, long long *freed_bytes, struct error *err)
{
	*freed_bytes = 0;
	enum store_lockmode prev = store_locked(s);
	if (store_lock(s, true, err) < 0)
		return -1;
	/* the digests (64 hex digits) in use, in the order found: the walk's work list too */
	struct map hs;
	map_init(&hs, NULL, 0);
	long long bytes = 0;
	time_t now = time(NULL);
	int rc = -1;
	struct gc g = {.now = now, .keep = keep_seconds, .hs = &hs, .bytes = &bytes};
	if (gc_sweep(&g, s, "tmp", tmp_drop, err) < 0 || gc_sweep(&g, s, "results", result_drop, err) < 0 ||
	    gc_tags(s, &hs, err) < 0)
		goto out;
	/* hs grows while it is walked: each manifest adds what it names */
	for (size_t i = 0; i < map_count(&hs); i++)
		if (gc_follow(s, &hs, map_key(&hs, i, NULL), err) < 0)
			goto out;
	if (gc_sweep(&g, s, "blobs/sha256", blob_drop, err) < 0 || gc_dirs(s, &hs, &bytes, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc == 0)
		rc = store_gc_mark(s, err);
	map_free(&hs);
	*freed_bytes = bytes;
	/* hand back the lock the caller had */
	if (prev != STORE_EXCLUSIVE && store_relock(s, prev, rc == 0 ? err : &(struct error){0}) < 0)
		rc = -1;
	return rc;
}
