#include "exec_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "exec.h"
#include "history.h"
#include "image.h"
#include "plan.h"
#include "port.h"
#include "utf8.h"
#include "util.h"

static int expose(struct exec *x, const char *spec, struct error *err)
{
	struct strv ports;
	strv_init(&ports, x->a);
	bool mapping;
	if (port_parse(x->a, spec, &ports, &mapping, err) < 0)
		return -1;
	for (size_t i = 0; i < ports.n; i++)
		image_set_add(x->img, "ExposedPorts", ports.v[i]);
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
			if (expose(x, s->args[i], err) < 0)
				return -1;
		break;
	case I_USER:
		/* an empty USER is root: docker's config then has no User */
		image_set(im, "User", *s->args[0] ? s->args[0] : NULL);
		break;
	case I_VOLUME:
		for (size_t i = 0; i < s->nargs; i++)
			image_set_add(im, "Volumes", s->args[i]);
		break;
	case I_STOPSIGNAL:
		if (!valid_signal(s->args[0]))
			return err_set(err, "invalid signal '%s' in STOPSIGNAL", qname(s->args[0]));
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
	const char *text = history_text(x->a, s, im);
	if (text)
		image_history(im, text, true, x->epoch);
	return 0;
}
