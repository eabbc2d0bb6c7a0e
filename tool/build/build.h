#ifndef STRATA_BUILD_H
#define STRATA_BUILD_H
/* The direct back end: run a plan's steps in order with the executor of each
   instruction, reusing every step whose key already has a result in the
   store, and write the target image to its tags and outputs. */
#include <stdbool.h>
#include <stddef.h>

#include "compress.h"
#include "env.h"
#include "runmount.h"
#include "sandbox.h"

struct arena;
struct copy_src;
struct error;
struct plan;
struct store;

struct build_opts {
	const char *file;           /* -f; NULL: CONTEXT/Dockerfile */
	const char *file_data;      /* the Dockerfile's bytes when it is no file (-f -); file names it */
	size_t file_len;
	const char *context;
	const char **tags;          /* -t, normalised (ref_normalize) */
	size_t ntags;
	const char **outputs;       /* -o */
	size_t noutputs;
	/* writes each output (transport_export: the build stays below the transports) */
	int (*output)(struct store *s, const char *md, const char *dest, const char *name, struct error *err);
	struct env build_args;      /* --build-arg */
	const char *target;
	const char *platform;
	bool no_cache;
	bool drop_volatile;         /* --drop-volatile: RUN layers leave out volatile.h's list */
	bool quiet;
	enum sandbox_net network;   /* --network: RUN's default */
	const struct run_secret *secrets;  /* --secret */
	size_t nsecrets;
	int progress;               /* enum progress_mode (progress.h) unless quiet */
	bool keep_modes;            /* --keep-modes: context files keep their mode bits (docker's way) */
	const char **labels;        /* --label K=V: set on the target image */
	size_t nlabels;
	struct compression compression; /* --compression, --compression-level (zero: gzip 6) */
	bool allow_foreign_deflate;     /* --allow-foreign-deflate (set process-wide by the command; kept for strata gen) */
	/* one step (the graph back ends): build_run and build_keys go only up to step stop_step of
	   stage stop_stage (-1: its FROM), each step before it a cache hit; that step's key goes to
	   stop_key when set (KEY_HEX bytes), and build_run's digest is the image after it */
	bool stop;
	int stop_stage, stop_step;
	char *stop_key;
	/* keep a stat cache of each context source set in this folder (STAGE.STEP.stat) */
	const char *statcache_dir;
	/* else keep one stat cache of the context in the store (build_run only; not for a context
	   that is a temporary directory) */
	bool context_statcache;
};

/* The keys-only pass, which the Make and Ninja back ends build on: parse and plan the Dockerfile
   (in a), then fill every needed step's key and cached flag (struct step) in order, without
   building anything. It reads the Dockerfile, the context, the .dockerignore and the store
   (base images' ENV and ONBUILD, tags, step results) and writes nothing: no root, no mount
   namespace, no temporary directory, no store lock, so any user who can read the store may
   run it. A COPY --from step's key takes its source stage's key or image digest, a context
   COPY's the hash of its sources; tags, outputs and no_cache are not used. The front end dies
   with a position on a bad Dockerfile; the rest returns -1 with err. */
int build_keys(const struct build_opts *o, struct arena *a, struct plan **out, struct error *err);
/* the plan alone (in a): no key computed, no source read */
int build_plan(const struct build_opts *o, struct arena *a, struct plan **out, struct error *err);
/* collect the context sources of COPY/ADD step stop_stage.stop_step and hand them to fn;
   0 or -1 with err (positioned at the step) */
int build_sources(const struct build_opts *o, int (*fn)(const struct copy_src *src, void *ctx, struct error *err),
		  void *ctx, struct error *err);
/* the layer of step stop_stage.stop_step alone, a COPY/ADD from the context to an absolute path
   that needs no parent (--link, or the first step after FROM scratch): written into the store and
   filed under its layer key (into key, KEY_HEX bytes), which the step itself then finds, whatever
   the image below it; 0 or -1 with err */
int build_layer(const struct build_opts *o, char *key, struct error *err);
/* build; the front end dies with a position on a bad Dockerfile, the rest returns -1 with err;
   the target's manifest digest goes to out */
int build_run(const struct build_opts *o, char out[72], struct error *err);

#endif
