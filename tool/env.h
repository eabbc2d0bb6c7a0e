#ifndef STRATA_ENV_H
#define STRATA_ENV_H
#include <stddef.h>

struct arena;

/* an ordered set of NAME=VALUE pairs; setting a name again replaces its value in place */
struct env {
	struct envvar {
		char *name, *value;
	} *v;
	size_t n, cap;
	struct arena *a;
};

/* an empty env whose strings live in a */
void env_init(struct env *e, struct arena *a);
/* set name to value (both copied); a NULL value keeps name declared but unset */
void env_set(struct env *e, const char *name, const char *value);
/* the value of name, or NULL when unset; names are case-sensitive */
const char *env_get(const struct env *e, const char *name);
/* same, for a name of n bytes */
const char *env_getn(const struct env *e, const char *name, size_t n);
/* remove name if set */
void env_unset(struct env *e, const char *name);
/* a copy of src in arena a */
void env_copy(struct env *dst, const struct env *src, struct arena *a);

#endif
