/* strata build: docker build's flags, the direct back end */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "buildflags.h"
#include "cmd.h"
#include "compress.h"
#include "error.h"
#include "parse.h"
#include "sandbox.h"
#include "output.h"
#include "platform.h"
#include "progress.h"
#include "ref.h"
#include "store.h"
#include "export.h"
#include "untar.h"
#include "util.h"

static const char usage[] =
	"usage: strata build [OPTIONS] CONTEXT|-\n"
	"  -f, --file FILE|-        the Dockerfile (default CONTEXT/Dockerfile, else CONTEXT/Containerfile;\n"
	"                           a FILE not found as given is looked up in CONTEXT; - reads standard input)\n"
	"  -t, --tag NAME[:TAG]     name the image in the store (repeatable)\n"
	"      --no-cache           rebuild every step\n"
	BUILDFLAG_USAGE
	"      --pull=never         use the store's images only (the only choice until registries exist)\n"
	"  -o, --output DEST        also write the image to DEST (repeatable): oci:DIR[:TAG],\n"
	"                           oci-archive:FILE|-, docker-archive:FILE|-, or docker's\n"
	"                           type=oci|docker|tar|local,dest=PATH\n"
	"      --iidfile FILE       write the image ID to FILE\n"
	"      --progress MODE      auto (tty on a terminal, else plain), plain, tty or quiet\n"
	"  -q, --quiet              no progress; print the image ID only\n"
	"  CONTEXT - reads the context as a tar from standard input\n";

/* standard input as bytes (for -f -); NULL with *len 0 when empty */
static char *read_stdin(size_t *len)
{
	struct buf b;
	buf_init(&b, NULL);
	char chunk[1 << 16];
	ssize_t n;
	while ((n = read(0, chunk, sizeof chunk)) > 0) {
		buf_putn(&b, chunk, (size_t)n);
		if (b.len > DOCKERFILE_MAX)
			fatal("-f -: standard input holds more than the %d bytes a Dockerfile may have", DOCKERFILE_MAX);
	}
	if (n < 0)
		fatal("-f -: read standard input: %m");
	*len = b.len;
	if (!b.len) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* the Dockerfile as docker and podman find it: -f as given, else in the context; without -f,
   Dockerfile, else Containerfile */
static char *find_dockerfile(const char *file, const char *context)
{
	if (file) {
		if (exists(file))
			return xstrdup(file);
		char *in = xasprintf("%s/%s", context, file);
		if (exists(in))
			return in;
		free(in);
		fatal("-f %s: no such file, neither as given nor in the context %s", file, context);
	}
	char *p = xasprintf("%s/Dockerfile", context);
	if (exists(p))
		return p;
	/* docker takes a lower-case dockerfile too */
	char *l = xasprintf("%s/dockerfile", context);
	if (exists(l)) {
		free(p);
		return l;
	}
	free(l);
	char *c = xasprintf("%s/Containerfile", context);
	if (exists(c)) {
		free(p);
		return c;
	}
	free(c);
	fatal("%s: no such file (nor Containerfile): name the Dockerfile with -f", p);
}

/* the context tar on standard input, extracted into a temporary directory of the store */
static char *stdin_context(struct store **s)
{
	struct error err;
	char *dir;
	if (store_open(s, &err) < 0 || store_tmpdir(*s, &dir, &err) < 0)
		fatal("%s", err.msg);
	if (untar_extract("/dev/stdin", dir, UNTAR_ADD, &err) < 0) {
		store_tmp_discard(*s, dir);
		if (strstr(err.msg, "Unrecognized archive format") || strstr(err.msg, "Truncated") ||
		    strstr(err.msg, "empty"))
			fatal("context -: standard input is not a tar archive");
		fatal("context -: %s", err.msg);
	}
	return dir;
}

int cmd_build(int argc, char **argv)
{
	enum { NO_CACHE = 256, IIDFILE, PROGRESS, PULL };
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"tag", required_argument, NULL, 't'},
		{"no-cache", no_argument, NULL, NO_CACHE},
		{"output", required_argument, NULL, 'o'},
		{"iidfile", required_argument, NULL, IIDFILE},
		{"progress", required_argument, NULL, PROGRESS},
		{"pull", optional_argument, NULL, PULL},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		BUILDFLAG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct arena *a = arena_new();
	struct build_opts o = {0};
	struct strv tags, outs;
	struct buildflags bf;
	buildflags_init(&bf, a);
	strv_init(&tags, a);
	strv_init(&outs, a);
	env_init(&o.build_args, a);
	const char *iidfile = NULL, *progress = "auto";
	struct error err = {0};
	static const struct cmd_spec spec = {usage, "f:t:o:q", opts, 1, 1, false};
	int c, ret;
	while ((c = cmd_start(&spec, argc, argv, NULL, &ret)) != 0) {
		if (buildflags_take(&bf, &o, c, optarg))
			continue;
		switch (c) {
		case 'f':
			o.file = optarg;
			break;
		case 't': {
			char name[REF_MAX];
			if (ref_normalize(optarg, name, &err) < 0)
				fatal("invalid argument \"%s\" for \"-t, --tag\" flag: %s", optarg, err.msg);
			if (strchr(name, '@'))
				fatal("invalid argument \"%s\" for \"-t, --tag\" flag: a tag cannot carry a digest", optarg);
			strv_push(&tags, arena_strdup(a, name));
			break;
		}
		case 'o': {
			struct output_spec os;
			if (output_parse(optarg, &os, &err) < 0 || output_check(&os, &err) < 0)
				fatal("%s", err.msg);
			output_free(&os);
			strv_push(&outs, optarg);
			break;
		}
		case 'q':
			o.quiet = true;
			break;
		case NO_CACHE:
			o.no_cache = true;
			break;
		case IIDFILE:
			iidfile = optarg;
			break;
		case PROGRESS:
			if (strcmp(optarg, "auto") && strcmp(optarg, "plain") && strcmp(optarg, "tty") &&
			    strcmp(optarg, "quiet"))
				fatal("build: --progress must be auto, plain, tty or quiet, not '%s'", optarg);
			progress = optarg;
			break;
		case PULL:
			if (!optarg || (strcmp(optarg, "never") && strcmp(optarg, "false")))
				fatal("build: --pull%s%s: strata has no registries yet; only --pull=never works",
				      optarg ? "=" : "", optarg ? optarg : "");
			break;
		}
	}
	if (ret >= 0) {
		arena_free(a);
		return ret;
	}
	/* every output is checked before anything runs: at most one stream to standard output */
	int to_stdout = 0;
	for (size_t i = 0; i < outs.n; i++) {
		struct output_spec os;
		if (output_parse(outs.v[i], &os, &err) == 0)
			to_stdout += !strcmp(os.path, "-");
		output_free(&os);
	}
	if (iidfile) {
		struct output_spec os = {.kind = OUT_DOCKER_ARCHIVE, .path = (char *)iidfile};
		if (output_check(&os, &err) < 0)
			fatal("--iidfile %s", err.msg);
		to_stdout += !strcmp(iidfile, "-");
	}
	if (to_stdout > 1 || (to_stdout && o.quiet))
		fatal("build: only one output can go to standard output (-o ...:-, --iidfile -, -q)");
	o.context = argv[optind];
	bool file_stdin = o.file && !strcmp(o.file, "-");
	if (file_stdin && !strcmp(o.context, "-"))
		fatal("build: -f - and context - cannot both read standard input");
	struct store *cs = NULL;
	char *ctxdir = NULL, *dockerfile = NULL, *data = NULL;
	if (!strcmp(o.context, "-"))
		o.context = ctxdir = stdin_context(&cs);
	/* a context extracted from standard input is new every time: a cache of it would only grow */
	o.context_statcache = !ctxdir;
	struct stat st;
	if (stat(o.context, &st) < 0)
		fatal("context %s: %m", o.context);
	if (!S_ISDIR(st.st_mode))
		fatal("context %s: not a directory", o.context);
	if (file_stdin) {
		data = read_stdin(&o.file_len);
		if (!data)
			fatal("-f -: standard input is empty (want a Dockerfile)");
		o.file_data = data;
	} else {
		o.file = dockerfile = find_dockerfile(o.file, o.context);
	}
	buildflags_done(&bf, &o);
	o.tags = (const char **)tags.v;
	o.ntags = tags.n;
	o.outputs = (const char **)outs.v;
	o.noutputs = outs.n;
	o.output = transport_export;
	o.progress = !strcmp(progress, "quiet") ? PROGRESS_QUIET
		     : !strcmp(progress, "tty") || (!strcmp(progress, "auto") && isatty(2)) ? PROGRESS_TTY
											   : PROGRESS_PLAIN;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char md[DIGEST_SIZE], id[DIGEST_SIZE];
	struct store *s = NULL;
	int r = build_run(&o, md, &err);
	if (ctxdir) {
		store_tmp_discard(cs, ctxdir);
		free(ctxdir);
		store_close(cs);
	}
	free(dockerfile);
	free(data);
	if (r < 0)
		fatal("%s", err.msg);
	if (store_open(&s, &err) < 0 || ref_image_id(s, md, id, &err) < 0)
		fatal("%s", err.msg);
	store_close(s);
	if (iidfile) {
		struct outfile f;
		if (outfile_open(&f, iidfile, &err) < 0)
			fatal("--iidfile %s", err.msg);
		if (write_all(f.fd, id, strlen(id)) < 0) {
			outfile_abort(&f);
			fatal("--iidfile %s: %m", iidfile);
		}
		if (outfile_commit(&f, &err) < 0)
			fatal("--iidfile %s", err.msg);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.quiet) {
		printf("%s\n", id);
	} else if (o.progress != PROGRESS_QUIET) {
		struct buf line;
		buf_init(&line, NULL);
		buf_printf(&line, "built %.12s in %.2fs", id + 7,
			   (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		for (size_t i = 0; i < tags.n; i++)
			buf_printf(&line, "%s%s", i ? ", " : "; tagged ", tags.v[i]);
		for (size_t i = 0; i < outs.n; i++)
			buf_printf(&line, "%s%s", i ? ", " : "; wrote ", outs.v[i]);
		fprintf(stderr, "%s\n", line.s);
		buf_free(&line);
	}
	arena_free(a);
	return fflush(stdout) == 0 ? 0 : 1;
}
