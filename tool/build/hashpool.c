#include "hashpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "compress.h"
#include "util.h"

/* jobs in flight: enough to keep the threads busy, few enough for the descriptors */
enum { RING = 64, MAX_WORKERS = 16 };

struct hashpool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct hashpool_result r[RING];
	bool finished[RING];
	size_t head, claim, tail;   /* next to take, next for a worker, next to fill */
	pthread_t workers[MAX_WORKERS];
	int nworkers;
	bool started, stop;
};

void hashpool_run(struct hashpool_result *r)
{
	r->err = 0;
	r->caplen = 0;
	if (key_fd(r->fd, r->hash) < 0 || fstat(r->fd, &r->after) < 0) {
		r->err = errno ? errno : EIO;
		return;
	}
	ssize_t k = fgetxattr(r->fd, "security.capability", r->cap, sizeof r->cap);
	r->caplen = k > 0 ? (size_t)k : 0;
}

static void *worker(void *arg)
{
	struct hashpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->claim == p->tail)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->claim == p->tail)
			break;
		size_t j = p->claim++ % RING;
		pthread_mutex_unlock(&p->mu);
		hashpool_run(&p->r[j]);
		pthread_mutex_lock(&p->mu);
		p->finished[j] = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct hashpool *hashpool_new(void)
{
	struct hashpool *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	return p;
}

bool hashpool_full(const struct hashpool *p)
{
	return p->tail - p->head == RING;
}

void hashpool_submit(struct hashpool *p, int fd, size_t tag)
{
	if (!p->started) {
		/* one per CPU the process may run on, as the layer's deflate threads */
		int n = compress_threads();
		for (int i = 0; i < n && i < MAX_WORKERS; i++)
			if (pthread_create(&p->workers[p->nworkers], NULL, worker, p) == 0)
				p->nworkers++;
		p->started = true;
	}
	pthread_mutex_lock(&p->mu);
	size_t j = p->tail % RING;
	memset(&p->r[j], 0, sizeof p->r[j]);
	p->r[j].fd = fd;
	p->r[j].tag = tag;
	p->finished[j] = false;
	if (!p->nworkers) {
		/* no thread could start: the caller's thread does the work */
		p->claim++;
		hashpool_run(&p->r[j]);
		p->finished[j] = true;
	}
	p->tail++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

int hashpool_take(struct hashpool *p, bool wait, struct hashpool_result *r)
{
	pthread_mutex_lock(&p->mu);
	size_t j = p->head % RING;
	while (wait && p->head != p->tail && !p->finished[j])
		pthread_cond_wait(&p->done, &p->mu);
	int got = p->head != p->tail && p->finished[j];
	if (got) {
		*r = p->r[j];
		p->head++;
	}
	pthread_mutex_unlock(&p->mu);
	return got;
}

void hashpool_free(struct hashpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->workers[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
