#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "util.h"

enum { SLOTS = 16 };

/* Everything the handler reads is static: it may run between any two instructions. A slot is
   filled before it is marked used, and unmarked before it is reused. */
static char root_path[PATH_MAX];
static char slot_path[SLOTS][PATH_MAX];
static volatile sig_atomic_t slot_used[SLOTS];
static volatile sig_atomic_t installer; /* the pid that installed the handler */
static char *exec_argv[SLOTS + 5];
static char sig_arg[16];

extern char **environ;

static void on_signal(int sig)
{
	/* a child forked without exec leaves the cleanup to its parent */
	if (getpid() != (pid_t)installer || !root_path[0]) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	size_t n = 0, k = 0;
	char digits[12];
	for (int v = sig; v || !k; v /= 10)
		digits[k++] = (char)('0' + v % 10);
	while (k)
		sig_arg[n++] = digits[--k];
	sig_arg[n] = 0;
	n = 0;
	exec_argv[n++] = PROG;
	exec_argv[n++] = CLEANUP_COMMAND;
	exec_argv[n++] = sig_arg;
	exec_argv[n++] = root_path;
	for (size_t i = 0; i < SLOTS; i++)
		if (slot_used[i])
			exec_argv[n++] = slot_path[i];
	exec_argv[n] = NULL;
	/* the signals stay blocked across exec, so the cleanup runs to its end */
	execve("/proc/self/exe", exec_argv, environ);
	_exit(128 + sig);
}

void cleanup_install(const char *root)
{
	if (strlen(root) >= sizeof root_path)
		return;
	root_path[0] = 0;
	memcpy(root_path, root, strlen(root) + 1);
	if (installer == getpid())
		return;
	installer = getpid();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
		struct sigaction old;
		/* a signal the caller chose to ignore (nohup) stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int cleanup_add(const char *path)
{
	size_t len = strlen(path);
	if (len >= PATH_MAX)
		return -1;
	for (size_t i = 0; i < SLOTS; i++) {
		if (slot_used[i])
			continue;
		memcpy(slot_path[i], path, len + 1);
		slot_used[i] = 1;
		return 0;
	}
	return -1;
}

void cleanup_del(const char *path)
{
	for (size_t i = 0; i < SLOTS; i++)
		if (slot_used[i] && strcmp(slot_path[i], path) == 0) {
			slot_used[i] = 0;
			return;
		}
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

/* detach every mount at or below a path starting with prefix, the latest first */
static void umount_under(const char *prefix)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	struct strv mps;
	strv_init(&mps, NULL);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
		char *save = NULL, *mp = NULL;
		char *t = strtok_r(line, " ", &save);
		for (int i = 0; t && i < 4; i++)
			mp = t = strtok_r(NULL, " ", &save);
		if (!mp)
			continue;
		unescape(mp);
		if (strncmp(mp, prefix, strlen(prefix)) == 0)
			strv_push(&mps, xstrdup(mp));
	}
	free(line);
	fclose(f);
	for (size_t i = mps.n; i-- > 0;)
		umount2(mps.v[i], MNT_DETACH);
	strv_free(&mps);
}

int cleanup_main(int argc, char **argv)
{
	if (argc < 3)
		_exit(2);
	int sig = atoi(argv[1]);
	const char *root = argv[2];
	char *prefix = xasprintf("%s/tmp/%ld.", root, (long)getpid());
	umount_under(prefix);
	char *tmp = xasprintf("%s/tmp", root);
	int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t plen = strlen(prefix) - strlen(tmp) - 1;
	if (dfd >= 0) {
		int dup = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
		DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
		struct strv names;
		strv_init(&names, NULL);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (strncmp(e->d_name, prefix + strlen(tmp) + 1, plen) == 0)
				strv_push(&names, xstrdup(e->d_name));
		if (d)
			closedir(d);
		else if (dup >= 0)
			close(dup);
		for (size_t i = 0; i < names.n; i++)
			remove_tree_at(dfd, names.v[i], NULL);
		strv_free(&names);
		close(dfd);
	}
	/* only what cleanup_add can have named (NAME.tmp-XXXXXX beside an output): typed by hand,
	   this command removes nothing else */
	for (int i = 3; i < argc; i++) {
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		if (strstr(base, ".tmp-"))
			remove_tree_at(AT_FDCWD, argv[i], NULL);
	}
	free(tmp);
	free(prefix);
	/* die of the signal, as the shell that sent it expects */
	if (sig > 0 && sig < NSIG) {
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		raise(sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	_exit(128 + (sig > 0 && sig < 128 ? sig : 0));
}
