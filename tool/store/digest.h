#ifndef STRATA_DIGEST_H
#define STRATA_DIGEST_H
/* SHA-256 digests (OpenSSL libcrypto) as OCI writes them: "sha256:" + 64 lower-case hex */
#include <stddef.h>

struct error;

enum { DIGEST_LEN = 71, DIGEST_SIZE = 72 }; /* strlen("sha256:") + 64, and with the NUL */

struct sha256;
/* a new streaming SHA-256 context, never NULL: when libcrypto fails (no sha256 in its providers, no
   memory) the failure is kept and sha256_final reports it */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* finish into out ("sha256:hex") and free h; 0, or -1 with err when libcrypto failed on the way */
int sha256_final(struct sha256 *h, char out[DIGEST_SIZE], struct error *err);
/* free h (NULL is fine) without finishing it */
void sha256_free(struct sha256 *h);
/* digest of a buffer; 0 or -1 with err */
int digest_buf(const void *p, size_t n, char out[DIGEST_SIZE], struct error *err);
/* digest of a file's content; 0 or -1 with err */
int digest_file(const char *path, char out[DIGEST_SIZE], struct error *err);
/* 1 when s is a well-formed "sha256:" + 64 lower-case hex digest, else 0 */
int digest_valid(const char *s);
/* 1 when the n bytes at p are all lower-case hex digits, else 0 */
int digest_hex(const char *p, size_t n);

#endif
