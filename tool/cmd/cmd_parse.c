/* strata parse: the front end on its own */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cmd.h"
#include "error.h"
#include "env.h"
#include "parse.h"
#include "plan.h"
#include "platform.h"
#include "util.h"

static const char usage_text[] = "usage: strata parse --dump DOCKERFILE\n"
	      "       strata parse --json [--build-arg K=V]... [--target STAGE] [--platform OS/ARCH]\n"
	      "                    [--context DIR] DOCKERFILE\n"
	      "  --dump          print the AST in the reference parser's format\n"
	      "  --json          print the expanded plan: stages, steps, expanded arguments, source lines\n"
	      "  --context DIR   with --json: also each needed step's key and whether the store has its\n"
	      "                  result (base images are looked up in the store, their ENV applied)\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* K=V into e; a bare K takes the value of K in the environment, as docker build does */
void build_arg_set(struct env *e, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == kv || !*kv)
		fatal("--build-arg: invalid argument '%s': want KEY=VALUE", kv);
	if (eq) {
		char *k = xstrndup(kv, (size_t)(eq - kv));
		env_set(e, k, eq + 1);
		free(k);
	} else {
		const char *v = getenv(kv);
		if (v)
			env_set(e, kv, v);
	}
}

int cmd_parse(int argc, char **argv)
{
	enum { DUMP = 1, JSON, BUILD_ARG, TARGET, PLATFORM, CONTEXT };
	static const struct option opts[] = {
		{"dump", no_argument, NULL, DUMP},
		{"json", no_argument, NULL, JSON},
		{"build-arg", required_argument, NULL, BUILD_ARG},
		{"target", required_argument, NULL, TARGET},
		{"platform", required_argument, NULL, PLATFORM},
		{"context", required_argument, NULL, CONTEXT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct arena *a = arena_new();
	struct plan_opts po = {0};
	env_init(&po.build_args, a);
	static const struct cmd_spec spec = {usage_text, "", opts, 1, 1, false};
	int mode = 0, c, ret;
	const char *context = NULL;
	char platform[PLATFORM_MAX];
	struct error perr;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		switch (c) {
		case DUMP:
		case JSON:
			mode = c;
			break;
		case BUILD_ARG:
			build_arg_set(&po.build_args, optarg);
			break;
		case TARGET:
			po.target = optarg;
			break;
		case PLATFORM:
			if (platform_normalize(optarg, platform, &perr) < 0)
				fatal("%s", perr.msg);
			po.platform = platform;
			break;
		case CONTEXT:
			context = optarg;
			break;
		}
	}
	if (ret >= 0 || !mode) {
		arena_free(a);
		if (ret >= 0)
			return ret;
		usage(stderr);
		return 2;
	}
	const char *path = argv[optind];
	if (context) {
		if (mode != JSON)
			fatal("parse: --context goes with --json");
		struct build_opts bo = {.file = path, .context = context, .target = po.target,
					.platform = po.platform, .quiet = true};
		env_copy(&bo.build_args, &po.build_args, a);
		struct error err;
		struct plan *p;
		if (build_keys(&bo, a, &p, &err) < 0)
			fatal("%s", err.msg);
		plan_json(stdout, p);
		arena_free(a);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	size_t len;
	char *data;
	struct error rerr;
	if (read_regular(path, path, DOCKERFILE_MAX, &data, &len, &rerr) < 0)
		fatal("%s", rerr.msg);
	struct dockerfile *df = parse_dockerfile(a, path, data, len);
	if (mode == DUMP) {
		parse_dump(stdout, df);
	} else {
		struct plan *p = plan_build(a, df, &po);
		plan_json(stdout, p);
	}
	free(data);
	arena_free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}
