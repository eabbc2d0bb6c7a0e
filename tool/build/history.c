#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "image.h"
#include "plan.h"
#include "port.h"
#include "utf8.h"
#include "util.h"

/* Go's fmt %v of a []string: [a b] */
static void put_list(struct buf *b, const char *const *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ' ');
		buf_puts(b, v[i] ? v[i] : "");
	}
	buf_putc(b, ']');
}

/* Go's fmt %q of a []string: ["a" "b"] */
static void put_qlist(struct buf *b, const char *const *v, size_t n)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ' ');
		quote_go(b, v[i] ? v[i] : "", v[i] ? strlen(v[i]) : 0);
	}
	buf_putc(b, ']');
}

/* the digits of v / 10^prec with trailing zeros of the fraction dropped, as Go's fmtFrac+fmtInt */
static void put_frac(struct buf *b, unsigned long long v, int prec)
{
	char frac[24];
	int n = 0;
	bool print = false;
	for (int i = 0; i < prec; i++) {
		int digit = (int)(v % 10);
		print |= digit != 0;
		if (print)
			frac[n++] = (char)('0' + digit);
		v /= 10;
	}
	buf_printf(b, "%llu", v);
	if (n) {
		buf_putc(b, '.');
		while (n)
			buf_putc(b, frac[--n]);
	}
}

const char *history_duration(struct arena *a, long long ns)
{
	struct buf b;
	buf_init(&b, a);
	unsigned long long u = ns < 0 ? (unsigned long long)-ns : (unsigned long long)ns;
	if (ns < 0)
		buf_putc(&b, '-');
	if (u < 1000000000ULL) {
		if (u == 0)
			buf_puts(&b, "0s");
		else if (u < 1000ULL)
			buf_printf(&b, "%lluns", u);
		else if (u < 1000000ULL)
			put_frac(&b, u, 3), buf_puts(&b, "\xc2\xb5s");
		else
			put_frac(&b, u, 6), buf_puts(&b, "ms");
		return buf_take(&b);
	}
	unsigned long long secs = u / 1000000000ULL, frac = u % 1000000000ULL;
	unsigned long long h = secs / 3600, m = secs / 60 % 60, sec = secs % 60;
	if (h)
		buf_printf(&b, "%lluh", h);
	if (h || m)
		buf_printf(&b, "%llum", m);
	put_frac(&b, sec * 1000000000ULL + frac, 9);
	buf_putc(&b, 's');
	return buf_take(&b);
}

static void copy_text(struct buf *b, const struct step *s)
{
	buf_puts(b, instr_name(s->instr));
	const char *parents = step_flag(s, "parents"), *chown = step_flag(s, "chown"), *chmod = step_flag(s, "chmod");
	if (parents && !strcmp(parents, "true"))
		buf_puts(b, " --parents");
	if (chown && *chown)
		buf_printf(b, " --chown=%s", chown);
	if (chmod && *chmod)
		buf_printf(b, " --chmod=%s", chmod);
	/* the source paths, then the heredocs, then the destination */
	size_t h = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i + 1 < s->nargs; i++) {
			const char *w = s->args[i];
			while (*w >= '0' && *w <= '9')
				w++;
			bool hd = s->node->nheredocs && !strncmp(w, "<<", 2);
			if (!pass && !hd)
				buf_printf(b, " %s", s->args[i]);
			else if (pass && hd && h < s->node->nheredocs)
				buf_printf(b, " <<%s", s->node->heredocs[h++].name);
		}
	buf_printf(b, " %s # buildkit", s->nargs ? s->args[s->nargs - 1] : "");
}

const char *history_text(struct arena *a, const struct step *s, struct image *after)
{
	struct buf b;
	buf_init(&b, a);
	const char **v;
	size_t n;
	switch (s->instr) {
	case I_ONBUILD:
		return NULL;
	case I_COPY:
	case I_ADD:
		copy_text(&b, s);
		break;
	case I_ENV:
	case I_LABEL:
	case I_ARG:
		buf_puts(&b, instr_name(s->instr));
		if (s->instr == I_ARG)
			buf_putc(&b, ' ');
		for (size_t i = 0; i < s->nkvs; i++) {
			if (s->instr != I_ARG || i)
				buf_putc(&b, ' ');
			buf_puts(&b, s->kvs[i].key);
			if (s->kvs[i].value) {
				buf_putc(&b, '=');
				buf_puts(&b, s->kvs[i].value);
			}
		}
		break;
	case I_EXPOSE: {
		struct strv ports;
		strv_init(&ports, a);
		for (size_t i = 0; i < s->nargs; i++) {
			bool mapping;
			struct error e; /* the plan refused a bad spec */
			port_parse(a, s->args[i], &ports, &mapping, &e);
		}
		buf_puts(&b, "EXPOSE ");
		put_list(&b, (const char *const *)ports.v, ports.n);
		break;
	}
	case I_VOLUME:
	case I_SHELL:
		buf_printf(&b, "%s ", instr_name(s->instr));
		put_list(&b, s->args, s->nargs);
		break;
	case I_CMD:
	case I_ENTRYPOINT:
		n = image_list(after, s->instr == I_CMD ? "Cmd" : "Entrypoint", a, &v);
		buf_printf(&b, "%s ", instr_name(s->instr));
		put_qlist(&b, v, n);
		break;
	case I_HEALTHCHECK: {
		static const char *const durs[] = {"interval", "timeout", "start-period", "start-interval"};
		static const char *const names[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
		bool none = !strcasecmp(s->args[0], "NONE");
		buf_puts(&b, "HEALTHCHECK {Test:[");
		buf_puts(&b, none ? "NONE" : s->json ? "CMD" : "CMD-SHELL");
		for (size_t i = 1; i < s->nargs && !none; i++)
			buf_printf(&b, " %s", s->args[i]);
		buf_putc(&b, ']');
		for (size_t i = 0; i < 4; i++) {
			const char *dv = none ? NULL : step_flag(s, durs[i]);
			buf_printf(&b, " %s:%s", names[i], history_duration(a, dv ? plan_duration(dv) : 0));
		}
		const char *r = none ? NULL : step_flag(s, "retries");
		buf_printf(&b, " Retries:%ld}", r ? strtol(r, NULL, 10) : 0L);
		break;
	}
	case I_WORKDIR:
		buf_printf(&b, "WORKDIR %s", image_get(after, "WorkingDir"));
		break;
	default:
		/* MAINTAINER, USER, STOPSIGNAL */
		buf_printf(&b, "%s %s", instr_name(s->instr), s->nargs ? s->args[0] : "");
		break;
	}
	return buf_take(&b);
}
