/* atomic: replacing a file durably, all or nothing */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

static int sync_dir(const char *dir, struct error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	/* some file systems cannot sync a directory (EINVAL): nothing more can be done there */
	if (fsync(fd) < 0 && errno != EINVAL) {
		err_sys(err, "fsync %s", dir);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return err_sys(err, "close %s", dir);
	return 0;
}

int atomic_sync_parent(const char *path, struct error *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return sync_dir(".", err);
	if (slash == path)
		return sync_dir("/", err);
	char *dir = xstrndup(path, (size_t)(slash - path));
	int r = sync_dir(dir, err);
	free(dir);
	return r;
}

int atomic_commit(int fd, const char *tmp, const char *path, struct error *err)
{
	if (fd < 0 && (fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0) {
		err_sys(err, "open %s", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		err_sys(err, "fsync %s", tmp);
		goto fail;
	}
	int c = close(fd);
	fd = -1;
	if (c < 0) {
		err_sys(err, "close %s", tmp);
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		err_sys(err, "rename %s to %s", tmp, path);
		goto fail;
	}
	return atomic_sync_parent(path, err);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static int write_tmp(const char *path, const void *p, size_t n, unsigned mode, int durable, struct error *err)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	int r;
	if (fd < 0)
		r = err_sys(err, "create %s", tmp);
	else if (write_all(fd, p, n) < 0) {
		r = err_sys(err, "write %s", tmp);
		close(fd);
		unlink(tmp);
	} else if (durable)
		r = atomic_commit(fd, tmp, path, err);
	else if (close(fd) < 0) {
		r = err_sys(err, "close %s", tmp);
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		r = err_sys(err, "rename %s to %s", tmp, path);
		unlink(tmp);
	} else
		r = 0;
	free(tmp);
	return r;
}

int atomic_write(const char *path, const void *p, size_t n, unsigned mode, struct error *err)
{
	return write_tmp(path, p, n, mode, 1, err);
}

int atomic_write_cache(const char *path, const void *p, size_t n, unsigned mode, struct error *err)
{
	return write_tmp(path, p, n, mode, 0, err);
}
