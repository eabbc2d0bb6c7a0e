#ifndef STRATA_MAP_H
#define STRATA_MAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* A hash map from byte strings to values of one fixed size (0: a set), kept in insertion
   order: putting a key again keeps its place, so the order doubles as a work list and as
   the order a config lists its variables in. Everything lives in the caller's arena, or in
   the map's own when it has none. The fields are the map's own: use the functions. */
struct map {
	struct map_entry {
		const char *key; /* NUL-terminated copy (keys may hold NULs too: len counts) */
		size_t len;
		uint64_t hash;
	} *e;
	unsigned char *val; /* n values of vsize bytes, in the order of e */
	size_t n, cap, vsize;
	uint32_t *index;    /* open addressing: slot -> position + 1, 0 empty */
	size_t nindex;      /* a power of two, at least twice nindexed */
	size_t nindexed;    /* the entries in the index; map_append leaves the rest to the next lookup */
	struct arena *a;
	bool own;           /* a is the map's own, released by map_free */
};

/* an empty map of vsize-byte values allocated in a; with a NULL it makes its own arena */
void map_init(struct map *m, struct arena *a, size_t vsize);
/* release the map's own arena (nothing when it lives in the caller's); m is empty after */
void map_free(struct map *m);
/* the value of key[0, len), or NULL when absent */
void *map_getn(const struct map *m, const void *key, size_t len);
/* the hash map_gethn wants for key[0, len) */
uint64_t map_hash(const void *key, size_t len);
/* map_getn with the key's map_hash given: one hash for a lookup through several maps */
void *map_gethn(const struct map *m, const void *key, size_t len, uint64_t hash);
/* whether key[0, len) is there, and its position in insertion order into *pos */
bool map_findn(const struct map *m, const void *key, size_t len, size_t *pos);
/* the value of the NUL-terminated key, or NULL when absent */
void *map_get(const struct map *m, const char *key);
/* the value of key[0, len) to fill in: an existing key's (in place), else a new zeroed one
   appended (key copied); *added (when set) says which; valid until the next put or delete */
void *map_putn(struct map *m, const void *key, size_t len, bool *added);
/* room for n keys in all, so that adding that many moves no key or value (the index grows as
   it must) */
void map_reserve(struct map *m, size_t n);
/* key[0, len), which must not be in m, appended with a zeroed value to fill in, without hashing
   it: that waits for the next lookup, put or delete by key (which therefore writes to the map,
   even through a const pointer: no other thread may use the map then). For loading many keys of
   which few may be looked up by key (map_key and map_value by position never hash) */
void *map_append(struct map *m, const void *key, size_t len);
/* map_putn for a NUL-terminated key */
void *map_put(struct map *m, const char *key, bool *added);
/* remove key[0, len), the others keeping their order (linear in the size); whether it was there */
bool map_deln(struct map *m, const void *key, size_t len);
/* map_deln for a NUL-terminated key */
bool map_del(struct map *m, const char *key);
/* the number of keys */
size_t map_count(const struct map *m);
/* the i-th key in insertion order (i < map_count), NUL-terminated; its length into *len when set;
   the string stays put until the map's arena goes (puts and deletes move entries, not keys) */
const char *map_key(const struct map *m, size_t i, size_t *len);
/* the i-th value in insertion order (i < map_count) */
void *map_value(const struct map *m, size_t i);
/* dst: a copy of src in arena a, with room for a few more keys; the key strings are shared, so
   src's arena must outlive dst */
void map_copy(struct map *dst, const struct map *src, struct arena *a);

#endif
