#include "map.h"

#include <string.h>
/* inlined: most keys are short names, where the call would cost as much as the hash */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

void map_init(struct map *m, struct arena *a, size_t vsize)
{
	memset(m, 0, sizeof *m);
	m->vsize = vsize;
	m->own = !a;
	m->a = a ? a : arena_new();
}

void map_free(struct map *m)
{
	if (m->own)
		arena_free(m->a);
	size_t vsize = m->vsize;
	memset(m, 0, sizeof *m);
	m->vsize = vsize;
}

/* the slot of key: holding it, or the empty one where it would go (nindex > 0) */
static size_t slot(const struct map *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->nindex - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint32_t k = m->index[i];
		if (!k)
			return i;
		const struct map_entry *e = &m->e[k - 1];
		if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0)
			return i;
	}
}

/* entry i into the index, where it is not yet (the key's hash known) */
static void index_put(struct map *m, size_t i)
{
	size_t mask = m->nindex - 1, s = (size_t)m->e[i].hash & mask;
	while (m->index[s])
		s = (s + 1) & mask;
	m->index[s] = (uint32_t)(i + 1);
}

/* a fresh index of size slots over the entries (their hashes kept, so no key is read) */
static void reindex(struct map *m, size_t size)
{
	if (size != m->nindex)
		m->index = arena_alloc(m->a, size * sizeof *m->index);
	memset(m->index, 0, size * sizeof *m->index);
	m->nindex = size;
	for (size_t i = 0; i < m->n; i++)
		index_put(m, i);
	m->nindexed = m->n;
}

/* hash and index the keys map_append left out */
static void index_rest(struct map *m)
{
	for (size_t i = m->nindexed; i < m->n; i++)
		m->e[i].hash = XXH3_64bits(m->e[i].key, m->e[i].len);
	size_t size = m->nindex ? m->nindex : 16;
	while (size < 2 * m->n)
		size *= 2;
	if (size != m->nindex)
		reindex(m, size);
	else
		for (size_t i = m->nindexed; i < m->n; i++)
			index_put(m, i);
	m->nindexed = m->n;
}

static size_t find(const struct map *m, const void *key, size_t len, uint64_t h)
{
	/* the index is made up to date on the first lookup after map_append, which writes to the
	   map however it is passed (map.h says so) */
	if (m->nindexed < m->n)
		index_rest((struct map *)m);
	if (!m->nindex)
		return 0;
	return m->index[slot(m, key, len, h)];
}

uint64_t map_hash(const void *key, size_t len)
{
	return XXH3_64bits(key, len);
}

void *map_gethn(const struct map *m, const void *key, size_t len, uint64_t hash)
{
	size_t k = find(m, key, len, hash);
	return k ? m->val + (k - 1) * m->vsize : NULL;
}

void *map_getn(const struct map *m, const void *key, size_t len)
{
	if (!m->n)
		return NULL;
	return map_gethn(m, key, len, XXH3_64bits(key, len));
}

bool map_findn(const struct map *m, const void *key, size_t len, size_t *pos)
{
	size_t k = m->n ? find(m, key, len, XXH3_64bits(key, len)) : 0;
	if (k)
		*pos = k - 1;
	return k != 0;
}

void *map_get(const struct map *m, const char *key)
{
	return map_getn(m, key, strlen(key));
}

/* room for need entries */
static void grow(struct map *m, size_t need)
{
	if (need <= m->cap)
		return;
	/* a set's values take a byte each, so that a present key's value is never NULL */
	size_t cap = m->cap;
	m->val = array_grow(m->val, &cap, need, m->vsize ? m->vsize : 1, m->a);
	cap = m->cap;
	m->e = array_grow(m->e, &cap, need, sizeof *m->e, m->a);
	m->cap = cap;
}

void map_reserve(struct map *m, size_t n)
{
	if (n > UINT32_MAX)
		oom();
	grow(m, n);
}

/* key[0, len) as the new last key, its value zeroed */
static void *append(struct map *m, const void *key, size_t len, uint64_t h)
{
	if (m->n == UINT32_MAX) /* the index holds positions in 32 bits: half the memory */
		oom();
	grow(m, m->n + 1);
	char *copy = arena_alloc(m->a, len + 1);
	memcpy(copy, key, len);
	copy[len] = 0;
	m->e[m->n] = (struct map_entry){copy, len, h};
	unsigned char *v = m->val + m->n * m->vsize;
	memset(v, 0, m->vsize);
	m->n++;
	return v;
}

void *map_append(struct map *m, const void *key, size_t len)
{
	return append(m, key, len, 0);
}

void *map_putn(struct map *m, const void *key, size_t len, bool *added)
{
	uint64_t h = XXH3_64bits(key, len);
	size_t k = find(m, key, len, h);
	if (added)
		*added = !k;
	if (k)
		return m->val + (k - 1) * m->vsize;
	unsigned char *v = append(m, key, len, h);
	if (m->n * 2 > m->nindex) {
		reindex(m, m->nindex ? m->nindex * 2 : 16);
	} else {
		index_put(m, m->n - 1);
		m->nindexed = m->n;
	}
	return v;
}

void *map_put(struct map *m, const char *key, bool *added)
{
	return map_putn(m, key, strlen(key), added);
}

bool map_deln(struct map *m, const void *key, size_t len)
{
	size_t k = find(m, key, len, XXH3_64bits(key, len));
	if (!k)
		return false;
	size_t i = k - 1, rest = m->n - i - 1;
	memmove(&m->e[i], &m->e[i + 1], rest * sizeof *m->e);
	memmove(m->val + i * m->vsize, m->val + (i + 1) * m->vsize, rest * m->vsize);
	m->n--;
	reindex(m, m->nindex);
	return true;
}

bool map_del(struct map *m, const char *key)
{
	return map_deln(m, key, strlen(key));
}

size_t map_count(const struct map *m)
{
	return m->n;
}

const char *map_key(const struct map *m, size_t i, size_t *len)
{
	if (len)
		*len = m->e[i].len;
	return m->e[i].key;
}

void *map_value(const struct map *m, size_t i)
{
	return m->val + i * m->vsize;
}

void map_copy(struct map *dst, const struct map *src, struct arena *a)
{
	map_init(dst, a, src->vsize);
	if (!src->n)
		return;
	dst->cap = src->n + 8;
	dst->e = arena_alloc(dst->a, dst->cap * sizeof *dst->e);
	dst->val = arena_alloc(dst->a, dst->cap * (dst->vsize ? dst->vsize : 1));
	memcpy(dst->e, src->e, src->n * sizeof *dst->e);
	memcpy(dst->val, src->val, src->n * src->vsize);
	dst->n = src->n;
	/* keys map_append left out of src's index stay out of dst's, which the first lookup fills in */
	dst->nindexed = src->nindexed;
	if (!src->nindex)
		return;
	dst->nindex = src->nindex;
	dst->index = arena_alloc(dst->a, src->nindex * sizeof *dst->index);
	memcpy(dst->index, src->index, src->nindex * sizeof *dst->index);
}
