#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

int sys_private_mounts(struct error *err)
{
	static int done;
	if (done)
		return 0;
	if (unshare(CLONE_NEWNS) < 0)
		return err_sys(err, "unshare(CLONE_NEWNS) (strata needs root or a user namespace)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "making / a private mount");
	done = 1;
	return 0;
}

int sys_overlay_ro(const char *dir, const char *const *lowers, size_t n, const char *mp, struct error *err)
{
	struct buf opt;
	buf_init(&opt, NULL);
	buf_puts(&opt, "lowerdir=");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&opt, ':');
		buf_puts(&opt, lowers[i]);
	}
	/* the option string is bounded by a page: name the lowers relative to dir */
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		buf_free(&opt);
		return err_sys(err, "open .");
	}
	int r = 0;
	if (chdir(dir) < 0) {
		r = err_sys(err, "chdir %s", dir);
	} else if (opt.len >= 4000) {
		r = err_set(err, "too many layers for one overlay mount (%zu)", n);
	} else if (mount("overlay", mp, "overlay", MS_RDONLY, opt.s) < 0) {
		r = err_sys(err, "mount overlay at %s", mp);
	}
	if (fchdir(cwd) < 0 && r == 0)
		r = err_sys(err, "fchdir back");
	close(cwd);
	buf_free(&opt);
	return r;
}

void sys_umount(const char *mp)
{
	umount2(mp, MNT_DETACH);
}
