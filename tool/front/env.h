#ifndef STRATA_ENV_H
#define STRATA_ENV_H
#include <stddef.h>

#include "map.h"

struct arena;

/* an ordered set of NAME=VALUE pairs; setting a name again replaces its value in place.
   Lookups that miss go on to the fallback env, so a step's shell env (ENV over the build
   args) needs no merged copy; a copy of the struct is a read-only view. */
struct env {
	struct map m;             /* name -> const char * value (NULL: declared, unset) */
	const struct env *fallback;
};

/* an empty env whose strings live in a */
void env_init(struct env *e, struct arena *a);
/* set name to value (both copied); a NULL value keeps name declared but unset */
void env_set(struct env *e, const char *name, const char *value);
/* the value of name, or NULL when unset (here or in the fallback); names are case-sensitive */
const char *env_get(const struct env *e, const char *name);
/* same, for a name of n bytes */
const char *env_getn(const struct env *e, const char *name, size_t n);
/* remove name if set here */
void env_unset(struct env *e, const char *name);
/* a copy of src's own pairs in arena a (strings shared, not copied; no fallback) */
void env_copy(struct env *dst, const struct env *src, struct arena *a);
/* the number of e's own pairs (not the fallback's) */
size_t env_count(const struct env *e);
/* the name of e's i-th own pair, in the order first set */
const char *env_name(const struct env *e, size_t i);
/* the value of e's i-th own pair (NULL: declared, unset) */
const char *env_value(const struct env *e, size_t i);

#endif
