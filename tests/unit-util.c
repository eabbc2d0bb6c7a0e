/* unit-util: the contracts of util.h's containers: struct buf's text is never NULL, and
   array_grow is the one way an array makes room */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

static void test_buf(struct arena *a)
{
	struct buf b;
	buf_init(&b, NULL);
	CHECK("buf/empty-not-null", b.s && b.s[0] == 0 && b.len == 0, "s=%p len=%zu", (void *)b.s, b.len);
	CHECK("buf/empty-owns-nothing", b.cap == 0, "cap %zu", b.cap);
	buf_reset(&b);
	CHECK("buf/reset-empty", b.s && !strcmp(b.s, "") && b.cap == 0, "cap %zu", b.cap);
	buf_free(&b);
	CHECK("buf/free-empty", b.s && !strcmp(b.s, ""), "s=%p", (void *)b.s);
	buf_putn(&b, "abc", 0);
	CHECK("buf/putn-zero-terminated", b.s && b.cap > 0 && b.s[0] == 0 && b.len == 0, "cap %zu", b.cap);
	for (int i = 0; i < 1000; i++)
		buf_putc(&b, 'a' + i % 26);
	CHECK("buf/grows", b.len == 1000 && b.s[1000] == 0 && b.cap > 1000 && b.s[25] == 'z', "len %zu cap %zu",
	      b.len, b.cap);
	buf_reset(&b);
	CHECK("buf/reset-keeps-room", b.len == 0 && b.s[0] == 0 && b.cap > 1000, "cap %zu", b.cap);
	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR("buf/printf", b.s, "42-x");
	char *t = buf_take(&b);
	CHECK_STR("buf/take", t, "42-x");
	CHECK("buf/take-leaves-empty", b.s && b.s[0] == 0 && b.len == 0 && b.cap == 0, "cap %zu", b.cap);
	free(t);

	/* taking the text of a buf nothing was put in gives a string of one's own, never the shared "" */
	char *e = buf_take(&b);
	CHECK("buf/take-empty-own", e && e[0] == 0, "e=%p", (void *)e);
	e = xrealloc(e, 8);
	strcpy(e, "mine");
	CHECK_STR("buf/take-empty-writable", e, "mine");
	free(e);

	struct buf c;
	buf_init(&c, a);
	CHECK("buf/arena-empty-not-null", c.s && c.s[0] == 0, "s=%p", (void *)c.s);
	char *ce = buf_take(&c);
	ce[0] = 0;
	CHECK("buf/arena-take-empty-writable", ce[0] == 0, "not written");
	buf_puts(&c, "hello");
	buf_puts(&c, ", world");
	CHECK_STR("buf/arena-puts", c.s, "hello, world");
	buf_free(&c);
	CHECK("buf/arena-free-empty", c.s && c.s[0] == 0 && c.len == 0, "len %zu", c.len);
}

static void test_array_grow(struct arena *a)
{
	int *v = NULL;
	size_t cap = 0, n = 0;
	for (int i = 0; i < 10000; i++) {
		v = array_grow(v, &cap, n + 1, sizeof *v, NULL);
		v[n++] = i;
	}
	int sum_ok = 1;
	for (int i = 0; i < 10000; i++)
		sum_ok &= v[i] == i;
	CHECK("array/malloc-keeps", sum_ok && cap >= 10000, "cap %zu", cap);
	CHECK("array/doubles", cap < 20000 * 2 && (cap & (cap - 1)) == 0, "cap %zu", cap);
	size_t before = cap;
	int *same = array_grow(v, &cap, cap, sizeof *v, NULL);
	CHECK("array/no-grow-when-room", same == v && cap == before, "cap %zu was %zu", cap, before);
	free(v);

	long *w = NULL;
	size_t wcap = 0;
	w = array_grow(w, &wcap, 1, sizeof *w, a);
	w[0] = 7;
	long *w2 = array_grow(w, &wcap, 1000, sizeof *w, a);
	CHECK("array/arena-copies", w2 != w && w2[0] == 7 && wcap >= 1000, "cap %zu", wcap);

	/* a jump past twice the room lands on need's power of two at least */
	char *s = NULL;
	size_t scap = 0;
	s = array_grow(s, &scap, 3, 1, NULL);
	size_t first = scap;
	s = array_grow(s, &scap, 100000, 1, NULL);
	s[99999] = 1;
	CHECK("array/jump", first >= 3 && scap >= 100000, "first %zu cap %zu", first, scap);
	free(s);

	/* elements of no size (a set's values): room, and nothing to copy */
	char *z = NULL;
	size_t zcap = 0;
	z = array_grow(z, &zcap, 5, 0, a);
	z = array_grow(z, &zcap, 50, 0, a);
	CHECK("array/size-zero", zcap >= 50, "cap %zu", zcap);

	struct strv sv;
	strv_init(&sv, NULL);
	for (int i = 0; i < 100; i++)
		strv_push(&sv, xasprintf("%d", i));
	CHECK("strv/null-terminated", sv.n == 100 && sv.v[100] == NULL && !strcmp(sv.v[99], "99"), "n %zu", sv.n);
	strv_free(&sv);
}

int main(void)
{
	struct arena *a = arena_new();
	test_buf(a);
	test_array_grow(a);
	arena_free(a);
	return check_failed;
}
