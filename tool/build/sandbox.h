#ifndef STRATA_SANDBOX_H
#define STRATA_SANDBOX_H
/* The sandbox of RUN and `strata run`, as bubblewrap builds one: a list of
   setup operations (mounts) that the first process of new mount, pid, uts,
   ipc and network namespaces executes in order below the new root, then
   pivot_root, a fixed host name, and the command started with docker's
   default capabilities, no_new_privs and a seccomp filter, as its user.
   Every mount lives in the sandbox's own mount namespace and every process
   in its pid namespace: both vanish when its first process ends, which
   happens when the command ends, when the caller is interrupted, or when
   the caller dies. */
#include <stdbool.h>
#include <stddef.h>

struct error;
struct sandbox;

enum sandbox_net {
	SANDBOX_NET_DEFAULT,  /* a private network namespace with outbound access through slirp4netns */
	SANDBOX_NET_NONE,     /* a private network namespace with only the loopback */
	SANDBOX_NET_HOST,     /* the host's network */
};

/* "default", "none", "host" -> *out; -1 when s is none of them */
int sandbox_net_parse(const char *s, enum sandbox_net *out);

/* 0 when net can be made here (default needs slirp4netns on PATH); -1 with err naming the other choices */
int sandbox_net_ready(enum sandbox_net net, struct error *err);

/* a sandbox whose root filesystem will be mounted at root (an empty host directory) */
struct sandbox *sandbox_new(const char *root);
void sandbox_free(struct sandbox *sb);

/* The operations. dst is absolute inside the sandbox, already resolved (no symlink on its way) and
   existing; the first operation mounts the root. */
/* the root: an overlay of lowers[0..n) (lowers[0] on top) with upper and work, names relative to dir */
void sandbox_overlay(struct sandbox *sb, const char *dir, const char *const *lowers, size_t n, const char *upper,
		     const char *work);
/* the same at dst instead of the root (a writable view of a directory whose writes are discarded);
   upper and work NULL: a read-only overlay of the lowers (at least two) */
void sandbox_overlay_at(struct sandbox *sb, const char *dir, const char *const *lowers, size_t n, const char *upper,
			const char *work, const char *dst);
/* the root: host directory src, read-only when ro */
void sandbox_root_bind(struct sandbox *sb, const char *src, bool ro);
/* /proc of the sandbox's pid namespace, with docker's masked and read-only paths */
void sandbox_proc(struct sandbox *sb);
/* /sys, read-only */
void sandbox_sys(struct sandbox *sb);
/* a minimal /dev on a tmpfs: null zero full random urandom tty, ptmx and pts, shm, fd links */
void sandbox_dev(struct sandbox *sb);
/* bind host path src (file or directory) at dst */
void sandbox_bind(struct sandbox *sb, const char *src, const char *dst, bool ro);
/* the same, making dst (a directory) first: for a mount point on the sandbox's own /dev */
void sandbox_bind_new(struct sandbox *sb, const char *src, const char *dst, bool ro);
/* a tmpfs at dst with mount options opts (NULL: none) */
void sandbox_tmpfs(struct sandbox *sb, const char *dst, const char *opts);

struct sandbox_cmd {
	const char *const *argv;       /* argv[0] is looked up in envp's PATH unless it holds a '/' */
	const char *const *envp;
	const char *cwd;               /* made when missing (as root, as runc does) */
	unsigned uid, gid;
	const unsigned *groups;        /* supplementary groups */
	size_t ngroups;
	const char *hostname;
	enum sandbox_net net;
	/* the command's stdout and stderr go here, stdin is /dev/null; NULL: stdin, stdout and stderr
	   are the caller's */
	void (*output)(void *ctx, const char *p, size_t n);
	void *ctx;
};

struct sandbox_result {
	int status;       /* the command's wait status */
	int leftovers;    /* processes still running when the command ended (killed) */
};

/* run c in the sandbox, in the foreground, until it ends; 0 when it ran (whatever its status), -1 with
   err when the sandbox could not be made, the command could not be started, or SIGINT, SIGTERM or
   SIGHUP stopped it (the sandbox's processes are killed and its mounts gone in every case) */
int sandbox_run(struct sandbox *sb, const struct sandbox_cmd *c, struct sandbox_result *res, struct error *err);

#endif
