/* the string map: insert, lookup, replace, delete, growth, insertion order, copies, sets,
   binary keys, its own arena; and env on top of it (fallback, unset, order) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "env.h"
#include "map.h"
#include "util.h"

struct pair {
	size_t a;
	unsigned long long b;
};

static void basics(struct arena *a)
{
	struct map m;
	map_init(&m, a, sizeof(int));
	CHECK("empty get", !map_get(&m, "x") && map_count(&m) == 0, "found a key in an empty map");
	CHECK("empty delete", !map_del(&m, "x"), "deleted from an empty map");
	bool added = false;
	*(int *)map_put(&m, "one", &added) = 1;
	CHECK("insert says added", added, "added false on a new key");
	*(int *)map_put(&m, "two", NULL) = 2;
	*(int *)map_put(&m, "three", NULL) = 3;
	int *v = map_get(&m, "two");
	CHECK("lookup", v && *v == 2, "got %d", v ? *v : -1);
	CHECK("lookup miss", !map_get(&m, "four") && !map_get(&m, "tw") && !map_get(&m, "twoo"),
	      "a prefix or extension of a key matched");
	CHECK("lookup by length", map_getn(&m, "twofold", 3) && *(int *)map_getn(&m, "twofold", 3) == 2,
	      "map_getn did not stop at len");
	int *r = map_put(&m, "one", &added);
	CHECK("replace keeps value", !added && *r == 1, "added %d value %d", added, *r);
	*r = 11;
	CHECK("replace in place", *(int *)map_get(&m, "one") == 11 && map_count(&m) == 3 &&
	      !strcmp(map_key(&m, 0, NULL), "one"), "count %zu first %s", map_count(&m), map_key(&m, 0, NULL));
	CHECK("new value zeroed", *(int *)map_put(&m, "zero", NULL) == 0, "a new value was not zero");
	CHECK("delete", map_del(&m, "two") && !map_get(&m, "two") && map_count(&m) == 3, "still there");
	CHECK("delete keeps order",
	      !strcmp(map_key(&m, 0, NULL), "one") && !strcmp(map_key(&m, 1, NULL), "three") &&
	      !strcmp(map_key(&m, 2, NULL), "zero") && *(int *)map_value(&m, 1) == 3 &&
	      *(int *)map_get(&m, "zero") == 0 && *(int *)map_get(&m, "three") == 3,
	      "order after delete: %s %s %s", map_key(&m, 0, NULL), map_key(&m, 1, NULL), map_key(&m, 2, NULL));
	CHECK("delete twice", !map_del(&m, "two"), "deleted a deleted key");
	*(int *)map_put(&m, "two", NULL) = 22;
	CHECK("reinsert goes last", !strcmp(map_key(&m, 3, NULL), "two") && *(int *)map_value(&m, 3) == 22,
	      "last is %s", map_key(&m, 3, NULL));
	*(int *)map_put(&m, "", NULL) = 7;
	CHECK("empty key", map_get(&m, "") && *(int *)map_get(&m, "") == 7, "the empty key is lost");
	size_t pos = 99;
	CHECK("position", map_findn(&m, "twofold", 3, &pos) && pos == 3 && map_findn(&m, "", 0, &pos) && pos == 4,
	      "two at %zu", pos);
	pos = 99;
	CHECK("position miss", !map_findn(&m, "tw", 2, &pos) && pos == 99, "found tw at %zu", pos);
}

static void growth(struct arena *a)
{
	struct map m;
	map_init(&m, a, sizeof(struct pair));
	enum { N = 100000 };
	char k[32];
	for (size_t i = 0; i < N; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		struct pair *p = map_put(&m, k, NULL);
		p->a = i;
		p->b = i * 3ull;
	}
	size_t bad = N;
	for (size_t i = 0; i < N && bad == N; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		struct pair *p = map_get(&m, k);
		if (!p || p->a != i || p->b != i * 3ull)
			bad = i;
	}
	CHECK("growth lookups", map_count(&m) == N && bad == N, "count %zu, key-%zu wrong", map_count(&m), bad);
	bad = N;
	for (size_t i = 0; i < N && bad == N; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		size_t len;
		const char *key = map_key(&m, i, &len);
		if (strcmp(key, k) || len != strlen(k) || ((struct pair *)map_value(&m, i))->a != i)
			bad = i;
	}
	CHECK("iteration order is insertion order", bad == N, "position %zu holds %s", bad,
	      bad < N ? map_key(&m, bad, NULL) : "");
	/* a delete is linear in the size: half of a smaller map */
	enum { D = 4000 };
	struct map d;
	map_init(&d, a, sizeof(size_t));
	for (size_t i = 0; i < D; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		*(size_t *)map_put(&d, k, NULL) = i;
	}
	for (size_t i = 0; i < D; i += 2) {
		snprintf(k, sizeof k, "key-%zu", i);
		map_del(&d, k);
	}
	bad = D;
	for (size_t i = 0; i < D && bad == D; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		size_t *p = map_get(&d, k);
		if (i % 2 ? !p || *p != i || *(size_t *)map_value(&d, i / 2) != i : p != NULL)
			bad = i;
	}
	CHECK("delete half", map_count(&d) == D / 2 && bad == D, "count %zu, key-%zu wrong", map_count(&d), bad);
}

static void copies(struct arena *a)
{
	struct map m, c;
	map_init(&m, a, sizeof(size_t));
	for (size_t i = 0; i < 40; i++) {
		char k[16];
		snprintf(k, sizeof k, "s%zu", i);
		*(size_t *)map_put(&m, k, NULL) = i;
	}
	map_copy(&c, &m, a);
	*(size_t *)map_get(&c, "s3") = 300;
	map_del(&c, "s0");
	for (size_t i = 40; i < 100; i++) {
		char k[16];
		snprintf(k, sizeof k, "s%zu", i);
		*(size_t *)map_put(&c, k, NULL) = i;
	}
	CHECK("copy is independent", *(size_t *)map_get(&m, "s3") == 3 && map_get(&m, "s0") && !map_get(&m, "s50") &&
	      map_count(&m) == 40, "the source changed");
	CHECK("copy has all", map_count(&c) == 99 && *(size_t *)map_get(&c, "s3") == 300 &&
	      *(size_t *)map_get(&c, "s99") == 99 && !strcmp(map_key(&c, 0, NULL), "s1"), "count %zu", map_count(&c));
	struct map empty, ec;
	map_init(&empty, a, sizeof(int));
	map_copy(&ec, &empty, a);
	*(int *)map_put(&ec, "x", NULL) = 1;
	struct map set, sc;
	map_init(&set, a, 0);
	for (size_t i = 0; i < 20; i++) {
		char k[16];
		snprintf(k, sizeof k, "p%zu", i);
		map_put(&set, k, NULL);
	}
	map_copy(&sc, &set, a);
	for (size_t i = 0; i < 200; i++) {
		char k[16];
		snprintf(k, sizeof k, "p%zu", i);
		map_put(&sc, k, NULL);
	}
	CHECK("copy of a set grows", map_count(&sc) == 200 && map_get(&sc, "p199") && map_get(&sc, "p0") &&
	      map_count(&set) == 20 && !map_get(&set, "p20"), "counts %zu %zu", map_count(&sc), map_count(&set));
	CHECK("copy of empty", map_count(&ec) == 1 && map_count(&empty) == 0, "counts %zu %zu", map_count(&ec),
	      map_count(&empty));
}

/* keys appended without hashing: the next lookup, put, delete or copy sees them all, in order */
static void appends(struct arena *a)
{
	struct map m;
	map_init(&m, a, sizeof(int));
	map_reserve(&m, 1000);
	char k[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "a%d", i);
		*(int *)map_append(&m, k, strlen(k)) = i;
	}
	CHECK("append by position", map_count(&m) == 1000 && !strcmp(map_key(&m, 999, NULL), "a999") &&
	      *(int *)map_value(&m, 500) == 500, "count %zu", map_count(&m));
	struct map c;
	map_copy(&c, &m, a);
	int *v = map_get(&m, "a777");
	CHECK("append then lookup", v && *v == 777 && !map_get(&m, "a1000"), "a777 is %d", v ? *v : -1);
	bool added = true;
	v = map_put(&m, "a3", &added);
	CHECK("append then put", !added && *v == 3 && map_count(&m) == 1000, "added %d count %zu", added, map_count(&m));
	*(int *)map_append(&m, "b", 1) = -1;
	*(int *)map_put(&m, "c", NULL) = -2;
	CHECK("append after lookup", map_get(&m, "b") && *(int *)map_get(&m, "b") == -1 && map_count(&m) == 1002 &&
	      !strcmp(map_key(&m, 1000, NULL), "b") && !strcmp(map_key(&m, 1001, NULL), "c"), "count %zu", map_count(&m));
	*(int *)map_append(&m, "d", 1) = -3;
	CHECK("append then delete", map_del(&m, "b") && !map_get(&m, "b") && *(int *)map_get(&m, "d") == -3 &&
	      *(int *)map_get(&m, "a999") == 999, "lost a key");
	v = map_get(&c, "a123");
	CHECK("copy of appended keys", v && *v == 123 && map_count(&c) == 1000 && !map_get(&c, "b"), "a123 in the copy");
}

static void sets_and_binary(void)
{
	/* its own arena: map_free releases it (LeakSanitizer checks) */
	struct map s;
	map_init(&s, NULL, 0);
	bool added;
	map_put(&s, "a", &added);
	bool first = added;
	map_put(&s, "a", &added);
	CHECK("set", first && !added && map_get(&s, "a") && !map_get(&s, "b") && map_count(&s) == 1,
	      "a set of one key");
	struct {
		unsigned long long dev, ino;
	} k1 = {1, 0}, k2 = {0, 1}, k3 = {1, 0};
	struct map b;
	map_init(&b, NULL, sizeof(int));
	*(int *)map_putn(&b, &k1, sizeof k1, NULL) = 1;
	*(int *)map_putn(&b, &k2, sizeof k2, NULL) = 2;
	int *v = map_getn(&b, &k3, sizeof k3);
	CHECK("binary keys with NULs", map_count(&b) == 2 && v && *v == 1 && *(int *)map_getn(&b, &k2, sizeof k2) == 2,
	      "count %zu", map_count(&b));
	map_free(&b);
	map_free(&s);
	CHECK("free empties", map_count(&s) == 0 && !map_get(&s, "a"), "a freed map still has keys");
}

static void env(struct arena *a)
{
	struct env g, e;
	env_init(&g, a);
	env_init(&e, a);
	env_set(&g, "ARG", "global");
	env_set(&g, "SHARED", "from-args");
	env_set(&e, "SHARED", "from-env");
	env_set(&e, "UNSET", NULL);
	e.fallback = &g;
	CHECK_STR("env own value first", env_get(&e, "SHARED"), "from-env");
	CHECK_STR("env fallback", env_get(&e, "ARG"), "global");
	CHECK("env declared unset", !env_get(&e, "UNSET") && env_count(&e) == 2 && !env_value(&e, 1),
	      "count %zu", env_count(&e));
	CHECK_STR("env getn", env_getn(&e, "ARGUMENT", 3), "global");
	env_set(&e, "A", "1");
	env_set(&e, "SHARED", "again");
	env_unset(&e, "UNSET");
	CHECK("env order", env_count(&e) == 2 && !strcmp(env_name(&e, 0), "SHARED") &&
	      !strcmp(env_value(&e, 0), "again") && !strcmp(env_name(&e, 1), "A"),
	      "%zu pairs, first %s", env_count(&e), env_name(&e, 0));
	struct env c;
	env_copy(&c, &e, a);
	env_set(&c, "A", "2");
	CHECK("env copy", !strcmp(env_get(&e, "A"), "1") && !strcmp(env_get(&c, "A"), "2") && !env_get(&c, "ARG"),
	      "the copy shares values or kept the fallback");
}

int main(void)
{
	struct arena *a = arena_new();
	basics(a);
	growth(a);
	copies(a);
	appends(a);
	sets_and_binary();
	env(a);
	arena_free(a);
	return check_failed;
}
