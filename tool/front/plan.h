#ifndef STRATA_PLAN_H
#define STRATA_PLAN_H
/* The plan: a parsed Dockerfile turned into stages and steps, with ARG/ENV
   scoping applied, the words of every expanding instruction expanded, flags
   validated, stage references resolved and the stages the target needs
   marked. Pure: the only outside knowledge (a base image's ENV and ONBUILD
   triggers) comes through a callback. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "env.h"
#include "parse.h"

struct arena;

/* the PATH docker puts in an image whose base has none */
#define PLAN_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct kv {
	const char *key, *value;  /* ARG: the value in scope, NULL when it has none */
	size_t off;               /* offset in the step's logical line */
};

struct flag {
	const char *name, *value; /* "--chown=1:2" -> "chown", "1:2"; a bare bool flag -> "true" */
	size_t off;
};

struct step {
	const struct node *node;
	enum instr instr;
	const char *original;          /* the logical line (for ONBUILD: the trigger text) */
	struct flag *flags;
	size_t nflags;
	const char **args;             /* expanded where the instruction expands, else as parsed */
	size_t nargs;
	bool json;
	struct kv *kvs;                /* ENV, LABEL, ARG */
	size_t nkvs;
	int from_stage;                /* COPY --from (or RUN --mount from=) naming a stage: its index, else -1 */
	const char *from_image;        /* COPY --from naming an image, else NULL */
	const struct env *env;         /* ENV in force before this step (base image's and the stage's) */
	const struct env *args_env;    /* build args in scope before this step, with their values */
	bool from_onbuild;             /* a trigger of the base image */
	char key[33];                  /* the step key, once a back end computed it ("" before) */
	bool cached;                   /* the store has a result for key */
	bool needs_parent;             /* COPY/ADD/WORKDIR whose layer depends on the parent's filesystem
	                                  (no --link, or --chown by name): it cannot be written before the
	                                  parent is built */
};

struct stage {
	int index;
	const char *name;              /* lower-cased AS name, or NULL */
	const char *base;              /* FROM's image or stage name, expanded */
	int base_stage;                /* index of the stage FROM names, or -1 */
	const char *platform;          /* FROM --platform, expanded, or NULL */
	const struct node *from;       /* the FROM node */
	struct step *steps;
	size_t nsteps;
	int *deps;                     /* stages this one reads (base, --from), no repeats */
	size_t ndeps;
	bool needed;                   /* the target depends on it */
	const struct env *env_end;     /* ENV after the last step */
};

/* what the plan may learn of a base image; the callback returns 0 when it knows nothing */
struct base_info {
	struct env env;
	const char **onbuild;
	size_t nonbuild;
};

struct plan_opts {
	struct env build_args;         /* --build-arg K=V */
	const char *target;            /* --target, or NULL for the last stage */
	const char *platform;          /* --platform, or NULL for the host's */
	int (*base)(void *ctx, const char *image, const char *platform, struct base_info *out);
	void *ctx;
};

struct plan {
	const struct dockerfile *df;
	struct stage *stages;
	size_t n;
	int target;
	struct kv *meta_args;          /* the global ARGs with their values */
	size_t nmeta;
	struct env build_args;
	const char *platform;          /* target platform, os/arch[/variant] */
	const char *unused_args;       /* --build-args no ARG consumed, comma-separated, or NULL */
	struct map stage_names;        /* lower-cased stage name -> its index, a size_t (the latest of a name) */
	const char **warnings;         /* BuildKit's lint warnings: "FILE:LINE:COL: Rule: text" */
	size_t nwarnings;
	bool has_epoch;                /* SOURCE_DATE_EPOCH came as a build arg or a global ARG */
	long long epoch;               /* its value then (it overrides the environment's) */
};

/* build the plan of df; dies with "PATH:LINE:COL: ..." on any error */
struct plan *plan_build(struct arena *a, const struct dockerfile *df, const struct plan_opts *o);
/* write the plan as JSON (stages, steps, expanded arguments, source lines) */
void plan_json(FILE *f, const struct plan *p);
/* true when argument a of n (as written or expanded) is the marker of one of n's heredocs */
bool plan_heredoc_arg(const struct node *n, const char *a);
/* the index of the stage named name (any case), the latest of that name, or -1 */
int plan_stage_named(const struct plan *p, const char *name);
/* the value of step flag name, or NULL */
const char *step_flag(const struct step *s, const char *name);
/* Go's time.ParseDuration in nanoseconds; -1 when invalid, negative or too large */
long long plan_duration(const char *s);

#endif
