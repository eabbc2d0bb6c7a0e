#ifndef STRATA_ENV_H
#define STRATA_ENV_H
#include <stddef.h>
#include <stdint.h>

struct arena;

/* an ordered set of NAME=VALUE pairs; setting a name again replaces its value in place.
   Lookups that miss go on to the fallback env, so a step's shell env (ENV over the build
   args) needs no merged copy. */
struct env {
	struct envvar {
		const char *name, *value;
	} *v;
	size_t n, cap;
	uint32_t *index;          /* open addressing: slot -> position + 1, 0 empty */
	size_t nindex;            /* a power of two, at least twice n */
	const struct env *fallback;
	struct arena *a;
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

#endif
