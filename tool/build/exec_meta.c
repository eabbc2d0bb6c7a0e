#include "exec_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "exec.h"
#include "image.h"
#include "plan.h"
#include "util.h"

static int expose(struct image *im, const char *spec, struct error *err)
{
	char port[64], proto[16] = "tcp";
	const char *slash = strchr(spec, '/');
	if (slash) {
		snprintf(port, sizeof port, "%.*s", (int)(slash - spec), spec);
		snprintf(proto, sizeof proto, "%s", slash + 1);
		for (char *q = proto; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q += 32;
	} else {
		snprintf(port, sizeof port, "%s", spec);
	}
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return err_set(err, "invalid proto '%s' in EXPOSE %s", proto, spec);
	char *end;
	long lo = strtol(port, &end, 10), hi = lo;
	if (*end == '-')
		hi = strtol(end + 1, &end, 10);
	if (*end || !*port || lo < 0 || hi > 65535 || lo > hi)
		return err_set(err, "invalid port '%s' in EXPOSE", spec);
	for (long p = lo; p <= hi; p++) {
		char k[40];
		snprintf(k, sizeof k, "%ld/%s", p, proto);
		image_set_add(im, "ExposedPorts", k);
	}
	return 0;
}

static const char *const signals[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
	"ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
	"VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS", "IOT", "POLL", "CLD",
};

static bool valid_signal(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end)
		return v > 0 && v < 65;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5))
		return true;
	for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
		if (!strcasecmp(s, signals[i]))
			return true;
	return false;
}

static void healthcheck(struct arena *a, struct image *im, const struct step *s)
{
	if (!strcasecmp(s->args[0], "NONE")) {
		static const char *const none[] = {"NONE"};
		image_set_health(im, none, 1, NULL, 0);
		return;
	}
	const char **test = arena_alloc(a, (s->nargs + 1) * sizeof *test);
	test[0] = s->json ? "CMD" : "CMD-SHELL";
	for (size_t i = 1; i < s->nargs; i++)
		test[i] = s->args[i];
	static const char *const durs[] = {"interval", "timeout", "start-period", "start-interval"};
	long long ns[4];
	for (size_t i = 0; i < 4; i++) {
		const char *dv = step_flag(s, durs[i]);
		ns[i] = dv ? plan_duration(dv) : 0;
	}
	const char *r = step_flag(s, "retries");
	image_set_health(im, test, s->nargs, ns, r ? atoi(r) : 0);
}

int exec_meta(struct exec *x, struct error *err)
{
	const struct step *s = x->step;
	struct image *im = x->img;
	switch (s->instr) {
	case I_ENV:
		for (size_t i = 0; i < s->nkvs; i++)
			image_set_env(im, s->kvs[i].key, s->kvs[i].value);
		break;
	case I_LABEL:
		for (size_t i = 0; i < s->nkvs; i++)
			image_map_set(im, "Labels", s->kvs[i].key, s->kvs[i].value);
		break;
	case I_MAINTAINER:
		image_set_author(im, s->args[0]);
		break;
	case I_EXPOSE:
		for (size_t i = 0; i < s->nargs; i++)
			if (expose(im, s->args[i], err) < 0)
				return -1;
		break;
	case I_USER:
		image_set(im, "User", s->args[0]);
		break;
	case I_VOLUME:
		for (size_t i = 0; i < s->nargs; i++)
			image_set_add(im, "Volumes", s->args[i]);
		break;
	case I_STOPSIGNAL:
		if (!valid_signal(s->args[0]))
			return err_set(err, "invalid signal '%s' in STOPSIGNAL", s->args[0]);
		image_set(im, "StopSignal", s->args[0]);
		break;
	case I_CMD:
		/* an empty list clears, as docker stores no Cmd for CMD [] */
		if (s->nargs == 0)
			image_set(im, "Cmd", NULL);
		else
			image_set_command(im, "Cmd", s->args, s->nargs, s->json);
		x->cmd_set = true;
		break;
	case I_ENTRYPOINT:
		if (s->nargs == 0)
			image_set(im, "Entrypoint", NULL);
		else
			image_set_command(im, "Entrypoint", s->args, s->nargs, s->json);
		/* an ENTRYPOINT drops a CMD inherited from the base, as docker does */
		if (!x->cmd_set)
			image_set(im, "Cmd", NULL);
		break;
	case I_SHELL:
		image_set_list(im, "Shell", s->args, s->nargs);
		break;
	case I_ONBUILD:
		image_list_append(im, "OnBuild", s->original);
		break;
	case I_HEALTHCHECK:
		healthcheck(x->a, im, s);
		break;
	default:
		/* ARG: only the history entry */
		break;
	}
	image_history(im, s->node->line.text, true, x->epoch);
	return 0;
}
