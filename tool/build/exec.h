#ifndef STRATA_EXEC_H
#define STRATA_EXEC_H
/* The executors: one per kind of instruction, each turning one step and the
   image before it into the image after it (a layer and/or a config change and
   a history entry). build.c decides which steps run and in what order; it
   finds a step's executor in one table (exec_find) and knows nothing of what
   the executor does. */
#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

struct compression;

struct arena;
struct copy_src;
struct error;
struct image;
struct layer_digests;
struct layer_entry;
struct run_opts;
struct step;
struct store;

/* what an executor gets for one step */
struct exec {
	struct arena *a;            /* freed after the build; the executor allocates from it */
	struct store *s;
	const struct step *step;
	struct image *img;          /* the stage's image before the step; the executor changes it */
	bool cmd_set;               /* in/out: CMD given earlier in this stage (ENTRYPOINT keeps it) */
	struct copy_src *src;       /* COPY/ADD: the sources, collected (and hashed) by the caller */
	const char *tmpdir;         /* this build's scratch directory in the store (ADD extracts here) */
	long long epoch;            /* SOURCE_DATE_EPOCH of the layer contract */
	const struct run_opts *run; /* RUN: the build's network, secrets and output settings */
	const struct compression *compression; /* how layers are compressed (--compression) */
	bool no_cache;              /* --no-cache: write every layer, reuse none */
	char *layer_key;            /* out, when set: a COPY whose layer needs no parent puts the key of
	                               that layer alone here (KEY_HEX bytes), else "" */
};

struct executor {
	enum instr instr;
	int (*run)(struct exec *x, struct error *err);
};

/* the executor of instr, or NULL when there is none (yet) */
const struct executor *exec_find(enum instr instr);
/* write entries as a layer blob into the store and append it to x->img */
int exec_add_layer(struct exec *x, struct layer_entry *e, size_t n, struct error *err);
/* write entries as a layer blob into the store, its digests into d (x->img untouched) */
int exec_write_layer(struct exec *x, struct layer_entry *e, size_t n, struct layer_digests *d, struct error *err);

#endif
