#ifndef STRATA_EXEC_RUN_H
#define STRATA_EXEC_RUN_H
/* RUN: the command in the sandbox (sandbox.h) on an overlay of the parent's
   extracted layers with a fresh upper directory, which becomes the step's
   layer. /etc/hosts, /etc/resolv.conf, /etc/hostname and the mount points
   come from a stub layer stacked on top, so none of them lands in the
   layer (docker removes its stubs too). */
#include <stdbool.h>

#include <stddef.h>

#include "runmount.h"
#include "sandbox.h"

struct arena;
struct error;
struct exec;
struct ignore;
struct image;
struct key;
struct store;
struct statcache;
struct step;

/* what the whole build says about RUN steps */
struct progress;

struct run_opts {
	enum sandbox_net net;       /* strata build --network: RUN --network overrides it */
	bool quiet;                 /* -q: the commands' output is not shown */
	struct progress *prog;      /* where the commands' output is shown (NULL: straight to stderr) */
	const struct run_secret *secrets;   /* --secret */
	size_t nsecrets;
	const char *context;        /* the build context, for bind mounts */
	const struct ignore *ignore;
	struct statcache *cache;    /* the context's stat cache (for a bind mount's key), or NULL */
	/* RUN --mount from=NAME: the image of stage NAME (built first) or of image NAME in the store,
	   into out (the caller frees it); with key set, its step key or manifest digest instead */
	int (*from)(void *ctx, const char *name, struct image *out, char key[72], struct error *err);
	void *ctx;
	bool drop_volatile;         /* --drop-volatile (volatile.h) */
};

/* the flags of RUN step s (--network, --security, --mount) are valid and the secrets it requires
   given; -1 with err when not */
int exec_run_check(struct arena *a, const struct step *s, const struct run_opts *o, struct error *err);
/* what running RUN step s needs of this machine: the host's root, and slirp4netns for the default
   network; -1 with err saying what is missing */
int exec_run_ready(const struct step *s, const struct run_opts *o, struct error *err);
/* feed into k what RUN step s reads besides its parent: the context files its bind mounts take
   (hashed as COPY hashes them), the key or digest of what a from= names */
int exec_run_key(struct arena *a, const struct step *s, const struct run_opts *o, struct key *k,
		 struct error *err);
/* strata run: what the user gave */
struct run_image_opts {
	enum sandbox_net net;
	const char *const *args;    /* the command, replacing Cmd (after the Entrypoint); none: Cmd */
	size_t nargs;
	const char *const *env;     /* -e K=V (K alone: strata's own value) */
	size_t nenv;
	const char *const *volumes; /* -v HOST:CTR[:ro|rw] */
	size_t nvolumes;
};

/* run img's Entrypoint and Cmd (or o->args) in the RUN sandbox, in the foreground with this process's
   stdin, stdout and stderr, its changes discarded; *status is its wait status; -1 with err when it
   could not start */
int run_image(struct store *s, struct image *img, const struct run_image_opts *o, int *status,
	      struct error *err);
/* RUN: x->step on x->img; adds its layer (none when it changed nothing) and history entry */
int exec_run(struct exec *x, struct error *err);

#endif
