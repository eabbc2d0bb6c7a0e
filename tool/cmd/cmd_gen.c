/* strata gen: a Dockerfile as a Make or Ninja graph; strata step: the commands that graph runs */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildflags.h"
#include "cmd.h"
#include "error.h"
#include "graph.h"
#include "util.h"

static void gen_usage(FILE *f)
{
	fputs("usage: strata gen --make FILE | --ninja FILE [OPTIONS] CONTEXT\n"
	      "  write FILE, a Makefile (GNU Make 3.81+) or build.ninja in which every instruction is a\n"
	      "  target with content-hashed inputs; `make -f FILE` or `ninja -f FILE` builds the image and\n"
	      "  its outputs, and FILE can be included (Make) or subninja'd (Ninja) into a larger build.\n"
	      "  Run make or ninja from the directory gen ran in: paths are relative to it.\n"
	      "      --make FILE          write a Makefile fragment\n"
	      "      --ninja FILE         write a build.ninja fragment\n"
	      "      --builddir DIR       the graph's files (default .strata/NAME beside FILE)\n"
	      "      --input PATH         a prerequisite of every source set (a file a COPY wildcard takes\n"
	      "                           that the same build makes; repeatable)\n"
	      "      --layer-jobs N       at most N steps write layers at once (default: the CPU count)\n"
	      "  -f, --file FILE          the Dockerfile (default CONTEXT/Dockerfile)\n"
	      "  -t, --tag NAME[:TAG]     name the image in the store (repeatable)\n"
	      BUILDFLAG_USAGE
	      "  -o, --output DEST        also write the image to DEST: oci:DIR[:TAG],\n"
	      "                           oci-archive:FILE, docker-archive:FILE (repeatable)\n",
	      f);
}

int cmd_gen(int argc, char **argv)
{
	enum { MAKE = 256, NINJA, BUILDDIR, INPUT, LAYER_JOBS, HELP };
	static const struct option opts[] = {
		{"make", required_argument, NULL, MAKE},
		{"ninja", required_argument, NULL, NINJA},
		{"builddir", required_argument, NULL, BUILDDIR},
		{"input", required_argument, NULL, INPUT},
		{"layer-jobs", required_argument, NULL, LAYER_JOBS},
		{"file", required_argument, NULL, 'f'},
		{"tag", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, HELP},
		BUILDFLAG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct arena *a = arena_new();
	struct graph_opts o = {0};
	struct strv tags, outs, inputs;
	struct buildflags bf;
	buildflags_init(&bf, a);
	strv_init(&tags, a);
	strv_init(&outs, a);
	strv_init(&inputs, a);
	env_init(&o.b.build_args, a);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o.layer_jobs = cpus > 0 ? (int)cpus : 1;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:t:o:h", opts, NULL)) != -1) {
		if (buildflags_take(&bf, &o.b, c, optarg))
			continue;
		switch (c) {
		case MAKE:
		case NINJA:
			if (o.out)
				fatal("gen: give one of --make and --ninja, once");
			o.out = optarg;
			o.ninja = c == NINJA;
			break;
		case BUILDDIR:
			o.builddir = optarg;
			break;
		case INPUT:
			strv_push(&inputs, optarg);
			break;
		case LAYER_JOBS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 1024)
				fatal("gen: --layer-jobs wants a number from 1 to 1024, not '%s'", optarg);
			o.layer_jobs = (int)n;
			break;
		}
		case 'f':
			o.b.file = optarg;
			break;
		case 't':
			strv_push(&tags, optarg);
			break;
		case 'o':
			strv_push(&outs, optarg);
			break;
		case 'h':
		case HELP:
			gen_usage(stdout);
			arena_free(a);
			return 0;
		default:
			fatal("gen: unknown option or missing value: '%s' (see strata gen --help)", argv[optind - 1]);
		}
	}
	if (!o.out || optind != argc - 1) {
		gen_usage(stderr);
		arena_free(a);
		return 2;
	}
	o.b.context = argv[optind];
	buildflags_done(&bf, &o.b);
	o.b.tags = (const char **)tags.v;
	o.b.ntags = tags.n;
	o.b.outputs = (const char **)outs.v;
	o.b.noutputs = outs.n;
	o.inputs = (const char **)inputs.v;
	o.ninputs = inputs.n;
	o.argv = (const char *const *)argv + 1;
	o.argc = (size_t)argc - 1;
	struct error err;
	if (graph_gen(&o, &err) < 0)
		fatal("%s", err.msg);
	arena_free(a);
	return 0;
}

static void step_usage(FILE *f)
{
	fputs("usage: strata step VERB [-m] DIR ID\n"
	      "  the commands a graph from strata gen runs; DIR is its build directory, ID a node\n"
	      "  (STAGE.STEP, STEP 0 being the FROM). Each rewrites its file only when it changes.\n"
	      "  hash DIR ID     hash the sources of a COPY/ADD into DIR/ID.src, list them in DIR/ID.src.d\n"
	      "  key DIR ID      the step's key into DIR/ID.key\n"
	      "  run DIR ID      build the step (a lookup when the store has it) into DIR/ID.img\n"
	      "  image DIR -     the target image: tags, and its digest into DIR/image\n"
	      "  output DIR N    write the image to the Nth -o destination\n"
	      "  layer DIR ID    write the layer alone of a COPY --link (it needs no parent) into the\n"
	      "                  store, its key into DIR/ID.layer; the step's run then finds it\n"
	      "  settle DIR -    Make: after a build, move the graph's files' mtimes up to their stamps\n"
	      "                  so that `make -q` agrees with make (a source touched, nothing rewritten)\n"
	      "  -m              Make: also touch the node's .stamp, name it in the depfile\n"
	      "  STRATA_GRAPH_LOG=FILE appends one line per command (and per executed or cached step)\n",
	      f);
}

int cmd_step(int argc, char **argv)
{
	static const char *const verbs[] = {"hash", "key", "run", "image", "output", "layer", "settle"};
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		step_usage(stdout);
		return 0;
	}
	bool make = argc >= 3 && !strcmp(argv[2], "-m");
	if (argc != 4 + make) {
		step_usage(stderr);
		return 2;
	}
	for (size_t v = 0; v < sizeof verbs / sizeof *verbs; v++)
		if (!strcmp(argv[1], verbs[v])) {
			struct error err;
			if (graph_step((enum graph_verb)v, argv[2 + make], argv[3 + make], make, &err) < 0)
				fatal("%s", err.msg);
			return 0;
		}
	fatal("step: unknown verb '%s' (see strata step --help)", argv[1]);
}
