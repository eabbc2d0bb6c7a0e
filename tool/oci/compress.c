#include "compress.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "error.h"
#include "util.h"

enum { DICT = 32 << 10, MAX_THREADS = 64 };

enum job_state { J_FREE, J_FILLING, J_READY, J_BUSY, J_DONE };

/* one block: in holds the dictionary (the 32 KiB before the block) and then the block */
struct job {
	unsigned char *in; /* DICT + COMPRESS_BLOCK */
	size_t dictlen, len;
	unsigned char *out;
	size_t outcap, outlen;
	uLong crc;
	int last;
	enum job_state state;
};

/* The caller fills blocks in order; workers deflate them in any order, and the worker that
   finishes the next block to write writes it and every finished block after it, in order. Block
   i's slot is jobs[i % njobs]. Each thread is woken only when it has something to do: a worker
   when a block is ready and it is idle, the caller when half the ring is free again (not at every
   block: under load each wake-up of a thread of ours preempts a deflating one, which then waits
   behind the machine's other threads). */
struct compress {
	enum compress_method method;
	ZSTD_CCtx *zc;      /* zstd: libzstd's own workers */
	unsigned char *zout;
	int fd, level, nthreads;
	struct job *jobs;
	size_t njobs;
	unsigned long long nfill, ncomp, nwrite; /* next block to fill, to deflate, to write */
	struct job *cur;
	pthread_mutex_t mu;
	pthread_cond_t work;  /* idle workers wait here for a ready block */
	pthread_cond_t room;  /* the caller waits here for a free slot, or the end */
	pthread_t *workers;
	int nworkers, idle, caller_waits, writing;
	int stop, failed, done;
	struct error err;
	z_stream z; /* the caller's own, with one thread */
	int z_init;
	struct sha256 *h;
	long long size;
	uLong crc;
	unsigned long long total;
};

int compress_threads(void)
{
	const char *t = getenv("STRATA_LAYER_THREADS");
	if (t && *t) {
		char *end;
		long v = strtol(t, &end, 10);
		if (!*end && v >= 1)
			return v > MAX_THREADS ? MAX_THREADS : (int)v;
	}
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (int)c : 1;
	}
	return n > MAX_THREADS ? MAX_THREADS : n;
}

static int zinit(z_stream *z, int level)
{
	memset(z, 0, sizeof *z);
	return deflateInit2(z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* deflate one block with z: raw, its dictionary first, a sync flush or the final block at the end */
static int deflate_job(z_stream *z, struct job *j)
{
	if (deflateReset(z) != Z_OK)
		return -1;
	if (j->dictlen && deflateSetDictionary(z, j->in + DICT - j->dictlen, (uInt)j->dictlen) != Z_OK)
		return -1;
	z->next_in = j->in + DICT;
	z->avail_in = (uInt)j->len;
	j->outlen = 0;
	int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;
	for (;;) {
		j->out = array_grow(j->out, &j->outcap, j->outlen + 1, 1, NULL);
		z->next_out = j->out + j->outlen;
		z->avail_out = (uInt)(j->outcap - j->outlen);
		int r = deflate(z, flush);
		if (r == Z_STREAM_ERROR)
			return -1;
		j->outlen = j->outcap - z->avail_out;
		if (j->last ? r == Z_STREAM_END : z->avail_out != 0)
			break;
	}
	j->crc = crc32(0, j->in + DICT, (uInt)j->len);
	return 0;
}

static int emit(struct compress *c, const void *p, size_t n)
{
	sha256_update(c->h, p, n);
	c->size += (long long)n;
	if (c->fd >= 0 && write_all(c->fd, p, n) < 0)
		return err_sys(&c->err, "layer: write");
	return 0;
}

static int emit_header(struct compress *c)
{
	/* XFL as zlib sets it */
	unsigned char xfl = c->level == 9 ? 2 : c->level < 2 ? 4 : 0;
	unsigned char h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, COMPRESS_GZIP_OS };
	return emit(c, h, sizeof h);
}

/* write block j (the next in order), and the trailer after the last */
static int emit_job(struct compress *c, struct job *j)
{
	if (emit(c, j->out, j->outlen) < 0)
		return -1;
	c->crc = crc32_combine(c->crc, j->crc, (z_off_t)j->len);
	c->total += j->len;
	if (!j->last)
		return 0;
	unsigned char t[8];
	uint32_t v[2] = { (uint32_t)c->crc, (uint32_t)c->total };
	for (int i = 0; i < 8; i++)
		t[i] = (unsigned char)(v[i / 4] >> (8 * (i % 4)));
	return emit(c, t, sizeof t);
}

/* with c->mu held: the caller waits for what it wants (a free slot, the end) */
static void wake_caller(struct compress *c)
{
	if (c->caller_waits && (c->done || c->failed || c->stop || 2 * (c->nfill - c->nwrite) <= c->njobs))
		pthread_cond_signal(&c->room);
}

static void fail_locked(struct compress *c)
{
	c->failed = 1;
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->room);
}

/* with c->mu held, by the worker that finished a block while no one writes: write every finished
   block from the next in order on, dropping the lock while writing */
static void write_ready(struct compress *c)
{
	c->writing = 1;
	while (!c->failed && !c->stop && c->nwrite < c->nfill) {
		struct job *j = &c->jobs[c->nwrite % c->njobs];
		if (j->state != J_DONE)
			break;
		pthread_mutex_unlock(&c->mu);
		int r = emit_job(c, j);
		pthread_mutex_lock(&c->mu);
		if (r < 0) {
			fail_locked(c);
			break;
		}
		j->state = J_FREE;
		c->nwrite++;
		if (j->last)
			c->done = 1;
		wake_caller(c);
	}
	c->writing = 0;
}

static void *worker(void *arg)
{
	struct compress *c = arg;
	z_stream z;
	int ok = zinit(&z, c->level) == 0;
	pthread_mutex_lock(&c->mu);
	if (!ok) {
		err_set(&c->err, "layer: deflateInit2 failed");
		fail_locked(c);
	}
	while (ok && !c->stop && !c->failed) {
		struct job *j = &c->jobs[c->ncomp % c->njobs];
		if (c->ncomp >= c->nfill || j->state != J_READY) {
			c->idle++;
			pthread_cond_wait(&c->work, &c->mu);
			c->idle--;
			continue;
		}
		c->ncomp++;
		j->state = J_BUSY;
		pthread_mutex_unlock(&c->mu);
		int r = deflate_job(&z, j);
		pthread_mutex_lock(&c->mu);
		if (r < 0) {
			err_set(&c->err, "layer: deflate failed");
			fail_locked(c);
			break;
		}
		j->state = J_DONE;
		if (!c->writing)
			write_ready(c);
	}
	pthread_mutex_unlock(&c->mu);
	if (ok)
		deflateEnd(&z);
	return NULL;
}

static void stop_threads(struct compress *c)
{
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->room);
	pthread_mutex_unlock(&c->mu);
	for (int i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	c->nworkers = 0;
}

void compress_free(struct compress *c)
{
	if (!c)
		return;
	stop_threads(c);
	for (size_t i = 0; i < c->njobs; i++) {
		free(c->jobs[i].in);
		free(c->jobs[i].out);
	}
	free(c->jobs);
	free(c->workers);
	ZSTD_freeCCtx(c->zc);
	free(c->zout);
	if (c->z_init)
		deflateEnd(&c->z);
	sha256_free(c->h);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->room);
	free(c);
}

/* a compressor by method m into fd: what every method has, which compress_free undoes */
static struct compress *compress_new(enum compress_method m, int fd, int level)
{
	struct compress *c = xcalloc(1, sizeof *c);
	c->method = m;
	c->fd = fd;
	c->level = level;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->room, NULL);
	c->h = sha256_new();
	return c;
}

static struct compress *open_gzip(int fd, int level, int nthreads, struct error *err)
{
	struct compress *c = compress_new(COMPRESS_GZIP, fd, level);
	c->nthreads = nthreads;
	c->crc = crc32(0, NULL, 0);
	c->njobs = nthreads == 1 ? 1 : 4 * (size_t)nthreads + 4;
	c->jobs = xcalloc(c->njobs, sizeof *c->jobs);
	for (size_t i = 0; i < c->njobs; i++) {
		c->jobs[i].in = xmalloc(DICT + COMPRESS_BLOCK);
		c->jobs[i].outcap = COMPRESS_BLOCK + COMPRESS_BLOCK / 8 + 1024;
		c->jobs[i].out = xmalloc(c->jobs[i].outcap);
	}
	if (emit_header(c) < 0)
		goto fail;
	if (nthreads == 1) {
		if (zinit(&c->z, level) < 0) {
			err_set(&c->err, "layer: deflateInit2 failed");
			goto fail;
		}
		c->z_init = 1;
		return c;
	}
	c->workers = xcalloc((size_t)nthreads, sizeof *c->workers);
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&c->workers[i], NULL, worker, c) != 0) {
			err_set(&c->err, "layer: cannot start a deflate thread");
			goto fail;
		}
		c->nworkers++;
	}
	return c;
fail:
	*err = c->err;
	compress_free(c);
	return NULL;
}

/* the caller waits for the workers until the slot j is free (with j NULL: until every block is
   written) or one of them failed; 0, or -1 after a failure */
static int wait_workers(struct compress *c, const struct job *j)
{
	pthread_mutex_lock(&c->mu);
	while ((j ? j->state != J_FREE : !c->done) && !c->failed) {
		c->caller_waits = 1;
		pthread_cond_wait(&c->room, &c->mu);
		c->caller_waits = 0;
	}
	int failed = c->failed;
	pthread_mutex_unlock(&c->mu);
	return failed ? -1 : 0;
}

/* make c->cur the next block's slot, its dictionary the 32 KiB before it */
static int acquire(struct compress *c)
{
	struct job *j = &c->jobs[c->nfill % c->njobs];
	if (c->nthreads > 1 && wait_workers(c, j) < 0)
		return -1;
	j->dictlen = 0;
	if (c->nfill > 0) {
		/* the previous block is full, and its slot is refilled only after this one */
		const struct job *p = &c->jobs[(c->nfill - 1) % c->njobs];
		memcpy(j->in, p->in + COMPRESS_BLOCK, DICT);
		j->dictlen = DICT;
	}
	j->len = 0;
	j->last = 0;
	j->state = J_FILLING;
	c->cur = j;
	return 0;
}

static int submit(struct compress *c, int last)
{
	struct job *j = c->cur;
	j->last = last;
	c->cur = NULL;
	if (c->nthreads == 1) {
		c->nfill++;
		if (deflate_job(&c->z, j) < 0)
			return err_set(&c->err, "layer: deflate failed");
		j->state = J_FREE;
		return emit_job(c, j);
	}
	pthread_mutex_lock(&c->mu);
	j->state = J_READY;
	c->nfill++;
	if (c->idle)
		pthread_cond_signal(&c->work);
	int failed = c->failed;
	pthread_mutex_unlock(&c->mu);
	return failed ? -1 : 0;
}

static int zstd_stream(struct compress *c, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer out = { c->zout, ZSTD_CStreamOutSize(), 0 };
		size_t r = ZSTD_compressStream2(c->zc, &out, &in, end);
		if (ZSTD_isError(r))
			return err_set(&c->err, "layer: zstd: %s", ZSTD_getErrorName(r));
		if (out.pos && emit(c, c->zout, out.pos) < 0)
			return -1;
		if (end == ZSTD_e_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

int compress_write(struct compress *c, const void *p, size_t n, struct error *err)
{
	if (c->method != COMPRESS_GZIP) {
		if ((c->method == COMPRESS_ZSTD ? zstd_stream(c, p, n, ZSTD_e_continue) : emit(c, p, n)) < 0) {
			*err = c->err;
			return -1;
		}
		return 0;
	}
	const unsigned char *s = p;
	while (n) {
		if (!c->cur && acquire(c) < 0)
			goto fail;
		struct job *j = c->cur;
		size_t k = COMPRESS_BLOCK - j->len < n ? COMPRESS_BLOCK - j->len : n;
		memcpy(j->in + DICT + j->len, s, k);
		j->len += k;
		s += k;
		n -= k;
		/* a full block is handed on only when more follows: the last block ends the stream */
		if (j->len == COMPRESS_BLOCK && n && submit(c, 0) < 0)
			goto fail;
	}
	return 0;
fail:
	*err = c->err;
	return -1;
}

int compress_close(struct compress *c, char digest[DIGEST_SIZE], long long *size, struct error *err)
{
	int rc = -1;
	if (c->method == COMPRESS_ZSTD && zstd_stream(c, NULL, 0, ZSTD_e_end) < 0)
		goto out;
	if (c->method == COMPRESS_GZIP && !c->cur && acquire(c) < 0)
		goto out;
	if (c->method == COMPRESS_GZIP && submit(c, 1) < 0)
		goto out;
	if (c->method == COMPRESS_GZIP && c->nthreads > 1 && wait_workers(c, NULL) < 0)
		goto out;
	int r = sha256_final(c->h, digest, &c->err);
	c->h = NULL;
	if (r < 0)
		goto out;
	*size = c->size;
	rc = 0;
out:
	if (rc < 0)
		*err = c->err;
	compress_free(c);
	return rc;
}

static int allow_foreign;

void compress_allow_foreign(int allow)
{
	allow_foreign = allow;
}

/* the SHA-256 of the self-test's input compressed by zlib 1.2.13 through the block scheme at
   level 6, and by libzstd 1.5.4 at level 3 (Debian bookworm); zlib's output has been stable for
   years, zlib-ng's is not zlib's, and zstd's changes between releases */
static const char gzip_pin[] = "sha256:930ffb378277c204718163e962896fb1f6e86a158c5adf90bacf905de2bd76a8";
static const char zstd_pin[] = "sha256:52d64792b9c1da941b6d02ef06de13e35bfa93291a3558dfa4350b4373caa448";

static pthread_once_t gzip_once = PTHREAD_ONCE_INIT, zstd_once = PTHREAD_ONCE_INIT;
static int selftest_rc[2];
static struct error selftest_err[2];

static struct compress *open_zstd(int fd, int level, int nthreads, struct error *err);

/* a fixed input of words from a small vocabulary (compressible, as tars are), long enough for
   several blocks and a short last one, so the dictionaries and the sync flushes are tested */
static void selftest_run(enum compress_method m)
{
	static const char *const words[] = { "layer", "image", "strata", "deflate", "/usr/lib/", "\n",
		"0000644", "ustar", "\0\0\0\0", "sha256:", "config", "manifest", "zlib", "block" };
	size_t n = 3 * COMPRESS_BLOCK + 12345;
	unsigned char *in = xmalloc(n);
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < n;) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		const char *w = words[x % (sizeof words / sizeof words[0])];
		for (; *w && i < n; w++)
			in[i++] = (unsigned char)(x >> 24 < 8 ? x >> 16 : (unsigned)*w);
	}
	char got[DIGEST_SIZE];
	long long size;
	int z = m == COMPRESS_ZSTD;
	struct error *e = &selftest_err[z];
	struct compress *c = z ? open_zstd(-1, 3, 1, e) : open_gzip(-1, 6, 1, e);
	selftest_rc[z] = -1;
	if (c && compress_write(c, in, n, e) == 0 && compress_close(c, got, &size, e) == 0) {
		selftest_rc[z] = 0;
		if (strcmp(got, z ? zstd_pin : gzip_pin) != 0 && !allow_foreign) {
			selftest_rc[z] = -1;
			if (z)
				err_set(e, "zstd self-test failed: libzstd %s gives other bytes than the libzstd strata "
					"pins (1.5.4): blob digests would differ from other machines' "
					"(--allow-foreign-deflate to go on)", ZSTD_versionString());
			else
				err_set(e, "deflate self-test failed: zlib %s gives other bytes than the zlib strata "
					"pins (1.2.13): blob digests would differ from other machines' "
					"(--allow-foreign-deflate to go on)", zlibVersion());
		}
	}
	free(in);
}

static void gzip_selftest(void)
{
	selftest_run(COMPRESS_GZIP);
}

static void zstd_selftest(void)
{
	selftest_run(COMPRESS_ZSTD);
}

int compress_selftest(enum compress_method m, struct error *err)
{
	if (m == COMPRESS_NONE)
		return 0;
	int z = m == COMPRESS_ZSTD;
	pthread_once(z ? &zstd_once : &gzip_once, z ? zstd_selftest : gzip_selftest);
	if (selftest_rc[z] < 0)
		*err = selftest_err[z];
	return selftest_rc[z];
}

static struct compress *open_zstd(int fd, int level, int nthreads, struct error *err)
{
	struct compress *c = compress_new(COMPRESS_ZSTD, fd, level);
	c->zc = ZSTD_createCCtx();
	c->zout = xmalloc(ZSTD_CStreamOutSize());
	/* one worker at least: libzstd's multi-threaded format is the same for any number of workers,
	   but not the same as its single-threaded one */
	if (!c->zc || ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_nbWorkers, nthreads)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->zc, ZSTD_c_jobSize, COMPRESS_ZSTD_JOB))) {
		err_set(err, "layer: zstd: cannot set up the compressor (a libzstd without threads?)");
		compress_free(c);
		return NULL;
	}
	return c;
}

static const char *const method_names[] = {[COMPRESS_GZIP] = "gzip", [COMPRESS_ZSTD] = "zstd", [COMPRESS_NONE] = "none"};

int compress_parse(const char *name, enum compress_method *m, struct error *err)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, method_names[i])) {
			*m = (enum compress_method)i;
			return 0;
		}
	return err_set(err, "--compression %s: want gzip, zstd or none", name);
}

const char *compress_name(enum compress_method m)
{
	return (unsigned)m < 3 ? method_names[m] : "gzip";
}

const char *compress_media_type(enum compress_method m)
{
	return m == COMPRESS_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
	     : m == COMPRESS_NONE ? "application/vnd.oci.image.layer.v1.tar"
	     : "application/vnd.oci.image.layer.v1.tar+gzip";
}

int compress_level(const struct compression *how, struct error *err)
{
	enum compress_method m = how ? how->method : COMPRESS_GZIP;
	int l = how ? how->level : 0;
	int max = m == COMPRESS_GZIP ? 9 : m == COMPRESS_ZSTD ? 19 : 0;
	if (l == 0)
		return m == COMPRESS_GZIP ? 6 : m == COMPRESS_ZSTD ? 3 : 0;
	if (l < 1 || l > max)
		return max ? err_set(err, "--compression-level %d: %s takes 1 to %d", l, compress_name(m), max)
			   : err_set(err, "--compression-level %d: none takes no level", l);
	return l;
}

struct compress *compress_open(int out_fd, const struct compression *how, struct error *err)
{
	enum compress_method m = how ? how->method : COMPRESS_GZIP;
	int level = compress_level(how, err);
	if (level < 0 || compress_selftest(m, err) < 0)
		return NULL;
	if (m == COMPRESS_GZIP)
		return open_gzip(out_fd, level, compress_threads(), err);
	if (m == COMPRESS_ZSTD)
		return open_zstd(out_fd, level, compress_threads(), err);
	return compress_new(COMPRESS_NONE, out_fd, level);
}
