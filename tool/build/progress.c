/* progress: the build's lines on standard error, and the live line on a terminal */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utf8.h"
#include "util.h"

enum { LINE_SHOWN = 120, PENDING_MAX = 4096 };

struct progress {
	enum progress_mode mode;
	size_t total, done;
	double t0, step_t0;
	long long bytes0;
	char line[LINE_SHOWN]; /* the running step, as shown */
	char pending[PENDING_MAX]; /* tty: a command's output line not yet ended */
	size_t npending;
	int running, work;              /* a step is running; the live line is for work after the steps */
	int stop;
	int thread_up;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the instruction as one line, cut to fit */
static void shown(char *out, size_t size, const char *stage, const char *line)
{
	snprintf(out, size, "%s%s%s", stage ? stage : "", stage ? ": " : "", line);
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	/* what else could drive the terminal or start a line is shown escaped, as in messages */
	escape_go_in(out, size);
}

/* the live line, over whatever the last one was; called with mu held */
static void draw(struct progress *p)
{
	char hs[32] = "";
	long long b = io_counted() - p->bytes0;
	if (b > 0)
		human_size(b, hs, sizeof hs);
	if (p->work)
		fprintf(stderr, "\r\033[K=> %s %.1fs %s", p->line, now() - p->step_t0, hs);
	else
		fprintf(stderr, "\r\033[K[%zu/%zu] %s %.1fs %s", p->done + 1, p->total, p->line, now() - p->step_t0, hs);
	fflush(stderr);
}

static void *ticker(void *arg)
{
	struct progress *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (!p->stop && p->running)
			draw(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct progress *progress_new(enum progress_mode mode, size_t total)
{
	struct progress *p = xcalloc(1, sizeof *p);
	p->mode = mode;
	p->total = total;
	p->t0 = now();
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (mode == PROGRESS_TTY && pthread_create(&p->thread, NULL, ticker, p) == 0)
		p->thread_up = 1;
	return p;
}

double progress_elapsed(const struct progress *p)
{
	return now() - p->t0;
}

void progress_from(struct progress *p, const char *stage, const char *line)
{
	if (!p)
		return;
	if (p->mode != PROGRESS_TTY)
		return;
	char l[LINE_SHOWN];
	shown(l, sizeof l, stage, line);
	pthread_mutex_lock(&p->mu);
	fprintf(stderr, "\r\033[K=> %s\n", l);
	pthread_mutex_unlock(&p->mu);
}

void progress_start(struct progress *p, const char *stage, const char *line)
{
	if (!p)
		return;
	if (p->mode == PROGRESS_QUIET)
		return;
	pthread_mutex_lock(&p->mu);
	/* plain lines name no stage: logs stay as they were */
	shown(p->line, sizeof p->line, p->mode == PROGRESS_TTY ? stage : NULL, line);
	p->step_t0 = now();
	p->bytes0 = io_counted();
	p->running = 1;
	p->work = 0;
	pthread_mutex_unlock(&p->mu);
}

void progress_work(struct progress *p, const char *what)
{
	if (!p)
		return;
	if (p->mode != PROGRESS_TTY)
		return;
	pthread_mutex_lock(&p->mu);
	snprintf(p->line, sizeof p->line, "%s", what);
	p->step_t0 = now();
	p->bytes0 = io_counted();
	p->running = 1;
	p->work = 1;
	pthread_mutex_unlock(&p->mu);
}

/* the partial line of output, ended, above the live line; called with mu held */
static void flush_pending(struct progress *p)
{
	if (!p->npending)
		return;
	fputs("\r\033[K", stderr);
	fwrite(p->pending, 1, p->npending, stderr);
	fputc('\n', stderr);
	p->npending = 0;
}

void progress_output(struct progress *p, const char *s, size_t n)
{
	if (!p || p->mode != PROGRESS_TTY) {
		(void)!write_all(2, s, n);
		return;
	}
	pthread_mutex_lock(&p->mu);
	const char *end = memrchr(s, '\n', n);
	if (end) {
		/* the live line is cleared, the lines written, the live line drawn again below them */
		size_t whole = (size_t)(end - s) + 1;
		fputs("\r\033[K", stderr);
		fwrite(p->pending, 1, p->npending, stderr);
		fwrite(s, 1, whole, stderr);
		p->npending = 0;
		s += whole;
		n -= whole;
	}
	while (n) {
		size_t k = n < PENDING_MAX - p->npending ? n : PENDING_MAX - p->npending;
		memcpy(p->pending + p->npending, s, k);
		p->npending += k;
		s += k;
		n -= k;
		if (p->npending == PENDING_MAX)
			flush_pending(p);
	}
	if (p->running)
		draw(p);
	pthread_mutex_unlock(&p->mu);
}

void progress_done(struct progress *p, int cached, double secs)
{
	if (!p)
		return;
	if (p->mode == PROGRESS_QUIET) {
		p->done++;
		return;
	}
	pthread_mutex_lock(&p->mu);
	flush_pending(p);
	const char *cr = p->mode == PROGRESS_TTY ? "\r\033[K" : "";
	if (p->work) {
		fprintf(stderr, "%s=> %s (%.2fs)\n", cr, p->line, secs);
	} else {
		p->done++;
		if (cached)
			fprintf(stderr, "%s[%zu/%zu] %s (cached)\n", cr, p->done, p->total, p->line);
		else
			fprintf(stderr, "%s[%zu/%zu] %s (%.2fs)\n", cr, p->done, p->total, p->line, secs);
	}
	p->running = p->work = 0;
	pthread_mutex_unlock(&p->mu);
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	flush_pending(p);
	if (p->running && p->mode == PROGRESS_TTY)
		fputs("\r\033[K", stderr);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->thread_up)
		pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
