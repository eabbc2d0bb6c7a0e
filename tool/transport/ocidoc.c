/* ocidoc: the JSON documents of an image, read from outside */
#include "ocidoc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "error.h"
#include "store.h"
#include "util.h"

int ocidoc_size_error(struct error *err, const char *what, long long got, long long want)
{
	if (got < want)
		return err_set(err, "%s: truncated: %lld of %lld bytes", what, got, want);
	return err_set(err, "%s: size %lld, want %lld", what, got, want);
}

/* a whole small regular file (no symlink, fifo or device); size is checked against want (-1: any) */
char *ocidoc_read(const char *path, const char *what, long long want, size_t *len, struct error *err)
{
	int fd;
	struct stat sb;
	if (open_regular(path, what, true, &fd, &sb, err) < 0)
		return NULL;
	char *p = NULL;
	if (want >= 0 && sb.st_size != want) {
		ocidoc_size_error(err, what, sb.st_size, want);
		goto out;
	}
	if (sb.st_size > STORE_JSON_MAX) {
		err_set(err, "%s: not a JSON document of at most %d bytes", what, STORE_JSON_MAX);
		goto out;
	}
	p = xmalloc((size_t)sb.st_size + 1);
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t r = read_some(fd, p + got, (size_t)sb.st_size - got);
		if (r <= 0) {
			if (r < 0)
				err_sys(err, "%s", what);
			else
				err_set(err, "%s: file shrank while read", what);
			free(p);
			p = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	p[got] = 0;
	*len = got;
out:
	close(fd);
	return p;
}

json_t *ocidoc_parse(const char *p, size_t len, const char *what, struct error *err)
{
	json_error_t je;
	json_t *j = json_loadb(p, len, 0, &je);
	if (!j)
		err_set(err, "%s: invalid JSON: %s (line %d)", what, je.text, je.line);
	else if (!json_is_object(j)) {
		err_set(err, "%s: not a JSON object", what);
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* a descriptor's fields; -1 with err when malformed */
int ocidoc_desc(json_t *desc, const char *what, const char **mt, const char **digest, long long *size,
		    struct error *err)
{
	json_t *jsize = json_object_get(desc, "size");
	*mt = json_string_value(json_object_get(desc, "mediaType"));
	*digest = json_string_value(json_object_get(desc, "digest"));
	if (!json_is_object(desc) || !*digest || !json_is_integer(jsize) || json_integer_value(jsize) < 0)
		return err_set(err, "%s: malformed descriptor", what);
	if (!digest_valid(*digest))
		return err_set(err, "%s: invalid digest \"%.100s\"", what, *digest);
	*size = json_integer_value(jsize);
	if (!*mt)
		*mt = "";
	return 0;
}

int ocidoc_is_manifest(const char *mt)
{
	return !strcmp(mt, MT_MANIFEST) || !strcmp(mt, MT_DOCKER_MANIFEST);
}

/* the config's rootfs.diff_ids, checked to be n digests */
json_t *ocidoc_diff_ids(json_t *config, size_t n, const char *what, struct error *err)
{
	json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(ids)) {
		err_set(err, "%s: no rootfs.diff_ids", what);
		return NULL;
	}
	if (json_array_size(ids) != n) {
		err_set(err, "%s: %zu diff_ids for %zu layers", what, json_array_size(ids), n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = json_string_value(json_array_get(ids, i));
		if (!d || !digest_valid(d)) {
			err_set(err, "%s: invalid diff_id \"%.100s\"", what, d ? d : "(none)");
			return NULL;
		}
	}
	return ids;
}

