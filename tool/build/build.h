#ifndef STRATA_BUILD_H
#define STRATA_BUILD_H
/* The direct back end: run a plan's steps in order with the executor of each
   instruction, reusing every step whose key already has a result in the
   store, and write the target image to its tags and outputs. */
#include <stdbool.h>
#include <stddef.h>

#include "env.h"

struct error;
struct plan;

struct build_opts {
	const char *file;           /* -f; NULL: CONTEXT/Dockerfile */
	const char *file_data;      /* the Dockerfile's bytes when it is no file (-f -); file names it */
	size_t file_len;
	const char *context;
	const char **tags;          /* -t, normalised (ref_normalize) */
	size_t ntags;
	const char **outputs;       /* -o */
	size_t noutputs;
	struct env build_args;      /* --build-arg */
	const char *target;
	const char *platform;
	bool no_cache;
	bool quiet;
	int progress;               /* enum progress_mode (progress.h) unless quiet */
	/* keys only: compute every needed step's key (and whether the store has its result) without
	   building, then call on_plan with the plan holding them */
	void (*on_plan)(const struct plan *p, void *ctx);
	void *ctx;
};

/* build; the front end dies with a position on a bad Dockerfile, the rest returns -1 with err;
   the target's manifest digest goes to out */
int build_run(const struct build_opts *o, char out[72], struct error *err);

#endif
