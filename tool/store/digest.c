#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

struct sha256 {
	EVP_MD_CTX *ctx;
	unsigned long failed; /* libcrypto's first error code, or 1; 0 while all is well */
};

/* remember libcrypto's failure (and empty its error queue, which is per thread) */
static void fail(struct sha256 *h)
{
	unsigned long e = ERR_get_error();
	if (!h->failed)
		h->failed = e ? e : 1;
	ERR_clear_error();
}

struct sha256 *sha256_new(void)
{
	struct sha256 *h = xcalloc(1, sizeof *h);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		fail(h);
	return h;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (n && !h->failed && EVP_DigestUpdate(h->ctx, p, n) != 1)
		fail(h);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int sha256_final(struct sha256 *h, char out[DIGEST_SIZE], struct error *err)
{
	unsigned char md[32];
	unsigned int len = 0;
	if (!h->failed && (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32))
		fail(h);
	unsigned long failed = h->failed;
	sha256_free(h);
	if (failed) {
		char why[256] = "";
		if (failed != 1)
			ERR_error_string_n(failed, why, sizeof why);
		return err_set(err, "sha256: libcrypto failed%s%s", *why ? ": " : "", why);
	}
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int digest_buf(const void *p, size_t n, char out[DIGEST_SIZE], struct error *err)
{
	struct sha256 *h = sha256_new();
	sha256_update(h, p, n);
	return sha256_final(h, out, err);
}

int digest_file(const char *path, char out[DIGEST_SIZE], struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "%s", path);
	struct sha256 *h = sha256_new();
	static __thread char buf[1 << 16];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(err, "read %s", path);
			close(fd);
			sha256_free(h);
			return -1;
		}
		if (r == 0)
			break;
		sha256_update(h, buf, (size_t)r);
	}
	close(fd);
	return sha256_final(h, out, err) < 0 ? err_wrap(err, "%s", path) : 0;
}

int digest_valid(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 && strlen(s) == DIGEST_LEN && digest_hex(s + 7, 64);
}

int digest_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}
