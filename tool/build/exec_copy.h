#ifndef STRATA_EXEC_COPY_H
#define STRATA_EXEC_COPY_H
/* The executors that write files: COPY and ADD (the sources mapped onto the
   destination through the parent's filesystem) and WORKDIR (its directory,
   made when the parent lacks it). */
struct arena;
struct copy_opts;
struct copy_src;
struct error;
struct exec;
struct step;

/* the sources of COPY/ADD step s below o->root (the caller sets root, context, ignore and what;
   --exclude comes from the step): its paths collected, its heredocs added as files */
int exec_copy_sources(struct arena *a, const struct step *s, struct copy_opts *o, struct copy_src **src,
		      struct error *err);
/* COPY and ADD: x->src as a layer on x->img */
int exec_copy(struct exec *x, struct error *err);
/* WORKDIR: set the working directory, making it (owned by the current USER) when missing */
int exec_workdir(struct exec *x, struct error *err);

#endif
