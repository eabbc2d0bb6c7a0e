#include "exec.h"

#include <stdlib.h>
#include <unistd.h>

#include "exec_copy.h"
#include "exec_meta.h"
#include "exec_run.h"
#include "image.h"
#include "layer.h"
#include "store.h"

static const struct executor executors[] = {
	{I_ADD, exec_copy},
	{I_ARG, exec_meta},
	{I_CMD, exec_meta},
	{I_COPY, exec_copy},
	{I_ENTRYPOINT, exec_meta},
	{I_ENV, exec_meta},
	{I_EXPOSE, exec_meta},
	{I_HEALTHCHECK, exec_meta},
	{I_LABEL, exec_meta},
	{I_MAINTAINER, exec_meta},
	{I_ONBUILD, exec_meta},
	{I_RUN, exec_run},
	{I_SHELL, exec_meta},
	{I_STOPSIGNAL, exec_meta},
	{I_USER, exec_meta},
	{I_VOLUME, exec_meta},
	{I_WORKDIR, exec_workdir},
};

const struct executor *exec_find(enum instr instr)
{
	for (size_t i = 0; i < sizeof executors / sizeof *executors; i++)
		if (executors[i].instr == instr)
			return &executors[i];
	return NULL;
}

int exec_write_layer(struct exec *x, struct layer_entry *e, size_t n, struct layer_digests *d, struct error *err)
{
	char *tmp;
	int fd;
	if (store_tmpfile(x->s, &tmp, &fd, err) < 0)
		return -1;
	int r = layer_write(e, n, x->epoch, x->compression, fd, d, err);
	if (r < 0) {
		close(fd);
		unlink(tmp);
	} else {
		r = store_blob_commit(x->s, tmp, fd, d->digest, err);
	}
	free(tmp);
	return r;
}

int exec_add_layer(struct exec *x, struct layer_entry *e, size_t n, struct error *err)
{
	struct layer_digests d;
	int r = exec_write_layer(x, e, n, &d, err);
	if (r == 0)
		image_add_layer(x->img, &d);
	return r;
}
