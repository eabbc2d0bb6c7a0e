#ifndef STRATA_SYS_H
#define STRATA_SYS_H
/* The Linux-specific calls (namespaces, mounts); nothing else includes
   <sys/mount.h> or <sched.h>. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct error;

/* move this process into a private mount namespace (once; later calls do nothing), so its
   mounts vanish with it whatever way it ends; call before starting threads */
int sys_private_mounts(struct error *err);
/* mount a read-only overlayfs at mp of the directories lowers[0..n) (lowers[0] on top), whose
   names are relative to dir; userxattr: the overlay's attributes are user.overlay.* (a user namespace) */
int sys_overlay_ro(const char *dir, const char *const *lowers, size_t n, bool userxattr, const char *mp,
		   struct error *err);
/* make this process root of a new user namespace (no map written yet: userns.c writes them); -1 with
   err saying builds by other users then need root */
int sys_unshare_user(struct error *err);
/* detach the mount at mp */
void sys_umount(const char *mp);

/* The sandbox of RUN and `strata run` (sandbox.c) */

/* mount flags of sys_mount, the subset the sandbox needs */
enum {
	SYS_RDONLY = 1, SYS_NOSUID = 2, SYS_NODEV = 4, SYS_NOEXEC = 8, SYS_BIND = 16, SYS_REC = 32,
};
/* the namespaces of sys_clone beyond mount, pid, uts and ipc */
enum { SYS_NEWNET = 1, SYS_NEWUSER = 2 };

/* start fn(arg) in a child process in new mount, pid (it is pid 1), uts and ipc namespaces, and a new
   network or user namespace as ns says; the child exits with fn's return; its pid or -1 with err */
pid_t sys_clone(int ns, int (*fn)(void *), void *arg, struct error *err);
/* mount a filesystem of type at dst (src is the "device", type's name when NULL) */
int sys_mount(const char *src, const char *dst, const char *type, int flags, const char *data,
	      struct error *err);
/* bind src onto dst (recursively with SYS_REC), then apply SYS_RDONLY/NOSUID/NODEV/NOEXEC */
int sys_bind(const char *src, const char *dst, int flags, struct error *err);
/* a read-write overlayfs at mp: lowers[0..n) (lowers[0] on top), upper and work, all relative to
   dir; redirect_dir, metacopy and index off so that the upper directory holds whole files;
   userxattr when in a user namespace */
int sys_overlay_rw(const char *dir, const char *const *lowers, size_t n, const char *upper, const char *work,
		   bool userxattr, const char *mp, struct error *err);
/* make every mount of this namespace private (no events to or from the parent's) */
int sys_mounts_private(struct error *err);
/* make root the process's / (pivot_root), detaching the old root */
int sys_pivot(const char *root, struct error *err);
int sys_sethostname(const char *name, struct error *err);
/* bring the loopback interface of this network namespace up */
int sys_loopback_up(struct error *err);
/* die with SIGKILL when the parent dies (a parent gone before the call sends nothing: check) */
int sys_die_with_parent(void);
/* drop every capability outside docker's default set from the bounding set, and the inheritable and
   ambient sets */
int sys_caps_default(struct error *err);
/* become uid:gid with the supplementary groups[0..n) (kept as they are where setgroups is denied: a
   user namespace of one id) */
int sys_set_ids(unsigned uid, unsigned gid, const unsigned *groups, size_t n, struct error *err);
/* 0 when this process is root of the host's user namespace (what the sandbox needs: namespaces,
   overlay mounts with trusted.* attributes, any owner on files); else -1 with err saying why not */
int sys_host_root(struct error *err);
/* mark every fd from lo up close-on-exec */
void sys_cloexec_from(int lo);
/* no_new_privs, then a seccomp filter refusing what docker's default profile refuses (mount,
   namespaces, kernel modules, keyrings, clocks, reboot, bpf, ptrace of others' memory, ...) */
int sys_seccomp_default(struct error *err);

#endif
