#include "exec_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bindview.h"
#include "copy.h"
#include "error.h"
#include "exec.h"
#include "ignore.h"
#include "image.h"
#include "key.h"
#include "layer.h"
#include "plan.h"
#include "progress.h"
#include "rootfs.h"
#include "store.h"
#include "sys.h"
#include "upper.h"
#include "user.h"
#include "userns.h"
#include "util.h"
#include "volatile.h"

/* the host name every RUN sees, BuildKit's */
#define RUN_HOSTNAME "buildkitsandbox"
/* the lines of output a failure quotes */
enum { TAIL_LINES = 3, TAIL_BYTES = 4096 };

struct run {
	struct arena *a;
	struct store *s;
	const char *view;        /* the parent's filesystem, read-only, for lookups */
	char *dir;               /* this run's scratch directory in the store */
	char *stub;              /* dir/stub: the top lower, holding the mount points the parent lacks */
	char *upper;             /* dir/upper: what the command writes */
	bool quiet;
	long long epoch;           /* the times of what the sandbox adds: the top, stubs, /etc/hosts */
	struct progress *prog;     /* where the output is shown (progress.h) */
	struct rootfs *views[16];  /* bind mounts' sources from stages and images */
	size_t nviews;
	int locks[16];             /* cache mounts' lock files */
	size_t nlocks;
	char *secrets;             /* a tmpfs for the secret files, or NULL */
	size_t nscratch;           /* names handed out for mounts' scratch files and directories */
	char tail[TAIL_BYTES];   /* the last bytes of output */
	size_t tlen;
};

static void on_output(void *ctx, const char *p, size_t n)
{
	struct run *r = ctx;
	if (!r->quiet)
		progress_output(r->prog, p, n);
	if (n >= TAIL_BYTES) {
		memcpy(r->tail, p + n - TAIL_BYTES, TAIL_BYTES);
		r->tlen = TAIL_BYTES;
		return;
	}
	if (r->tlen + n > TAIL_BYTES) {
		size_t drop = r->tlen + n - TAIL_BYTES;
		memmove(r->tail, r->tail + drop, r->tlen - drop);
		r->tlen -= drop;
	}
	memcpy(r->tail + r->tlen, p, n);
	r->tlen += n;
}

/* the last lines of output on one line: "a | b | c" (control bytes as spaces) */
static char *tail_lines(struct run *r)
{
	size_t end = r->tlen;
	while (end && (r->tail[end - 1] == '\n' || r->tail[end - 1] == '\r'))
		end--;
	size_t start = end;
	int lines = 0;
	while (start && lines < TAIL_LINES) {
		if (r->tail[start - 1] == '\n' && ++lines == TAIL_LINES)
			break;
		start--;
	}
	struct buf b;
	buf_init(&b, r->a);
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)r->tail[i];
		if (c == '\n')
			buf_puts(&b, " | ");
		else
			buf_putc(&b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	return buf_take(&b);
}

/* path's times set to the epoch: what the sandbox adds shows no time of the build */
static int epoch_times(struct run *r, const char *path, struct error *err)
{
	const struct timespec t = {.tv_sec = (time_t)r->epoch};
	return set_times(path, t, t, err);
}

/* the metadata of the parent's directory at rel (relative), copied onto the stub's, so the merged
   view shows the parent's; a directory the parent lacks is root's 0755 of the epoch */
static int stub_dir(struct run *r, const char *rel, struct error *err)
{
	char *p = arena_printf(r->a, "%s/%s", r->stub, rel);
	struct stat st;
	if (lstat(p, &st) == 0)
		return 0;
	struct stat ps;
	bool has = lstat(arena_printf(r->a, "%s/%s", r->view, rel), &ps) == 0;
	if (has && !S_ISDIR(ps.st_mode))
		return err_set(err, "cannot mount below /%s: not a directory in the image", rel);
	if (mkdir(p, 0755) < 0)
		return err_sys(err, "mkdir %s", p);
	if (has && (lchown(p, ps.st_uid, ps.st_gid) < 0 || chmod(p, ps.st_mode & 07777) < 0))
		return err_sys(err, "stub %s", p);
	return 0;
}

/* the times of the stub layer below rel ("" the top), once every stub is made (making one changes
   its directory's): a directory the parent has shows the parent's, the rest the epoch (the top's
   parent is no layer's: the epoch too) */
static int stub_times(struct run *r, const char *rel, struct error *err)
{
	char *p = *rel ? arena_printf(r->a, "%s/%s", r->stub, rel) : r->stub;
	DIR *d = opendir(p);
	struct strv names;
	strv_init(&names, r->a);
	if (!d || dir_names(d, &names) < 0)
		return err_sys(err, "read %s", p);
	for (size_t i = 0; i < names.n; i++) {
		char *sub = *rel ? arena_printf(r->a, "%s/%s", rel, names.v[i]) : names.v[i];
		char *sp = arena_printf(r->a, "%s/%s", r->stub, sub);
		struct stat st;
		if (lstat(sp, &st) < 0)
			return err_sys(err, "stat %s", sp);
		if ((S_ISDIR(st.st_mode) ? stub_times(r, sub, err) : epoch_times(r, sp, err)) < 0)
			return -1;
	}
	struct stat ps;
	if (!*rel || lstat(arena_printf(r->a, "%s/%s", r->view, rel), &ps) < 0 || !S_ISDIR(ps.st_mode))
		return epoch_times(r, p, err);
	return set_times(p, ps.st_atim, ps.st_mtim, err);
}

/* where target (absolute) is in the parent, symlinks resolved inside it; when the parent lacks it,
   a stub (directory or empty file) is made in the stub layer with its parents; the resolved absolute
   path into *at */
static int mount_point(struct run *r, const char *target, bool dir, const char **at, struct error *err)
{
	char *rel = copy_resolve(r->a, r->view, target + 1);
	if (!rel)
		return err_set(err, "cannot mount at %s: it leads nowhere in the image", target);
	*at = arena_printf(r->a, "/%s", rel);
	if (!*rel)
		return err_set(err, "cannot mount at /");
	struct stat st;
	if (lstat(arena_printf(r->a, "%s/%s", r->view, rel), &st) == 0) {
		if (dir != !!S_ISDIR(st.st_mode))
			return err_set(err, "cannot mount at %s: %s in the image", target,
				       dir ? "not a directory" : "a directory");
		return 0;
	}
	for (char *s = rel; (s = strchr(s, '/')); s++) {
		*s = 0;
		int rc = stub_dir(r, rel, err);
		*s = '/';
		if (rc < 0)
			return -1;
	}
	char *p = arena_printf(r->a, "%s/%s", r->stub, rel);
	if (dir)
		return stub_dir(r, rel, err);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EEXIST)
		return err_sys(err, "stub %s", p);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* a file of this run's scratch directory holding data */
static char *run_file(struct run *r, const char *name, const char *data, struct error *err)
{
	char *p = arena_printf(r->a, "%s/files/%s", r->dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, data, strlen(data)) < 0 || fchmod(fd, 0644) < 0) {
		err_sys(err, "write %s", p);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return epoch_times(r, p, err) < 0 ? NULL : p;
}

static const char *resolv_conf(struct run *r, enum sandbox_net net)
{
	if (net == SANDBOX_NET_DEFAULT)
		return "nameserver 10.0.2.3\n"; /* slirp4netns's DNS */
	size_t len;
	char *host = read_file("/etc/resolv.conf", &len);
	const char *s = host ? arena_strdup(r->a, host) : "";
	free(host);
	return s;
}

/* the command: exec form as is; shell form through SHELL, with BuildKit's rules for heredocs */
static int command(struct run *r, struct exec *x, const char ***argv, struct error *err)
{
	const struct step *s = x->step;
	struct strv v;
	strv_init(&v, r->a);
	if (s->json) {
		if (s->node->nheredocs)
			return err_set(err, "heredocs need the shell form of RUN");
		for (size_t i = 0; i < s->nargs; i++)
			strv_push(&v, (char *)s->args[i]);
		if (!v.n)
			return err_set(err, "RUN [] has no command");
		strv_push(&v, NULL);
		*argv = (const char **)v.v;
		return 0;
	}
	const char **shell;
	size_t nsh = image_list(x->img, "Shell", r->a, &shell);
	if (nsh == 0) {
		static const char *const sh[] = {"/bin/sh", "-c"};
		shell = (const char **)sh;
		nsh = 2;
	}
	for (size_t i = 0; i < nsh; i++)
		strv_push(&v, (char *)shell[i]);
	const char *script = s->nargs ? s->args[0] : "";
	if (s->node->nheredocs) {
		const struct heredoc *h = &s->node->heredocs[0];
		struct heredoc m;
		struct error merr; /* a malformed marker is no heredoc: the shell gets the text */
		if (heredoc_marker(r->a, script, &m, &merr) == 1) {
			/* the command is one heredoc: its body is the script (tabs chomped for <<-) */
			struct buf body;
			buf_init(&body, r->a);
			for (const char *p = h->content; *p;) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
				const char *q = p;
				if (h->chomp)
					while (q < p + len && *q == '\t')
						q++;
				buf_putn(&body, q, len - (size_t)(q - p));
				p += len;
			}
			if (!strncmp(body.s, "#!", 2)) {
				/* a script with its own interpreter runs as a file, from /dev/pipes */
				char *p = arena_printf(r->a, "%s/pipes/%s", r->dir, h->name);
				if (strchr(h->name, '/'))
					return err_set(err, "heredoc name %s: no '/' allowed", h->name);
				int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
				if (fd < 0 || write_all(fd, body.s, body.len) < 0 || fchmod(fd, 0755) < 0) {
					if (fd >= 0)
						close(fd);
					return err_sys(err, "write %s", p);
				}
				close(fd);
				v.n = 0;
				strv_push(&v, arena_printf(r->a, "/dev/pipes/%s", h->name));
				strv_push(&v, NULL);
				*argv = (const char **)v.v;
				return 0;
			}
			script = body.s;
		} else {
			/* heredocs within a command line: the shell reads their bodies after it */
			struct buf full;
			buf_init(&full, r->a);
			buf_puts(&full, script);
			for (size_t i = 0; i < s->node->nheredocs; i++) {
				buf_putc(&full, '\n');
				buf_puts(&full, s->node->heredocs[i].content);
				buf_puts(&full, s->node->heredocs[i].name);
			}
			script = full.s;
		}
	}
	strv_push(&v, (char *)script);
	strv_push(&v, NULL);
	*argv = (const char **)v.v;
	return 0;
}

static bool has_var(struct strv *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=')
			return true;
	return false;
}

/* the command's environment: the image's Env, the build args in scope that Env does not set,
   SOURCE_DATE_EPOCH, and HOME from the user's passwd entry unless set */
static void environment(struct run *r, struct image *img, const struct env *args, long long epoch,
			const struct user_ids *u, struct strv *out)
{
	struct strv env;
	strv_init(&env, r->a);
	const char **list;
	size_t n = image_list(img, "Env", r->a, &list);
	for (size_t i = 0; i < n; i++)
		if (list[i] && strchr(list[i], '='))
			strv_push(&env, (char *)list[i]);
	for (size_t i = 0; args && i < env_count(args); i++)
		if (env_value(args, i) && !has_var(&env, env_name(args, i)))
			strv_push(&env, arena_printf(r->a, "%s=%s", env_name(args, i), env_value(args, i)));
	if (epoch >= 0 && !has_var(&env, "SOURCE_DATE_EPOCH"))
		strv_push(&env, arena_printf(r->a, "SOURCE_DATE_EPOCH=%lld", epoch));
	if (!has_var(&env, "HOME"))
		strv_push(&env, arena_printf(r->a, "HOME=%s", u->home));
	*out = env;
}

/* the --mount values of s, parsed */
static int mounts_of(struct arena *a, const struct step *s, struct runmount **out, size_t *n, struct error *err)
{
	*n = 0;
	*out = arena_alloc(a, (s->nflags + 1) * sizeof **out);
	for (size_t i = 0; i < s->nflags; i++)
		if (!strcmp(s->flags[i].name, "mount") && runmount_parse(a, s->flags[i].value, &(*out)[(*n)++], err) < 0)
			return -1;
	return 0;
}

static const struct run_secret *find_secret(const struct run_opts *o, const char *id)
{
	for (size_t i = 0; o && i < o->nsecrets; i++)
		if (!strcmp(o->secrets[i].id, id))
			return &o->secrets[i];
	return NULL;
}

/* a bind mount's source below the context: its path relative to it ("." for the whole) */
static const char *context_rel(struct arena *a, const char *source)
{
	char *c = path_clean(source);
	const char *r = c;
	while (*r == '/')
		r++;
	if (!strncmp(r, "../", 3) || !strcmp(r, ".."))
		r = ""; /* cleaned like an absolute path: nothing above the context */
	char *out = arena_strdup(a, *r ? r : ".");
	free(c);
	return out;
}

int exec_run_check(struct arena *a, const struct step *s, const struct run_opts *o, struct error *err)
{
	enum sandbox_net net;
	const char *nf = step_flag(s, "network");
	if (nf && sandbox_net_parse(nf, &net) < 0)
		return err_set(err, "RUN --network=%s: want default, none or host", nf);
	const char *sec = step_flag(s, "security");
	if (sec && strcmp(sec, "sandbox") != 0)
		return err_set(err, "RUN --security=%s: only sandbox is allowed", sec);
	struct runmount *m;
	size_t n;
	if (mounts_of(a, s, &m, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (m[i].type == RUNMOUNT_SECRET && m[i].required && !find_secret(o, m[i].id))
			return err_set(err, "RUN --mount=type=secret,id=%s: the secret is required and not given "
				       "(strata build --secret id=%s,src=FILE)", m[i].id, m[i].id);
		/* as BuildKit, which never sends what .dockerignore excludes */
		if (m[i].type == RUNMOUNT_BIND && !m[i].from && o && o->ignore && o->context) {
			const char *rel = context_rel(a, m[i].source);
			const char *res = copy_resolve(a, o->context, strcmp(rel, ".") ? rel : "");
			if ((strcmp(rel, ".") && ignore_match(o->ignore, rel)) || (*res && ignore_match(o->ignore, res)))
				return err_set(err, "RUN --mount=type=bind,source=%s: excluded by .dockerignore",
					       m[i].source);
		}
	}
	return 0;
}

int exec_run_ready(const struct step *s, const struct run_opts *o, struct error *err)
{
	enum sandbox_net net = o ? o->net : SANDBOX_NET_DEFAULT;
	const char *nf = step_flag(s, "network");
	if (nf)
		sandbox_net_parse(nf, &net);
	/* another user builds in a user namespace of its own (userns_enter) */
	if (geteuid() == 0 && !userns_active() && sys_host_root(err) < 0)
		return -1;
	return sandbox_net_ready(net, err);
}

int exec_run_key(struct arena *a, const struct step *s, const struct run_opts *o, struct key *k,
		 struct error *err)
{
	struct runmount *m;
	size_t n;
	if (mounts_of(a, s, &m, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (m[i].type != RUNMOUNT_BIND)
			continue;
		if (m[i].from) {
			char key[72];
			if (!o || !o->from || o->from(o->ctx, m[i].from, NULL, key, err) < 0)
				return o && o->from ? -1 : err_set(err, "RUN --mount from=%s: no stages here", m[i].from);
			key_str(k, key);
			continue;
		}
		if (!o || !o->context)
			return err_set(err, "RUN --mount=type=bind: no build context");
		struct copy_opts co = {.root = o->context, .context = true, .what = "the build context",
				       .ignore = o->ignore, .cache = o->cache};
		const char *pat = context_rel(a, m[i].source);
		struct copy_src *src;
		if (copy_collect(a, &co, &pat, 1, &src, err) < 0)
			return err_wrap(err, "RUN --mount=type=bind,source=%s", m[i].source);
		copy_hash(src, k);
		copy_free(src);
	}
	return 0;
}

/* the mount of m in the sandbox; env: where a secret given as a variable goes */
static int add_mount(struct run *r, struct exec *x, struct sandbox *sb, const struct runmount *m, const char *wd,
		     struct strv *env, struct error *err)
{
	const char *target = m->target;
	if (target && target[0] != '/')
		target = arena_printf(r->a, "%s/%s", strcmp(wd, "/") ? wd : "", target);
	if (target) {
		char *c = path_clean(target);
		target = arena_strdup(r->a, c);
		free(c);
	}
	const char *at;
	switch (m->type) {
	case RUNMOUNT_BIND: {
		const char *root;
		if (m->from) {
			struct image im = {0};
			if (r->nviews == sizeof r->views / sizeof *r->views)
				return err_set(err, "too many bind mounts from stages and images");
			if (x->run->from(x->run->ctx, m->from, &im, NULL, err) < 0)
				return -1;
			int o = rootfs_open(x->s, &im, &r->views[r->nviews], err);
			image_free(&im);
			if (o < 0)
				return -1;
			root = rootfs_path(r->views[r->nviews++]);
		} else {
			/* absolute: the sandbox's first process mounts from another directory */
			char *abs = realpath(x->run->context, NULL);
			if (!abs)
				return err_sys(err, "context %s", x->run->context);
			root = arena_strdup(r->a, abs);
			free(abs);
		}
		const char *rel = context_rel(r->a, m->source);
		char *res = copy_resolve(r->a, root, strcmp(rel, ".") ? rel : "");
		const char *src = res && *res ? arena_printf(r->a, "%s/%s", root, res) : root;
		struct stat st;
		if (!res || lstat(src, &st) < 0)
			return err_set(err, "RUN --mount=type=bind: source %s not found in %s", m->source,
				       m->from ? m->from : "the build context");
		if (mount_point(r, target, S_ISDIR(st.st_mode), &at, err) < 0)
			return -1;
		/* a directory of the context shows what the key hashed: the overlay of a layer of whiteouts
		   ("h") hiding what .dockerignore excludes on the source ("l"); writes discarded in "u" */
		char *d = NULL;
		size_t nwh = 0;
		if (S_ISDIR(st.st_mode) && (m->rw || (!m->from && x->run->ignore))) {
			d = arena_printf(r->a, "%s/rw%zu", r->dir, r->nscratch++);
			char *lw = arena_printf(r->a, "%s/l", d), *hide = arena_printf(r->a, "%s/h", d);
			if (mkdir(d, 0700) < 0 || symlink(src, lw) < 0 || mkdir(hide, 0700) < 0)
				return err_sys(err, "bind mount scratch %s", d);
			if (!m->from && x->run->ignore) {
				struct copy_opts co = {.root = root, .context = true, .what = "the build context",
						       .ignore = x->run->ignore, .list_only = true};
				struct copy_src *ls;
				int lr = copy_collect(r->a, &co, &rel, 1, &ls, err);
				if (lr == 0)
					lr = bindview_whiteouts(r->a, ls, src, hide, &nwh, err);
				copy_free(ls);
				if (lr < 0)
					return err_wrap(err, "RUN --mount=type=bind,source=%s", m->source);
			}
		}
		const char *lowers[] = {"h", "l"};
		if (!m->rw && !nwh) {
			sandbox_bind(sb, src, at, true);
		} else if (S_ISDIR(st.st_mode)) {
			char *up = arena_printf(r->a, "%s/u", d), *wk = arena_printf(r->a, "%s/w", d);
			if (m->rw && (mkdir(up, 0755) < 0 || mkdir(wk, 0700) < 0))
				return err_sys(err, "bind mount scratch %s", d);
			sandbox_overlay_at(sb, d, nwh ? lowers : lowers + 1, nwh ? 2 : 1, m->rw ? "u" : NULL,
					   m->rw ? "w" : NULL, at);
		} else {
			/* a writable file is a private copy, streamed: a fifo or a device would never end */
			char *copy = arena_printf(r->a, "%s/files/bind%zu", r->dir, r->nscratch++);
			int in, out = -1, rc = -1;
			if (open_regular(src, "RUN --mount=type=bind,rw source", true, &in, &st, err) < 0)
				return -1;
			out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
			if (out < 0) {
				err_sys(err, "copy %s", src);
				goto bind_done;
			}
			char buf[65536];
			ssize_t n;
			while ((n = read(in, buf, sizeof buf)) > 0)
				if (write_all(out, buf, (size_t)n) < 0)
					break;
			if (n != 0) {
				err_sys(err, "copy %s", src);
				goto bind_done;
			}
			rc = 0;
		bind_done:
			close(in);
			if (out >= 0)
				close(out);
			if (rc < 0)
				return -1;
			sandbox_bind(sb, copy, at, false);
		}
		return 0;
	}
	case RUNMOUNT_CACHE: {
		char *dir;
		int lock;
		if (r->nlocks == sizeof r->locks / sizeof *r->locks)
			return err_set(err, "too many cache mounts");
		if (store_cache_dir(x->s, m->id, m->mode, m->uid, m->gid, &dir, &lock, err) < 0)
			return -1;
		r->locks[r->nlocks++] = lock;
		const char *use = arena_strdup(r->a, dir);
		free(dir);
		if (m->sharing == SHARING_PRIVATE) {
			/* a private cache in use elsewhere: this step gets a fresh one of its own */
			if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
				char *fresh = arena_printf(r->a, "%s/cache%zu", r->dir, r->nlocks);
				if (mkdir(fresh, 0700) < 0 || chown(fresh, m->uid, m->gid) < 0 || chmod(fresh, m->mode) < 0)
					return err_sys(err, "cache %s", fresh);
				use = fresh;
			}
		} else {
			int how = m->sharing == SHARING_LOCKED ? LOCK_EX : LOCK_SH;
			if (flock(lock, how | LOCK_NB) < 0) {
				if (!r->quiet)
					fprintf(stderr, "waiting for cache %s, locked by another build\n", m->id);
				if (flock(lock, how) < 0)
					return err_sys(err, "lock of cache %s", m->id);
			}
		}
		if (mount_point(r, target, true, &at, err) < 0)
			return -1;
		sandbox_bind(sb, use, at, m->ro);
		return 0;
	}
	case RUNMOUNT_TMPFS:
		if (mount_point(r, target, true, &at, err) < 0)
			return -1;
		sandbox_tmpfs(sb, at, m->size ? arena_printf(r->a, "size=%lld", m->size) : NULL);
		return 0;
	case RUNMOUNT_SECRET: {
		const struct run_secret *sec = find_secret(x->run, m->id);
		if (!sec)
			return 0; /* not required (checked before the build): no mount, as BuildKit */
		char *data = NULL;
		size_t len = 0;
		if (sec->src) {
			data = read_file(sec->src, &len);
			if (!data)
				return err_sys(err, "secret %s: %s", sec->id, sec->src);
		} else {
			const char *v = getenv(sec->env);
			if (!v)
				return err_set(err, "secret %s: environment variable %s is not set", sec->id, sec->env);
			data = xstrdup(v);
			len = strlen(v);
		}
		int rc = 0;
		if (m->env)
			strv_push(env, arena_printf(r->a, "%s=%.*s", m->env, (int)len, data));
		if (target) {
			/* on a tmpfs of this process's mount namespace: a secret never touches the disk */
			if (!r->secrets) {
				r->secrets = arena_printf(r->a, "%s/secrets", r->dir);
				int mk = mkdir(r->secrets, 0700);
				if (mk < 0)
					err_sys(err, "secrets %s", r->secrets);
				if (mk < 0 || sys_mount("tmpfs", r->secrets, "tmpfs", SYS_NOSUID | SYS_NODEV | SYS_NOEXEC,
							"mode=0700", err) < 0) {
					r->secrets = NULL;
					free(data);
					return -1;
				}
			}
			char *f = arena_printf(r->a, "%s/%zu", r->secrets, r->nscratch++);
			int fd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0 || write_all(fd, data, len) < 0 || fchown(fd, m->uid, m->gid) < 0 ||
			    fchmod(fd, m->mode) < 0)
				rc = err_sys(err, "secret %s", sec->id);
			if (fd >= 0)
				close(fd);
			if (rc == 0 && (rc = mount_point(r, target, false, &at, err)) == 0)
				sandbox_bind(sb, f, at, true);
		}
		free(data);
		return rc;
	}
	}
	return 0;
}

/* the sandbox of a command on img: the overlay of its layers under the stub layer, /dev, /proc, /sys,
   hosts, resolv.conf and hostname; r->view, r->dir filled (the caller releases them, and *sb) */
static int setup(struct run *r, struct store *s, struct image *img, enum sandbox_net net, struct rootfs **view,
		 struct sandbox **sb, struct user_ids *u, struct error *err)
{
	char **lowers = NULL;
	size_t nl = 0;
	int rc = -1;
	if (rootfs_open(s, img, view, err) < 0)
		return -1;
	r->view = rootfs_path(*view);
	const char *spec = image_get(img, "User");
	if (user_lookup(r->a, r->view, spec && *spec ? spec : "0", u, err) < 0)
		goto out;
	if (store_tmpdir(s, &r->dir, err) < 0)
		goto out;
	static const char *const subdirs[] = {"upper", "work", "stub", "root", "files", "pipes"};
	for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
		char *p = arena_printf(r->a, "%s/%s", r->dir, subdirs[i]);
		if (mkdir(p, 0755) < 0 || chmod(p, 0755) < 0) {
			err_sys(err, "mkdir %s", p);
			goto out;
		}
	}
	/* the merged view's top is the upper's */
	r->upper = arena_printf(r->a, "%s/upper", r->dir);
	if (epoch_times(r, r->upper, err) < 0)
		goto out;
	r->stub = arena_printf(r->a, "%s/stub", r->dir);
	if (rootfs_lowers(s, img, r->dir, &lowers, &nl, err) < 0)
		goto out;
	const char *proc, *dev, *sys, *hosts, *resolv, *hostname;
	if (mount_point(r, "/proc", true, &proc, err) < 0 || mount_point(r, "/dev", true, &dev, err) < 0 ||
	    mount_point(r, "/sys", true, &sys, err) < 0 || mount_point(r, "/etc/hosts", false, &hosts, err) < 0 ||
	    mount_point(r, "/etc/resolv.conf", false, &resolv, err) < 0 ||
	    mount_point(r, "/etc/hostname", false, &hostname, err) < 0)
		goto out;
	if (strcmp(proc, "/proc") || strcmp(dev, "/dev") || strcmp(sys, "/sys")) {
		err_set(err, "the image's /proc, /dev or /sys is a symbolic link");
		goto out;
	}
	char *fhosts = run_file(r, "hosts", "127.0.0.1\tlocalhost " RUN_HOSTNAME "\n::1\tlocalhost ip6-localhost "
					     "ip6-loopback\n", err);
	char *fresolv = fhosts ? run_file(r, "resolv.conf", resolv_conf(r, net), err) : NULL;
	char *fhostname = fresolv ? run_file(r, "hostname", RUN_HOSTNAME "\n", err) : NULL;
	if (!fhostname)
		goto out;
	/* the stub layer on top of the parent's */
	const char **lw = arena_alloc(r->a, (nl + 1) * sizeof *lw);
	lw[0] = "stub";
	for (size_t i = 0; i < nl; i++)
		lw[i + 1] = lowers[i];
	*sb = sandbox_new(arena_printf(r->a, "%s/root", r->dir));
	sandbox_overlay(*sb, r->dir, lw, nl + 1, "upper", "work");
	sandbox_dev(*sb);
	sandbox_proc(*sb);
	sandbox_sys(*sb);
	sandbox_bind(*sb, fhosts, hosts, false);
	sandbox_bind(*sb, fresolv, resolv, false);
	sandbox_bind(*sb, fhostname, hostname, false);
	sandbox_bind_new(*sb, arena_printf(r->a, "%s/pipes", r->dir), "/dev/pipes", true);
	rc = 0;
out:
	for (size_t i = 0; i < nl; i++)
		free(lowers[i]);
	free(lowers);
	return rc;
}

/* release what setup and the mounts made */
static void teardown(struct run *r, struct store *s, struct rootfs *view, struct sandbox *sb)
{
	sandbox_free(sb);
	for (size_t i = 0; i < r->nlocks; i++)
		close(r->locks[i]);
	for (size_t i = 0; i < r->nviews; i++)
		rootfs_close(r->views[i]);
	if (r->secrets)
		sys_umount(r->secrets);
	if (r->dir) {
		store_tmp_discard(s, r->dir);
		free(r->dir);
	}
	rootfs_close(view);
}

/* the upper directory, the layer just written, kept as the store's directory of that layer (what
   rootfs_layer_dir extracts from the blob) for the next step to mount, instead of the blob being
   extracted again and the upper removed: making and removing inodes is most of what a RUN costs
   besides its command. Root's uppers only (a user namespace's hold mapped ids and user.overlay
   marks), and not with --drop-volatile (whose layer is not the upper). Best effort: whatever
   fails, the next step extracts the blob. */
static void adopt(struct run *r, struct exec *x, const struct layer_entry *e, size_t n)
{
	const char *hex = image_diff_id(x->img, image_nlayers(x->img) - 1) + 7;
	char *have = store_dir_get(x->s, "layer", hex);
	if (have) {
		free(have);
		return;
	}
	struct error ignored;
	char *tmp = NULL, *dir = NULL;
	if (upper_adopt(r->upper, e, n, x->epoch, &ignored) < 0 || store_tmpdir(x->s, &tmp, &ignored) < 0)
		return;
	/* a directory of the store's tmp/ of its own, as store_dir_commit takes: the upper renamed
	   over a new empty one */
	if (rename(r->upper, tmp) == 0)
		(void)store_dir_commit(x->s, "layer", hex, tmp, &dir, &ignored);
	else
		store_tmp_discard(x->s, tmp);
	free(tmp);
	free(dir);
}

int exec_run(struct exec *x, struct error *err)
{
	const struct step *s = x->step;
	struct run r = {.a = x->a, .s = x->s, .quiet = x->run && x->run->quiet, .epoch = x->epoch,
			.prog = x->run ? x->run->prog : NULL};
	struct rootfs *view = NULL;
	struct sandbox *sb = NULL;
	int rc = -1;
	enum sandbox_net net = x->run ? x->run->net : SANDBOX_NET_DEFAULT;
	const char *nf = step_flag(s, "network");
	struct runmount *mounts;
	size_t nmounts;
	if (exec_run_check(r.a, s, x->run, err) < 0 || mounts_of(r.a, s, &mounts, &nmounts, err) < 0)
		return -1;
	if (nf)
		sandbox_net_parse(nf, &net);
	struct user_ids u;
	if (setup(&r, x->s, x->img, net, &view, &sb, &u, err) < 0)
		goto out;
	const char **argv = NULL;
	if (command(&r, x, &argv, err) < 0)
		goto out;
	struct strv env;
	environment(&r, x->img, x->step->args_env, x->epoch, &u, &env);
	const char *wd = image_get(x->img, "WorkingDir");
	if (!wd || !*wd)
		wd = "/";
	for (size_t i = 0; i < nmounts; i++)
		if (add_mount(&r, x, sb, &mounts[i], wd, &env, err) < 0)
			goto out;
	strv_push(&env, NULL);
	struct sandbox_cmd c = {.argv = argv, .envp = (const char **)env.v, .cwd = wd, .uid = u.uid, .gid = u.gid,
				.groups = u.groups, .ngroups = u.ngroups, .hostname = RUN_HOSTNAME, .net = net,
				.output = on_output, .ctx = &r};
	struct sandbox_result res;
	if (stub_times(&r, "", err) < 0 || sandbox_run(sb, &c, &res, err) < 0)
		goto out;
	if (res.status != 0) {
		char *t = tail_lines(&r);
		const char *how = WIFEXITED(res.status) ? "exited with status" : "was killed by signal";
		int v = WIFEXITED(res.status) ? WEXITSTATUS(res.status) : WTERMSIG(res.status);
		if (*t)
			err_set(err, "RUN %s %d; last output: %s", how, v, t);
		else
			err_set(err, "RUN %s %d", how, v);
		goto out;
	}
	if (res.leftovers && !r.quiet)
		warn("RUN left %d process%s running when it ended: killed", res.leftovers, res.leftovers == 1 ? "" : "es");
	struct layer_entry *e;
	size_t n, skipped;
	bool dropping = x->run && x->run->drop_volatile;
	if (upper_entries(r.a, r.upper, userns_active(), &e, &n, &skipped, err) < 0)
		goto out;
	if (dropping && volatile_apply(e, &n, x->epoch, r.a, err) < 0)
		goto out;
	/* a command that changed nothing adds no layer, as BuildKit */
	if (n && exec_add_layer(x, e, n, err) < 0)
		goto out;
	image_history(x->img, s->node->line.text, n == 0, x->epoch);
	/* STRATA_NO_ADOPT: the test suite extracts as a user namespace's build does, to compare */
	if (n && !skipped && !dropping && !userns_active() && !getenv("STRATA_NO_ADOPT")) {
		sandbox_free(sb);
		sb = NULL;
		adopt(&r, x, e, n);
	}
	rc = 0;
out:
	teardown(&r, x->s, view, sb);
	return rc;
}

int run_image(struct store *s, struct image *img, const struct run_image_opts *o, int *status, struct error *err)
{
	struct arena *a = arena_new();
	struct run r = {.a = a, .s = s};
	struct rootfs *view = NULL;
	struct sandbox *sb = NULL;
	int rc = -1;
	struct user_ids u;
	if (setup(&r, s, img, o->net, &view, &sb, &u, err) < 0)
		goto out;
	/* Entrypoint, then the command given or the image's Cmd */
	struct strv argv;
	strv_init(&argv, a);
	const char **list;
	size_t n = image_list(img, "Entrypoint", a, &list);
	for (size_t i = 0; i < n; i++)
		strv_push(&argv, (char *)(list[i] ? list[i] : ""));
	if (o->nargs) {
		for (size_t i = 0; i < o->nargs; i++)
			strv_push(&argv, (char *)o->args[i]);
	} else {
		n = image_list(img, "Cmd", a, &list);
		for (size_t i = 0; i < n; i++)
			strv_push(&argv, (char *)(list[i] ? list[i] : ""));
	}
	if (!argv.n) {
		err_set(err, "the image has no Entrypoint or Cmd: give a command");
		goto out;
	}
	strv_push(&argv, NULL);
	struct strv env;
	environment(&r, img, NULL, -1, &u, &env);
	for (size_t i = 0; i < o->nenv; i++) {
		const char *eq = strchr(o->env[i], '=');
		size_t kl = eq ? (size_t)(eq - o->env[i]) : strlen(o->env[i]);
		const char *kv = o->env[i];
		if (!eq) {
			/* -e NAME takes strata's own value, as docker does */
			const char *v = getenv(o->env[i]);
			if (!v)
				continue;
			kv = arena_printf(a, "%s=%s", o->env[i], v);
		}
		size_t w = 0;
		for (size_t k = 0; k < env.n; k++)
			if (strncmp(env.v[k], kv, kl) || env.v[k][kl] != '=')
				env.v[w++] = env.v[k];
		env.n = w;
		strv_push(&env, (char *)kv);
	}
	strv_push(&env, NULL);
	for (size_t i = 0; i < o->nvolumes; i++) {
		/* HOST:CTR[:ro|rw] */
		char *spec = arena_strdup(a, o->volumes[i]);
		char *ctr = strchr(spec, ':');
		if (!ctr || ctr == spec || ctr[1] != '/') {
			err_set(err, "-v %s: want HOST:CONTAINER[:ro], CONTAINER absolute", o->volumes[i]);
			goto out;
		}
		*ctr++ = 0;
		char *mode = strchr(ctr, ':');
		bool ro = false;
		if (mode) {
			*mode++ = 0;
			if (strcmp(mode, "ro") && strcmp(mode, "rw")) {
				err_set(err, "-v %s: the mode is ro or rw", o->volumes[i]);
				goto out;
			}
			ro = !strcmp(mode, "ro");
		}
		char *host = realpath(spec, NULL);
		struct stat st;
		if (!host || stat(host, &st) < 0) {
			err_sys(err, "-v %s: %s", o->volumes[i], spec);
			free(host);
			goto out;
		}
		const char *at;
		char *clean = path_clean(ctr);
		int mp = mount_point(&r, clean, S_ISDIR(st.st_mode), &at, err);
		free(clean);
		if (mp == 0)
			sandbox_bind(sb, host, at, ro);
		free(host);
		if (mp < 0)
			goto out;
	}
	const char *wd = image_get(img, "WorkingDir");
	struct sandbox_cmd c = {.argv = (const char **)argv.v, .envp = (const char **)env.v,
				.cwd = wd && *wd ? wd : "/", .uid = u.uid, .gid = u.gid, .groups = u.groups,
				.ngroups = u.ngroups, .hostname = RUN_HOSTNAME, .net = o->net};
	struct sandbox_result res;
	if (stub_times(&r, "", err) < 0 || sandbox_run(sb, &c, &res, err) < 0)
		goto out;
	*status = res.status;
	rc = 0;
out:
	teardown(&r, s, view, sb);
	arena_free(a);
	return rc;
}
