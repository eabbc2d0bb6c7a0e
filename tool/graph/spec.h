#ifndef STRATA_SPEC_H
#define STRATA_SPEC_H
/* The build flags a graph was generated with, kept in its build directory
   (DIR/spec.json) so each step command builds exactly what gen planned. */
#include "build.h"

struct arena;
struct error;

/* save o's flags and the epoch into dir/spec.json (rewritten only when they change) */
int spec_write(const char *dir, const struct build_opts *o, long long epoch, struct error *err);
/* load them into o (strings in a) and *epoch; 0 or -1 with err */
int spec_read(struct arena *a, const char *dir, struct build_opts *o, long long *epoch, struct error *err);

#endif
