#include "env.h"

#include <string.h>

#include "util.h"

void env_init(struct env *e, struct arena *a)
{
	memset(e, 0, sizeof *e);
	e->a = a;
}

static size_t hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return (size_t)h;
}

/* the slot of name: holding it, or the empty one where it would go */
static size_t slot(const struct env *e, const char *name, size_t n)
{
	size_t mask = e->nindex - 1, i = hash(name, n) & mask;
	for (;;) {
		uint32_t k = e->index[i];
		if (!k)
			return i;
		const char *kn = e->v[k - 1].name;
		if (strncmp(kn, name, n) == 0 && kn[n] == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static void reindex(struct env *e, size_t size)
{
	e->index = arena_alloc(e->a, size * sizeof *e->index);
	memset(e->index, 0, size * sizeof *e->index);
	e->nindex = size;
	for (size_t i = 0; i < e->n; i++)
		e->index[slot(e, e->v[i].name, strlen(e->v[i].name))] = (uint32_t)(i + 1);
}

static struct envvar *find(const struct env *e, const char *name, size_t n)
{
	if (!e->nindex)
		return NULL;
	uint32_t k = e->index[slot(e, name, n)];
	return k ? &e->v[k - 1] : NULL;
}

void env_set(struct env *e, const char *name, const char *value)
{
	struct envvar *v = find(e, name, strlen(name));
	const char *val = value ? arena_strdup(e->a, value) : NULL;
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
	if (e->n * 2 > e->nindex)
		reindex(e, e->nindex ? e->nindex * 2 : 32);
	else
		e->index[slot(e, name, strlen(name))] = (uint32_t)e->n;
}

const char *env_getn(const struct env *e, const char *name, size_t n)
{
	for (; e; e = e->fallback) {
		struct envvar *v = find(e, name, n);
		if (v)
			return v->value;
	}
	return NULL;
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
	reindex(e, e->nindex);
}

void env_copy(struct env *dst, const struct env *src, struct arena *a)
{
	env_init(dst, a);
	if (!src->n)
		return;
	dst->cap = src->n + 8;
	dst->v = arena_alloc(a, dst->cap * sizeof *dst->v);
	memcpy(dst->v, src->v, src->n * sizeof *dst->v);
	dst->n = src->n;
	dst->nindex = src->nindex;
	dst->index = arena_alloc(a, src->nindex * sizeof *dst->index);
	memcpy(dst->index, src->index, src->nindex * sizeof *dst->index);
}
