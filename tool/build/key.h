#ifndef STRATA_KEY_H
#define STRATA_KEY_H
/* Step keys: XXH3-128 over length-prefixed fields, so no two field lists hash alike by
   running into each other. Bump KEY_VERSION whenever the layer format or the key's
   fields change. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_VERSION "strata-layer-3"
enum { KEY_HEX = 33 }; /* 32 hex digits and the NUL */

/* the hash state lives inside, so making a key allocates nothing and cannot fail */
struct key {
	alignas(64) unsigned char state[640];
};

void key_init(struct key *k);
/* add a field of n bytes */
void key_bytes(struct key *k, const void *p, size_t n);
/* add a NUL-terminated field; NULL is a field of its own, distinct from "" */
void key_str(struct key *k, const char *s);
void key_u64(struct key *k, uint64_t v);
/* finish into hex; k may be started again with key_init */
void key_final(struct key *k, char hex[KEY_HEX]);
/* the XXH3-128 of what the regular file fd holds, read from offset 0 (a short read is its end),
   into hex; 0 or -1 with errno */
int key_fd(int fd, char hex[KEY_HEX]);

#endif
