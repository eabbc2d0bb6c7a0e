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
	char *p = read_file(path, &len);
	if (!p) {
		int r = errno == ENOENT ? 0 : err_sys(err, "read %s", path);
		free(path);
		return r;
	}
	free(path);
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

static int gc_tmp(struct store *s, time_t now, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/tmp", store_root(s));
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_dir(dir, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if (tmp_dead(names.v[i]) || now - st.st_mtime > TMP_MAX_AGE) {
			rc = sweep(p, &st, bytes, err);
		}
		free(p);
	}
	strv_free(&names);
	free(dir);
	return rc;
}

static int gc_results(struct store *s, time_t now, long long keep, struct map *hs, long long *bytes,
		      struct error *err)
{
	char *dir = xasprintf("%s/results", store_root(s));
	struct strv names;
	strv_init(&names, NULL);
	int rc = store_result_list(s, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *p = xasprintf("%s/%s", dir, names.v[i]);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else if ((long long)(now - st.st_mtime) > keep) {
			rc = sweep(p, &st, bytes, err);
		} else {
			char *text = read_file(p, NULL);
			if (text)
				scan_digests(hs, text);
			else if (errno != ENOENT)
				rc = err_sys(err, "read %s", p);
			free(text);
		}
		free(p);
	}
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

static int gc_blobs(struct store *s, struct map *hs, long long *bytes, struct error *err)
{
	char *dir = xasprintf("%s/blobs/sha256", store_root(s));
	struct strv names;
	strv_init(&names, NULL);
	int rc = list_dir(dir, &names, err);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		const char *n = names.v[i];
		/* names the store never makes are left alone */
		if (strlen(n) != 64 || !digest_hex(n, 64) || map_getn(hs, n, 64))
			continue;
		char *p = xasprintf("%s/%s", dir, n);
		struct stat st;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				rc = err_sys(err, "stat %s", p);
		} else {
			rc = sweep(p, &st, bytes, err);
		}
		free(p);
	}
	strv_free(&names);
	free(dir);
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
	if (gc_tmp(s, now, &bytes, err) < 0 || gc_results(s, now, keep_seconds, &hs, &bytes, err) < 0 ||
	    gc_tags(s, &hs, err) < 0)
		goto out;
	/* hs grows while it is walked: each manifest adds what it names */
	for (size_t i = 0; i < map_count(&hs); i++)
		if (gc_follow(s, &hs, map_key(&hs, i, NULL), err) < 0)
			goto out;
	if (gc_blobs(s, &hs, &bytes, err) < 0 || gc_dirs(s, &hs, &bytes, err) < 0)
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
