#ifndef STRATA_SYS_H
#define STRATA_SYS_H
/* The Linux-specific calls (namespaces, mounts); nothing else includes
   <sys/mount.h> or <sched.h>. */
#include <stddef.h>

struct error;

/* move this process into a private mount namespace (once; later calls do nothing), so its
   mounts vanish with it whatever way it ends; call before starting threads */
int sys_private_mounts(struct error *err);
/* mount a read-only overlayfs at mp of the directories lowers[0..n) (lowers[0] on top), whose
   names are relative to dir */
int sys_overlay_ro(const char *dir, const char *const *lowers, size_t n, const char *mp, struct error *err);
/* detach the mount at mp */
void sys_umount(const char *mp);

#endif
