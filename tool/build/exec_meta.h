#ifndef STRATA_EXEC_META_H
#define STRATA_EXEC_META_H
/* The metadata instructions (ENV, LABEL, MAINTAINER, EXPOSE, USER, VOLUME,
   STOPSIGNAL, CMD, ENTRYPOINT, SHELL, ONBUILD, HEALTHCHECK, ARG): a config
   change and a history entry, no layer. */
struct error;
struct exec;

/* apply x->step to x->img's config and add its empty-layer history entry */
int exec_meta(struct exec *x, struct error *err);

#endif
