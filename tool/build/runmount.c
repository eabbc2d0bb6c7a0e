#include "runmount.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

/* the next KEY[=VALUE] field of a comma-separated list (CSV quotes as BuildKit reads them) */
static char *next_field(struct arena *a, const char **p)
{
	struct buf b;
	buf_init(&b, a);
	bool q = false;
	for (; **p && (q || **p != ','); (*p)++) {
		if (**p == '"') {
			if (q && (*p)[1] == '"') {
				buf_putc(&b, '"');
				(*p)++;
			} else {
				q = !q;
			}
			continue;
		}
		buf_putc(&b, **p);
	}
	if (**p == ',')
		(*p)++;
	return buf_take(&b);
}

static int boolean(const char *key, const char *v, bool *out, struct error *err)
{
	if (!v || !strcasecmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return err_set(err, "invalid value for %s: %s", key, v);
}

static int number(const char *key, const char *v, int base, unsigned *out, struct error *err)
{
	char *end;
	unsigned long x = v ? strtoul(v, &end, base) : 0;
	if (!v || !*v || *end || x > 0xffffffffUL)
		return err_set(err, "invalid value for %s: %s", key, v ? v : "(none)");
	*out = (unsigned)x;
	return 0;
}

/* "64m", "1g", "1024": bytes */
static int size_of(const char *v, long long *out, struct error *err)
{
	char *end;
	long long x = v ? strtoll(v, &end, 10) : -1;
	if (!v || !*v || x < 0)
		return err_set(err, "invalid value for size: %s", v ? v : "(none)");
	long long mul = 1;
	switch (tolower((unsigned char)*end)) {
	case 0: break;
	case 'k': mul = 1LL << 10; end++; break;
	case 'm': mul = 1LL << 20; end++; break;
	case 'g': mul = 1LL << 30; end++; break;
	default: return err_set(err, "invalid value for size: %s", v);
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || x > (1LL << 50) / mul)
		return err_set(err, "invalid value for size: %s", v);
	*out = x * mul;
	return 0;
}

static int parse(struct arena *a, const char *spec, struct runmount *m, struct error *err)
{
	memset(m, 0, sizeof *m);
	m->mode = 07777 + 1; /* unset */
	const char *p = spec;
	bool typed = false;
	/* the type first: the keys allowed depend on it */
	for (const char *q = spec; *q;) {
		char *f = next_field(a, &q);
		if (!strncasecmp(f, "type=", 5)) {
			const char *t = f + 5;
			if (!strcmp(t, "bind"))
				m->type = RUNMOUNT_BIND;
			else if (!strcmp(t, "cache"))
				m->type = RUNMOUNT_CACHE;
			else if (!strcmp(t, "tmpfs"))
				m->type = RUNMOUNT_TMPFS;
			else if (!strcmp(t, "secret"))
				m->type = RUNMOUNT_SECRET;
			else if (!strcmp(t, "ssh"))
				return err_set(err, "type=ssh is not supported (no SSH agent is forwarded)");
			else
				return err_set(err, "unsupported mount type \"%s\"", t);
			typed = true;
		}
	}
	(void)typed;
	while (*p) {
		char *f = next_field(a, &p);
		if (!*f)
			continue;
		char *eq = strchr(f, '=');
		char *v = eq ? eq + 1 : NULL;
		if (eq)
			*eq = 0;
		for (char *c = f; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		const char *k = f;
		enum runmount_type t = m->type;
		if (!strcmp(k, "type"))
			continue;
		if (!strcmp(k, "target") || !strcmp(k, "dst") || !strcmp(k, "destination")) {
			if (!v || !*v)
				return err_set(err, "%s needs a path", k);
			m->target = v;
		} else if ((!strcmp(k, "readonly") || !strcmp(k, "ro")) && t != RUNMOUNT_SECRET) {
			if (boolean(k, v, &m->ro, err) < 0)
				return -1;
		} else if ((!strcmp(k, "readwrite") || !strcmp(k, "rw")) && t == RUNMOUNT_BIND) {
			if (boolean(k, v, &m->rw, err) < 0)
				return -1;
		} else if ((!strcmp(k, "source") || !strcmp(k, "src")) && t == RUNMOUNT_BIND) {
			if (!v || !*v)
				return err_set(err, "%s needs a path", k);
			m->source = v;
		} else if (!strcmp(k, "from") && t == RUNMOUNT_BIND) {
			if (!v || !*v)
				return err_set(err, "from needs a stage or image");
			m->from = v;
		} else if (!strcmp(k, "id") && (t == RUNMOUNT_CACHE || t == RUNMOUNT_SECRET)) {
			if (!v || !*v)
				return err_set(err, "id needs a value");
			m->id = v;
		} else if (!strcmp(k, "sharing") && t == RUNMOUNT_CACHE) {
			if (v && !strcmp(v, "shared"))
				m->sharing = SHARING_SHARED;
			else if (v && !strcmp(v, "private"))
				m->sharing = SHARING_PRIVATE;
			else if (v && !strcmp(v, "locked"))
				m->sharing = SHARING_LOCKED;
			else
				return err_set(err, "unsupported sharing value \"%s\"", v ? v : "");
		} else if (!strcmp(k, "mode") && (t == RUNMOUNT_CACHE || t == RUNMOUNT_SECRET)) {
			if (number(k, v, 8, &m->mode, err) < 0 || m->mode > 07777)
				return err_set(err, "invalid value for mode: %s", v ? v : "");
		} else if (!strcmp(k, "uid") && (t == RUNMOUNT_CACHE || t == RUNMOUNT_SECRET)) {
			if (!v || id_parse(v, &m->uid) < 0)
				return err_set(err, "invalid value for %s: %s (ids go from 0 to %llu)", k, v ? v : "(none)",
					       ID_MAX);
		} else if (!strcmp(k, "gid") && (t == RUNMOUNT_CACHE || t == RUNMOUNT_SECRET)) {
			if (!v || id_parse(v, &m->gid) < 0)
				return err_set(err, "invalid value for %s: %s (ids go from 0 to %llu)", k, v ? v : "(none)",
					       ID_MAX);
		} else if (!strcmp(k, "required") && t == RUNMOUNT_SECRET) {
			if (boolean(k, v, &m->required, err) < 0)
				return -1;
		} else if (!strcmp(k, "env") && t == RUNMOUNT_SECRET) {
			if (!v || !*v)
				return err_set(err, "env needs a variable name");
			m->env = v;
		} else if (!strcmp(k, "size") && t == RUNMOUNT_TMPFS) {
			if (size_of(v, &m->size, err) < 0)
				return -1;
		} else {
			static const char *const names[] = {"bind", "cache", "tmpfs", "secret"};
			return err_set(err, "unexpected key '%s' for a %s mount", k, names[t]);
		}
	}
	if (m->ro && m->rw)
		return err_set(err, "both readonly and readwrite");
	if (m->type == RUNMOUNT_SECRET) {
		if (!m->id && m->target) {
			const char *slash = strrchr(m->target, '/');
			m->id = slash ? slash + 1 : m->target;
		}
		if (!m->id || !*m->id)
			return err_set(err, "a secret mount needs an id or a target");
		if (!m->target && !m->env)
			m->target = arena_printf(a, "/run/secrets/%s", m->id);
		if (m->mode > 07777)
			m->mode = 0400;
		return 0;
	}
	if (!m->target)
		return err_set(err, "target is required");
	if (m->type == RUNMOUNT_CACHE) {
		if (!m->id)
			m->id = m->target;
		if (m->mode > 07777)
			m->mode = 0755;
	}
	if (m->type == RUNMOUNT_BIND && !m->source)
		m->source = "/";
	return 0;
}

int runmount_parse(struct arena *a, const char *spec, struct runmount *m, struct error *err)
{
	if (parse(a, spec, m, err) < 0)
		return err_wrap(err, "RUN --mount=%s", spec);
	return 0;
}

int run_secret_parse(struct arena *a, const char *spec, struct run_secret *s, struct error *err)
{
	memset(s, 0, sizeof *s);
	const char *type = NULL, *src = NULL;
	for (const char *p = spec; *p;) {
		char *f = next_field(a, &p);
		char *eq = strchr(f, '=');
		if (!eq)
			return err_set(err, "--secret %s: %s is no KEY=VALUE", spec, f);
		*eq = 0;
		const char *v = eq + 1;
		if (!strcmp(f, "id"))
			s->id = v;
		else if (!strcmp(f, "type"))
			type = v;
		else if (!strcmp(f, "src") || !strcmp(f, "source"))
			src = v;
		else if (!strcmp(f, "env"))
			s->env = v;
		else
			return err_set(err, "--secret %s: unexpected key '%s'", spec, f);
	}
	if (!s->id || !*s->id)
		return err_set(err, "--secret %s: id is required", spec);
	if (type && strcmp(type, "file") && strcmp(type, "env"))
		return err_set(err, "--secret %s: type must be file or env", spec);
	if (type && !strcmp(type, "env") && src && !s->env) {
		s->env = src;
		src = NULL;
	}
	if (src && s->env)
		return err_set(err, "--secret %s: src and env both given", spec);
	if (!src && !s->env)
		s->env = s->id; /* as docker: the variable named like the id */
	s->src = src;
	if (s->src) {
		int fd = open(s->src, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			return err_sys(err, "--secret id=%s: %s", s->id, s->src);
		int bad = fstat(fd, &st) < 0 || !S_ISREG(st.st_mode);
		close(fd);
		if (bad)
			return err_set(err, "--secret id=%s: %s is not a regular file", s->id, s->src);
	} else if (!getenv(s->env)) {
		return err_set(err, "--secret id=%s: environment variable %s is not set", s->id, s->env);
	}
	return 0;
}
