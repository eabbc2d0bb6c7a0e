#ifndef STRATA_GRAPH_H
#define STRATA_GRAPH_H
/* The Make and Ninja back ends: a Dockerfile written as a build graph in
   which every instruction is a target with content-hashed inputs, and the
   small idempotent commands its recipes call. Files under the build
   directory (source-set digests, keys, images) are rewritten only when
   their bytes change, so the build tool's own up-to-date check (Ninja's
   restat, Make's stamp pairs) decides what runs. */
#include <stdbool.h>
#include <stddef.h>

#include "build.h"

struct error;

struct graph_opts {
	struct build_opts b;        /* the build flags: -f, -t, -o, --build-arg, --target, --platform, CONTEXT */
	const char *out;            /* the Makefile or build.ninja to write */
	bool ninja;
	const char *builddir;       /* NULL: .strata/BASENAME(out) beside out */
	const char **inputs;        /* --input: extra prerequisites of every source set */
	size_t ninputs;
	int layer_jobs;             /* at most this many steps write layers at once (0: the CPU count) */
	const char *const *argv;    /* the gen command's own arguments after "gen", for the regeneration rule */
	size_t argc;
};

/* write the graph and its build directory; a bad Dockerfile dies with its position before
   anything is written; 0 or -1 with err */
int graph_gen(const struct graph_opts *o, struct error *err);

enum graph_verb {
	GRAPH_HASH,     /* a source set: digest file and depfile */
	GRAPH_KEY,      /* a step's key file */
	GRAPH_RUN,      /* a step's result (a lookup when the store has it), into its image file */
	GRAPH_IMAGE,    /* the target image: tags, and its manifest digest into the image file */
	GRAPH_OUTPUT,   /* one -o destination */
	GRAPH_LAYER,    /* the layer alone of a step that needs no parent (COPY --link) */
	GRAPH_SETTLE,   /* Make: nodes' mtimes up to their stamps once all is built (make -q agrees) */
};

/* run one command of the graph in builddir on node id ("STAGE.STEP", an output's number);
   make: also touch the node's stamp and write Make's depfile; 0 or -1 with err */
int graph_step(enum graph_verb v, const char *builddir, const char *id, bool make, struct error *err);

#endif
