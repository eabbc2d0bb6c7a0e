#include "key.h"

#include <errno.h>
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/* compiled in, so that its state's layout is this file's to know: a key needs no allocation */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

static_assert(sizeof(XXH3_state_t) <= sizeof ((struct key *)0)->state, "struct key: state too small");
static_assert(alignof(XXH3_state_t) <= alignof(struct key), "struct key: state misaligned");

static XXH3_state_t *state(struct key *k)
{
	return (XXH3_state_t *)k->state;
}

void key_init(struct key *k)
{
	XXH3_INITSTATE(state(k));
	XXH3_128bits_reset(state(k));
}

void key_bytes(struct key *k, const void *p, size_t n)
{
	uint64_t len = n;
	XXH3_128bits_update(state(k), &len, sizeof len);
	if (n)
		XXH3_128bits_update(state(k), p, n);
}

void key_str(struct key *k, const char *s)
{
	if (!s) {
		uint64_t none = UINT64_MAX;
		XXH3_128bits_update(state(k), &none, sizeof none);
		return;
	}
	key_bytes(k, s, strlen(s));
}

void key_u64(struct key *k, uint64_t v)
{
	key_bytes(k, &v, sizeof v);
}

static void hex128(XXH128_hash_t h, char hex[KEY_HEX])
{
	snprintf(hex, KEY_HEX, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

void key_final(struct key *k, char hex[KEY_HEX])
{
	hex128(XXH3_128bits_digest(state(k)), hex);
}

int key_fd(int fd, char hex[KEY_HEX])
{
	struct key k;
	key_init(&k);
	XXH3_state_t *st = state(&k);
	static __thread char buf[1 << 17];
	for (off_t off = 0;;) {
		ssize_t r = pread(fd, buf, sizeof buf, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			io_count(r);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)r);
		off += r;
		/* a short read of a regular file is its end: no second read to see 0 */
		if ((size_t)r < sizeof buf)
			break;
	}
	hex128(XXH3_128bits_digest(st), hex);
	return 0;
}
