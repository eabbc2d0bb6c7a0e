#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "util.h"

void key_init(struct key *k)
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		fatal("out of memory");
	XXH3_128bits_reset(st);
	k->state = st;
}

void key_bytes(struct key *k, const void *p, size_t n)
{
	uint64_t len = n;
	XXH3_128bits_update(k->state, &len, sizeof len);
	if (n)
		XXH3_128bits_update(k->state, p, n);
}

void key_str(struct key *k, const char *s)
{
	if (!s) {
		uint64_t none = UINT64_MAX;
		XXH3_128bits_update(k->state, &none, sizeof none);
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
	hex128(XXH3_128bits_digest(k->state), hex);
	XXH3_freeState(k->state);
	k->state = NULL;
}

int key_fd(int fd, char hex[KEY_HEX])
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		fatal("out of memory");
	XXH3_128bits_reset(st);
	static __thread char buf[1 << 17];
	for (off_t off = 0;;) {
		ssize_t r = pread(fd, buf, sizeof buf, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			io_count(r);
		if (r < 0) {
			int e = errno;
			XXH3_freeState(st);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		XXH3_128bits_update(st, buf, (size_t)r);
		off += r;
	}
	hex128(XXH3_128bits_digest(st), hex);
	XXH3_freeState(st);
	return 0;
}
