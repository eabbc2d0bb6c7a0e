#include "env.h"

#include <string.h>

#include "util.h"

void env_init(struct env *e, struct arena *a)
{
	e->v = NULL;
	e->n = e->cap = 0;
	e->a = a;
}

static struct envvar *find(const struct env *e, const char *name, size_t n)
{
	for (size_t i = 0; i < e->n; i++)
		if (strlen(e->v[i].name) == n && memcmp(e->v[i].name, name, n) == 0)
			return &e->v[i];
	return NULL;
}

void env_set(struct env *e, const char *name, const char *value)
{
	struct envvar *v = find(e, name, strlen(name));
	char *val = value ? arena_strdup(e->a, value) : NULL;
	if (v) {
		v->value = val;
		return;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct envvar *nv = arena_alloc(e->a, cap * sizeof *nv);
		if (e->n)
			memcpy(nv, e->v, e->n * sizeof *nv);
		e->v = nv;
		e->cap = cap;
	}
	e->v[e->n].name = arena_strdup(e->a, name);
	e->v[e->n].value = val;
	e->n++;
}

const char *env_getn(const struct env *e, const char *name, size_t n)
{
	struct envvar *v = find(e, name, n);
	return v ? v->value : NULL;
}

const char *env_get(const struct env *e, const char *name)
{
	return env_getn(e, name, strlen(name));
}

void env_unset(struct env *e, const char *name)
{
	struct envvar *v = find(e, name, strlen(name));
	if (!v)
		return;
	size_t i = (size_t)(v - e->v);
	memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof *v);
	e->n--;
}

void env_copy(struct env *dst, const struct env *src, struct arena *a)
{
	env_init(dst, a);
	for (size_t i = 0; i < src->n; i++)
		env_set(dst, src->v[i].name, src->v[i].value);
}
