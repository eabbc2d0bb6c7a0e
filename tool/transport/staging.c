/* staging: blobs waiting to enter the store all together */
#include "staging.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "ocidoc.h"
#include "store.h"
#include "util.h"

void staging_add(struct staging *st, char *tmp, const char *digest)
{
	st->v = array_grow(st->v, &st->cap, st->n + 1, sizeof *st->v, NULL);
	st->v[st->n].tmp = tmp;
	memcpy(st->v[st->n].digest, digest, DIGEST_SIZE);
	st->n++;
}

int staging_mem(struct staging *st, const void *p, size_t len, char digest[DIGEST_SIZE], struct error *err)
{
	char *tmp;
	int fd;
	if (digest_buf(p, len, digest, err) < 0 || store_tmpwrite(st->s, p, len, &tmp, &fd, err) < 0)
		return -1;
	close(fd);
	staging_add(st, tmp, digest);
	return 0;
}

/* doc as compact JSON with sorted keys, staged; its digest and size go out */
int staging_json(struct staging *st, json_t *doc, char digest[DIGEST_SIZE], long long *size, struct error *err)
{
	char *p = json_dumps(doc, JSON_FLAGS);
	if (!p)
		return err_set(err, "cannot serialise JSON");
	*size = (long long)strlen(p);
	int r = staging_mem(st, p, strlen(p), digest, err);
	free(p);
	return r;
}

int staging_layer(struct staging *st, int fd, long long size, enum gzmode gz, const struct compression *how,
		  int (*scan)(struct lstream *ls, void *arg, struct error *err),
		  int (*judge)(int rc, const struct staged_layer *l, void *arg, struct error *err), void *arg,
		  struct staged_layer *l, struct error *err)
{
	memset(l, 0, sizeof *l);
	char *tmp;
	int tfd;
	if (store_tmpfile(st->s, &tmp, &tfd, err) < 0)
		return -1;
	struct lstream ls;
	int rc = lstream_open(&ls, fd, size, gz, tfd, how);
	if (rc == 0 && scan)
		rc = scan(&ls, arg, err);
	else if (rc < 0)
		*err = ls.err;
	if (rc == 0 && (rc = lstream_finish(&ls)) < 0)
		*err = ls.err;
	/* the digest of the whole blob names a damaged one as the cause of whatever went wrong */
	if (rc < 0)
		lstream_drain(&ls);
	l->rawsize = ls.rawsize;
	l->gzsize = ls.gzsize;
	l->gz_in = ls.gz;
	l->hashed = lstream_close(&ls, l->raw, l->tar, l->gz, &l->herr);
	rc = judge(rc, l, arg, err);
	if (close(tfd) < 0 && rc == 0)
		rc = err_sys(err, "write %s", tmp);
	if (rc < 0) {
		store_tmp_discard(st->s, tmp);
		free(tmp);
		return -1;
	}
	staging_add(st, tmp, how ? l->gz : l->raw);
	return 0;
}

/* move every staged blob into the store, in the order staged (manifests last) */
int staging_commit(struct staging *st, struct error *err)
{
	int rc = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (rc == 0 && store_blob_commit(st->s, st->v[i].tmp, -1, st->v[i].digest, err) < 0)
			rc = -1;
		else if (rc < 0)
			unlink(st->v[i].tmp);
		free(st->v[i].tmp);
	}
	st->n = 0;
	return rc;
}

void staging_free(struct staging *st)
{
	for (size_t i = 0; i < st->n; i++) {
		unlink(st->v[i].tmp);
		free(st->v[i].tmp);
	}
	free(st->v);
	st->v = NULL;
	st->n = st->cap = 0;
}

