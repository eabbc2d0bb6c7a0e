#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "sys.h"
#include "userns.h"
#include "util.h"

enum op_kind { OP_OVERLAY, OP_ROOT_BIND, OP_PROC, OP_SYS, OP_DEV, OP_BIND, OP_TMPFS };

struct op {
	enum op_kind kind;
	char *src, *dst, *opts;
	bool ro, mkpoint;
	char **lowers;     /* OP_OVERLAY: lowers, then upper and work, relative to src */
	size_t nlowers;
};

struct sandbox {
	char *root;
	struct op *ops;
	size_t n, cap;
	/* the first process's view while it runs */
	const struct sandbox_cmd *cmd;
	int go_fd, report_fd, out_fd;
};

int sandbox_net_parse(const char *s, enum sandbox_net *out)
{
	static const char *const names[] = {"default", "none", "host"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum sandbox_net)i;
			return 0;
		}
	return -1;
}

struct sandbox *sandbox_new(const char *root)
{
	struct sandbox *sb = xcalloc(1, sizeof *sb);
	sb->root = xstrdup(root);
	return sb;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	for (size_t i = 0; i < sb->n; i++) {
		struct op *o = &sb->ops[i];
		free(o->src), free(o->dst), free(o->opts);
		for (size_t k = 0; k < o->nlowers; k++)
			free(o->lowers[k]);
		free(o->lowers);
	}
	free(sb->ops);
	free(sb->root);
	free(sb);
}

static struct op *add(struct sandbox *sb, enum op_kind kind)
{
	sb->ops = array_grow(sb->ops, &sb->cap, sb->n + 1, sizeof *sb->ops, NULL);
	struct op *o = &sb->ops[sb->n++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	return o;
}

void sandbox_overlay(struct sandbox *sb, const char *dir, const char *const *lowers, size_t n, const char *upper,
		     const char *work)
{
	sandbox_overlay_at(sb, dir, lowers, n, upper, work, NULL);
}

void sandbox_overlay_at(struct sandbox *sb, const char *dir, const char *const *lowers, size_t n, const char *upper,
			const char *work, const char *dst)
{
	struct op *o = add(sb, OP_OVERLAY);
	o->src = xstrdup(dir);
	o->dst = dst ? xstrdup(dst) : NULL;
	o->lowers = xcalloc(n + 2, sizeof *o->lowers);
	for (size_t i = 0; i < n; i++)
		o->lowers[i] = xstrdup(lowers[i]);
	o->nlowers = n;
	o->ro = !upper;
	if (upper) {
		o->lowers[n] = xstrdup(upper);
		o->lowers[n + 1] = xstrdup(work);
		o->nlowers = n + 2;
	}
}

void sandbox_root_bind(struct sandbox *sb, const char *src, bool ro)
{
	struct op *o = add(sb, OP_ROOT_BIND);
	o->src = xstrdup(src);
	o->ro = ro;
}

void sandbox_proc(struct sandbox *sb)
{
	add(sb, OP_PROC);
}

void sandbox_sys(struct sandbox *sb)
{
	add(sb, OP_SYS);
}

void sandbox_dev(struct sandbox *sb)
{
	add(sb, OP_DEV);
}

void sandbox_bind(struct sandbox *sb, const char *src, const char *dst, bool ro)
{
	struct op *o = add(sb, OP_BIND);
	o->src = xstrdup(src);
	o->dst = xstrdup(dst);
	o->ro = ro;
}

void sandbox_bind_new(struct sandbox *sb, const char *src, const char *dst, bool ro)
{
	sandbox_bind(sb, src, dst, ro);
	sb->ops[sb->n - 1].mkpoint = true;
}

void sandbox_tmpfs(struct sandbox *sb, const char *dst, const char *opts)
{
	struct op *o = add(sb, OP_TMPFS);
	o->dst = xstrdup(dst);
	o->opts = opts ? xstrdup(opts) : NULL;
}

/* --- the first process of the sandbox ------------------------------------------------------- */

/* a message to the parent: one line, "E<text>" (setup failed), "S<status> <leftovers>" (done) */
static void report(struct sandbox *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct sandbox *sb, const char *fmt, ...)
{
	char line[1200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	(void)!write_all(sb->report_fd, line, (size_t)n);
}

static char *in_root(struct sandbox *sb, const char *dst)
{
	return xasprintf("%s%s", sb->root, dst);
}

/* an empty file to mount a device or a file on */
static int touch(const char *p, struct error *err)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return err_sys(err, "create %s", p);
	close(fd);
	return 0;
}

static int setup_dev(struct sandbox *sb, struct error *err)
{
	char *dev = in_root(sb, "/dev");
	int r = sys_mount("tmpfs", dev, "tmpfs", SYS_NOSUID | SYS_NOEXEC, "mode=755,size=65536k", err);
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
	for (size_t i = 0; r == 0 && i < sizeof nodes / sizeof *nodes; i++) {
		char *src = xasprintf("/dev/%s", nodes[i]), *dst = xasprintf("%s/%s", dev, nodes[i]);
		/* bound from the host's nodes: works in a user namespace too, where mknod does not */
		r = touch(dst, err);
		if (r == 0)
			r = sys_bind(src, dst, SYS_NOSUID | SYS_NOEXEC, err);
		free(src), free(dst);
	}
	static const char *const links[][2] = {{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"},
					       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
					       {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
	for (size_t i = 0; r == 0 && i < sizeof links / sizeof *links; i++) {
		char *dst = xasprintf("%s/%s", dev, links[i][1]);
		if (symlink(links[i][0], dst) < 0)
			r = err_sys(err, "symlink %s", dst);
		free(dst);
	}
	static const char *const dirs[] = {"pts", "shm", "mqueue"};
	for (size_t i = 0; r == 0 && i < 3; i++) {
		char *dst = xasprintf("%s/%s", dev, dirs[i]);
		if (mkdir(dst, 0755) < 0)
			r = err_sys(err, "mkdir %s", dst);
		else if (i == 0 && (r = sys_mount("devpts", dst, "devpts", SYS_NOSUID | SYS_NOEXEC,
						  "newinstance,ptmxmode=0666,mode=0620,gid=5", err)) < 0 && userns_active())
			/* gid 5 (tty) may have no id in a user namespace */
			r = sys_mount("devpts", dst, "devpts", SYS_NOSUID | SYS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620",
				      err);
		else if (i == 1)
			r = sys_mount("shm", dst, "tmpfs", SYS_NOSUID | SYS_NODEV | SYS_NOEXEC, "mode=1777,size=65536k",
				      err);
		free(dst);
	}
	free(dev);
	return r;
}

static int setup_proc(struct sandbox *sb, struct error *err)
{
	char *proc = in_root(sb, "/proc");
	int r = sys_mount("proc", proc, "proc", SYS_NOSUID | SYS_NODEV | SYS_NOEXEC, NULL, err);
	/* docker's masked paths (hidden under /dev/null or an empty tmpfs) and read-only ones */
	static const char *const masked[] = {"acpi", "kcore", "keys", "latency_stats", "timer_list",
					     "timer_stats", "sched_debug", "scsi"};
	static const char *const ro[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};
	for (size_t i = 0; r == 0 && i < sizeof masked / sizeof *masked; i++) {
		char *p = xasprintf("%s/%s", proc, masked[i]);
		struct stat st;
		if (lstat(p, &st) == 0) {
			char *null = in_root(sb, "/dev/null");
			r = S_ISDIR(st.st_mode) ? sys_mount("tmpfs", p, "tmpfs", SYS_RDONLY, NULL, err)
						: sys_bind(null, p, 0, err);
			free(null);
		}
		free(p);
	}
	for (size_t i = 0; r == 0 && i < sizeof ro / sizeof *ro; i++) {
		char *p = xasprintf("%s/%s", proc, ro[i]);
		struct stat st;
		if (lstat(p, &st) == 0)
			r = sys_bind(p, p, SYS_REC | SYS_RDONLY | SYS_NOSUID | SYS_NODEV | SYS_NOEXEC, err);
		free(p);
	}
	free(proc);
	return r;
}

static int run_op(struct sandbox *sb, const struct op *o, struct error *err)
{
	int r = 0;
	char *dst = o->dst ? in_root(sb, o->dst) : NULL;
	switch (o->kind) {
	case OP_OVERLAY:
		if (o->ro) {
			r = sys_overlay_ro(o->src, (const char *const *)o->lowers, o->nlowers, userns_active(),
					   dst ? dst : sb->root, err);
			break;
		}
		r = sys_overlay_rw(o->src, (const char *const *)o->lowers, o->nlowers - 2, o->lowers[o->nlowers - 2],
				   o->lowers[o->nlowers - 1], userns_active(), dst ? dst : sb->root, err);
		break;
	case OP_ROOT_BIND:
		r = sys_bind(o->src, sb->root, SYS_REC | (o->ro ? SYS_RDONLY : 0), err);
		break;
	case OP_PROC:
		r = setup_proc(sb, err);
		break;
	case OP_SYS: {
		char *p = in_root(sb, "/sys");
		/* a sysfs needs a network namespace of one's own; with the host's, /sys stays empty */
		if (sb->cmd->net != SANDBOX_NET_HOST)
			r = sys_mount("sysfs", p, "sysfs", SYS_RDONLY | SYS_NOSUID | SYS_NODEV | SYS_NOEXEC, NULL, err);
		free(p);
		break;
	}
	case OP_DEV:
		r = setup_dev(sb, err);
		break;
	case OP_BIND:
		if (o->mkpoint && mkdir(dst, 0755) < 0 && errno != EEXIST)
			r = err_sys(err, "mkdir %s", dst);
		else
			r = sys_bind(o->src, dst, SYS_REC | (o->ro ? SYS_RDONLY : 0), err);
		break;
	case OP_TMPFS:
		r = sys_mount("tmpfs", dst, "tmpfs", SYS_NOSUID | SYS_NODEV, o->opts, err);
		break;
	}
	free(dst);
	return r;
}

/* argv[0] in PATH of envp, as execvp would find it */
static char *find_exec(const struct sandbox_cmd *c)
{
	const char *a0 = c->argv[0];
	if (strchr(a0, '/'))
		return xstrdup(a0);
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *const *e = c->envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	for (const char *p = path;;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *cand = xasprintf("%.*s%s%s", (int)len, p, len ? "/" : "", a0);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!end)
			break;
		p = end + 1;
	}
	return NULL;
}

/* the command's process: its user, confinement and program */
static void command(struct sandbox *sb)
{
	const struct sandbox_cmd *c = sb->cmd;
	struct error err;
	if (c->output) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0 || dup2(sb->out_fd, 1) < 0 || dup2(sb->out_fd, 2) < 0) {
			report(sb, "Estdio: %s", strerror(errno));
			_exit(127);
		}
	}
	if (sys_caps_default(&err) < 0 || sys_set_ids(c->uid, c->gid, c->groups, c->ngroups, &err) < 0) {
		report(sb, "E%s", err.msg);
		_exit(127);
	}
	if (chdir(c->cwd) < 0) {
		report(sb, "Eworking directory %s: %s", c->cwd, strerror(errno));
		_exit(127);
	}
	char *prog = find_exec(c);
	if (!prog) {
		report(sb, "Ecannot run %s: not found in PATH", c->argv[0]);
		_exit(127);
	}
	if (sys_seccomp_default(&err) < 0) {
		report(sb, "E%s", err.msg);
		_exit(127);
	}
	sys_cloexec_from(3);
	execve(prog, (char *const *)c->argv, (char *const *)c->envp);
	report(sb, "Ecannot run %s: %s", prog, strerror(errno));
	_exit(127);
}

/* processes of this pid namespace other than its first */
static int count_others(void)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] > '0' && de->d_name[0] <= '9' && strcmp(de->d_name, "1"))
			n++;
	if (d)
		closedir(d);
	return n;
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				free(p);
				return -1;
			}
			if (!c)
				break;
			*s = c;
		}
	}
	free(p);
	return 0;
}

static int first_process(void *arg)
{
	struct sandbox *sb = arg;
	const struct sandbox_cmd *c = sb->cmd;
	struct error err;
	if (sys_die_with_parent() < 0)
		_exit(125);
	setsid();
	/* docker's: what the command makes must not depend on the caller's umask */
	umask(022);
	if (sys_mounts_private(&err) < 0) {
		report(sb, "E%s", err.msg);
		_exit(125);
	}
	for (size_t i = 0; i < sb->n; i++)
		if (run_op(sb, &sb->ops[i], &err) < 0) {
			report(sb, "E%s", err.msg);
			_exit(125);
		}
	if ((c->hostname && sys_sethostname(c->hostname, &err) < 0) ||
	    (c->net != SANDBOX_NET_HOST && sys_loopback_up(&err) < 0) || sys_pivot(sb->root, &err) < 0) {
		report(sb, "E%s", err.msg);
		_exit(125);
	}
	if (mkdir_p(c->cwd) < 0) {
		report(sb, "Eworking directory %s: %s", c->cwd, strerror(errno));
		_exit(125);
	}
	/* the command waits for the network, which slirp4netns configures meanwhile; a parent that
	   died reads as the end of the go pipe */
	char go;
	if (read(sb->go_fd, &go, 1) != 1)
		_exit(125);
	close(sb->go_fd);
	pid_t pid = fork();
	if (pid < 0) {
		report(sb, "Efork: %s", strerror(errno));
		_exit(125);
	}
	if (pid == 0)
		command(sb);
	if (sb->out_fd >= 0)
		close(sb->out_fd);
	int status = 0;
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w == pid) {
			status = st;
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
	}
	/* what the command left running goes now, as docker does */
	int left = count_others();
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	report(sb, "S%d %d", status, left);
	return 0;
}

/* --- the caller's side --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static volatile pid_t stop_pid;

static void on_stop(int sig)
{
	stop_signal = sig;
	if (stop_pid > 0)
		kill(stop_pid, SIGKILL);
}

/* the slirp4netns processes told to stop and not yet reaped: closing the exit fd ends one, but
   the kernel's removal of its tap device takes some 20 ms, which no step need wait for */
static pid_t stopping[16];
static size_t nstopping;

/* reap the stopped slirp4netns processes that are gone (all of them, waiting, with all) */
static void reap_stopped(bool all)
{
	size_t w = 0;
	for (size_t i = 0; i < nstopping; i++) {
		pid_t r;
		while ((r = waitpid(stopping[i], NULL, all ? 0 : WNOHANG)) < 0 && errno == EINTR)
			;
		if (r == 0)
			stopping[w++] = stopping[i];
	}
	nstopping = w;
}

static void stop_slirp(pid_t sp, int exit_w)
{
	close(exit_w);
	kill(sp, SIGTERM);
	/* the others are reaped as the next sandbox starts */
	if (nstopping == sizeof stopping / sizeof *stopping)
		reap_stopped(true);
	stopping[nstopping++] = sp;
}

/* slirp4netns for the network namespace of pid: its pid, once it has configured tap0 */
static pid_t start_slirp(pid_t pid, int *exit_w, struct error *err)
{
	int ready[2], ex[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	if (pipe2(ex, O_CLOEXEC) < 0) {
		close(ready[0]), close(ready[1]);
		return err_sys(err, "pipe");
	}
	pid_t sp = fork();
	if (sp == 0) {
		/* the two ends slirp4netns keeps must survive its exec */
		int rfd = dup(ready[1]), xfd = dup(ex[0]);
		int null = open("/dev/null", O_RDWR);
		if (rfd < 0 || xfd < 0 || null < 0)
			_exit(127);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		char rarg[32], xarg[32], parg[32];
		snprintf(rarg, sizeof rarg, "--ready-fd=%d", rfd);
		snprintf(xarg, sizeof xarg, "--exit-fd=%d", xfd);
		snprintf(parg, sizeof parg, "%d", (int)pid);
		execlp("slirp4netns", "slirp4netns", "--configure", "--mtu=65520", "--disable-host-loopback", rarg,
		       xarg, parg, "tap0", (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(ex[0]);
	if (sp < 0) {
		close(ready[0]), close(ex[1]);
		return err_sys(err, "fork");
	}
	char c;
	ssize_t n;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		close(ex[1]);
		int st;
		waitpid(sp, &st, 0);
		return err_set(err, "slirp4netns could not set up the default network (exit status %d)",
			       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	*exit_w = ex[1];
	return sp;
}

int sandbox_net_ready(enum sandbox_net net, struct error *err)
{
	if (net == SANDBOX_NET_DEFAULT && !prog_on_path("slirp4netns"))
		return err_set(err, "the default network needs slirp4netns, which is not installed (apt-get install "
				    "slirp4netns); --network=none has no network, --network=host the host's");
	/* slirp4netns opens the tun device as the user (the namespace's root has no rights on it) */
	if (net == SANDBOX_NET_DEFAULT && (geteuid() != 0 || userns_active()) && access("/dev/net/tun", R_OK | W_OK) < 0)
		return err_set(err, "the default network of a build by a user other than root needs /dev/net/tun, which "
				    "this user may not open (udev makes it mode 0666); --network=none has no network, "
				    "--network=host the host's");
	return 0;
}

int sandbox_run(struct sandbox *sb, const struct sandbox_cmd *c, struct sandbox_result *res, struct error *err)
{
	memset(res, 0, sizeof *res);
	if (sandbox_net_ready(c->net, err) < 0)
		return -1;
	int go[2] = {-1, -1}, rep[2] = {-1, -1}, out[2] = {-1, -1}, slirp_exit = -1;
	pid_t pid = -1, slirp = -1;
	int rc = -1;
	struct sigaction sa = {.sa_handler = on_stop}, old[3];
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	sigemptyset(&sa.sa_mask);
	/* go is a socket pair: the sandbox may have ended (a failed setup) before it reads go, and
	   writing to a pipe without a reader would raise SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
	    (c->output && pipe2(out, O_CLOEXEC) < 0)) {
		err_sys(err, "pipe");
		goto out;
	}
	sb->cmd = c;
	sb->go_fd = go[0];
	sb->report_fd = rep[1];
	sb->out_fd = out[1];
	stop_signal = 0;
	stop_pid = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	fflush(stdout);
	fflush(stderr);
	pid = sys_clone(c->net == SANDBOX_NET_HOST ? 0 : SYS_NEWNET, first_process, sb, err);
	if (pid < 0)
		goto restore;
	stop_pid = pid;
	reap_stopped(false);
	close(go[0]), go[0] = -1;
	close(rep[1]), rep[1] = -1;
	if (out[1] >= 0)
		close(out[1]), out[1] = -1;
	if (c->net == SANDBOX_NET_DEFAULT && (slirp = start_slirp(pid, &slirp_exit, err)) < 0)
		goto kill;
	if (stop_signal)
		goto kill;
	if (send(go[1], "g", 1, MSG_NOSIGNAL) != 1) {
		err_sys(err, "starting the sandbox");
		goto kill;
	}
	close(go[1]), go[1] = -1;
	if (out[0] >= 0) {
		char buf[8192];
		for (;;) {
			ssize_t n = read(out[0], buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			c->output(c->ctx, buf, (size_t)n);
		}
	}
	rc = 0;
	goto wait;
kill:
	kill(pid, SIGKILL);
wait:;
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	stop_pid = 0;
	if (stop_signal) {
		rc = err_set(err, "interrupted by %s", strsignal(stop_signal));
	} else {
		/* what the sandbox reported: a setup error (which, when slirp4netns failed too, is why:
		   the sandbox was gone before its network could be set up), or the command's status */
		char msg[4096];
		size_t len = 0;
		ssize_t n;
		while (len < sizeof msg - 1 && (n = read(rep[0], msg + len, sizeof msg - 1 - len)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			len += (size_t)n;
		}
		msg[len] = 0;
		if (msg[0] == 'E') {
			msg[strcspn(msg, "\n")] = 0;
			rc = err_set(err, "%s", msg + 1);
		} else if (rc == 0 && sscanf(msg, "S%d %d", &res->status, &res->leftovers) != 2) {
			rc = err_set(err, "the sandbox ended before its command (wait status %d)", st);
		}
	}
restore:
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
out:
	if (slirp > 0)
		stop_slirp(slirp, slirp_exit);
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (rep[i] >= 0)
			close(rep[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}
