/* bench/layer-walk DIR [OUT]: walk DIR (nftw, no symlinks followed) and write
   it as one layer with layer_write to OUT (default /dev/null); print the
   digests, the sizes and the seconds taken. Built by bench/layer. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "layer.h"
#include "util.h"

static struct layer_entry *ents;
static size_t nents, cap;
static size_t rootlen;
static long long total;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0)
		return 0;
	if (nents == cap) {
		cap = cap ? cap * 2 : 4096;
		ents = xrealloc(ents, cap * sizeof *ents);
	}
	struct layer_entry *e = &ents[nents];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path + rootlen + 1);
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		e->type = LAYER_REG;
		e->src = xstrdup(path);
		e->size = st->st_size;
		total += st->st_size;
		if (st->st_nlink > 1)
			e->hardlink_key = ((unsigned long long)st->st_dev << 40) ^ st->st_ino;
		break;
	case S_IFDIR:
		e->type = LAYER_DIR;
		break;
	case S_IFLNK: {
		char buf[4096];
		ssize_t n = readlink(path, buf, sizeof buf - 1);
		if (n < 0)
			return 0;
		buf[n] = 0;
		e->type = LAYER_SYMLINK;
		e->link = xstrdup(buf);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		e->type = S_ISCHR(st->st_mode) ? LAYER_CHAR : LAYER_BLOCK;
		e->devmajor = major(st->st_rdev);
		e->devminor = minor(st->st_rdev);
		break;
	case S_IFIFO:
		e->type = LAYER_FIFO;
		break;
	default:
		return 0; /* sockets */
	}
	nents++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: layer-walk DIR [OUT [gzip|zstd|none]]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rootlen = strlen(argv[1]);
	while (rootlen > 1 && argv[1][rootlen - 1] == '/')
		rootlen--;
	if (nftw(argv[1], visit, 64, FTW_PHYS) != 0) {
		perror("nftw");
		return 1;
	}
	int fd = open(argc > 2 ? argv[2] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	struct layer_digests d;
	struct error err;
	struct compression how = {COMPRESS_GZIP, 0};
	if (argc > 3 && compress_parse(argv[3], &how.method, &err) < 0) {
		fprintf(stderr, "layer-walk: %s\n", err.msg);
		return 2;
	}
	if (layer_write(ents, nents, 0, &how, fd, &d, &err) < 0) {
		fprintf(stderr, "layer-walk: %s\n", err.msg);
		return 1;
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("entries %zu content %lld gz %lld seconds %.3f\ndiff_id %s\ndigest %s\n", nents, total, d.size,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, d.diff_id, d.digest);
	for (size_t i = 0; i < nents; i++) {
		free((char *)ents[i].path);
		free((char *)ents[i].src);
		free((char *)ents[i].link);
	}
	free(ents);
	return 0;
}
