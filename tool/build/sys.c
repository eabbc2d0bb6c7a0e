#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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
	if (sys_mounts_private(err) < 0)
		return -1;
	done = 1;
	return 0;
}

int sys_unshare_user(struct error *err)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return err_sys(err, "a build by a user other than root needs a user namespace, and unshare(CLONE_NEWUSER) "
				    "failed (unprivileged user namespaces disabled? sysctl user.max_user_namespaces); build "
				    "as root");
	return 0;
}

/* an overlay options string that starts "lowerdir=" with the n lowers */
static void lowers_opt(struct buf *opt, const char *const *lowers, size_t n)
{
	buf_init(opt, NULL);
	buf_puts(opt, "lowerdir=");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(opt, ':');
		buf_puts(opt, lowers[i]);
	}
}

/* mount an overlay at mp with the options opt (freed), its n lowers named relative to dir */
static int overlay_mount(const char *dir, struct buf *opt, size_t n, unsigned long flags, const char *mp,
			 struct error *err)
{
	/* the option string is bounded by a page: name the lowers relative to dir */
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		buf_free(opt);
		return err_sys(err, "open .");
	}
	int r = 0;
	if (chdir(dir) < 0)
		r = err_sys(err, "chdir %s", dir);
	else if (opt->len >= 4000)
		r = err_set(err, "too many layers for one overlay mount (%zu)", n);
	else if (mount("overlay", mp, "overlay", flags, opt->s) < 0)
		r = err_sys(err, "mount overlay at %s", mp);
	if (fchdir(cwd) < 0 && r == 0)
		r = err_sys(err, "fchdir back");
	close(cwd);
	buf_free(opt);
	return r;
}

int sys_overlay_ro(const char *dir, const char *const *lowers, size_t n, bool userxattr, const char *mp,
		   struct error *err)
{
	struct buf opt;
	lowers_opt(&opt, lowers, n);
	if (userxattr)
		buf_puts(&opt, ",userxattr");
	return overlay_mount(dir, &opt, n, MS_RDONLY, mp, err);
}

void sys_umount(const char *mp)
{
	umount2(mp, MNT_DETACH);
}

pid_t sys_clone(int ns, int (*fn)(void *), void *arg, struct error *err)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	if (ns & SYS_NEWNET)
		flags |= CLONE_NEWNET;
	if (ns & SYS_NEWUSER)
		flags |= CLONE_NEWUSER;
	size_t size = 1 << 20;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return err_sys(err, "mmap");
	/* no CLONE_VM: the child runs on its own copy of this stack */
	pid_t pid = clone(fn, stack + size, flags, arg);
	int e = errno;
	munmap(stack, size);
	errno = e;
	if (pid < 0)
		return err_sys(err, "clone (new namespaces)");
	return pid;
}

static unsigned long ms_flags(int f)
{
	return (f & SYS_RDONLY ? MS_RDONLY : 0) | (f & SYS_NOSUID ? MS_NOSUID : 0) | (f & SYS_NODEV ? MS_NODEV : 0) |
	       (f & SYS_NOEXEC ? MS_NOEXEC : 0) | (f & SYS_BIND ? MS_BIND : 0) | (f & SYS_REC ? MS_REC : 0);
}

int sys_mount(const char *src, const char *dst, const char *type, int flags, const char *data,
	      struct error *err)
{
	if (mount(src ? src : type, dst, type, ms_flags(flags), data) < 0)
		return err_sys(err, "mount %s at %s", type, dst);
	return 0;
}

int sys_bind(const char *src, const char *dst, int flags, struct error *err)
{
	if (mount(src, dst, NULL, MS_BIND | (flags & SYS_REC ? MS_REC : 0), NULL) < 0)
		return err_sys(err, "bind mount %s at %s", src, dst);
	unsigned long f = ms_flags(flags & (SYS_RDONLY | SYS_NOSUID | SYS_NODEV | SYS_NOEXEC));
	if (f && mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0) {
		/* in a user namespace the source's nosuid, nodev, noexec and ro are locked: keep them */
		struct statvfs sv;
		if (errno != EPERM || statvfs(dst, &sv) < 0)
			return err_sys(err, "remount %s", dst);
		f |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		     (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (sv.f_flag & ST_RDONLY ? MS_RDONLY : 0);
		if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0)
			return err_sys(err, "remount %s", dst);
	}
	return 0;
}

int sys_overlay_rw(const char *dir, const char *const *lowers, size_t n, const char *upper, const char *work,
		   bool userxattr, const char *mp, struct error *err)
{
	struct buf opt;
	lowers_opt(&opt, lowers, n);
	/* with userxattr, "off" would still follow redirects (redirect_always_follow), which conflicts */
	buf_printf(&opt, ",upperdir=%s,workdir=%s,redirect_dir=%s,metacopy=off,index=off%s", upper, work,
		   userxattr ? "nofollow" : "off", userxattr ? ",userxattr" : "");
	return overlay_mount(dir, &opt, n, 0, mp, err);
}

int sys_mounts_private(struct error *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "making / a private mount");
	return 0;
}

int sys_pivot(const char *root, struct error *err)
{
	/* pivot_root(".", "."): the old root ends up on top of the new one, and is detached */
	if (chdir(root) < 0)
		return err_sys(err, "chdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return err_sys(err, "pivot_root %s", root);
	if (umount2(".", MNT_DETACH) < 0)
		return err_sys(err, "detaching the old root");
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

int sys_sethostname(const char *name, struct error *err)
{
	if (sethostname(name, strlen(name)) < 0)
		return err_sys(err, "sethostname");
	return 0;
}

int sys_loopback_up(struct error *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_sys(err, "socket");
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	int r = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = err_sys(err, "SIOCGIFFLAGS lo");
	else if (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = err_sys(err, "bringing lo up");
	close(fd);
	return r;
}

int sys_die_with_parent(void)
{
	return prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ? -1 : 0;
}

/* docker's default capabilities (moby oci/caps/defaults.go) */
static const int default_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

int sys_caps_default(struct error *err)
{
	for (int c = 0; c <= 63; c++) {
		bool keep = false;
		for (size_t i = 0; i < sizeof default_caps / sizeof *default_caps; i++)
			keep |= default_caps[i] == c;
		if (keep)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the kernel's last capability */
			return err_sys(err, "dropping capability %d", c);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_sys(err, "clearing ambient capabilities");
	/* the effective and permitted sets keep what they have until exec, which gives root the
	   bounding set and everyone else nothing; the inheritable set goes now */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return err_sys(err, "capget");
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return err_sys(err, "capset");
	return 0;
}

int sys_set_ids(unsigned uid, unsigned gid, const unsigned *groups, size_t n, struct error *err)
{
	gid_t g[64];
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		g[i] = groups[i];
	if (setgroups(n, g) < 0) {
		/* a user namespace with one id denies setgroups: the groups stay the caller's */
		char v[8] = "";
		int fd = errno == EPERM ? open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC) : -1;
		ssize_t k = fd >= 0 ? read(fd, v, sizeof v - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (k < 4 || strncmp(v, "deny", 4))
			return err_sys(err, "setgroups");
	}
	/* EINVAL: an id outside the user namespace's map */
	static const char unmapped[] = "has no id in this user namespace (a build by a user other than root maps only "
				       "the user's id and its /etc/subuid and /etc/subgid ranges; add them, or build as root)";
	if (setresgid(gid, gid, gid) < 0)
		return errno == EINVAL ? err_set(err, "gid %u %s", gid, unmapped) : err_sys(err, "setgid %u", gid);
	if (setresuid(uid, uid, uid) < 0)
		return errno == EINVAL ? err_set(err, "uid %u %s", uid, unmapped) : err_sys(err, "setuid %u", uid);
	return 0;
}

/* what docker's default seccomp profile does not allow (moby profiles/seccomp/default.json,
   for a process without CAP_SYS_ADMIN and the other capabilities it dropped) */
static const char *const denied[] = {
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
	"finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "get_mempolicy",
	"init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
	"mbind", "mount", "mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
	"open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
	"process_vm_writev", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key",
	"set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "syslog", "sysfs", "_sysctl",
	"umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
	"fanotify_init", "vhangup", "setdomainname", "sethostname",
};

int sys_seccomp_default(struct error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(err, "no_new_privs");
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return err_set(err, "seccomp_init failed");
	int r = 0;
	for (size_t i = 0; i < sizeof denied / sizeof *denied && r == 0; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	/* new namespaces through clone; clone3 hides its flags in memory, so it says ENOSYS and libc
	   falls back to clone, as under docker */
	static const unsigned long nsflags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
						CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
	for (size_t i = 0; i < sizeof nsflags / sizeof *nsflags && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, nsflags[i], nsflags[i]));
	int c3 = seccomp_syscall_resolve_name("clone3");
	if (r == 0 && c3 != __NR_SCMP_ERROR)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), c3, 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		errno = -r;
		return err_sys(err, "seccomp filter");
	}
	return 0;
}

void sys_cloexec_from(int lo)
{
	close_range((unsigned)lo, ~0U, CLOSE_RANGE_CLOEXEC);
}

int sys_host_root(struct error *err)
{
	if (geteuid() != 0)
		return err_set(err, "this process is uid %u: the sandbox of RUN and strata run needs root, for the "
				    "namespaces and overlay mounts only root may make (a user namespace is not supported "
				    "yet)", (unsigned)geteuid());
	/* root of a user namespace maps a range of the host's ids: the layers' owners would not fit */
	char buf[256] = "";
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	unsigned long a, b, c;
	if (n > 0 && (buf[n] = 0, sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3) && (a != 0 || b != 0 || c != 4294967295UL))
		return err_set(err, "this process is root of a user namespace (uid_map %lu %lu %lu): the sandbox of RUN "
				    "and strata run needs the host's root, for layers keep every owner and overlayfs's "
				    "trusted.* attributes, which a user namespace cannot write (not supported yet)", a, b, c);
	return 0;
}
