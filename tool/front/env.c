#include "env.h"

#include <string.h>

#include "util.h"

void env_init(struct env *e, struct arena *a)
{
	map_init(&e->m, a, sizeof(const char *));
	e->fallback = NULL;
}

void env_set(struct env *e, const char *name, const char *value)
{
	const char **v = map_put(&e->m, name, NULL);
	*v = value ? arena_strdup(e->m.a, value) : NULL;
}

const char *env_getn(const struct env *e, const char *name, size_t n)
{
	uint64_t h = map_hash(name, n);
	for (; e; e = e->fallback) {
		const char **v = map_gethn(&e->m, name, n, h);
		if (v)
			return *v;
	}
	return NULL;
}

const char *env_get(const struct env *e, const char *name)
{
	return env_getn(e, name, strlen(name));
}

void env_unset(struct env *e, const char *name)
{
	map_del(&e->m, name);
}

void env_copy(struct env *dst, const struct env *src, struct arena *a)
{
	map_copy(&dst->m, &src->m, a);
	dst->fallback = NULL;
}

size_t env_count(const struct env *e)
{
	return map_count(&e->m);
}

const char *env_name(const struct env *e, size_t i)
{
	return map_key(&e->m, i, NULL);
}

const char *env_value(const struct env *e, size_t i)
{
	return *(const char **)map_value(&e->m, i);
}
