/* strata build: docker build's flags, the direct back end */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cmd.h"
#include "error.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: strata build [OPTIONS] CONTEXT\n"
	      "  -f, --file FILE          the Dockerfile (default CONTEXT/Dockerfile)\n"
	      "  -t, --tag NAME[:TAG]     name the image in the store (repeatable)\n"
	      "      --build-arg K[=V]    set a build arg (repeatable; K alone takes $K)\n"
	      "      --target STAGE       build this stage and what it needs\n"
	      "      --platform OS/ARCH   the target platform (default: the host's)\n"
	      "      --no-cache           rebuild every step\n"
	      "      --network MODE       default, none or host (for RUN, later)\n"
	      "  -o, --output DEST        also write the image to DEST: oci:DIR[:TAG],\n"
	      "                           oci-archive:FILE, docker-archive:FILE (repeatable)\n"
	      "  -q, --quiet              no progress; print the manifest digest only\n",
	      f);
}

int cmd_build(int argc, char **argv)
{
	enum { BUILD_ARG = 256, TARGET, PLATFORM, NO_CACHE, NETWORK, HELP };
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"tag", required_argument, NULL, 't'},
		{"build-arg", required_argument, NULL, BUILD_ARG},
		{"target", required_argument, NULL, TARGET},
		{"platform", required_argument, NULL, PLATFORM},
		{"no-cache", no_argument, NULL, NO_CACHE},
		{"network", required_argument, NULL, NETWORK},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, HELP},
		{NULL, 0, NULL, 0},
	};
	struct arena *a = arena_new();
	struct build_opts o = {0};
	struct strv tags, outs;
	strv_init(&tags, a);
	strv_init(&outs, a);
	env_init(&o.build_args, a);
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:t:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o.file = optarg;
			break;
		case 't':
			strv_push(&tags, optarg);
			break;
		case 'o':
			strv_push(&outs, optarg);
			break;
		case 'q':
			o.quiet = true;
			break;
		case BUILD_ARG:
			build_arg_set(&o.build_args, optarg);
			break;
		case TARGET:
			o.target = optarg;
			break;
		case PLATFORM:
			o.platform = optarg;
			break;
		case NO_CACHE:
			o.no_cache = true;
			break;
		case NETWORK:
			if (strcmp(optarg, "default") && strcmp(optarg, "none") && strcmp(optarg, "host"))
				fatal("build: --network must be default, none or host, not '%s'", optarg);
			break;
		case 'h':
		case HELP:
			usage(stdout);
			arena_free(a);
			return 0;
		default:
			fatal("build: unknown option or missing value: '%s' (see strata build --help)", argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		arena_free(a);
		return 2;
	}
	o.context = argv[optind];
	o.tags = (const char **)tags.v;
	o.ntags = tags.n;
	o.outputs = (const char **)outs.v;
	o.noutputs = outs.n;
	struct error err;
	char md[72];
	if (build_run(&o, md, &err) < 0)
		fatal("%s", err.msg);
	if (o.quiet)
		printf("%s\n", md);
	else
		fprintf(stderr, "built %s\n", md);
	arena_free(a);
	return 0;
}
