#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "sys.h"
#include "util.h"

static bool active;
static char described[160];

/* the first range of file (/etc/subuid or /etc/subgid) for the user name or uid: "NAME:START:COUNT" */
static bool subid(const char *file, const char *name, unsigned long uid, unsigned long *start, unsigned long *count)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *end;
		if (!c1)
			continue;
		*c1 = 0;
		unsigned long id = strtoul(line, &end, 10);
		bool me = !strcmp(line, name) || (*line && !*end && id == uid);
		if (me && sscanf(c1 + 1, "%lu:%lu", start, count) == 2 && *count > 0)
			found = true;
	}
	fclose(f);
	return found;
}

static int write_proc(const char *file, const char *text, struct error *err)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write_all(fd, text, strlen(text)) < 0) {
		err_sys(err, "user namespace: write %s", file);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* run prog pid 0 id 1 1 start count; its exit status (127: not run) */
static int run_map(const char *prog, pid_t pid, unsigned long id, unsigned long start, unsigned long count)
{
	char a[6][24];
	snprintf(a[0], sizeof a[0], "%d", (int)pid);
	snprintf(a[1], sizeof a[1], "%lu", id);
	snprintf(a[2], sizeof a[2], "%lu", start);
	snprintf(a[3], sizeof a[3], "%lu", count);
	pid_t c = fork();
	if (c == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1), dup2(null, 2);
		execlp(prog, prog, a[0], "0", a[1], "1", "1", a[2], a[3], (char *)NULL);
		_exit(127);
	}
	int st;
	if (c < 0 || waitpid(c, &st, 0) < 0)
		return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int userns_enter(struct error *err)
{
	if (active || geteuid() == 0)
		return 0;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct passwd *pw = getpwuid(uid);
	unsigned long us, uc, gs, gc;
	bool ranges = pw && subid("/etc/subuid", pw->pw_name, uid, &us, &uc) &&
		      subid("/etc/subgid", pw->pw_name, uid, &gs, &gc) && prog_on_path("newuidmap") && prog_on_path("newgidmap");
	if (!ranges) {
		if (sys_unshare_user(err) < 0)
			return -1;
		char map[64];
		snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
		if (write_proc("/proc/self/uid_map", map, err) < 0 || write_proc("/proc/self/setgroups", "deny", err) < 0)
			return -1;
		snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
		if (write_proc("/proc/self/gid_map", map, err) < 0)
			return -1;
		snprintf(described, sizeof described, "only id 0 (uid %u; no /etc/subuid and /etc/subgid ranges%s)",
			 (unsigned)uid, prog_on_path("newuidmap") ? "" : ", no newuidmap");
		active = true;
		return 0;
	}
	/* newuidmap and newgidmap write the maps from outside: a child made before the namespace */
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid_t self = getpid();
	pid_t c = fork();
	if (c == 0) {
		close(go[1]);
		char g;
		if (read(go[0], &g, 1) != 1)
			_exit(126);
		int r = run_map("newuidmap", self, uid, us, uc);
		_exit(r ? r : run_map("newgidmap", self, gid, gs, gc));
	}
	close(go[0]);
	if (c < 0) {
		close(go[1]);
		return err_sys(err, "fork");
	}
	int r = sys_unshare_user(err);
	if (r == 0 && write(go[1], "g", 1) != 1)
		r = err_sys(err, "user namespace: pipe");
	close(go[1]);
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return err_set(err, "user namespace: newuidmap/newgidmap could not map uid %u's ranges %lu+%lu and "
				    "%lu+%lu of /etc/subuid and /etc/subgid (exit status %d)",
			       (unsigned)uid, us, uc, gs, gc, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	unsigned long n = uc < gc ? uc : gc;
	snprintf(described, sizeof described, "ids 0-%lu (uid %u and its /etc/subuid and /etc/subgid ranges)", n,
		 (unsigned)uid);
	active = true;
	return 0;
}

bool userns_active(void)
{
	return active;
}

const char *userns_describe(void)
{
	return described;
}
